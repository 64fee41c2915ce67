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
const out = `${dir}build/`;
let mf;

/** wrangler's module rules: attach .wasm and .bin files as modules beside the bundle. */
const attachModules = (modules) => ({
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

before(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const attached = [];
  await build({
    entryPoints: [`${dir}worker.js`],
    outfile: `${out}worker.js`,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    plugins: [attachModules(attached)],
    logLevel: 'warning',
  });
  mf = new Miniflare({
    modules: [{ type: 'ESModule', path: `${out}worker.js` }, ...attached],
    modulesRoot: out,
    compatibilityDate: '2026-01-01',
    host: '127.0.0.1',
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
});

test('the package loads, prices and counts inside workerd', async () => {
  const response = await mf.dispatchFetch('http://localhost/', { method: 'POST', body: 'hello world' });
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
