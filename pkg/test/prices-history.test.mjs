// Prices by date through the built package: costs on a past day, the price
// history as a separately loaded asset, and trace analyses priced per day.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { analyzeTraces, costFromUsage, Pricing } from 'farebox';
import { inFreshProcess } from './helpers.mjs';

const million = { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 };

test('a cost on a past day uses that day’s prices and says since when', () => {
  // deepseek-chat: $0.60/$1.70 per million from LiteLLM 1.77.5 (2025-09-28), $0.28/$0.42 from 1.81.5 (2026-01-29).
  const then = costFromUsage('deepseek-chat', million, { at: '2025-11-01' });
  assert.equal(then.total, '2.3');
  assert.deepEqual(then.effective, { from: '2025-09-28', changedAfter: '2025-08-30', until: '2026-01-29', seen: 'litellm 1.77.5' });
  assert.equal(costFromUsage('deepseek-chat', million, { at: new Date('2026-02-01T00:00:00Z') }).total, '0.7');
  assert.equal(costFromUsage('deepseek-chat', million, { at: Date.parse('2026-02-01') }).total, '0.7');
  const today = costFromUsage('deepseek-chat', million);
  assert.equal(today.total, '0.7');
  assert.equal(today.effective, undefined);
});

test('the history is read only when a past day is asked (Node reads it on first need)', () => {
  const fresh = inFreshProcess(`
    import { costFromUsage, isPriceHistoryLoaded } from 'farebox';
    const before = isPriceHistoryLoaded();
    costFromUsage('gpt-4o', { prompt_tokens: 1, completion_tokens: 1 });
    const afterToday = isPriceHistoryLoaded();
    const total = costFromUsage('claude-3-5-haiku-20241022', { input_tokens: 1000000, output_tokens: 0 }, { at: '2025-02-01' }).total;
    console.log(JSON.stringify({ before, afterToday, after: isPriceHistoryLoaded(), total }));
  `);
  assert.deepEqual(fresh, { before: false, afterToday: false, after: true, total: '1' });
});

test('the history is its own file, and the package says which release its prices are from', () => {
  const history = new URL('../prices/history.bin', import.meta.url);
  assert.ok(statSync(history).size > 100_000);
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));
  assert.equal(manifest.exports['./prices/history'].node, './prices/history.node.js');
  assert.match(new Pricing().snapshot, /^\d{4}-\d{2}-\d{2}$/);
  const own = new Pricing();
  const summary = own.loadHistory(readFileSync(history));
  assert.equal(summary.first, '2023-10-31');
  assert.equal(summary.last, new Pricing().snapshot);
  assert.ok(summary.releases >= 28);
});

test('an analysis prices each call at its own day and explains the audit by price changes', () => {
  const lines = [
    { id: 'a', type: 'GENERATION', startTime: '2025-11-01T10:00:00Z', model: 'deepseek-chat', usageDetails: { input: 1e6, output: 1e6 }, calculatedTotalCost: 2.3 },
    { id: 'b', type: 'GENERATION', startTime: '2026-06-01T10:00:00Z', model: 'deepseek-chat', usageDetails: { input: 1e6, output: 1e6 }, calculatedTotalCost: 0.7 },
  ]
    .map((l) => JSON.stringify(l))
    .join('\n');
  const dated = analyzeTraces(lines, { whatIfs: [{ todaysPrices: true }] });
  assert.equal(dated.totals.cost, '3');
  assert.equal(dated.audit.differing, 0);
  assert.equal(dated.pricing.pricesAt, 'callDate');
  assert.equal(dated.pricing.atEarlierPrices, 1);
  assert.equal(dated.whatIfs[0].scenario, 'todaysPrices');
  assert.equal(dated.whatIfs[0].difference, '-1.6');

  const today = analyzeTraces(lines, { pricesAt: 'today' });
  assert.equal(today.audit.priceChanges, 1);
  assert.deepEqual(
    [today.audit.discrepancies[0].priceChange.from, today.audit.discrepancies[0].priceChange.until],
    ['2025-09-28', '2026-01-29'],
  );
  assert.throws(() => analyzeTraces(lines, { pricesAt: 'yesterday' }), /pricesAt `yesterday`/);
});

test('options.at takes a day, an instant, a Date or epoch milliseconds, and refuses anything else', () => {
  for (const at of ['2025-11-01', '2025-11-01T12:00:00+02:00', new Date('2025-11-01T00:00:00Z'), Date.parse('2025-11-01')]) {
    assert.equal(costFromUsage('deepseek-chat', million, { at }).total, '2.3', String(at));
  }
  assert.throws(() => costFromUsage('deepseek-chat', million, { at: 'last spring' }), /options\.at/);
  assert.throws(() => costFromUsage('deepseek-chat', million, { at: Number.NaN }), /options\.at is not a valid date/);
});
