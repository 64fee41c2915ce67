// Budget decisions, through the built package.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBudget, estimateCost } from 'farebox';
import { throwsFarebox } from './helpers.mjs';

const estimate = estimateCost({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 });

test('a per-call limit denies an estimate above it', () => {
  const d = checkBudget(estimate, { per_call_max_usd: '0.005' });
  assert.equal(d.allow, false);
  assert.equal(d.reason, 'per_call_limit');
  assert.equal(d.limit, '0.005');
  assert.equal(d.estimate, estimate.maxCost);
  assert.match(d.message, /per_call_limit/);
  const ok = checkBudget(estimate, { per_call_max_usd: '0.5' });
  assert.equal(ok.allow, true);
  assert.equal(ok.reason, 'ok');
});

test('cumulative limits read what was spent, inclusive of the limit', () => {
  const at = '2026-11-22T12:00:00Z';
  const call = { ...estimate, user: 'u1', at };
  const left = (Number('1') - Number(estimate.maxCost)).toFixed(7);
  const fits = checkBudget(call, { per_user_daily_usd: '1' }, { userDay: left });
  assert.equal(fits.allow, true, fits.message);
  assert.equal(fits.remaining, '0');
  assert.equal(fits.key, 'user:u1:day:2026-11-22');
  const over = checkBudget(call, { per_user_daily_usd: '1' }, { userDay: '0.9999' });
  assert.equal(over.allow, false);
  assert.equal(over.reason, 'user_daily_limit');
  assert.equal(over.remaining, '0.0001');
});

test('spend without an id on the call is kept under `current`', () => {
  const d = checkBudget(estimate, { per_session_usd: '10' }, { session: '9.999' });
  assert.equal(d.allow, false);
  assert.equal(d.reason, 'session_limit');
  assert.equal(d.key, 'session:current');
});

test('model lists, token limits and unpriced calls', () => {
  assert.equal(checkBudget(estimate, { deny_models: ['gpt-4o*'] }).reason, 'model_denied');
  assert.equal(checkBudget(estimate, { allow_models: ['claude-*'] }).reason, 'model_not_allowed');
  const tokens = checkBudget(estimate, { max_input_tokens: 2 });
  assert.equal(tokens.reason, 'input_tokens_limit');
  assert.equal(tokens.maxInputTokens, 2);
  const unpriced = { model: 'in-house', maxCost: null, inputTokens: 10 };
  assert.equal(checkBudget(unpriced, {}).reason, 'unpriced_model');
  assert.equal(checkBudget(unpriced, { unpriced_model: 'allow' }).allow, true);
});

test('a planned call and a policy given as text', () => {
  const d = checkBudget(
    { model: 'gpt-4o', maxCost: '0.20', inputTokens: { tokens: 5, exact: false, low: 4, high: 6 }, at: new Date('2026-11-22T00:00:00Z') },
    '{"per_model_max_usd":{"gpt-4o":"0.10"}}',
  );
  assert.equal(d.reason, 'model_limit');
  assert.equal(d.limit, '0.1');
});

test('bad policies, calls and spend are refused, naming the field', () => {
  throwsFarebox(() => checkBudget(estimate, { per_user_daly_usd: '1' }), 'invalid_policy', /per_user_daly_usd/);
  throwsFarebox(() => checkBudget(estimate, { per_call_max_usd: '-1' }), 'invalid_policy', /negative/);
  throwsFarebox(() => checkBudget(estimate, '{not json'), 'invalid_policy');
  throwsFarebox(() => checkBudget(estimate, {}, { userDay: '-0.5' }), 'invalid_argument', /userDay/);
  throwsFarebox(() => checkBudget(estimate, {}, { week: '1' }), 'invalid_argument', /week/);
  throwsFarebox(() => checkBudget({ model: 'gpt-4o', inputTokens: 1 }, {}), 'invalid_argument', /maxCost/);
  throwsFarebox(() => checkBudget({ ...estimate, at: 'yesterday' }, {}), 'invalid_argument', /call\.at/);
  throwsFarebox(() => checkBudget('gpt-4o', {}), 'invalid_argument', /estimate or a planned call/);
});
