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

test('Gemini models count as Google\'s SDK counts them, with Gemma 3', () => {
  assert.equal(encodingForModel('gemini-2.5-pro'), 'gemma3');
  assert.equal(encodingForModel('vertex_ai/gemini-2.0-flash-001'), 'gemma3');
  assert.equal(encodingForModel('gemini-3.1-pro-preview'), null, 'Gemma 4 in the SDK: an estimate');
  assert.equal(countTokens('hello world', 'gemini-2.5-pro'), 2);
  assert.equal(countTokens('<mask>  x', 'gemma3'), 3);
  // Whole corpus files, against sentencepiece's counts (tests/gemma3/oracle.py).
  const fixture = JSON.parse(testData('fixtures/gemma3/text.json', 'utf8'));
  const whole = fixture.corpus.filter((s) => s.start === 0 && s.end === Buffer.byteLength(testData(`corpus/${s.file}`)));
  assert.ok(whole.length >= 10);
  for (const s of whole) {
    assert.equal(countTokens(testData(`corpus/${s.file}`, 'utf8'), 'gemini-2.5-flash'), s.count, s.file);
  }
});

test('Llama 3.x models count exactly with llama3, on every host\'s name for them', () => {
  for (const model of ['meta.llama3-1-8b-instruct-v1:0', 'vertex_ai/meta/llama-3.3-70b-instruct-maas', 'llama-v3p1-8b-instruct']) {
    assert.equal(encodingForModel(model), 'llama3', model);
  }
  assert.equal(encodingForModel('llama-4-scout-17b-16e-instruct'), 'llama4', 'Llama 4 has its own');
  // Its first ranks are cl100k_base's; its added tokens are one token each in text (Hugging Face's rule).
  assert.equal(countTokens('hello world', 'llama3'), 2);
  assert.equal(countTokens('a<|eot_id|>b', 'groq/llama-3.3-70b-versatile'), 3);
  const text = testData('corpus/prose-en.txt', 'utf8');
  const n = countTokens(text, 'llama3');
  assert.equal(countTokens(text, 'meta.llama3-3-70b-instruct-v1:0'), n);
  assert.deepEqual(estimateTokens(text, 'together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo'), { tokens: n, exact: true, low: n, high: n });
});

test('Mistral NeMo counts exactly with tekken', () => {
  for (const model of ['open-mistral-nemo', 'vertex_ai/mistral-nemo@2407', 'mistralai/Mistral-Nemo-Instruct-2407']) {
    assert.equal(encodingForModel(model), 'tekken', model);
  }
  assert.equal(encodingForModel('mistral-large-latest'), null);
  // One digit a piece (Tekken's split), and no contractions.
  assert.equal(countTokens('12345', 'tekken'), 5);
  const text = testData('corpus/prose-en.txt', 'utf8');
  assert.equal(countTokens(text, 'mistral/open-mistral-nemo'), countTokens(text, 'tekken'));
});

test('Llama 4 counts exactly with llama4 (Meta\'s tokenizer: special tokens in text are text)', () => {
  for (const model of ['meta.llama4-scout-17b-instruct-v1:0', 'vertex_ai/meta/llama-4-maverick-17b-128e-instruct-maas', 'together_ai/meta-llama/Llama-4-Scout-17B-16E-Instruct']) {
    assert.equal(encodingForModel(model), 'llama4', model);
  }
  // Ids checked against tiktoken on Meta's ranks by tests/tests/tokens.rs; here the package agrees.
  assert.equal(countTokens('<|eot|>', 'llama4'), 5);
  const text = testData('corpus/prose-en.txt', 'utf8');
  assert.equal(countTokens(text, 'meta.llama4-maverick-17b-instruct-v1:0'), 66144);
  assert.notEqual(countTokens(text, 'llama4'), countTokens(text, 'o200k_base'), 'its own ranks, not o200k_base');
});

test("Mistral's SentencePiece models count exactly with mistral_v1 and mistral_v3", () => {
  for (const [model, vocabulary] of [
    ['open-mixtral-8x22b', 'mistral_v3'],
    ['codestral/codestral-2405', 'mistral_v3'],
    ['bedrock/us-east-1/mistral.mixtral-8x7b-instruct-v0:1', 'mistral_v1'],
    ['together_ai/mistralai/Mixtral-8x7B-Instruct-v0.1', 'mistral_v1'],
    ['vertex_ai/mistral-large-2411', 'mistral_v7'],
  ]) {
    assert.equal(encodingForModel(model), vocabulary, model);
  }
  // sentencepiece's ids with mistral-common's models: a dummy prefix, and 18 `▁` as 16 + 2.
  assert.equal(countTokens('hello world', 'mistral_v3'), 3);
  assert.equal(countTokens(' '.repeat(17), 'mistral_v1'), 2);
  // v3's user-defined pieces are one token in text.
  assert.equal(countTokens('[REFERENCE_DOC_2]a', 'mistral_v3'), 3);
  // v7 adds `[REF]` and `[/REF]` as pieces matched in text (sentencepiece: 4 ids with v7, 8 with v3).
  assert.equal(countTokens('[REF]x[/REF]', 'mistral_v7'), 4);
  assert.ok(countTokens('[REF]x[/REF]', 'mistral_v3') > 4);
  const text = testData('corpus/prose-en.txt', 'utf8');
  assert.equal(countTokens(text, 'open-mixtral-8x22b'), countTokens(text, 'mistral_v3'));
});

test('DeepSeek V3 and Qwen 3 count exactly with their own vocabularies (Hugging Face\'s counts)', () => {
  for (const [model, vocabulary] of [
    ['deepseek/deepseek-v3', 'deepseek_v3'],
    ['together_ai/deepseek-ai/DeepSeek-V3', 'deepseek_v3'],
    ['deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507', 'qwen3'],
    ['fireworks_ai/accounts/fireworks/models/qwen3-coder-480b-a35b-instruct', 'qwen3'],
  ]) {
    assert.equal(encodingForModel(model), vocabulary, model);
  }
  // Later or API-only models tokenize otherwise: not mapped.
  throwsFarebox(() => countTokens('hi', 'deepseek/deepseek-v3.2'), 'no_exact_tokenizer');
  throwsFarebox(() => countTokens('hi', 'dashscope/qwen3-max'), 'no_exact_tokenizer');
  // Added tokens in text are one token; digits: DeepSeek groups three, Qwen one.
  assert.equal(countTokens('<｜User｜>hi', 'deepseek_v3'), 2);
  assert.equal(countTokens('<think>hi', 'qwen3'), 2);
  assert.equal(countTokens('12345', 'deepseek_v3'), 2);
  assert.equal(countTokens('12345', 'qwen3'), 5);
  // Qwen 3 normalises to NFC first: a decomposed é counts as the composed one.
  assert.equal(countTokens('Cafe\u0301', 'qwen3'), countTokens('Café', 'qwen3'));
  assert.equal(countTokens('Cafe\u0301', 'deepseek_v3'), 3);
  const text = testData('corpus/prose-en.txt', 'utf8');
  assert.equal(countTokens(text, 'deepseek/deepseek-v3'), 66225);
  assert.equal(countTokens(text, 'Qwen/Qwen3-32B'), 66849);
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

// The worst case for a BPE counter: a megabyte of one letter is one piece.
// Its speed is measured by the benchmark (pkg/bench/bench.mjs, "1 MB of \"a\""),
// never asserted here; this checks the count. In o200k_base, "aaaaaaaa" is one
// token and a run of n letters is tiktoken's n / 8 of them plus 0, 1, 1, 1, 1,
// 2, 2, 2 for the remainder n % 8 (checked against tiktoken-rs for every
// n < 5000 and around 1 MiB), so the count is linear in n.
test('a megabyte of one character counts exactly, linearly in its length', () => {
  const reference = (n) => Math.floor(n / 8) + [0, 1, 1, 1, 1, 2, 2, 2][n % 8];
  const mib = 1 << 20;
  for (let n = mib; n < mib + 8; n++) {
    assert.equal(countTokens('a'.repeat(n), 'o200k_base'), reference(n), `${n} × "a"`);
  }
  const half = countTokens('a'.repeat(mib / 2), 'o200k_base');
  assert.equal(half, 65_536);
  assert.equal(countTokens('a'.repeat(mib), 'o200k_base'), 2 * half, 'twice the text, twice the tokens');
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
