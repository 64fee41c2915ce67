// Pre-call estimates and chat token counts, through the built package.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countChatTokens, countTokens, estimateCost, estimateTokens, Pricing } from 'farebox';
import { atto, throwsFarebox } from './helpers.mjs';

const chat = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  max_tokens: 100,
};

test('an OpenAI chat request is counted exactly, with the cookbook overheads', () => {
  const estimate = estimateCost(chat);
  const text = (m) => countTokens(m.role, 'gpt-4o') + countTokens(m.content, 'gpt-4o');
  const expected = chat.messages.reduce((n, m) => n + 3 + text(m), 3);
  assert.deepEqual(estimate.inputTokens, { tokens: expected, exact: true, low: expected, high: expected });
  assert.equal(estimate.exact, true);
  assert.equal(estimate.model, 'gpt-4o');
  assert.equal(estimate.format, 'openai_chat');
  assert.equal(estimate.method, 'o200k_base');
  assert.equal(estimate.maxOutputTokens, 100);
  assert.equal(estimate.outputLimit, 'request');
  // $2.50 per million input tokens, $10 per million output tokens, exactly.
  assert.equal(atto(estimate.minCost), BigInt(expected) * atto('0.0000025'));
  assert.equal(atto(estimate.maxCost), BigInt(expected) * atto('0.0000025') + 100n * atto('0.00001'));
  assert.equal(estimate.breakdown.min.total, estimate.minCost);
  assert.equal(estimate.breakdown.max.total, estimate.maxCost);
  assert.deepEqual(
    estimate.breakdown.max.breakdown.map((l) => [l.kind, l.quantity]),
    [
      ['input', expected],
      ['output', 100],
    ],
  );
  assert.deepEqual(countChatTokens(chat), estimate.inputTokens);
  assert.deepEqual(countChatTokens(chat.messages, 'gpt-4o'), estimate.inputTokens);
});

test('the documented estimate shape', () => {
  const estimate = estimateCost(chat);
  assert.deepEqual(Object.keys(estimate).sort(), [
    'breakdown',
    'cacheWrite1hTokens',
    'cacheWrite5mTokens',
    'choices',
    'exact',
    'format',
    'inputTokens',
    'maxCost',
    'maxOutputTokens',
    'method',
    'minCost',
    'model',
    'outputLimit',
    'predictionTokens',
    'provider',
  ]);
});

test('every choice is in the maximum, and a cost with no bound is refused with its own code', () => {
  const one = estimateCost({ ...chat, max_tokens: 100 });
  const four = estimateCost({ ...chat, max_tokens: 100, n: 4 });
  assert.equal(one.choices, 1);
  assert.equal(four.choices, 4);
  assert.equal(four.maxOutputTokens, 100, 'the allowance stays per choice');
  assert.ok(Number(four.maxCost) > 3.9 * (Number(one.maxCost) - Number(one.minCost)));
  const stored = { model: 'gpt-4o', previous_response_id: 'resp_1', input: 'go on', max_output_tokens: 100 };
  throwsFarebox(() => estimateCost(stored), 'stored_context', /previous_response_id/);
  const search = { model: 'gpt-4o', input: 'news?', max_output_tokens: 100, tools: [{ type: 'web_search' }] };
  throwsFarebox(() => estimateCost(search), 'server_tool', /web_search/);
});

test('Claude is estimated from o200k_base with bounds, cache breakpoints included', () => {
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1000,
    system: [{ type: 'text', text: 'Long instructions. '.repeat(200), cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: 'Summarise the instructions.' }],
  };
  const estimate = estimateCost(body);
  const { tokens, low, high, exact } = estimate.inputTokens;
  assert.equal(exact, false);
  assert.ok(low <= tokens && tokens <= high && low < high);
  assert.equal(estimate.format, 'anthropic');
  assert.ok(estimate.cacheWrite5mTokens > 0);
  assert.match(estimate.method, /^estimate: o200k_base/);
  assert.deepEqual(
    estimate.breakdown.min.breakdown.map((l) => l.kind),
    ['input', 'cache_read'],
  );
  assert.ok(Number(estimate.minCost) < Number(estimate.maxCost));
});

test('estimateTokens bounds a model without a public tokenizer', () => {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
  const raw = countTokens(text, 'o200k_base');
  for (const model of ['claude-sonnet-4-5', 'gemini-3.1-pro-preview', 'mistral-large-latest']) {
    const e = estimateTokens(text, model);
    assert.equal(e.exact, false, model);
    assert.ok(e.low <= e.tokens && e.tokens <= e.high, model);
    assert.ok(e.tokens > raw / 2 && e.tokens < raw * 2, `${model}: ${e.tokens} vs ${raw}`);
  }
  // The Gemini models Google's SDK counts with Gemma 3 are exact.
  const gemma3 = countTokens(text, 'gemma3');
  assert.deepEqual(estimateTokens(text, 'gemini-2.5-pro'), { tokens: gemma3, exact: true, low: gemma3, high: gemma3 });
});

test('counting needs no output limit: a model priced without a maximum output counts', () => {
  const pricing = new Pricing({ builtin: false }).createModel({ name: 'house-llm', inputPrice: '0.000001', outputPrice: '0.000002' });
  const body = { model: 'house-llm', messages: [{ role: 'user', content: 'hello world' }] };
  throwsFarebox(() => estimateCost(body, { pricing }), 'invalid_request', /no maximum output/);
  const counted = countChatTokens(body, undefined, { pricing });
  assert.equal(counted.exact, false);
  assert.ok(counted.low <= counted.tokens && counted.tokens <= counted.high && counted.tokens > 0);
  const text = estimateTokens('hello world', 'house-llm', { pricing });
  assert.ok(!text.exact && text.tokens < counted.tokens, 'plain text has no message framing');
});

test('estimateTokens counts exactly with an encoding name or a fine-tuned OpenAI model', () => {
  const n = countTokens('hello world, again', 'o200k_base');
  assert.deepEqual(estimateTokens('hello world, again', 'o200k_base'), { tokens: n, exact: true, low: n, high: n });
  assert.deepEqual(estimateTokens('hello world, again', 'ft:gpt-4o-mini:acme::x1'), { tokens: n, exact: true, low: n, high: n });
});

test('Gemini above 200k prompt tokens: the maximum is priced in the upper tier', () => {
  const text = 'word '.repeat(250_000);
  const body = { contents: [{ role: 'user', parts: [{ text }] }], generationConfig: { maxOutputTokens: 1000 } };
  const estimate = estimateCost(body, { model: 'gemini-2.5-pro' });
  assert.equal(estimate.format, 'gemini');
  assert.ok(estimate.inputTokens.high > 200_000);
  assert.notEqual(estimate.breakdown.max.tier, 'standard');
});

test('an OpenAI service tier reprices the estimate', () => {
  const standard = estimateCost(chat);
  const flex = estimateCost(chat, { serviceTier: 'batch' });
  assert.equal(flex.breakdown.max.tier, 'batch');
  assert.ok(Number(flex.maxCost) < Number(standard.maxCost));
});
