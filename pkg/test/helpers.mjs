// Shared by the node --test suites: paths to the repo's test data, and an
// assertion for farebox's errors.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FareboxError } from 'farebox';

const repo = new URL('../../', import.meta.url);

/** A file of the repo's tests/ folder (`corpus/prose-en.txt`, `fixtures/traces/...`). */
export function testData(path, encoding) {
  return readFileSync(new URL(`tests/${path}`, repo), encoding);
}

/** Asserts that `fn` throws a FareboxError with `code` whose message matches `message`. */
export function throwsFarebox(fn, code, message) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof FareboxError, `expected a FareboxError, got ${error?.constructor?.name}: ${error?.message}`);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'FareboxError');
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** A decimal USD string as integer attodollars (10⁻¹⁸), for exact comparisons. */
export function atto(money) {
  assert.match(money, /^-?\d+(\.\d{1,18})?$/, `not a decimal amount: ${money}`);
  const negative = money.startsWith('-');
  const [whole, fraction = ''] = money.replace('-', '').split('.');
  const value = BigInt(whole) * 10n ** 18n + BigInt(fraction.padEnd(18, '0'));
  return negative ? -value : value;
}
