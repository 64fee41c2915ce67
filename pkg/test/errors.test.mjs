// Bad input: every function refuses it with a FareboxError whose code is
// stable and whose message says what to fix.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  analyzeTraces,
  costFromUsage,
  countChatTokens,
  countTokens,
  estimateCost,
  estimateTokens,
  FareboxError,
  Pricing,
  registerEncoding,
} from 'farebox';
import { inFreshProcess, throwsFarebox } from './helpers.mjs';

test('vocabulary bytes that are not a vocabulary (in a fresh process: cl100k_base not loaded yet)', () => {
  // A loaded encoding ignores a second registration, so this runs where no
  // earlier test can have loaded cl100k_base.
  const { refused, after } = inFreshProcess(`
    import { countTokens, registerEncoding } from 'farebox';
    let refused = null;
    try { registerEncoding('cl100k_base', new Uint8Array([1, 2, 3, 4, 5])); } catch (e) { refused = { name: e.name, code: e.code, message: e.message }; }
    console.log(JSON.stringify({ refused, after: countTokens('hello world', 'cl100k_base') }));
  `);
  assert.equal(refused?.name, 'FareboxError', JSON.stringify(refused));
  assert.equal(refused.code, 'invalid_vocabulary', refused.message);
  assert.match(refused.message, /cl100k_base\.bin/);
  assert.equal(after, 2, 'the real file still loads afterwards');
});

test('bytes that are not a vocabulary are refused even when that vocabulary is loaded', () => {
  assert.equal(countTokens('hello world', 'cl100k_base'), 2);
  throwsFarebox(() => registerEncoding('cl100k_base', new Uint8Array([1, 2, 3, 4, 5])), 'invalid_vocabulary', /cl100k_base\.bin/);
  assert.equal(countTokens('hello world', 'cl100k_base'), 2, 'the loaded one stays');
});

test('FareboxError is a real Error subclass', () => {
  try {
    costFromUsage('no-such-model-anywhere', { prompt_tokens: 1, completion_tokens: 1 });
    assert.fail('expected a throw');
  } catch (error) {
    assert.ok(error instanceof FareboxError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'FareboxError');
    assert.equal(error.code, 'unknown_model');
    assert.ok(error.stack.includes('FareboxError'));
  }
});

test('unknown models say what to do, with suggestions', () => {
  throwsFarebox(() => costFromUsage('gpt-4oo', { prompt_tokens: 1, completion_tokens: 1 }), 'unknown_model', /did you mean .*gpt-4o/);
  throwsFarebox(() => estimateCost({ model: 'claude-sonet-4-5', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }), 'unknown_model', /user definition/);
  throwsFarebox(() => estimateTokens('text', 'made-up-model'), 'unknown_model');
  throwsFarebox(() => countTokens('text', 'claude-sonnet-4-5'), 'no_exact_tokenizer', /estimateTokens/);
});

test('text that is not JSON', () => {
  throwsFarebox(() => costFromUsage('gpt-4o', 'prompt_tokens=10'), 'invalid_usage', /not valid JSON/);
  throwsFarebox(() => estimateCost('{"model": "gpt-4o", "messages": ['), 'invalid_request', /not valid JSON/);
  throwsFarebox(() => countChatTokens('nope', 'gpt-4o'), 'invalid_request', /not valid JSON/);
  throwsFarebox(() => new Pricing().load('{"a":'), 'invalid_price_file');
});

test('wrong types', () => {
  throwsFarebox(() => countTokens(42, 'gpt-4o'), 'invalid_argument', /text must be a string, got number 42/);
  throwsFarebox(() => countTokens('x'), 'invalid_argument', /modelOrEncoding must be a string/);
  throwsFarebox(() => countTokens(new Uint8Array([104, 105]), 'gpt-4o'), 'invalid_argument', /got a Uint8Array/);
  throwsFarebox(() => costFromUsage(7, {}), 'invalid_argument', /model must be a string/);
  throwsFarebox(() => costFromUsage('gpt-4o', 12), 'invalid_argument', /usage must be an object/);
  throwsFarebox(() => costFromUsage('gpt-4o', { prompt_tokens: '10', completion_tokens: 1 }), 'invalid_usage', /prompt_tokens/);
  throwsFarebox(() => costFromUsage('gpt-4o', [1, 2]), 'invalid_usage', /object/);
  throwsFarebox(() => estimateCost({ model: 'gpt-4o', messages: 'hello', max_tokens: 1 }), 'invalid_request', /messages.*array/);
  throwsFarebox(() => estimateCost({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 'lots' }), 'invalid_request', /max_tokens/);
  throwsFarebox(() => estimateCost({ model: 'gpt-4o', messages: [] }, 'gpt-4o'), 'invalid_argument', /options must be an object/);
  throwsFarebox(() => countChatTokens([{ role: 'user', content: 'x' }]), 'invalid_argument', /name the model/);
  const circular = {};
  circular.self = circular;
  throwsFarebox(() => costFromUsage('gpt-4o', circular), 'invalid_argument', /cannot be written as JSON/);
  throwsFarebox(() => new Pricing({ builtin: 'yes' }), 'invalid_argument', /boolean/);
  throwsFarebox(() => new Pricing().createModel({ name: 'm', inputPrice: true, outputPrice: '1' }), 'invalid_argument', /decimal/);
  throwsFarebox(() => analyzeTraces(12345), 'invalid_argument', /string, a Uint8Array/);
  throwsFarebox(() => analyzeTraces('', { onProgress: 'log' }), 'invalid_argument', /function/);
});

test('unknown options are named, never ignored', () => {
  const usage = { prompt_tokens: 1, completion_tokens: 1 };
  throwsFarebox(() => costFromUsage('gpt-4o', usage, { serviceTeir: 'flex' }), 'invalid_argument', /serviceTeir/);
  throwsFarebox(() => costFromUsage('gpt-4o', usage, { format: 'openai' }), 'invalid_argument', /openai_chat/);
  throwsFarebox(() => estimateCost({}, { format: 'claude' }), 'invalid_argument', /request format/);
  throwsFarebox(() => analyzeTraces('', { topN: -1 }), 'invalid_argument', /topN/);
  throwsFarebox(() => analyzeTraces('', { whatIfs: [{ cacheHitRate: 150 }] }), 'invalid_argument');
  throwsFarebox(() => costFromUsage('gpt-4o', usage, { pricing: {} }), 'invalid_argument', /Pricing/);
  throwsFarebox(() => new Pricing().load({}, 'csv'), 'invalid_argument', /litellm/);
});

test('negative numbers', () => {
  throwsFarebox(() => costFromUsage('gpt-4o', { prompt_tokens: -5, completion_tokens: 1 }), 'invalid_usage', /prompt_tokens/);
  throwsFarebox(() => costFromUsage('gpt-4o', { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 20 } }), 'invalid_usage', /cached_tokens/);
  throwsFarebox(() => new Pricing().createModel({ name: 'm', inputPrice: '-0.000001', outputPrice: '0.000001' }), 'invalid_price_file', /negative/);
  throwsFarebox(() => estimateCost({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: -1 }), 'invalid_request', /max_tokens/);
  throwsFarebox(() => estimateCost({}, { maxBodyBytes: -1 }), 'invalid_argument', /maxBodyBytes/);
});

test('huge input is refused before parsing, or counted', () => {
  const huge = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(17 << 20) }], max_tokens: 1 });
  throwsFarebox(() => estimateCost(huge), 'invalid_request', /limit is 16777216 bytes/);
  throwsFarebox(() => estimateCost('{"model":"gpt-4o"}', { maxBodyBytes: 4 }), 'invalid_request', /limit is 4 bytes/);
  const overflow = { prompt_tokens: Number.MAX_SAFE_INTEGER, completion_tokens: Number.MAX_SAFE_INTEGER };
  const cost = costFromUsage('gpt-4o', overflow);
  assert.ok(cost.total.length > 10, 'u64 counts fit in the exact amounts');
  throwsFarebox(() => costFromUsage('gpt-4o', '{"prompt_tokens": 1e400, "completion_tokens": 1}'), 'invalid_usage');
});

test('invalid UTF-8 bytes', () => {
  const bad = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
  throwsFarebox(() => costFromUsage('gpt-4o', bad), 'invalid_argument', /not valid UTF-8/);
  throwsFarebox(() => estimateCost(bad.buffer), 'invalid_argument', /not valid UTF-8/);
  // Trace exports are streamed as bytes: a record with invalid UTF-8 is an error for that record.
  const lines = new TextEncoder().encode('{"id":"t1","observations":[]}\n');
  const data = new Uint8Array([...lines, ...bad, 0x0a]);
  const report = analyzeTraces(data);
  assert.equal(report.import.errorCount, 1);
  assert.equal(report.import.errors[0].line, 2);
});

test('lone surrogates in JS strings count as U+FFFD', () => {
  assert.equal(countTokens('\ud800', 'o200k_base'), countTokens('\ufffd', 'o200k_base'));
});
