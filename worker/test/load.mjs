// Load test on loopback, bounded in count and time: the worker in workerd
// (miniflare) in front of the fake upstream, for a small chat request, a
// 100k-token one and a passed-through GET as the baseline; then the guard's
// own CPU time per request, measured in Node (same V8 as workerd, real
// clocks) on the same .wasm.
//
//   node load.mjs            (after `cargo xtask worker` has built worker/build)
//   node load.mjs --guard    the guard's CPU time only (no workerd; one isolate's first requests)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

import { buildDir, start } from './run.mjs';
import { startUpstream } from './upstream.mjs';

const MAX_SECONDS = 30; // per phase
const bigText = 'The quick brown fox jumps over the lazy dog, again and again. '.repeat(7700);
const small = JSON.stringify({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'Say hello in one word.' }] });
const large = JSON.stringify({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: bigText }] });

async function phase(name, count, concurrency, send) {
  const latencies = [];
  let failures = 0;
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + MAX_SECONDS * 1000;
  async function lane() {
    while (next < count && performance.now() < deadline) {
      next++;
      const s = performance.now();
      const r = await send();
      await r.arrayBuffer();
      if (r.status !== 200) failures++;
      latencies.push(performance.now() - s);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const secs = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  const row = { name, requests: latencies.length, concurrency, seconds: secs.toFixed(1), rps: (latencies.length / secs).toFixed(0), p50_ms: q(0.5), p99_ms: q(0.99), failures };
  console.log(JSON.stringify(row));
  return row;
}

async function guardCpu() {
  const { initSync, guard_bench } = await import(join(buildDir, 'index.js'));
  const module = new WebAssembly.Module(readFileSync(join(buildDir, 'index_bg.wasm')));
  const started = performance.now();
  // Instantiation runs the module's start-up warm-up (`warm_up` in entry.rs).
  initSync({ module });
  const rows = [{ name: 'instantiation (initSync: instantiate + the start-up warm-up)', ms: (performance.now() - started).toFixed(2) }];
  const enc = new TextEncoder();
  const once = (name, ...args) => {
    const t = performance.now();
    const status = guard_bench(...args);
    rows.push({ name, ms: (performance.now() - t).toFixed(2), status });
  };
  once('first request of an isolate: configuration (built-in price table index, no model parsed)', '/v1/chat/completions', enc.encode('{"not json'), '10', false);
  once('first gpt-4o request: gpt-4o price parse, decided from the bound (no vocabulary)', '/v1/chat/completions', enc.encode(small), '10', false);
  once('its count after forwarding: o200k_base vocabulary parse + exact estimate', '/v1/chat/completions', enc.encode(small), '10', true);
  once('first ada-002 request: decided from the bound (no vocabulary)', '/v1/embeddings', enc.encode('{"model":"text-embedding-ada-002","input":"hi"}'), '10', false);
  once('its count after forwarding: cl100k_base vocabulary parse + exact estimate', '/v1/embeddings', enc.encode('{"model":"text-embedding-ada-002","input":"hi"}'), '10', true);
  // PER_CALL_MAX_USD 10 is far above both requests: the bound decides. At 0.5
  // the 100k-token request lies between its bounds' costs and is counted first.
  const cases = [
    ['small, decided from the bound', small, 2000, '10', false],
    ['small, bound + the count after forwarding', small, 2000, '10', true],
    ['100k tokens far under the limit, decided from the bound', large, 20, '10', false],
    ['100k tokens, bound + the count after forwarding', large, 20, '10', true],
    ['100k tokens near the limit (0.5 USD): counted before forwarding', large, 20, '0.5', false],
  ];
  for (const [name, body, n, limit, count] of cases) {
    const bytes = enc.encode(body);
    guard_bench('/v1/chat/completions', bytes, limit, count); // this isolate's vocabulary and memo
    const times = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      const status = guard_bench('/v1/chat/completions', bytes, limit, count);
      times.push(performance.now() - s);
      if (status !== 200) throw new Error(`${name}: ${status}`);
    }
    times.sort((a, b) => a - b);
    rows.push({ name: `guard CPU, ${name} (${bytes.length} bytes)`, ms_p50: times[n >> 1].toFixed(3), ms_p99: times[Math.floor(n * 0.99)].toFixed(3) });
  }
  for (const r of rows) console.log(JSON.stringify(r));
  return rows;
}

if (process.argv.includes('--guard')) {
  await guardCpu();
  process.exit(0);
}

const upstream = await startUpstream();
// Two workers: one with a per-call limit only (no Durable Object is asked),
// and one with a per-user daily budget, where every call is billed to its
// API key and reserves and settles in that key's Durable Object.
const worker = await start({ vars: { OPENAI_BASE_URL: upstream.url, PER_CALL_MAX_USD: '10' }, onLog: () => {} });
const budgeted = await start({
  vars: { OPENAI_BASE_URL: upstream.url, PER_CALL_MAX_USD: '10', POLICY_JSON: JSON.stringify({ per_user_daily_usd: '1000000' }), HASH_SALT: 'load-test-salt-0123456789' },
  onLog: () => {},
});
// The provider's count: a Claude prompt whose estimate straddles the limit
// ($0.023 … $0.070 against $0.04) is counted by the (fake) Anthropic
// count_tokens before it is forwarded; the same call under a limit its high
// end meets goes without. Their difference is what the count adds.
const claudeBody = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hello world '.repeat(5000) }] });
const anthropicVars = (limit) => ({ ANTHROPIC_BASE_URL: upstream.url, PER_CALL_MAX_USD: limit });
const straddling = await start({ vars: anthropicVars('0.04'), onLog: () => {} });
const roomy = await start({ vars: anthropicVars('10'), onLog: () => {} });
const claude = (url) => fetch(`${url}/v1/messages`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': 'load-key', 'anthropic-version': '2023-06-01', 'x-test-count-tokens': '8000' },
  body: claudeBody,
});
const post = (body, headers = {}, url = worker.url) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
console.log(JSON.stringify({ machine: `${os.cpus().length} × ${os.cpus()[0].model}`, node: process.version }));
const probe = await post(large);
console.log(JSON.stringify({ large_request_input_tokens: probe.headers.get('x-token-input'), bytes: large.length }));
await probe.arrayBuffer();
try {
  await phase('warm-up', 100, 4, () => post(small));
  await phase('pass-through GET (baseline)', 2000, 8, () => fetch(`${worker.url}/v1/models`));
  await phase('small chat request', 2000, 8, () => post(small));
  await phase('small chat request, per-user daily budget (one Durable Object: reserve + settle)', 2000, 8, () => post(small, { authorization: 'Bearer load-key' }, budgeted.url));
  await phase('100k-token chat request', 200, 4, () => post(large));
  await phase('Claude 10k-token prompt, allowed on its estimate (no provider count)', 200, 4, () => claude(roomy.url));
  await phase('Claude 10k-token prompt straddling the limit, allowed on the provider\'s count_tokens', 200, 4, () => claude(straddling.url));
  await guardCpu();
} finally {
  await worker.stop();
  await budgeted.stop();
  await straddling.stop();
  await roomy.stop();
  await upstream.close();
}
