// Shared by the node --test suites: paths to the repo's test data, and an
// assertion for farebox's errors.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FareboxError } from 'farebox';

const repo = new URL('../../', import.meta.url);

/** A file of the repo's tests/ folder (`corpus/prose-en.txt`, `fixtures/traces/...`). */
export function testData(path, encoding) {
  return readFileSync(new URL(`tests/${path}`, repo), encoding);
}

/** Runs `source`, an ES module importing 'farebox' or 'farebox/tokenizer', in a
 * fresh Node process, where no vocabulary is loaded yet whatever tests ran
 * before, and returns what it printed, parsed as JSON. */
export function inFreshProcess(source) {
  const cwd = fileURLToPath(new URL('./', import.meta.url));
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '--eval', source], { cwd, encoding: 'utf8' }));
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
