// The tokenizer-only entry `farebox/tokenizer`, through the built package
// (Node entry): the counting API of `farebox` with the same counts, names and
// errors, from a module that holds nothing else and never loads the main one.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as farebox from 'farebox';
import * as tokenizer from 'farebox/tokenizer';
import { inFreshProcess, testData, throwsFarebox } from './helpers.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const ENCODINGS = ['o200k_base', 'o200k_harmony', 'cl100k_base', 'p50k_base', 'r50k_base'];

test('its exports are the counting subset of farebox, FareboxError the same class', () => {
  assert.deepEqual(Object.keys(tokenizer).sort(), ['FareboxError', 'countTokens', 'encodingForModel', 'loadEncoding', 'registerEncoding']);
  assert.equal(tokenizer.FareboxError, farebox.FareboxError);
  assert.match(import.meta.resolve('farebox/tokenizer'), /\/dist\/tokenizer\.node\.js$/, 'Node takes the "node" condition');
});

test('bad vocabulary bytes, unknown encodings and wrong argument types fail as in farebox', async () => {
  // A loaded encoding ignores a second registration: bad bytes are refused in
  // a fresh process, where no earlier test can have loaded r50k_base.
  const refused = inFreshProcess(`
    import { registerEncoding } from 'farebox/tokenizer';
    let refused = null;
    try { registerEncoding('r50k_base', new Uint8Array([1, 2, 3])); } catch (e) { refused = { name: e.name, code: e.code, message: e.message }; }
    console.log(JSON.stringify(refused));
  `);
  assert.equal(refused?.name, 'FareboxError', JSON.stringify(refused));
  assert.equal(refused.code, 'invalid_vocabulary', refused.message);
  assert.match(refused.message, /vocab\/r50k_base\.bin/);
  throwsFarebox(() => tokenizer.registerEncoding('r50k_base', 'not bytes'), 'invalid_argument', /Uint8Array/);
  for (const name of ['claude-sonnet-4-5', 'o200k', '../../etc/passwd']) {
    const message = (fn) => {
      try {
        fn();
      } catch (error) {
        return [error.code, error.message];
      }
      assert.fail(`${name}: no error`);
    };
    throwsFarebox(() => tokenizer.countTokens('hello', name), 'no_exact_tokenizer', /estimateTokens/);
    assert.deepEqual(message(() => tokenizer.countTokens('hello', name)), message(() => farebox.countTokens('hello', name)));
    await assert.rejects(tokenizer.loadEncoding(name), (e) => e instanceof farebox.FareboxError && e.code === 'no_exact_tokenizer');
    assert.equal(tokenizer.encodingForModel(name), null);
  }
  throwsFarebox(() => tokenizer.countTokens(42, 'gpt-4o'), 'invalid_argument', /text must be a string/);
  throwsFarebox(() => tokenizer.encodingForModel(undefined), 'invalid_argument', /model must be a string/);
});

test('models map to the encodings farebox maps them to', () => {
  for (const model of ['gpt-4o', 'azure/gpt-4.1', 'gpt-oss-120b', 'gpt-3.5-turbo', 'text-davinci-002', 'gpt2', 'o200k_harmony']) {
    assert.equal(tokenizer.encodingForModel(model), farebox.encodingForModel(model), model);
  }
});

test('every corpus text counts the same as through farebox, in every encoding', () => {
  const files = readdirSync(here('../../tests/corpus')).filter((f) => f.endsWith('.txt'));
  assert.ok(files.length >= 10, files.join(', '));
  for (const file of files) {
    const text = testData(`corpus/${file}`, 'utf8');
    for (const encoding of ENCODINGS) {
      const n = tokenizer.countTokens(text, encoding);
      assert.ok(n > 0, `${file} ${encoding}`);
      assert.equal(n, farebox.countTokens(text, encoding), `${file} ${encoding}`);
    }
  }
  assert.equal(tokenizer.countTokens('hello world', 'gpt-4o'), 2);
});

test('registering and loading are idempotent', async () => {
  const o200k = readFileSync(here('../vocab/o200k_base.bin'));
  tokenizer.registerEncoding('o200k_base', new Uint8Array(o200k));
  await Promise.all([tokenizer.loadEncoding('cl100k_base'), tokenizer.loadEncoding('gpt-4')]);
  assert.equal(tokenizer.countTokens('hello world', 'gpt-4'), 2);
});

test('it reads its own module and the one vocabulary, never the main module', () => {
  const out = execFileSync(process.execPath, ['--import', here('fixtures/watch-reads.mjs'), here('fixtures/tokenizer-count.mjs'), 'gpt-4o'], {
    encoding: 'utf8',
  });
  const { n, files } = JSON.parse(out);
  assert.equal(n, 2);
  // Node's loader reads modules through fs too: this is the whole graph.
  assert.deepEqual(files.sort(), [
    'farebox_tokenizer.js',
    'farebox_tokenizer_bg.wasm',
    'host.js',
    'host.node.js',
    'o200k_base.bin',
    'tokenizer-count.mjs',
    'tokenizer.js',
    'tokenizer.node.js',
    'tokens.js',
  ]);
});

test("its module graph holds neither the main module nor the main API's code", () => {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(here(`../dist/${file}`), 'utf8');
    for (const [, imported] of source.matchAll(/(?:from|import)\s*'\.\/([^']+)'/g)) visit(imported);
  };
  visit('tokenizer.node.js');
  visit('tokenizer.browser.js');
  visit('tokenizer.workerd.js');
  assert.ok(seen.has('farebox_tokenizer.js') && seen.has('tokens.js'), [...seen].join(', '));
  for (const main of ['api.js', 'farebox_wasm.js', 'farebox_wasm_bg.wasm']) assert.ok(!seen.has(main), `${main} in ${[...seen].join(', ')}`);
});

test('its module links no price table and no JSON parser', () => {
  const main = readFileSync(here('../dist/farebox_wasm_bg.wasm')).toString('latin1');
  const small = readFileSync(here('../dist/farebox_tokenizer_bg.wasm')).toString('latin1');
  // A model id of the built-in price table, and serde_json's error text: in
  // the main module, so their absence here means something.
  for (const marker of ['claude-sonnet-4-5', 'EOF while parsing']) {
    assert.ok(main.includes(marker), `main module has ${marker}`);
    assert.ok(!small.includes(marker), `tokenizer module has ${marker}`);
  }
  assert.ok(small.length < main.length / 2, `${small.length} vs ${main.length} bytes`);
});
