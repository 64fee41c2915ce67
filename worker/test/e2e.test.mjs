// End-to-end tests of the farebox worker in workerd (miniflare) against a
// fake upstream API on 127.0.0.1. Build first: `cargo xtask worker` or
// `cargo xtask test` (which runs this file).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { start } from './run.mjs';
import { startUpstream } from './upstream.mjs';

const PER_CALL = '0.05';
const DAILY = '1';
const SESSION = '0.2';
const ORG_DAILY = '0.1';
const SIGNING_KEY = 'e2e-only-signing-key-0123456789';
const ADMIN_TOKEN = 'e2e-only-admin-token-0123456789';
let upstream;
let worker;
/** The worker `post` and the budget reads go to (the session and org tests run their own). */
let current;
const logs = [];

before(async () => {
  upstream = await startUpstream();
  worker = await start({
    vars: {
      // One fake upstream behind three base URLs, told apart by their prefix (`hit.base`).
      OPENAI_BASE_URL: `${upstream.url}/_openai`,
      ANTHROPIC_BASE_URL: `${upstream.url}/_anthropic`,
      GEMINI_BASE_URL: `${upstream.url}/_gemini`,
      PER_CALL_MAX_USD: PER_CALL,
      POLICY_JSON: JSON.stringify({ per_user_daily_usd: DAILY }),
      HASH_SALT: 'e2e-only-salt-0123456789abcdef',
      ID_SIGNING_KEY: SIGNING_KEY,
      ADMIN_TOKEN,
    },
    onLog: (line) => logs.push(line),
  });
  current = worker;
});

after(async () => {
  await worker?.stop();
  await upstream?.close();
});

/** `id` as the operator signs it for `scope` (user, session, org): `<id>.<hex HMAC-SHA256>`. */
const signed = (scope, id) => `${id}.${createHmac('sha256', SIGNING_KEY).update(`${scope}:${id}`).digest('hex')}`;

let userCounter = 0;
/** A fresh signed user id per test, so tests do not share a daily budget. */
const freshUser = () => signed('user', `user-${process.pid}-${++userCounter}`);

function post(path, body, headers = {}) {
  return fetch(`${current.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-SECRET-KEY', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

/** POSTs `body` with node:http and resolves with the response even if the upload is cut short. */
function earlyResponse(path, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${worker.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (e) => setTimeout(() => reject(e), 2000));
    req.end(body);
  });
}

const chat = (extra = {}) => ({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'Say hello.' }], ...extra });

/** The JSON log lines the worker wrote, once `pred` holds for one (waits up to 3 s). */
async function logLine(pred) {
  for (let i = 0; i < 60; i++) {
    for (const line of logs) {
      const at = line.indexOf('{"event":"farebox.call"');
      if (at < 0) continue;
      const v = JSON.parse(line.slice(at));
      if (pred(v)) return v;
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error('no matching log line');
}

async function spent(user) {
  const r = await fetch(`${current.url}/_farebox/budget`, { headers: { 'x-farebox-user': user, 'x-farebox-admin-token': ADMIN_TOKEN } });
  const v = await r.json();
  const day = Object.keys(v).find((k) => k.includes(':day:'));
  return day ? Number(v[day]) : 0;
}

/** What is spent under the ledger key that starts with `scope` ('session:', 'org:') for the ids in `headers`. */
async function spentUnder(scope, headers) {
  const r = await fetch(`${current.url}/_farebox/budget`, { headers: { ...headers, 'x-farebox-admin-token': ADMIN_TOKEN } });
  const v = await r.json();
  const key = Object.keys(v).find((k) => k.startsWith(scope));
  return key ? Number(v[key]) : 0;
}

/** A fresh signed session or org id, for calls that are not about its limit. */
const anyId = (scope) => signed(scope, `${scope}-${process.pid}-${Date.now()}-${Math.random()}`);

/** A gpt-4o call's exact input count and estimate (max_tokens 2500), learnt from the worker's headers. */
async function probeEstimate() {
  const probe = await post('/v1/chat/completions', chat({ max_tokens: 2500 }), {
    'x-farebox-user': freshUser(), 'x-farebox-session': anyId('session'), 'x-farebox-org': anyId('org'), 'x-test-completion-tokens': '1',
  });
  await probe.text();
  return { input: probe.headers.get('x-token-input'), estimate: Number(probe.headers.get('x-cost-estimate-usd')) };
}

describe('allowed calls', () => {
  test('are forwarded unchanged and carry the estimate and actual cost', async () => {
    upstream.reset();
    const user = freshUser();
    const raw = JSON.stringify(chat({ temperature: 0.25, messages: [{ role: 'user', content: 'Héllo, wörld ✓' }] }), null, 1);
    const r = await post('/v1/chat/completions?api-version=x', raw, {
      'x-farebox-user': user, 'x-custom-header': 'kept', 'openai-organization': 'org-1',
      'x-test-prompt-tokens': '1000', 'x-test-completion-tokens': '50',
    });
    assert.equal(r.status, 200);
    assert.equal(upstream.hits.length, 1);
    const hit = upstream.hits[0];
    assert.equal(hit.method, 'POST');
    assert.equal(hit.url, '/v1/chat/completions?api-version=x');
    assert.equal(hit.base, 'openai');
    assert.ok(hit.body.equals(Buffer.from(raw)), 'the body reaches upstream byte for byte');
    assert.equal(hit.headers.authorization, 'Bearer sk-test-SECRET-KEY');
    assert.equal(hit.headers['x-custom-header'], 'kept');
    assert.equal(hit.headers['openai-organization'], 'org-1');
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.equal(hit.headers['x-farebox-user'], undefined, 'the worker\'s own headers stay with it');
    // Estimate headers; the actual cost (1000 × $2.5/M + 50 × $10/M) is found
    // as the response streams through, and so is in the log and the ledger.
    assert.ok(Number(r.headers.get('x-token-input')) > 5);
    assert.equal(r.headers.get('x-token-output-max'), '100');
    assert.ok(Number(r.headers.get('x-cost-estimate-usd')) > 0);
    assert.equal(r.headers.get('x-upstream'), 'fake');
    const body = await r.json();
    assert.equal(body.choices[0].message.content, 'Hello!');
    const line = await logLine((v) => v['farebox.user.hash'] && v['farebox.cost.usd'] === '0.003');
    assert.equal(line['gen_ai.usage.input_tokens'], 1000);
    assert.equal(line['gen_ai.usage.output_tokens'], 50);
    assert.equal(line['gen_ai.request.model'], 'gpt-4o');
    for (let i = 0; i < 40 && (await spent(user)) !== 0.003; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal(await spent(user), 0.003, 'the ledger holds the actual cost, not the estimate');
  });

  test('embeddings and Responses requests are estimated and forwarded', async () => {
    upstream.reset();
    const e = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'hello world' }, { 'x-farebox-user': freshUser() });
    assert.equal(e.headers.get('x-token-output-max'), '0');
    assert.ok(Number(e.headers.get('x-token-input')) >= 2);
    await e.text();
    const r = await post('/v1/responses', { model: 'gpt-4o', input: 'hello', max_output_tokens: 50 }, { 'x-farebox-user': freshUser() });
    assert.equal(r.headers.get('x-token-output-max'), '50');
    await r.text();
    assert.deepEqual(upstream.hits.map((h) => h.url), ['/v1/embeddings', '/v1/responses']);
  });

  test('free operations pass through unchanged to their own provider', async () => {
    upstream.reset();
    const r = await fetch(`${worker.url}/v1/models?limit=2`, { headers: { authorization: 'Bearer sk-x' } });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).data[0].id, 'gpt-4o');
    assert.equal(upstream.hits.length, 1);
    assert.equal(upstream.hits[0].url, '/v1/models?limit=2');
    assert.equal(upstream.hits[0].base, 'openai');
    assert.equal(upstream.hits[0].headers.authorization, 'Bearer sk-x');
  });

  test('SSE streams through unbuffered and its final usage is recorded', async () => {
    upstream.reset();
    const user = freshUser();
    const t0 = Date.now();
    const r = await post('/v1/chat/completions', chat({ stream: true, stream_options: { include_usage: true } }), {
      'x-farebox-user': user, 'x-test-prompt-tokens': '2000', 'x-test-completion-tokens': '40', 'x-test-chunk-delay-ms': '300',
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/event-stream/);
    assert.ok(r.headers.get('x-cost-estimate-usd'));
    const { text, spread } = await readStream(r, t0);
    // Chunks are 300 ms apart upstream: a buffering proxy would deliver them all at the end.
    assert.ok(spread >= 500, `the stream arrived over ${spread} ms: buffered`);
    assert.match(text, /"content":"Hel"/);
    assert.match(text, /data: \[DONE\]/);
    // 2000 × $2.5/M + 40 × $10/M = $0.0054
    const line = await logLine((v) => v['farebox.stream'] === true && v['farebox.cost.usd'] === '0.0054');
    assert.equal(line['gen_ai.usage.output_tokens'], 40);
    for (let i = 0; i < 40 && (await spent(user)) !== 0.0054; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal(await spent(user), 0.0054);
  });

  test('Anthropic SSE: message_start and message_delta usage are merged', async () => {
    const user = freshUser();
    const r = await post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'hi' }] }, {
      'x-farebox-user': user, 'anthropic-version': '2023-06-01', 'x-test-prompt-tokens': '1500', 'x-test-completion-tokens': '1000',
    });
    assert.equal(r.status, 200);
    await r.text();
    await logLine((v) => v['farebox.stream'] === true && v['farebox.cost.usd'] === '0.0195');
  });

  /** Reads a streamed response to its end: its text, and whether it arrived spread out (not buffered). */
  async function readStream(r, t0) {
    const reader = r.body.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - t0;
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return { text, spread: Date.now() - t0 - firstAt };
  }

  test('OpenAI Responses SSE streams through and response.completed usage is the actual cost', async () => {
    upstream.reset();
    const user = freshUser();
    const t0 = Date.now();
    const r = await post('/v1/responses', { model: 'gpt-4o', input: 'Say hello.', max_output_tokens: 200, stream: true }, {
      'x-farebox-user': user, 'x-test-prompt-tokens': '3000', 'x-test-cached-tokens': '1000', 'x-test-completion-tokens': '100', 'x-test-chunk-delay-ms': '250',
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/event-stream/);
    assert.equal(r.headers.get('x-farebox-decision'), 'allow');
    const { text, spread } = await readStream(r, t0);
    assert.ok(spread >= 400, `not streamed: the chunks arrived within ${spread} ms`);
    assert.match(text, /event: response\.output_text\.delta/);
    assert.match(text, /event: response\.completed/);
    // 2000 × $2.5/M + 1000 cached × $1.25/M + 100 × $10/M = $0.00725
    const line = await logLine((v) => v['farebox.stream'] === true && v['farebox.cost.usd'] === '0.00725');
    assert.equal(line['gen_ai.usage.input_tokens'], 3000);
    assert.equal(line['gen_ai.usage.output_tokens'], 100);
    for (let i = 0; i < 40 && (await spent(user)) !== 0.00725; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal(await spent(user), 0.00725);
    assert.equal(upstream.hits.length, 1);
  });

  test('Gemini streamGenerateContent?alt=sse streams through and its last usageMetadata is the actual cost', async () => {
    upstream.reset();
    const user = freshUser();
    const t0 = Date.now();
    const body = { contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }], generationConfig: { maxOutputTokens: 1000 } };
    const r = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', body, {
      'x-farebox-user': user, 'x-test-prompt-tokens': '1000', 'x-test-completion-tokens': '200', 'x-test-thoughts-tokens': '300', 'x-test-chunk-delay-ms': '250',
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/event-stream/);
    const { text, spread } = await readStream(r, t0);
    assert.ok(spread >= 400, `not streamed: the chunks arrived within ${spread} ms`);
    assert.equal(text.split('\r\n\r\n').filter(Boolean).length, 3, 'the CRLF events pass through unchanged');
    assert.equal(upstream.hits[0].url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    assert.equal(upstream.hits[0].base, 'gemini');
    // 1000 × $0.30/M + (200 + 300 thinking) × $2.50/M = $0.00155; the earlier chunks' partial counts are not it.
    const line = await logLine((v) => v['farebox.stream'] === true && v['farebox.cost.usd'] === '0.00155');
    assert.equal(line['gen_ai.usage.input_tokens'], 1000);
    assert.equal(line['gen_ai.usage.output_tokens'], 500);
    for (let i = 0; i < 40 && (await spent(user)) !== 0.00155; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal(await spent(user), 0.00155);
  });
});

describe('blocked calls', () => {
  test('over the per-call limit: 402 in OpenAI shape, no upstream hit', async () => {
    upstream.reset();
    const r = await post('/v1/chat/completions', chat({ max_tokens: 10000 }), { 'x-farebox-user': freshUser() });
    assert.equal(r.status, 402);
    const body = await r.json();
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'per_call_limit');
    assert.equal(body.error.type, 'budget_exceeded');
    assert.equal(r.headers.get('x-cost-limit-usd'), PER_CALL);
    assert.ok(Number(r.headers.get('x-cost-estimate-usd')) > Number(PER_CALL));
    assert.equal(r.headers.get('x-farebox-decision'), 'deny');
    assert.equal(upstream.hits.length, 0);
    assert.ok(!JSON.stringify(body).includes('SECRET'), 'no key in the error');
  });

  test('over the per-call limit: 402 in Anthropic shape', async () => {
    upstream.reset();
    const r = await post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 10000, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': 'sk-ant-SECRET', 'anthropic-version': '2023-06-01' });
    assert.equal(r.status, 402);
    const body = await r.json();
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'budget_exceeded');
    assert.match(body.error.message, /per_call_limit/);
    assert.equal(upstream.hits.length, 0);
  });

  test('Gemini generateContent over the limit: 402 in Gemini shape', async () => {
    upstream.reset();
    const r = await post('/v1beta/models/gemini-2.5-pro:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 60000 } }, { 'x-goog-api-key': 'g-SECRET' });
    assert.equal(r.status, 402);
    const body = await r.json();
    assert.equal(body.error.code, 402);
    assert.equal(body.error.status, 'FAILED_PRECONDITION');
    assert.equal(upstream.hits.length, 0);
  });

  test('an unknown model is denied', async () => {
    upstream.reset();
    const r = await post('/v1/chat/completions', chat({ model: 'gpt-9-imaginary' }));
    assert.equal(r.status, 402);
    const body = await r.json();
    assert.equal(body.error.code, 'unpriced_model');
    assert.match(body.error.message, /gpt-9-imaginary/);
    assert.equal(upstream.hits.length, 0);
  });

  test('a daily budget holds under 50 concurrent requests, with no overspend', async () => {
    const user = freshUser();
    // Learn the exact input count, then have the upstream report usage equal
    // to the estimate, so every allowed call costs exactly what it reserved
    // (a call that names no service tier is estimated at the dearest one its
    // project could default to, priority: the upstream says it served that).
    const probe = await post('/v1/chat/completions', chat({ max_tokens: 2500 }), { 'x-farebox-user': freshUser(), 'x-test-completion-tokens': '1' });
    const input = probe.headers.get('x-token-input');
    const estimate = Number(probe.headers.get('x-cost-estimate-usd'));
    await probe.text();
    upstream.reset();
    const results = await Promise.all(Array.from({ length: 50 }, () =>
      post('/v1/chat/completions', chat({ max_tokens: 2500 }), {
        'x-farebox-user': user, 'x-test-prompt-tokens': input, 'x-test-completion-tokens': '2500', 'x-test-service-tier': 'priority',
      }).then(async (r) => ({ status: r.status, body: await r.text(), reason: r.headers.get('x-farebox-reason') }))));
    const allowed = results.filter((r) => r.status === 200).length;
    const denied = results.filter((r) => r.status === 402);
    const fits = Math.floor(Number(DAILY) / estimate);
    assert.equal(allowed, fits, `${allowed} allowed, ${fits} fit in $${DAILY} at $${estimate}`);
    assert.equal(upstream.hits.length, allowed);
    assert.ok(denied.every((r) => r.reason === 'user_daily_limit'));
    for (let i = 0; i < 40 && Math.abs((await spent(user)) - allowed * estimate) > 1e-12; i++) await new Promise((ok) => setTimeout(ok, 50));
    const total = await spent(user);
    assert.ok(total <= Number(DAILY), `spent ${total} of ${DAILY}`);
    assert.ok(Math.abs(total - allowed * estimate) < 1e-9);
  });
});

describe('the cap holds against every request a client can send (fail closed)', () => {
  /** Sends, then asserts the worker answered `status` itself and the upstream saw nothing. */
  async function refused(send, status, code) {
    upstream.reset();
    const r = await send();
    const text = await r.text();
    assert.equal(r.status, status, text);
    if (code) assert.equal(r.headers.get('x-farebox-reason') ?? r.headers.get('x-farebox-error'), code, text);
    JSON.parse(text);
    assert.equal(upstream.hits.length, 0, `${text}: the upstream was called`);
    return { r, text };
  }
  const user = () => ({ 'x-farebox-user': freshUser() });

  test('output multipliers: n and candidateCount multiply the output allowance', async () => {
    // One choice of 100 tokens is $0.001; 128 of them are $0.128, over the $0.05 cap.
    const one = await post('/v1/chat/completions', chat({ n: 1 }), user());
    assert.equal(one.status, 200);
    await one.text();
    const { r } = await refused(() => post('/v1/chat/completions', chat({ n: 128 }), user()), 402, 'per_call_limit');
    assert.ok(Number(r.headers.get('x-cost-estimate-usd')) >= 0.128, r.headers.get('x-cost-estimate-usd'));
    await refused(() => post('/v1/chat/completions', chat({ n: 128, max_tokens: 16000 }), user()), 402, 'per_call_limit');
    const gemini = (count) => post('/v1beta/models/gemini-2.5-flash:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 4000, candidateCount: count },
    }, { 'x-goog-api-key': 'g-key', ...user() });
    const single = await gemini(1);
    assert.equal(single.status, 200, await single.clone().text());
    await single.text();
    await refused(() => gemini(8), 402, 'per_call_limit');
  });

  test('context the provider stores is refused, not priced at the few tokens sent', async () => {
    const { text } = await refused(() => post('/v1/responses', { model: 'gpt-4o', previous_response_id: 'resp_150k_thread', input: 'go on', max_output_tokens: 100 }, user()), 400);
    assert.match(text, /previous_response_id/);
    await refused(() => post('/v1/responses', { model: 'gpt-4o', conversation: 'conv_1', input: 'go on', max_output_tokens: 100 }, user()), 400);
    await refused(() => post('/v1/responses', { model: 'gpt-4o', prompt: { id: 'pmpt_1' }, input: 'go on', max_output_tokens: 100 }, user()), 400);
    await refused(() => post('/v1beta/models/gemini-2.5-pro:generateContent', {
      cachedContent: 'cachedContents/abc', contents: [{ role: 'user', parts: [{ text: 'go on' }] }], generationConfig: { maxOutputTokens: 100 },
    }, { 'x-goog-api-key': 'g-key', ...user() }), 400);
  });

  test('server-side tools and background mode are refused', async () => {
    await refused(() => post('/v1/responses', { model: 'gpt-4o', input: 'news?', max_output_tokens: 100, tools: [{ type: 'web_search' }] }, user()), 400);
    await refused(() => post('/v1/responses', { model: 'gpt-4o', input: 'hi', max_output_tokens: 100, background: true }, user()), 400);
    await refused(() => post('/v1/chat/completions', chat({ web_search_options: {} }), user()), 400);
    await refused(() => post('/v1/messages', {
      model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'news?' }],
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }],
    }, { 'anthropic-version': '2023-06-01', ...user() }), 400);
    await refused(() => post('/v1beta/models/gemini-2.5-flash:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'news?' }] }], tools: [{ googleSearch: {} }], generationConfig: { maxOutputTokens: 100 },
    }, { 'x-goog-api-key': 'g-key', ...user() }), 400);
  });

  test('a field an API may add tomorrow is refused, not ignored', async () => {
    const { text } = await refused(() => post('/v1/chat/completions', chat({ parallel_universes: 64 }), user()), 400);
    assert.match(text, /parallel_universes/);
  });

  test('audio output is priced at the audio rate', async () => {
    // 1000 output tokens: $0.01 as text, $0.064 as audio (over the $0.05 cap).
    const base = { model: 'gpt-audio', max_tokens: 1000, messages: [{ role: 'user', content: 'Say hello.' }] };
    const text = await post('/v1/chat/completions', base, user());
    assert.equal(text.status, 200, await text.clone().text());
    await text.text();
    await refused(() => post('/v1/chat/completions', { ...base, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }, user()), 402, 'per_call_limit');
  });

  test('unknown routes are refused; each known route goes to its own provider, normalised', async () => {
    for (const [method, path] of [
      ['POST', '/v1/completions'], ['POST', '/v1/batches'], ['POST', '/v1/images/generations'], ['POST', '/v1/audio/speech'],
      ['GET', '/v1/realtime'], ['POST', '/v1/threads/thread_1/runs'], ['POST', '/v1/messages/batches'],
      ['POST', '/v1beta/tunedModels/my-model:generateContent'], ['POST', '/v1beta/models/gemini-2.5-pro:batchGenerateContent'],
      ['POST', '/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent'],
      ['POST', '/openai/deployments/gpt-4o/chat/completions'], ['POST', '/v1/files'],
    ]) {
      await refused(() => fetch(`${worker.url}${path}`, { method, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-SECRET-KEY' }, body: method === 'GET' ? undefined : JSON.stringify(chat()) }), 403, 'route_not_allowed');
    }
    // Encoded or doubled-slash variants of a priced path are that path: priced, and sent normalised.
    await refused(() => post('/v1/chat/%63ompletions', chat({ max_tokens: 10000 }), user()), 402, 'per_call_limit');
    await refused(() => post('//v1//chat/completions/', chat({ max_tokens: 10000 }), user()), 402, 'per_call_limit');
    await refused(() => post('/v1/chat%2Fcompletions', chat(), user()), 400, 'invalid_path');
    upstream.reset();
    const ok = await post('/v1/chat/%63ompletions', chat(), user());
    assert.equal(ok.status, 200);
    await ok.text();
    assert.deepEqual(upstream.hits.map((h) => [h.base, h.url]), [['openai', '/v1/chat/completions']]);
    // Gemini's OpenAI-compatible endpoint is priced and goes to Gemini, with Gemini's key only.
    await refused(() => post('/v1beta/openai/chat/completions', chat({ model: 'gemini-2.5-pro', max_tokens: 60000 }), user()), 402, 'per_call_limit');
    upstream.reset();
    const compat = await post('/v1beta/openai/chat/completions?key=AIza-q', chat({ model: 'gemini-2.5-flash' }), { ...user(), 'x-api-key': 'sk-ant-other' });
    await compat.text();
    assert.deepEqual(upstream.hits.map((h) => [h.base, h.url]), [['gemini', '/v1beta/openai/chat/completions?key=AIza-q']]);
    assert.equal(upstream.hits[0].headers['x-api-key'], undefined, 'an Anthropic key never goes to Gemini');
    // An OpenAI fine-tune's id has colons: it stays with OpenAI, and a Gemini key in the query does not go along.
    upstream.reset();
    const ft = await fetch(`${worker.url}/v1/models/ft:gpt-4o-mini:acme::abc123?key=AIza-q`, { headers: { authorization: 'Bearer sk-x', 'x-goog-api-key': 'AIza-h' } });
    await ft.text();
    assert.deepEqual(upstream.hits.map((h) => [h.base, h.url]), [['openai', '/v1/models/ft:gpt-4o-mini:acme::abc123']]);
    assert.equal(upstream.hits[0].headers['x-goog-api-key'], undefined);
  });

  test('no crash and bounded memory on hostile bodies, without any API key', async () => {
    const image = 'A'.repeat(359_999) + 'é';
    const body = { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: image } }] }] };
    upstream.reset();
    const r = await fetch(`${worker.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });
    const text = await r.text();
    assert.ok([400, 402, 403].includes(r.status), `${r.status}: ${text}`);
    assert.equal(upstream.hits.length, 0);
    // 16 MiB of `0,` is eight million JSON values: refused before any tree is built.
    const zeros = `{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"stop":[${'0,'.repeat(8_300_000)}0]}`;
    assert.ok(zeros.length < 16 << 20);
    // Without a key it is refused before it is even parsed; with one, the parse is bounded.
    await refused(() => fetch(`${worker.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: zeros }), 403);
    const { text: bounded } = await refused(() => post('/v1/chat/completions', zeros, user()), 400);
    assert.match(bounded, /JSON values/);
    const still = await post('/v1/chat/completions', chat(), user());
    assert.equal(still.status, 200, 'the worker still serves');
    await still.text();
  });

  test('a stream cut before its final usage settles at the reservation, not at what was seen', async () => {
    for (const [path, body, extra] of [
      ['/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' }],
      ['/v1/chat/completions', chat({ stream: true, stream_options: { include_usage: true } }), {}],
      ['/v1/chat/completions', chat(), {}],
    ]) {
      const id = freshUser();
      const r = await post(path, body, { ...extra, 'x-farebox-user': id, 'x-test-cut': '1', 'x-test-prompt-tokens': '10', 'x-test-completion-tokens': '1' });
      const estimate = Number(r.headers.get('x-cost-estimate-usd'));
      assert.ok(estimate > 0);
      await r.text().catch(() => {});
      // The broken response may leave the client's pooled connection broken too: read again.
      const read = async () => {
        for (let k = 0; ; k++) {
          try { return await spent(id); } catch (e) { if (k === 3) throw e; await new Promise((ok) => setTimeout(ok, 100)); }
        }
      };
      for (let i = 0; i < 60 && (await read()) !== estimate; i++) await new Promise((ok) => setTimeout(ok, 50));
      assert.equal(await read(), estimate, `${path}: settled at the reservation`);
    }
  });

  test('budget ids are the worker\'s to establish, not the client\'s to claim', async () => {
    // Rotating unsigned user ids does not mint fresh budgets: refused.
    for (const forged of ['alice', 'bob', `carol.${'0'.repeat(64)}`]) {
      await refused(() => post('/v1/chat/completions', chat(), { 'x-farebox-user': forged }), 401, 'invalid_budget_id');
    }
    // Without a user header the API key is the user; without either, a per-user limit refuses the call.
    await refused(() => fetch(`${worker.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat()) }), 403, 'budget_id_missing');
    // The budget endpoint is the operator's alone.
    const id = freshUser();
    for (const headers of [{ 'x-farebox-user': id }, { 'x-farebox-user': id, 'x-farebox-admin-token': 'guess-guess-guess-guess' }]) {
      const r = await fetch(`${worker.url}/_farebox/budget`, { headers });
      assert.equal(r.status, 401);
      await r.text();
    }
    // The worker's headers never reach the upstream.
    upstream.reset();
    const r = await post('/v1/chat/completions', chat(), { ...user(), 'x-farebox-anything': 'x', 'x-farebox-admin-token': ADMIN_TOKEN });
    await r.text();
    assert.deepEqual(Object.keys(upstream.hits[0].headers).filter((h) => h.startsWith('x-farebox')), []);
  });
});

describe('session and org budgets', () => {
  // Every call here must name a signed session and org: a limit whose id a call lacks refuses it.
  let teams;
  before(async () => {
    teams = await start({
      vars: {
        OPENAI_BASE_URL: `${upstream.url}/_openai`,
        PER_CALL_MAX_USD: PER_CALL,
        POLICY_JSON: JSON.stringify({ per_user_daily_usd: DAILY, per_session_usd: SESSION, per_org_daily_usd: ORG_DAILY }),
        HASH_SALT: 'e2e-only-salt-0123456789abcdef',
        ID_SIGNING_KEY: SIGNING_KEY,
        ADMIN_TOKEN,
      },
      onLog: (line) => logs.push(line),
    });
    current = teams;
  });

  test('a limit whose id a call lacks refuses the call', async () => {
    upstream.reset();
    const noOrg = await post('/v1/chat/completions', chat(), { 'x-farebox-user': freshUser(), 'x-farebox-session': anyId('session') });
    assert.equal(noOrg.status, 403);
    assert.equal(noOrg.headers.get('x-farebox-reason'), 'budget_id_missing');
    assert.match((await noOrg.json()).error.message, /organisation/);
    assert.equal(upstream.hits.length, 0);
  });
  after(async () => {
    current = worker;
    await teams?.stop();
  });
  test('a session budget holds under 30 concurrent requests from different users, with no overspend', async () => {
    const session = `session-${process.pid}-${Date.now()}`;
    const { input, estimate } = await probeEstimate();
    upstream.reset();
    // Every call a different user (each far under its own daily budget): only the session's limit binds.
    const results = await Promise.all(Array.from({ length: 30 }, () =>
      post('/v1/chat/completions', chat({ max_tokens: 2500 }), {
        'x-farebox-user': freshUser(), 'x-farebox-session': signed('session', session), 'x-farebox-org': anyId('org'), 'x-test-prompt-tokens': input, 'x-test-completion-tokens': '2500', 'x-test-service-tier': 'priority',
      }).then(async (r) => ({ status: r.status, body: await r.text(), reason: r.headers.get('x-farebox-reason'), limit: r.headers.get('x-cost-limit-usd') }))));
    const allowed = results.filter((r) => r.status === 200).length;
    const denied = results.filter((r) => r.status === 402);
    const fits = Math.floor(Number(SESSION) / estimate);
    assert.ok(fits >= 2, `the session fits ${fits} calls`);
    assert.equal(allowed, fits, `${allowed} allowed, ${fits} fit in $${SESSION} at $${estimate}`);
    assert.equal(upstream.hits.length, allowed);
    assert.ok(denied.every((r) => r.reason === 'session_limit' && r.limit === SESSION), JSON.stringify(denied[0]));
    assert.match(JSON.parse(denied[0].body).error.message, /session/);
    const headers = { 'x-farebox-session': signed('session', session) };
    for (let i = 0; i < 40 && Math.abs((await spentUnder('session:', headers)) - allowed * estimate) > 1e-12; i++) await new Promise((ok) => setTimeout(ok, 50));
    const total = await spentUnder('session:', headers);
    assert.ok(total <= Number(SESSION), `spent ${total} of ${SESSION}`);
    assert.ok(Math.abs(total - allowed * estimate) < 1e-9);
    // The session is spent for everyone in it, and not for a new one.
    const again = await post('/v1/chat/completions', chat({ max_tokens: 2500 }), { 'x-farebox-user': freshUser(), 'x-farebox-session': signed('session', session), 'x-farebox-org': anyId('org') });
    assert.equal(again.status, 402);
    await again.text();
    const other = await post('/v1/chat/completions', chat({ max_tokens: 2500 }), { 'x-farebox-user': freshUser(), 'x-farebox-session': signed('session', `${session}-b`), 'x-farebox-org': anyId('org') });
    assert.equal(other.status, 200);
    await other.text();
  });

  test('an org budget holds across sessions, and its refusal releases the session reservation', async () => {
    const org = `org-${process.pid}-${Date.now()}`;
    const { input, estimate } = await probeEstimate();
    const fits = Math.floor(Number(ORG_DAILY) / estimate);
    assert.ok(fits >= 1 && fits * estimate <= Number(SESSION));
    upstream.reset();
    const sessions = [];
    for (let i = 0; i <= fits; i++) {
      const session = `${org}-s${i}`;
      sessions.push(session);
      const r = await post('/v1/chat/completions', chat({ max_tokens: 2500 }), {
        'x-farebox-user': freshUser(), 'x-farebox-session': signed('session', session), 'x-farebox-org': signed('org', org), 'x-test-prompt-tokens': input, 'x-test-completion-tokens': '2500', 'x-test-service-tier': 'priority',
      });
      await r.text();
      assert.equal(r.status, i < fits ? 200 : 402, `call ${i + 1} of ${fits + 1}`);
      if (i === fits) assert.equal(r.headers.get('x-farebox-reason'), 'org_daily_limit');
    }
    assert.equal(upstream.hits.length, fits);
    const orgSpent = async () => spentUnder('org:', { 'x-farebox-org': signed('org', org) });
    for (let i = 0; i < 40 && Math.abs((await orgSpent()) - fits * estimate) > 1e-12; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.ok(Math.abs((await orgSpent()) - fits * estimate) < 1e-9);
    // The refused call's session had reserved its estimate first (sessions are checked before orgs): released.
    const last = { 'x-farebox-session': signed('session', sessions[fits]) };
    for (let i = 0; i < 40 && (await spentUnder('session:', last)) !== 0; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal(await spentUnder('session:', last), 0);
    assert.ok(Math.abs((await spentUnder('session:', { 'x-farebox-session': signed('session', sessions[0]) })) - estimate) < 1e-9);
  });
});

describe('bad input: a clear error, no crash, upstream not called', () => {
  const cases = [
    ['malformed JSON', () => post('/v1/chat/completions', '{"model": "gpt-4o", "messages": ['), 400, /not valid JSON/],
    ['invalid UTF-8', () => post('/v1/chat/completions', Buffer.concat([Buffer.from('{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')])), 400, /JSON|UTF-8/i],
    ['wrong content type', () => post('/v1/chat/completions', JSON.stringify(chat()), { 'content-type': 'text/plain' }), 415, /application\/json/],
    ['absent max_tokens (priced at the model maximum)', () => post('/v1/chat/completions', chat({ max_tokens: undefined })), 402, /no output limit/],
    ['absurd max_tokens', () => post('/v1/chat/completions', chat({ max_tokens: 1e15 })), 400, /more tokens than/],
    ['negative max_tokens', () => post('/v1/chat/completions', chat({ max_tokens: -1 })), 400, /whole number/],
    ['deeply nested JSON', () => post('/v1/chat/completions', `{"model":"gpt-4o","messages":${'['.repeat(100000)}${']'.repeat(100000)}}`), 400, /recursion|JSON|deep/],
    ['Anthropic without max_tokens', () => post('/v1/messages', { model: 'claude-sonnet-4-5', messages: [] }, { 'anthropic-version': '2023-06-01' }), 400, /max_tokens/],
  ];
  for (const [name, send, status, message] of cases) {
    test(name, async () => {
      upstream.reset();
      const r = await send();
      const text = await r.text();
      assert.equal(r.status, status, text);
      assert.match(text, message);
      JSON.parse(text);
      assert.equal(upstream.hits.length, 0);
    });
  }

  test('a 50 MB body is refused with 413', async () => {
    upstream.reset();
    const big = Buffer.alloc(50 << 20, 0x20);
    big.write('{"model":"gpt-4o","max_tokens":5,"messages":[]}');
    // The worker answers from the declared length, before the body is sent:
    // read the early response with node:http (fetch gives up when the server
    // stops reading the upload).
    const { status, text } = await earlyResponse('/v1/chat/completions', big);
    assert.equal(status, 413);
    assert.match(JSON.parse(text).error.message, /at most/);
    assert.equal(upstream.hits.length, 0);
    // And the worker still serves.
    const ok = await post('/v1/chat/completions', chat(), { 'x-farebox-user': freshUser() });
    assert.equal(ok.status, 200);
    await ok.text();
  });

  test('a body over the limit without a declared length (chunked) is refused with 413', async () => {
    upstream.reset();
    const piece = new Uint8Array(1 << 20).fill(0x20);
    let sent = 0;
    const body = new ReadableStream({
      pull(c) {
        if (sent++ < 17) c.enqueue(piece); else c.close();
      },
    });
    const r = await fetch(`${worker.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' });
    assert.equal(r.status, 413);
    assert.match((await r.json()).error.message, /at most 16777216 bytes/);
    assert.equal(upstream.hits.length, 0);
  });

  test('no log line holds a prompt or an API key', () => {
    const all = logs.join('\n');
    assert.ok(!all.includes('SECRET'));
    assert.ok(!all.includes('Say hello'));
  });
});

describe('decided from the bound on the tokens, counted only when it cannot decide', () => {
  // A per-call limit alone: no Durable Object to reserve in, so an allowed
  // call need not be counted before it is forwarded. (The worker above bills
  // every call to a daily budget and so counts first: its headers are the
  // reference.) gpt-4o at up to $4.25/M input tokens (priority, the dearest
  // tier of a call that names none) and $17/M output: 100 output tokens are
  // $0.0017.
  const LIMIT = '0.02';
  const fox = 'The quick brown fox jumps over the lazy dog. ';
  let bounded;
  before(async () => {
    bounded = await start({ vars: { OPENAI_BASE_URL: `${upstream.url}/_openai`, PER_CALL_MAX_USD: LIMIT }, onLog: () => {} });
  });
  after(async () => {
    await bounded?.stop();
  });
  const postTo = (url, body) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('a far-under request is forwarded without counting and still reports its exact input tokens', async () => {
    const body = chat({ messages: [{ role: 'user', content: 'Say hello, in Français ✓.' }] });
    const reference = await post('/v1/chat/completions', body, { 'x-farebox-user': freshUser() });
    assert.equal(reference.headers.get('x-farebox-decided-by'), 'count');
    await reference.text();
    upstream.reset();
    const r = await postTo(bounded.url, body);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-farebox-decided-by'), 'bound');
    assert.equal(r.headers.get('x-token-input'), reference.headers.get('x-token-input'));
    assert.equal(r.headers.get('x-token-input-exact'), 'true');
    assert.equal(r.headers.get('x-cost-estimate-usd'), reference.headers.get('x-cost-estimate-usd'));
    assert.equal(r.headers.get('x-cost-limit-usd'), LIMIT);
    await r.text();
    assert.equal(upstream.hits.length, 1);
  });

  test('a far-over request is refused from the bound, upstream not called', async () => {
    upstream.reset();
    // 1.2 MB of text is at least 9,400 tokens (one per 128 bytes): over $0.02 at any tier.
    const r = await postTo(bounded.url, chat({ messages: [{ role: 'user', content: fox.repeat(27000) }] }));
    assert.equal(r.status, 402);
    assert.equal(r.headers.get('x-farebox-decided-by'), 'bound');
    assert.equal(r.headers.get('x-token-input-exact'), 'false');
    assert.ok(Number(r.headers.get('x-cost-estimate-usd')) > Number(LIMIT));
    assert.equal((await r.json()).error.code, 'per_call_limit');
    assert.equal(upstream.hits.length, 0);
  });

  test('a request between its bounds is counted exactly before it is decided', async () => {
    // 10 KB of text: at most 10,000 tokens ($0.0425, over), at least 80 (under);
    // counted, about 2,300 ($0.011 at the dearest tier): allowed.
    const body = chat({ messages: [{ role: 'user', content: fox.repeat(225) }] });
    upstream.reset();
    const r = await postTo(bounded.url, body);
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(r.headers.get('x-farebox-decided-by'), 'count');
    assert.equal(r.headers.get('x-token-input-exact'), 'true');
    const tokens = Number(r.headers.get('x-token-input'));
    assert.ok(tokens > 2000 && tokens < 2600, `${tokens} tokens`);
    await r.text();
    assert.equal(upstream.hits.length, 1);
    // Longer (about 6,000 tokens, $0.027): over the limit once counted, denied by the count.
    const twice = await postTo(bounded.url, chat({ messages: [{ role: 'user', content: fox.repeat(600) }] }));
    assert.equal(twice.status, 402);
    assert.equal(twice.headers.get('x-farebox-decided-by'), 'count');
    assert.equal(twice.headers.get('x-token-input-exact'), 'true');
    await twice.text();
    assert.equal(upstream.hits.length, 1);
  });
});

describe('the provider counts a prompt whose estimate straddles the limit', () => {
  // Claude and Gemini prompts are estimated (o200k_base × a calibrated
  // ratio, with a range). 'hello world ' × 5,000 is about 10,000 o200k
  // tokens: claude-sonnet-4-5 ($3/M input) at the range's low end
  // (×0.7517) is $0.023, at its high end (×2.3287) $0.070 — across $0.04.
  // × 6,500 (about 15,000 tokens) on gemini-2.5-pro at its dearest tier
  // ($2.25/M: priority, which a call that names no tier may be served at) is
  // $0.033 … $0.047.
  const LIMIT = '0.04';
  const claude = { model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hello world '.repeat(5000) }] };
  const gemini = { contents: [{ role: 'user', parts: [{ text: 'hello world '.repeat(6500) }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] }, generationConfig: { maxOutputTokens: 1 } };
  let counting;
  const countLogs = [];
  before(async () => {
    counting = await start({
      vars: { ANTHROPIC_BASE_URL: `${upstream.url}/_anthropic`, GEMINI_BASE_URL: `${upstream.url}/_gemini`, PER_CALL_MAX_USD: LIMIT, COUNT_TOKENS_TIMEOUT_MS: '500' },
      onLog: (line) => countLogs.push(line),
    });
  });
  after(async () => {
    await counting?.stop();
  });
  const anthropic = (url, headers = {}) => fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-caller', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(claude),
  });

  test('Anthropic: count_tokens with the caller\'s key decides; the call goes on when the count is under', async () => {
    upstream.reset();
    const r = await anthropic(counting.url, { 'x-test-count-tokens': '8000' });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(r.headers.get('x-farebox-decided-by'), 'provider-count');
    assert.equal(r.headers.get('x-token-input'), '8000');
    assert.equal(r.headers.get('x-token-input-exact'), 'true');
    assert.ok(Number(r.headers.get('x-cost-estimate-usd')) < Number(LIMIT));
    await r.text();
    assert.deepEqual(upstream.hits.map((h) => [h.base, h.url]), [['anthropic', '/v1/messages/count_tokens'], ['anthropic', '/v1/messages']]);
    const [count, call] = upstream.hits;
    assert.equal(count.headers['x-api-key'], 'sk-ant-caller');
    assert.equal(count.headers['anthropic-version'], '2023-06-01');
    // The prompt's members only: the endpoint refuses `max_tokens` and friends.
    assert.deepEqual(JSON.parse(count.body), { model: claude.model, messages: claude.messages });
    assert.deepEqual(JSON.parse(call.body), claude);
  });

  test('a count over the limit denies the call, which never reaches the API', async () => {
    upstream.reset();
    const r = await anthropic(counting.url, { 'x-test-count-tokens': '20000' });
    assert.equal(r.status, 402);
    assert.equal(r.headers.get('x-farebox-decided-by'), 'provider-count');
    assert.equal(r.headers.get('x-token-input'), '20000');
    const body = await r.json();
    assert.equal(body.error.type, 'budget_exceeded');
    assert.match(body.error.message, /per_call_limit/);
    assert.deepEqual(upstream.hits.map((h) => h.url), ['/v1/messages/count_tokens']);
  });

  test('no count (an error, a timeout) falls back to the estimate\'s high end: denied', async () => {
    for (const [headers, why] of [[{ 'x-test-count-status': '529' }, 'answered 529'], [{ 'x-test-count-delay-ms': '3000', 'x-test-count-tokens': '10' }, 'within 500 ms']]) {
      upstream.reset();
      const t = Date.now();
      const r = await anthropic(counting.url, headers);
      assert.equal(r.status, 402);
      assert.equal(r.headers.get('x-farebox-decided-by'), 'count');
      assert.equal(r.headers.get('x-token-input-exact'), 'false');
      await r.text();
      assert.ok(Date.now() - t < 2500, 'the timeout holds');
      assert.deepEqual(upstream.hits.map((h) => h.url), ['/v1/messages/count_tokens']);
      assert.ok(countLogs.some((l) => l.includes('token count') && l.includes(why)), why);
    }
  });

  test('Gemini: countTokens on the model\'s path, the call wrapped as a generateContentRequest, key kept', async () => {
    upstream.reset();
    const r = await fetch(`${counting.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIza-caller`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-count-tokens': '12000' },
      body: JSON.stringify(gemini),
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(r.headers.get('x-farebox-decided-by'), 'provider-count');
    assert.equal(r.headers.get('x-token-input'), '12000');
    await r.text();
    assert.deepEqual(upstream.hits.map((h) => [h.base, h.url]), [
      ['gemini', '/v1beta/models/gemini-2.5-pro:countTokens?key=AIza-caller'],
      ['gemini', '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIza-caller'],
    ]);
    assert.deepEqual(JSON.parse(upstream.hits[0].body), { generateContentRequest: { ...gemini, model: 'models/gemini-2.5-pro' } });
  });

  test('COUNT_TOKENS=off never asks: the high end decides', async () => {
    const off = await start({ vars: { ANTHROPIC_BASE_URL: `${upstream.url}/_anthropic`, PER_CALL_MAX_USD: LIMIT, COUNT_TOKENS: 'off' }, onLog: () => {} });
    try {
      upstream.reset();
      const r = await anthropic(off.url, { 'x-test-count-tokens': '8000' });
      assert.equal(r.status, 402);
      assert.equal(r.headers.get('x-farebox-decided-by'), 'count');
      await r.text();
      assert.equal(upstream.hits.length, 0);
    } finally {
      await off.stop();
    }
  });
});

describe('configuration', () => {
  test('PRICES_JSON prices a model the built-in table lacks', async () => {
    const prices = { 'acme-chat-1': { litellm_provider: 'openai', mode: 'chat', input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, max_output_tokens: 1000 } };
    const w = await start({ vars: { OPENAI_BASE_URL: upstream.url, PRICES_JSON: JSON.stringify(prices) }, onLog: () => {} });
    try {
      upstream.reset();
      const r = await fetch(`${w.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({ model: 'acme-chat-1' })) });
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal(r.headers.get('x-farebox-model'), 'acme-chat-1');
      await r.text();
      assert.equal(upstream.hits.length, 1);
    } finally {
      await w.stop();
    }
  });

  test('a price file in the PRICES KV namespace reprices without a deploy; a bad one fails closed', async () => {
    const w = await start({ vars: { OPENAI_BASE_URL: upstream.url, PRICES_REFRESH_SECONDS: '0' }, pricesKv: true, onLog: () => {} });
    const kv = await w.mf.getKVNamespace('PRICES');
    const call = () =>
      fetch(`${w.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({ model: 'acme-chat-2' })) });
    try {
      upstream.reset();
      // Not in the table: refused as unknown (never priced at $0).
      const unknown = await call();
      assert.equal(unknown.status, 402, await unknown.clone().text());
      await unknown.text();
      const file = { 'acme-chat-2': { litellm_provider: 'openai', mode: 'chat', input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, max_output_tokens: 1000 } };
      await kv.put('prices.json', JSON.stringify(file));
      const priced = await call();
      assert.equal(priced.status, 200, await priced.clone().text());
      assert.equal(priced.headers.get('x-farebox-model'), 'acme-chat-2');
      await priced.text();
      // A malformed file: every request fails closed, naming the binding, until it is fixed.
      await kv.put('prices.json', '{"acme-chat-2": {"input_cost_per_token": "nope"}}');
      const bad = await call();
      assert.equal(bad.status, 500);
      assert.match((await bad.json()).error.message, /PRICES: `prices.json`/);
      assert.equal(upstream.hits.length, 1);
    } finally {
      await w.stop();
    }
  });

  test('a bad var is a clear error naming it on every request, never echoing its value', async () => {
    const bad = await start({ vars: { OPENAI_BASE_URL: upstream.url, PER_CALL_MAX_USD: 'fifty-SECRETISH' }, onLog: () => {} });
    try {
      upstream.reset();
      for (let i = 0; i < 2; i++) {
        const r = await fetch(`${bad.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat()) });
        assert.equal(r.status, 500);
        assert.equal(r.headers.get('x-farebox-error'), 'invalid_configuration');
        const text = await r.text();
        assert.match(JSON.parse(text).error.message, /PER_CALL_MAX_USD/);
        assert.ok(!text.includes('SECRETISH'));
      }
      assert.equal(upstream.hits.length, 0);
    } finally {
      await bad.stop();
    }
  });

  test('a bad POLICY_JSON fails every request closed, in the shape of its API, naming the var', async () => {
    const policy = '{"per_call_max_usd":"1","deny_modles":["o1-pro*"]}';
    const bad = await start({ vars: { OPENAI_BASE_URL: upstream.url, ANTHROPIC_BASE_URL: upstream.url, POLICY_JSON: policy }, onLog: () => {} });
    try {
      upstream.reset();
      const openai = await fetch(`${bad.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat()) });
      assert.equal(openai.status, 500);
      assert.match((await openai.json()).error.message, /POLICY_JSON/);
      const anthropic = await fetch(`${bad.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      assert.equal(anthropic.status, 500);
      const body = await anthropic.json();
      assert.equal(body.type, 'error');
      assert.match(body.error.message, /POLICY_JSON/);
      // Not even a pass-through request reaches the API.
      const models = await fetch(`${bad.url}/v1/models`);
      assert.equal(models.status, 500);
      assert.match((await models.json()).error.message, /POLICY_JSON/);
      assert.equal(upstream.hits.length, 0);
    } finally {
      await bad.stop();
    }
  });

  test('node run.mjs (cargo xtask worker) refuses to start with a bad var, naming it', async () => {
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'run.mjs')], {
      env: { ...process.env, PORT: '0', OPENAI_BASE_URL: upstream.url, PER_CALL_MAX_USD: '-1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill(), 20_000);
    const [code] = await once(child, 'exit');
    clearTimeout(timer);
    assert.equal(code, 1, output);
    assert.match(output, /PER_CALL_MAX_USD: is negative/);
    assert.doesNotMatch(output, /farebox worker on/);
  });
});
