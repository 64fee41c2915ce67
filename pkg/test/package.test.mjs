// The package as a package: what it reads, what it exports, what it ships.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as farebox from 'farebox';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const pkgDir = here('../');

function runWatched(script, ...args) {
  const out = execFileSync(process.execPath, ['--import', here('fixtures/watch-reads.mjs'), here(script), ...args], { encoding: 'utf8' });
  return JSON.parse(out);
}

test('the cost-only functions never read a vocabulary', () => {
  const { total, vocabularies } = runWatched('fixtures/cost-only.mjs');
  assert.equal(total, '0.025');
  assert.deepEqual(vocabularies, []);
});

test('counting reads exactly the one vocabulary it needs, on first use', () => {
  assert.deepEqual(runWatched('fixtures/count.mjs', 'gpt-4o'), { n: 2, vocabularies: ['o200k_base.bin'] });
  assert.deepEqual(runWatched('fixtures/count.mjs', 'gpt-3.5-turbo'), { n: 2, vocabularies: ['cl100k_base.bin'] });
  assert.deepEqual(runWatched('fixtures/count.mjs', 'gemini-2.5-pro'), { n: 2, vocabularies: ['gemma3.bin'] });
});

test('the public exports are the documented ones', () => {
  assert.deepEqual(Object.keys(farebox).sort(), [
    'FareboxError',
    'Pricing',
    'analyzeTraces',
    'checkBudget',
    'costFromUsage',
    'countChatTokens',
    'countTokens',
    'encodingForModel',
    'estimateCost',
    'estimateTokens',
    'isPriceHistoryLoaded',
    'loadEncoding',
    'loadPriceHistory',
    'registerEncoding',
  ]);
  const typings = readFileSync(here('../dist/index.d.ts'), 'utf8');
  for (const name of Object.keys(farebox)) {
    assert.match(typings, new RegExp(`export (declare )?(function|class) ${name}\\b`), `index.d.ts declares ${name}`);
  }
  assert.doesNotMatch(typings.replace(/\/\/.*|\/\*\*[^]*?\*\//g, ''), /\bany\b/, 'no `any` in the public types');
});

test('package.json: exports map, types, files and side effects all point at built files', () => {
  const manifest = JSON.parse(readFileSync(here('../package.json'), 'utf8'));
  assert.equal(manifest.name, 'farebox');
  assert.equal(manifest.type, 'module');
  const targets = [];
  const walk = (value) => (typeof value === 'string' ? targets.push(value) : Object.values(value).forEach(walk));
  walk(manifest.exports);
  for (const target of [...targets, manifest.types, ...manifest.sideEffects]) {
    const files = target.includes('*') ? [target.replace('*', 'o200k_base')] : [target];
    for (const file of files) assert.ok(existsSync(`${pkgDir}/${file}`), `${target} exists`);
  }
  const require = createRequire(import.meta.url);
  assert.equal(require.resolve('farebox/vocab/o200k_base.bin'), `${pkgDir}vocab/o200k_base.bin`);
  assert.equal(import.meta.resolve('farebox'), new URL('../dist/node.js', import.meta.url).href, 'Node takes the "node" condition');
});

test('npm pack ships only the package', () => {
  const [listing] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir, encoding: 'utf8' }));
  const files = listing.files.map((f) => f.path).sort();
  assert.ok(files.includes('dist/farebox_wasm_bg.wasm'));
  assert.ok(files.includes('vocab/o200k_base.bin'));
  assert.ok(files.includes('prices/history.bin'));
  assert.ok(files.includes('README.md'));
  assert.ok(files.every((f) => /^(dist|vocab|prices)\/|^(README\.md|package\.json)$/.test(f)), files.join(', '));
});
