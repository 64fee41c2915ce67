// Trace analytics, through the built package.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTraces, Pricing } from 'farebox';
import { testData } from './helpers.mjs';

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
