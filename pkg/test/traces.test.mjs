// Trace analytics, through the built package.

import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeTraces, FareboxError, Pricing } from 'farebox';
import { testData, throwsFarebox } from './helpers.mjs';

const trace = testData('fixtures/traces/langfuse-trace.json', 'utf8');
const jsonl = testData('fixtures/traces/langfuse-traces.jsonl', 'utf8');

test('a Langfuse trace: totals, groups and the audit of exported costs', () => {
  const report = analyzeTraces(trace);
  assert.equal(report.import.format, 'json');
  assert.deepEqual(
    [report.import.records, report.import.generations, report.import.skipped, report.import.errorCount],
    [1, 3, 2, 0],
  );
  assert.deepEqual(report.import.sources, { langfuseTraces: 1, langfuseObservations: 5, otelSpans: 0 });
  assert.equal(report.totals.generations, 3);
  assert.equal(typeof report.totals.cost, 'string');
  assert.ok(report.byModel.some((g) => g.key === 'claude-sonnet-4-5-20250929'));
  assert.ok(report.audit.checked >= 1);
  assert.ok(report.byMetadata.agent_type, 'metadata keys are kept as exported, not camelCased');
  for (const key of ['byDay', 'byModel', 'byProvider', 'byUser', 'bySession', 'byTag', 'byTraceName', 'byName', 'byEnvironment', 'topTraces', 'spikes', 'whatIfs', 'unknownModels']) {
    assert.ok(Array.isArray(report[key]), key);
  }
  assert.deepEqual(Object.keys(report.totals.tokens).sort(), ['cacheRead', 'cacheWrite', 'input', 'output', 'reasoning', 'total']);
});

test('a broken JSON Lines record is reported with its line; the others are kept', () => {
  const report = analyzeTraces(jsonl);
  assert.equal(report.import.format, 'json_lines');
  assert.equal(report.import.errorCount, 1);
  assert.deepEqual(report.import.errors[0], { record: 3, line: 3, message: 'EOF while parsing an object (column 92)' });
  assert.equal(report.import.generations, 3);
});

test('text, bytes and any chunk size give the same report; progress is reported', () => {
  const whole = analyzeTraces(jsonl);
  const bytes = new TextEncoder().encode(jsonl);
  const seen = [];
  const chunked = analyzeTraces(bytes, { chunkSize: 7, onProgress: (p) => seen.push(p) });
  assert.deepEqual(chunked, whole);
  assert.deepEqual(analyzeTraces(jsonl, { chunkSize: 13 }), whole);
  assert.deepEqual(analyzeTraces(bytes.buffer), whole);
  assert.equal(seen.length, Math.ceil(bytes.length / 7));
  assert.deepEqual(seen.at(-1), { bytes: bytes.length, records: seen.at(-1).records, generations: seen.at(-1).generations, errors: seen.at(-1).errors });
  assert.ok(seen.every((p, i) => i === 0 || p.bytes >= seen[i - 1].bytes));
});

test('a surrogate pair is never split between string chunks', () => {
  const emoji = jsonl.replace('"chat"', '"chat 🦊"');
  assert.deepEqual(analyzeTraces(emoji, { chunkSize: 3 }), analyzeTraces(emoji));
});

test('what-ifs, own prices and options', () => {
  const report = analyzeTraces(trace, { whatIfs: [{ model: 'gpt-4o-mini' }, { cacheHitRate: 50 }], topN: 1, metadataKeys: ['agent_type'] });
  assert.equal(report.whatIfs.length, 2);
  assert.deepEqual(report.whatIfs[0].scenario, { model: { model: 'gpt-4o-mini', only: null } });
  assert.deepEqual(report.whatIfs[1].scenario, { cacheHitRate: { percent: 50 } });
  assert.ok(report.topTraces.length <= 1);
  assert.deepEqual(Object.keys(report.byMetadata), ['agent_type']);
  const pricing = new Pricing().createModel({ name: 'acme-llm-1', inputPrice: '0.001', outputPrice: '0.002' });
  const csv = testData('fixtures/traces/langfuse-observations.csv', 'utf8');
  const withOwn = analyzeTraces(csv, { pricing });
  assert.ok(!withOwn.unknownModels.some(([m]) => m === 'acme-llm-1'));
  assert.ok(analyzeTraces(csv).unknownModels.some(([m]) => m === 'acme-llm-1'));
});

test('OpenTelemetry and every fixture import without throwing', () => {
  for (const name of ['otel-genai.json', 'otel-llm-attrs.json', 'langfuse-api-traces-page.json', 'langfuse-api-observations-v2-page.json', 'langfuse-observations.json']) {
    const report = analyzeTraces(testData(`fixtures/traces/${name}`));
    assert.ok(report.import.records > 0, name);
  }
  assert.equal(analyzeTraces('').import.format, null);
});

test('an exception in the progress callback propagates unchanged', () => {
  const boom = new RangeError('stop');
  assert.throws(() => analyzeTraces(jsonl, { onProgress: () => { throw boom; } }), (e) => e === boom);
});

/** Every key path of `value`: `audit.discrepancies[].traceId`; an array's items under `[]`,
 * the metadata keys (data, not fields) under `byMetadata.*`. */
function keyPaths(value, path = '', out = new Set()) {
  if (Array.isArray(value)) {
    for (const item of value) keyPaths(item, `${path}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path === 'byMetadata' ? `${path}.*` : path ? `${path}.${key}` : key;
      out.add(at);
      keyPaths(item, at, out);
    }
  }
  return out;
}

test("the report's whole key set, so that no renamed field in core changes it unnoticed", () => {
  // Nine days of a Langfuse trace list with a spike, an unknown model, exported costs that
  // differ from farebox's, metadata keys of every spelling, and a broken line: every list
  // of the report has items.
  const lines = [];
  for (let day = 1; day <= 9; day++) {
    const at = `2026-11-0${day}T10:00:00Z`;
    lines.push(JSON.stringify({
      id: `t${day}`, timestamp: at, name: 'chat', userId: 'u_1', sessionId: 's_1', tags: ['a_b'], environment: 'prod_eu',
      metadata: { agent_type: 'x', camelKey: 'y', 'dotted.key': day },
      observations: [{
        id: `o${day}`, type: 'GENERATION', name: 'gen_one', model: day === 5 ? 'mystery-model' : 'gpt-4o', startTime: at,
        usageDetails: { input: day === 8 ? 50000 : 1000, output: 10, cache_read_input_tokens: 5 }, costDetails: { total: 0.5 },
      }],
    }));
  }
  lines.splice(3, 0, '{"id": "broken"');
  const report = analyzeTraces(lines.join('\n'), {
    whatIfs: [{ model: 'gpt-4o-mini', only: 'gpt-*' }, { cacheHitRate: 50 }],
    spikeRule: { factorPercent: 150, trailingDays: 3, minHistoryDays: 2 },
  });
  assert.deepEqual(Object.keys(report.byMetadata), ['agent_type', 'camelKey', 'dotted.key'], 'metadata keys as exported');
  assert.ok(report.spikes.length > 0 && report.audit.discrepancies.length > 0 && report.import.errors.length > 0);
  const totals = (at) => ['cost', 'exportedCost', 'generations', 'tokens', 'tokens.cacheRead', 'tokens.cacheWrite', 'tokens.input', 'tokens.output', 'tokens.reasoning', 'tokens.total', 'unpriced'].map((k) => `${at}.${k}`);
  const groups = (at) => [at, `${at}[].key`, ...totals(`${at}[]`)];
  const expected = [
    'import', 'import.format', 'import.bytes', 'import.records', 'import.generations', 'import.skipped',
    'import.sources', 'import.sources.langfuseTraces', 'import.sources.langfuseObservations', 'import.sources.otelSpans',
    'import.errors', 'import.errors[].record', 'import.errors[].line', 'import.errors[].message', 'import.errorCount',
    'totals', ...totals('totals'),
    ...['byDay', 'byModel', 'byProvider', 'byUser', 'bySession', 'byTag', 'byTraceName', 'byName', 'byEnvironment'].flatMap(groups),
    'byMetadata', ...groups('byMetadata.*'),
    'topTraces', 'topTraces[].traceId', 'topTraces[].name', 'topTraces[].user', 'topTraces[].firstSeen', ...totals('topTraces[]'),
    'cacheSavings',
    'audit', 'audit.checked', 'audit.agreeing', 'audit.differing', 'audit.priceChanges', 'audit.exportedTotal', 'audit.fareboxTotal', 'audit.netDifference',
    'audit.discrepancies', ...['traceId', 'observationId', 'line', 'model', 'exported', 'farebox', 'difference'].map((k) => `audit.discrepancies[].${k}`),
    'whatIfs', 'whatIfs[].scenario', 'whatIfs[].scenario.model', 'whatIfs[].scenario.model.model', 'whatIfs[].scenario.model.only',
    'whatIfs[].scenario.cacheHitRate', 'whatIfs[].scenario.cacheHitRate.percent',
    ...['compared', 'baseline', 'cost', 'difference', 'unpriced'].map((k) => `whatIfs[].${k}`),
    // A spike has a day and no percent (threshold alerts, which a report has none of, have one).
    'spikes', ...['kind', 'subject', 'day', 'amount', 'threshold', 'message'].map((k) => `spikes[].${k}`),
    'unknownModels',
    'pricing', ...['pricesAt', 'atEarlierPrices', 'undated', 'withoutHistory', 'history'].map((k) => `pricing.${k}`),
    'overflow',
  ];
  assert.deepEqual([...keyPaths(report)].sort(), expected.sort());
});

// ------------------------------------------------------------ streamed input

/** An async generator over `chunks`. */
async function* generate(chunks) {
  for (const chunk of chunks) yield chunk;
}

/** A ReadableStream of `chunks`, recording whether it was cancelled. */
function streamOf(chunks, state = {}) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
    cancel(reason) {
      state.cancelled = reason ?? true;
    },
  });
}

/** `bytes` cut at `cuts` (ascending offsets). */
function cutAt(bytes, cuts) {
  const edges = [0, ...cuts, bytes.length];
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
}

// Non-ASCII in names, users and metadata, so that a character decoded
// wrongly at a chunk boundary changes the report's keys.
const unicode = jsonl
  .replaceAll('"u1"', '"ユーザー🦊"')
  .replaceAll('"chat"', '"çhat 💬"')
  .replaceAll('"support"', '"サポート"');
const unicodeBytes = new TextEncoder().encode(unicode);

test('a ReadableStream, an async generator, a Blob and a File give the one-shot report', async () => {
  const whole = analyzeTraces(jsonl);
  const bytes = new TextEncoder().encode(jsonl);
  const parts = cutAt(bytes, [10, 400, 401, 900]);
  const fromStream = analyzeTraces(streamOf(parts));
  assert.ok(fromStream instanceof Promise, 'a stream gives a Promise');
  assert.deepEqual(await fromStream, whole);
  assert.deepEqual(await analyzeTraces(generate(parts)), whole);
  assert.deepEqual(await analyzeTraces(generate([jsonl.slice(0, 500), jsonl.slice(500)])), whole, 'string chunks');
  assert.deepEqual(await analyzeTraces(new Blob([bytes])), whole);
  assert.deepEqual(await analyzeTraces(new File([jsonl], 'traces.jsonl')), whole);
  const text = new Blob([bytes]).stream().pipeThrough(new TextDecoderStream());
  assert.deepEqual(await analyzeTraces(text), whole, 'a stream of strings');
});

test('a Node file stream, as bytes and as text, gives the one-shot report', async () => {
  const path = fileURLToPath(new URL('../../tests/fixtures/traces/langfuse-trace.json', import.meta.url));
  const whole = analyzeTraces(trace);
  const seen = [];
  const fromBytes = await analyzeTraces(createReadStream(path, { highWaterMark: 64 }), { onProgress: (p) => seen.push(p) });
  assert.deepEqual(fromBytes, whole);
  assert.equal(seen.length, Math.ceil(Buffer.byteLength(trace) / 64), 'progress after every chunk');
  assert.equal(seen.at(-1).bytes, Buffer.byteLength(trace));
  assert.ok(seen.every((p, i) => i === 0 || p.bytes > seen[i - 1].bytes));
  assert.deepEqual(await analyzeTraces(createReadStream(path, { highWaterMark: 100, encoding: 'utf8' })), whole);
});

test('chunk boundaries inside a UTF-8 character or a record change nothing', async () => {
  const whole = analyzeTraces(unicode);
  assert.ok(whole.byUser.some((g) => g.key === 'ユーザー🦊'), 'the fixture has non-ASCII keys');
  // Every two-chunk cut: through each record, and each byte of each multi-byte character.
  for (let cut = 1; cut < unicodeBytes.length; cut++) {
    assert.deepEqual(await analyzeTraces(generate(cutAt(unicodeBytes, [cut]))), whole, `cut at byte ${cut}`);
  }
  assert.deepEqual(await analyzeTraces(generate(cutAt(unicodeBytes, [1, 2, 3, 100, 101, 102, 103, 104]))), whole);
  // One byte at a time through a stream.
  assert.deepEqual(await analyzeTraces(streamOf(cutAt(unicodeBytes, [...unicodeBytes.keys()].slice(1)))), whole);
  // String chunks that split a surrogate pair (🦊 is two UTF-16 units).
  const fox = unicode.indexOf('🦊');
  assert.deepEqual(await analyzeTraces(generate([unicode.slice(0, fox + 1), unicode.slice(fox + 1)])), whole);
  assert.deepEqual(await analyzeTraces(generate([unicode.slice(0, fox + 1), unicode.slice(fox + 1, fox + 2), unicode.slice(fox + 2)])), whole);
});

test('streamed input takes the same options: own prices, format, what-ifs', async () => {
  const csv = testData('fixtures/traces/langfuse-observations.csv');
  const pricing = new Pricing().createModel({ name: 'acme-llm-1', inputPrice: '0.001', outputPrice: '0.002' });
  const options = { pricing, format: 'csv', whatIfs: [{ model: 'gpt-4o-mini' }] };
  assert.deepEqual(await analyzeTraces(generate(cutAt(csv, [50, 300])), options), analyzeTraces(csv, options));
  const prices = { 'acme-llm-1': { mode: 'chat', input_cost_per_token: 1e-3, output_cost_per_token: 2e-3 } };
  assert.deepEqual(await analyzeTraces(new Blob([csv]), { prices }), analyzeTraces(csv, { prices }));
});

test('bad streamed input: refused at once, or the Promise rejects and the stream is cancelled', async () => {
  throwsFarebox(() => analyzeTraces(42), 'invalid_argument', /ReadableStream/);
  throwsFarebox(() => analyzeTraces([jsonl]), 'invalid_argument', /async iterable/);
  throwsFarebox(() => analyzeTraces(null), 'invalid_argument');
  const state = {};
  await assert.rejects(analyzeTraces(streamOf([new TextEncoder().encode(jsonl), 42, jsonl], state)), (error) => {
    assert.ok(error instanceof FareboxError);
    assert.equal(error.code, 'invalid_argument');
    assert.match(error.message, /chunks must be strings or Uint8Arrays, got number 42/);
    return true;
  });
  assert.ok(state.cancelled, 'the stream was cancelled');
  const boom = new RangeError('stop');
  const stopped = {};
  await assert.rejects(analyzeTraces(streamOf([jsonl, jsonl], stopped), { onProgress: () => { throw boom; } }), (e) => e === boom);
  assert.ok(stopped.cancelled);
  const failing = new ReadableStream({ pull: (c) => c.error(new TypeError('disk gone')) });
  await assert.rejects(analyzeTraces(failing), { name: 'TypeError', message: 'disk gone' });
  const badOptions = analyzeTraces(generate([jsonl]), { topN: 'x' });
  assert.ok(badOptions instanceof Promise, 'with a stream, bad options reject rather than throw');
  await assert.rejects(badOptions, (e) => e instanceof FareboxError && e.code === 'invalid_argument');
});
