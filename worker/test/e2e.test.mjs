// End-to-end tests of the farebox worker in workerd (miniflare) against a
// fake upstream API on 127.0.0.1. Build first: `cargo xtask worker` or
// `cargo xtask test` (which runs this file).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
let upstream;
let worker;
const logs = [];

before(async () => {
  upstream = await startUpstream();
  worker = await start({
    vars: {
      OPENAI_BASE_URL: upstream.url,
      ANTHROPIC_BASE_URL: upstream.url,
      GEMINI_BASE_URL: upstream.url,
      PER_CALL_MAX_USD: PER_CALL,
      POLICY_JSON: JSON.stringify({ per_user_daily_usd: DAILY, per_session_usd: SESSION, per_org_daily_usd: ORG_DAILY }),
      HASH_SALT: 'e2e-only-salt-0123456789abcdef',
    },
    onLog: (line) => logs.push(line),
  });
});

after(async () => {
  await worker?.stop();
  await upstream?.close();
});

let userCounter = 0;
/** A fresh budget id per test, so tests do not share a daily budget. */
const freshUser = () => `user-${process.pid}-${++userCounter}`;

function post(path, body, headers = {}) {
  return fetch(`${worker.url}${path}`, {
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
  const r = await fetch(`${worker.url}/_farebox/budget`, { headers: { 'x-farebox-user': user } });
  const v = await r.json();
  const day = Object.keys(v).find((k) => k.includes(':day:'));
  return day ? Number(v[day]) : 0;
}

/** What is spent under the ledger key that starts with `scope` ('session:', 'org:') for the ids in `headers`. */
async function spentUnder(scope, headers) {
  const r = await fetch(`${worker.url}/_farebox/budget`, { headers });
  const v = await r.json();
  const key = Object.keys(v).find((k) => k.startsWith(scope));
  return key ? Number(v[key]) : 0;
}

/** A gpt-4o call's exact input count and estimate (max_tokens 4000), learnt from the worker's headers. */
async function probeEstimate() {
  const probe = await post('/v1/chat/completions', chat({ max_tokens: 4000 }), { 'x-farebox-user': freshUser(), 'x-test-completion-tokens': '1' });
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
    assert.ok(hit.body.equals(Buffer.from(raw)), 'the body reaches upstream byte for byte');
    assert.equal(hit.headers.authorization, 'Bearer sk-test-SECRET-KEY');
    assert.equal(hit.headers['x-custom-header'], 'kept');
    assert.equal(hit.headers['openai-organization'], 'org-1');
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.equal(hit.headers['x-farebox-user'], user);
    // Estimate headers, and the actual cost: 1000 × $2.5/M + 50 × $10/M.
    assert.ok(Number(r.headers.get('x-token-input')) > 5);
    assert.equal(r.headers.get('x-token-output-max'), '100');
    assert.ok(Number(r.headers.get('x-cost-estimate-usd')) > 0);
    assert.equal(r.headers.get('x-token-output'), '50');
    assert.equal(r.headers.get('x-cost-usd'), '0.003');
    assert.equal(r.headers.get('x-upstream'), 'fake');
    const body = await r.json();
    assert.equal(body.choices[0].message.content, 'Hello!');
    const line = await logLine((v) => v['farebox.user.hash'] && v['farebox.cost.usd'] === '0.003');
    assert.equal(line['gen_ai.usage.input_tokens'], 1000);
    assert.equal(line['gen_ai.usage.output_tokens'], 50);
    assert.equal(line['gen_ai.request.model'], 'gpt-4o');
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

  test('anything else passes through unchanged', async () => {
    upstream.reset();
    const r = await fetch(`${worker.url}/v1/models?limit=2`, { headers: { authorization: 'Bearer sk-x' } });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).data[0].id, 'gpt-4o');
    assert.equal(upstream.hits.length, 1);
    assert.equal(upstream.hits[0].url, '/v1/models?limit=2');
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
    // to the estimate, so every allowed call costs exactly what it reserved.
    const probe = await post('/v1/chat/completions', chat({ max_tokens: 4000 }), { 'x-farebox-user': freshUser(), 'x-test-completion-tokens': '1' });
    const input = probe.headers.get('x-token-input');
    const estimate = Number(probe.headers.get('x-cost-estimate-usd'));
    await probe.text();
    upstream.reset();
    const results = await Promise.all(Array.from({ length: 50 }, () =>
      post('/v1/chat/completions', chat({ max_tokens: 4000 }), {
        'x-farebox-user': user, 'x-test-prompt-tokens': input, 'x-test-completion-tokens': '4000',
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

describe('session and org budgets', () => {
  test('a session budget holds under 30 concurrent requests from different users, with no overspend', async () => {
    const session = `session-${process.pid}-${Date.now()}`;
    const { input, estimate } = await probeEstimate();
    upstream.reset();
    // Every call a different user (each far under its own daily budget): only the session's limit binds.
    const results = await Promise.all(Array.from({ length: 30 }, () =>
      post('/v1/chat/completions', chat({ max_tokens: 4000 }), {
        'x-farebox-user': freshUser(), 'x-farebox-session': session, 'x-test-prompt-tokens': input, 'x-test-completion-tokens': '4000',
      }).then(async (r) => ({ status: r.status, body: await r.text(), reason: r.headers.get('x-farebox-reason'), limit: r.headers.get('x-cost-limit-usd') }))));
    const allowed = results.filter((r) => r.status === 200).length;
    const denied = results.filter((r) => r.status === 402);
    const fits = Math.floor(Number(SESSION) / estimate);
    assert.ok(fits >= 2, `the session fits ${fits} calls`);
    assert.equal(allowed, fits, `${allowed} allowed, ${fits} fit in $${SESSION} at $${estimate}`);
    assert.equal(upstream.hits.length, allowed);
    assert.ok(denied.every((r) => r.reason === 'session_limit' && r.limit === SESSION), JSON.stringify(denied[0]));
    assert.match(JSON.parse(denied[0].body).error.message, /session/);
    const headers = { 'x-farebox-session': session };
    for (let i = 0; i < 40 && Math.abs((await spentUnder('session:', headers)) - allowed * estimate) > 1e-12; i++) await new Promise((ok) => setTimeout(ok, 50));
    const total = await spentUnder('session:', headers);
    assert.ok(total <= Number(SESSION), `spent ${total} of ${SESSION}`);
    assert.ok(Math.abs(total - allowed * estimate) < 1e-9);
    // The session is spent for everyone in it, and not for a new one.
    const again = await post('/v1/chat/completions', chat({ max_tokens: 4000 }), { 'x-farebox-user': freshUser(), 'x-farebox-session': session });
    assert.equal(again.status, 402);
    await again.text();
    const other = await post('/v1/chat/completions', chat({ max_tokens: 4000 }), { 'x-farebox-user': freshUser(), 'x-farebox-session': `${session}-b` });
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
      const r = await post('/v1/chat/completions', chat({ max_tokens: 4000 }), {
        'x-farebox-user': freshUser(), 'x-farebox-session': session, 'x-farebox-org': org, 'x-test-prompt-tokens': input, 'x-test-completion-tokens': '4000',
      });
      await r.text();
      assert.equal(r.status, i < fits ? 200 : 402, `call ${i + 1} of ${fits + 1}`);
      if (i === fits) assert.equal(r.headers.get('x-farebox-reason'), 'org_daily_limit');
    }
    assert.equal(upstream.hits.length, fits);
    const orgSpent = async () => spentUnder('org:', { 'x-farebox-org': org });
    for (let i = 0; i < 40 && Math.abs((await orgSpent()) - fits * estimate) > 1e-12; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.ok(Math.abs((await orgSpent()) - fits * estimate) < 1e-9);
    // The refused call's session had reserved its estimate first (sessions are checked before orgs): released.
    const last = { 'x-farebox-session': sessions[fits] };
    for (let i = 0; i < 40 && (await spentUnder('session:', last)) !== 0; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.equal(await spentUnder('session:', last), 0);
    assert.ok(Math.abs((await spentUnder('session:', { 'x-farebox-session': sessions[0] })) - estimate) < 1e-9);
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
    ['deeply nested JSON', () => post('/v1/chat/completions', `{"model":"gpt-4o","messages":${'['.repeat(100000)}${']'.repeat(100000)}}`), 400, /recursion|JSON/],
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
