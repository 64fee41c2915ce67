// The deploy path, offline: `wrangler deploy --dry-run` bundles worker/build
// with worker/wrangler.toml as a real deploy would upload it (esbuild over the
// shim and wasm-bindgen's JS, the .wasm as a module), and that bundle runs in
// workerd, with the budget object SQLite-backed as deployed. Run by `cargo
// xtask test` after the end-to-end tests; it installs wrangler into
// target/wrangler (4.86.0, the last wrangler that runs on Node 20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startUpstream } from './upstream.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const workerDir = join(here, '..');
const wrangler = join(workerDir, '..', 'target', 'wrangler', 'node_modules', '.bin', 'wrangler');
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';
const { Miniflare } = await import('miniflare');

/** The free plan's limit on a Worker's compressed upload. */
const FREE_PLAN_GZIP_KIB = 3 * 1024;

test('wrangler deploy --dry-run bundles the worker, and the bundle prices and refuses calls in workerd', async () => {
  assert.ok(existsSync(wrangler), `${wrangler} is missing: \`cargo xtask test\` installs it`);
  const out = mkdtempSync(join(tmpdir(), 'farebox-bundle-'));
  // wrangler keeps a scratch folder beside wrangler.toml: removed after, unless it was there before.
  const scratch = join(workerDir, '.wrangler');
  const hadScratch = existsSync(scratch);
  const upstream = await startUpstream();
  let mf;
  try {
    const run = spawnSync(wrangler, ['deploy', '--dry-run', '--outdir', out, '--config', join(workerDir, 'wrangler.toml')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /env\.BUDGET \(BudgetDo\)\s+Durable Object/);
    const gzip = Number(/gzip: ([\d.]+) KiB/.exec(run.stdout)?.[1]);
    assert.ok(gzip > 0 && gzip < FREE_PLAN_GZIP_KIB, `the upload is ${gzip} KiB gzipped`);

    const files = readdirSync(out).filter((f) => /\.(js|wasm)$/.test(f));
    const entry = files.find((f) => f.endsWith('.js'));
    assert.equal(files.length, 2, files.join(' '));
    mf = new Miniflare({
      modules: [entry, ...files.filter((f) => f !== entry)].map((f) => ({
        type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: join(out, f), contents: readFileSync(join(out, f)),
      })),
      modulesRoot: out,
      compatibilityDate: '2025-09-01',
      bindings: { OPENAI_BASE_URL: upstream.url, PER_CALL_MAX_USD: '0.05', POLICY_JSON: '{"per_user_daily_usd":"1"}', HASH_SALT: 'bundle-test-salt-0123456789', ADMIN_TOKEN: 'bundle-admin-token-0123456789' },
      durableObjects: { BUDGET: { className: 'BudgetDo', useSQLite: true } },
      host: '127.0.0.1',
      port: 0,
      log: undefined,
      handleRuntimeStdio() {},
    });
    const url = (await mf.ready).href.replace(/\/$/, '');
    const post = (maxTokens) => fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      // No signing key: the user is the API key.
      headers: { 'content-type': 'application/json', authorization: 'Bearer bundle-key' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const allowed = await post(100);
    assert.equal(allowed.status, 200);
    await allowed.text();
    const refused = await post(10000);
    assert.equal(refused.status, 402);
    assert.equal((await refused.json()).error.code, 'per_call_limit');
    assert.equal(upstream.hits.length, 1);
    // The fake upstream reports 10 prompt and 5 completion tokens: 10 × $2.5/M + 5 × $10/M,
    // found in the response as it streamed through and settled after it.
    const budget = () => fetch(`${url}/_farebox/budget`, { headers: { authorization: 'Bearer bundle-key', 'x-farebox-admin-token': 'bundle-admin-token-0123456789' } }).then((r) => r.json());
    let spent = await budget();
    for (let i = 0; i < 40 && Object.values(spent)[0] !== '0.000075'; i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      spent = await budget();
    }
    assert.deepEqual(Object.values(spent), ['0.000075', '0.000075'], JSON.stringify(spent));
  } finally {
    await mf?.dispose();
    await upstream.close();
    rmSync(out, { recursive: true, force: true });
    if (!hadScratch) rmSync(scratch, { recursive: true, force: true });
  }
});
