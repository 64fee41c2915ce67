// Exact counting and vocabulary loading, through the built package (Node entry).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countTokens, encodingForModel, estimateTokens, loadEncoding, registerEncoding } from 'farebox';
import o200k from 'farebox/vocab/o200k_base';
import { testData, throwsFarebox } from './helpers.mjs';

test('known counts in each encoding', () => {
  assert.equal(countTokens('', 'gpt-4o'), 0);
  assert.equal(countTokens('hello world', 'gpt-4o'), 2);
  assert.equal(countTokens('hello world', 'o200k_base'), 2);
  assert.equal(countTokens('hello world', 'gpt-4'), 2);
  assert.equal(countTokens('hello world', 'text-davinci-003'), 2);
  assert.equal(countTokens('hello world', 'davinci'), 2);
  // "<|endoftext|>" in user text is ordinary text, as the API counts it.
  assert.ok(countTokens('<|endoftext|>', 'cl100k_base') > 1);
});

test('models map to encodings as tiktoken maps them', () => {
  assert.equal(encodingForModel('gpt-4o-2024-08-06'), 'o200k_base');
  assert.equal(encodingForModel('azure/gpt-4.1'), 'o200k_base');
  assert.equal(encodingForModel('gpt-oss-120b'), 'o200k_base', 'o200k_harmony counts with o200k_base');
  assert.equal(encodingForModel('gpt-3.5-turbo'), 'cl100k_base');
  assert.equal(encodingForModel('text-davinci-002'), 'p50k_base');
  assert.equal(encodingForModel('gpt2'), 'r50k_base');
  assert.equal(encodingForModel('claude-sonnet-4-5'), null);
  const text = 'The quick brown fox 🦊 jumps over 13 lazy dogs.';
  assert.equal(countTokens(text, 'gpt-oss-120b'), countTokens(text, 'o200k_harmony'));
  assert.equal(countTokens(text, 'o200k_harmony'), countTokens(text, 'o200k_base'));
});

test('corpus texts count the same through every name for the encoding', () => {
  for (const file of ['prose-en.txt', 'code-rust.txt', 'json.txt', 'cjk.txt', 'emoji.txt', 'whitespace.txt']) {
    const text = testData(`corpus/${file}`, 'utf8');
    const n = countTokens(text, 'o200k_base');
    assert.ok(n > 0 && n < Buffer.byteLength(text), `${file}: ${n}`);
    assert.equal(countTokens(text, 'gpt-4o'), n, file);
    assert.deepEqual(estimateTokens(text, 'gpt-4o'), { tokens: n, exact: true, low: n, high: n }, file);
  }
});

test('counting is linear on a long run of one character', () => {
  const started = performance.now();
  const n = countTokens('a'.repeat(200_000), 'o200k_base');
  assert.ok(n > 0);
  assert.ok(performance.now() - started < 20_000);
});

test('vocabulary modules export the bytes; registering and loading are idempotent', async () => {
  assert.ok(o200k instanceof Uint8Array);
  assert.ok(o200k.length > 1_000_000);
  registerEncoding('o200k_base', o200k);
  registerEncoding('gpt-4o', o200k.buffer.slice(o200k.byteOffset, o200k.byteOffset + o200k.byteLength));
  await loadEncoding('cl100k_base');
  await Promise.all([loadEncoding('p50k_base'), loadEncoding('text-davinci-003')]);
  assert.equal(countTokens('hello world', 'p50k_base'), 2);
});

test('loading rejects names that are no encoding', async () => {
  await assert.rejects(loadEncoding('claude-sonnet-4-5'), (e) => e.code === 'no_exact_tokenizer');
  await assert.rejects(loadEncoding('../../etc/passwd'), (e) => e.code === 'no_exact_tokenizer');
  throwsFarebox(() => registerEncoding('r50k_base', 'not bytes'), 'invalid_argument', /Uint8Array/);
});
