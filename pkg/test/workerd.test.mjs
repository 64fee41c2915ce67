// The package in the workerd runtime. The worker is bundled as wrangler
// bundles one (esbuild, conditions workerd/worker/browser; .wasm files as
// CompiledWasm modules and .bin files as Data modules, wrangler's default
// rules) and run by miniflare's workerd, reached only through dispatchFetch.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';

const dir = fileURLToPath(new URL('./workerd/', import.meta.url));
const workers = {};

/** wrangler's module rules: attach .wasm and .bin files as modules beside the bundle. */
const attachModules = (out, modules) => ({
  name: 'attach-modules',
  setup(b) {
    b.onResolve({ filter: /\.(wasm|bin)$/ }, (args) => {
      const source = fileURLToPath(new URL(args.path, `file://${args.resolveDir}/`));
      const name = basename(source);
      copyFileSync(source, `${out}${name}`);
      modules.push({ type: name.endsWith('.wasm') ? 'CompiledWasm' : 'Data', path: `${out}${name}` });
      return { path: `./${name}`, external: true };
    });
  },
});

/** Bundles `workerd/<name>.js` into `workerd/build/<name>/` and starts it. */
async function start(name) {
  const out = `${dir}build/${name}/`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const attached = [];
  await build({
    entryPoints: [`${dir}${name}.js`],
    outfile: `${out}${name}.js`,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    plugins: [attachModules(out, attached)],
    logLevel: 'warning',
  });
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: `${out}${name}.js` }, ...attached],
    modulesRoot: out,
    compatibilityDate: '2026-01-01',
    host: '127.0.0.1',
  });
  await mf.ready;
  return { mf, attached: attached.map((m) => basename(m.path)).sort() };
}

before(async () => {
  workers.worker = await start('worker');
  workers.tokenizer = await start('tokenizer');
});

after(async () => {
  await Promise.all(Object.values(workers).map((w) => w.mf.dispose()));
});

test('the package loads, prices and counts inside workerd', async () => {
  const response = await workers.worker.mf.dispatchFetch('http://localhost/', { method: 'POST', body: 'hello world' });
  const body = await response.text();
  assert.equal(response.status, 200, body);
  assert.deepEqual(JSON.parse(body), {
    count: 2,
    cost: '0.0195',
    minCost: '0.0000225',
    decision: 'per_call_limit',
    generations: 1,
  });
});

test('farebox/tokenizer loads and counts inside workerd, with its own module only', async () => {
  assert.deepEqual(workers.tokenizer.attached, ['farebox_tokenizer_bg.wasm', 'o200k_base.bin']);
  const response = await workers.tokenizer.mf.dispatchFetch('http://localhost/', { method: 'POST', body: 'hello world' });
  const body = await response.text();
  assert.equal(response.status, 200, body);
  assert.deepEqual(JSON.parse(body), {
    beforeRegister: { isFareboxError: true, code: 'tokenizer_not_loaded', encoding: 'o200k_base' },
    loaded: { isFareboxError: true, code: 'vocabulary_unavailable' },
    count: 2,
  });
});
