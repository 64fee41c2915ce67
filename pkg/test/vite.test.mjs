// The package in a browser through a bundler: a Vite production build of a
// page that imports 'farebox', served on 127.0.0.1 and opened in headless
// Chromium (Debian's; playwright-core drives it, no browser download).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('./vite/', import.meta.url));
let server;
let browser;

before(async () => {
  await build({ root, logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true } });
  server = await preview({ root, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.httpServer.close(resolve) : resolve()));
});

test('a Vite-built page imports farebox, prices and analyses a File without a vocabulary, then loads one and counts; then farebox/tokenizer', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const url = server.resolvedUrls.local[0];
  await page.goto(url);
  await page.waitForFunction(() => window.results !== undefined, null, { timeout: 30_000 });
  const results = await page.evaluate(() => window.results);
  assert.deepEqual(errors, []);
  assert.equal(results.error, undefined, results.error);
  assert.equal(results.cost, '0.0195');
  assert.deepEqual(results.beforeLoad, { isFareboxError: true, code: 'tokenizer_not_loaded' });
  assert.deepEqual(results.traces, { generations: 2, cost: '0.039', user: 'ユーザー' });
  assert.deepEqual(results.vocabulariesBeforeLoad, [], 'pricing and trace analytics fetched no vocabulary');
  assert.equal(results.historyFetched, 1, 'the analysis fetched the price history, emitted by the bundler');
  assert.ok(results.pricing, 'and priced with it');
  assert.equal(results.count, 2);
  assert.equal(results.estimate, '0.0000225');
  assert.equal(results.vocabulariesAfterLoad.length, 1, 'exactly one vocabulary was fetched');
  assert.match(results.vocabulariesAfterLoad[0], /^o200k_base.*\.bin$/);
  assert.deepEqual(results.tokenizerBeforeLoad, { isFareboxError: true, code: 'tokenizer_not_loaded' }, 'farebox/tokenizer has its own vocabularies');
  assert.equal(results.tokenizerCount, 2);
  assert.deepEqual(results.modules, ['farebox_tokenizer_bg.wasm', 'farebox_wasm_bg.wasm'], 'each entry fetched its own module');
  await page.close();
});
