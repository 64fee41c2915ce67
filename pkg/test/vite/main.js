// A page that uses farebox as an app would, through `import ... from 'farebox'`.
// It records what it saw in window.results for vite.test.mjs to check.
import { analyzeTraces, costFromUsage, countTokens, estimateCost, FareboxError, loadEncoding } from 'farebox';

const fetched = () =>
  performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname.split('/').pop())
    .filter((file) => file.endsWith('.bin'));
// The price history is a .bin asset too; the analysis fetches it (each call at its own day's prices).
const vocabularies = () => fetched().filter((file) => !file.startsWith('history'));

async function run() {
  const results = {};
  results.cost = costFromUsage('claude-sonnet-4-5', { input_tokens: 1500, output_tokens: 1000 }).total;
  try {
    countTokens('hello world', 'gpt-4o');
  } catch (error) {
    results.beforeLoad = { isFareboxError: error instanceof FareboxError, code: error.code };
  }
  // A File, as an <input type=file> gives it: read through its stream, in chunks.
  const trace = '{"id":"t1","userId":"ユーザー","observations":[{"id":"o1","type":"GENERATION","model":"claude-sonnet-4-5","usageDetails":{"input":1500,"output":1000}}]}\n';
  const report = await analyzeTraces(new File([trace, trace], 'traces.jsonl'));
  results.traces = { generations: report.import.generations, cost: report.totals.cost, user: report.byUser[0].key };
  results.vocabulariesBeforeLoad = vocabularies();
  results.historyFetched = fetched().filter((file) => file.startsWith('history')).length;
  results.pricing = report.pricing.history !== null;
  await loadEncoding('gpt-4o');
  results.count = countTokens('hello world', 'gpt-4o');
  results.estimate = estimateCost({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello world' }], max_tokens: 10 }).minCost;
  results.vocabulariesAfterLoad = vocabularies();
  // The counting-only entry, loaded later as an app would split it off: its
  // own module (emitted as an asset too), its own vocabularies, the same
  // error class.
  const tokenizer = await import('farebox/tokenizer');
  try {
    tokenizer.countTokens('hello world', 'gpt-4o');
  } catch (error) {
    results.tokenizerBeforeLoad = { isFareboxError: error instanceof FareboxError, code: error.code };
  }
  await tokenizer.loadEncoding('o200k_base');
  results.tokenizerCount = tokenizer.countTokens('hello world', 'gpt-4o');
  results.modules = performance
    .getEntriesByType('resource')
    .map((entry) => new URL(entry.name).pathname.split('/').pop())
    .filter((file) => file.endsWith('.wasm'))
    .map((file) => file.replace(/-[\w-]+\.wasm$/, '.wasm'))
    .sort();
  return results;
}

run().then(
  (results) => {
    window.results = results;
    document.getElementById('out').textContent = JSON.stringify(results, null, 2);
  },
  (error) => {
    window.results = { error: String(error?.stack ?? error) };
  },
);
