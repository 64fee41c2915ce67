// Costs from provider usage, price overrides and price files, through the built package.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costFromUsage, Pricing } from 'farebox';
import { throwsFarebox } from './helpers.mjs';

test('the worked examples of the foundation issue', () => {
  const sonnet = costFromUsage('claude-sonnet-4-5', { input_tokens: 1500, output_tokens: 1000 });
  assert.equal(sonnet.total, '0.0195');
  assert.deepEqual(
    sonnet.breakdown.map((l) => [l.kind, l.quantity, l.unitPrice, l.amount]),
    [
      ['input', 1500, '0.000003', '0.0045'],
      ['output', 1000, '0.000015', '0.015'],
    ],
  );

  const gpt4o = costFromUsage('gpt-4o', {
    prompt_tokens: 10000,
    completion_tokens: 500,
    prompt_tokens_details: { cached_tokens: 4000 },
  });
  assert.equal(gpt4o.total, '0.025');
  assert.deepEqual(
    gpt4o.breakdown.map((l) => [l.kind, l.quantity, l.amount]),
    [
      ['input', 6000, '0.015'],
      ['cache_read', 4000, '0.005'],
      ['output', 500, '0.005'],
    ],
  );

  const gemini = costFromUsage('gemini-2.5-pro', { promptTokenCount: 250000, candidatesTokenCount: 1000 });
  assert.equal(gemini.total, '0.64');
  assert.notEqual(gemini.tier, 'standard', 'above 200k prompt tokens the whole request is repriced');
});

test('a cost has the documented shape', () => {
  const cost = costFromUsage('gpt-4o', { prompt_tokens: 10, completion_tokens: 5 });
  assert.deepEqual(Object.keys(cost).sort(), [
    'breakdown',
    'complete',
    'model',
    'provider',
    'resolution',
    'tier',
    'total',
    'unpriced',
    'userDefined',
  ]);
  assert.deepEqual(cost.resolution, { via: 'id' });
  assert.equal(cost.provider, 'openai');
  assert.equal(cost.complete, true);
  assert.equal(typeof cost.total, 'string');
});

test('a whole response body names its model and service tier', () => {
  const body = {
    id: 'chatcmpl-1',
    model: 'gpt-4o-2024-08-06',
    service_tier: 'flex',
    usage: { prompt_tokens: 1000, completion_tokens: 100 },
  };
  const cost = costFromUsage(null, body);
  assert.equal(cost.model, 'gpt-4o-2024-08-06');
  const asText = costFromUsage(null, JSON.stringify(body));
  const asBytes = costFromUsage(null, new TextEncoder().encode(JSON.stringify(body)));
  assert.deepEqual(asText, cost);
  assert.deepEqual(asBytes, cost);
});

test('cloud names resolve to the model they price', () => {
  const usage = { input_tokens: 1500, output_tokens: 1000 };
  const bedrock = costFromUsage('anthropic.claude-sonnet-4-5-20250929-v1:0', usage);
  assert.equal(bedrock.total, '0.0195');
  assert.ok(['id', 'alias', 'normalised', 'pattern'].includes(bedrock.resolution.via));
});

test('service tiers reprice', () => {
  const usage = { prompt_tokens: 1000000, completion_tokens: 0 };
  const standard = costFromUsage('gpt-4o', usage);
  const batch = costFromUsage('gpt-4o', usage, { serviceTier: 'batch' });
  assert.equal(standard.total, '2.5');
  assert.equal(batch.tier, 'batch');
  assert.equal(batch.total, '1.25');
});

test('usage without a price is listed, never dropped', () => {
  const pricing = new Pricing().createModel({ name: 'text-only', inputPrice: '0.000001', outputPrice: '0.000002' });
  const cost = costFromUsage(
    'text-only',
    { prompt_tokens: 100, completion_tokens: 10, prompt_tokens_details: { audio_tokens: 40 } },
    { pricing },
  );
  assert.equal(cost.complete, false);
  assert.deepEqual(cost.unpriced, [{ kind: 'audio_input', quantity: 40 }]);
  assert.equal(cost.total, '0.00008');
});

test('Pricing.createModel beats the built-in table and is exact', () => {
  const pricing = new Pricing();
  assert.equal(pricing.createModel({ name: 'my-gpt', matchPattern: '(?i)^(openai/)?gpt-4o$', inputPrice: 1e-7, outputPrice: '0.0000004' }), pricing);
  const cost = costFromUsage('openai/gpt-4o', { prompt_tokens: 3, completion_tokens: 1 }, { pricing });
  assert.equal(cost.model, 'my-gpt');
  assert.equal(cost.userDefined, true);
  assert.equal(cost.total, '0.0000007');
  assert.equal(costFromUsage('gpt-4o', { prompt_tokens: 3, completion_tokens: 1 }).userDefined, false, 'the built-in table is untouched');
  const resolved = pricing.resolve('gpt-4o');
  assert.equal(resolved.id, 'my-gpt');
  assert.deepEqual(resolved.resolution, { via: 'pattern' });
  assert.deepEqual(resolved.prices, { input: '0.0000001', output: '0.0000004' });
});

test('LiteLLM and Langfuse price files load over the built-in table', () => {
  const litellm = {
    'acme-llm': { litellm_provider: 'acme', mode: 'chat', input_cost_per_token: 2.5e-7, output_cost_per_token: 1e-6 },
    'acme-image': { litellm_provider: 'acme', mode: 'image_generation', output_cost_per_image: 0.04 },
  };
  const pricing = new Pricing();
  const report = pricing.load(litellm);
  assert.equal(report.format, 'litellm');
  assert.equal(report.loaded, 1);
  assert.equal(report.skipped.length, 1);
  assert.equal(costFromUsage('acme-llm', { prompt_tokens: 4, completion_tokens: 1 }, { pricing }).total, '0.000002');

  const langfuse = [
    {
      modelName: 'house-model',
      matchPattern: '(?i)^house-model$',
      inputPrice: 0.000001,
      outputPrice: 0.000003,
    },
  ];
  const once = costFromUsage('house-model', { input_tokens: 10, output_tokens: 10 }, { prices: langfuse });
  assert.equal(once.total, '0.00004');
  assert.equal(once.userDefined, true);
});

test('an empty table knows only what it is given', () => {
  const pricing = new Pricing({ builtin: false });
  assert.equal(pricing.snapshot, '');
  throwsFarebox(() => costFromUsage('gpt-4o', { prompt_tokens: 1, completion_tokens: 1 }, { pricing }), 'unknown_model');
  assert.match(new Pricing().snapshot, /^\d{4}-\d{2}-\d{2}$/);
});
