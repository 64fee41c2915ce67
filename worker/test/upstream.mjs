// A fake OpenAI (Chat, Responses), Anthropic and Gemini API on 127.0.0.1
// (random port) that records every request it gets and answers with canned
// responses in each API's own shape: JSON with its usage object, or SSE
// carrying the usage where that API puts it.
//
// The usage it reports can be set per request with headers (they are
// forwarded unchanged by the worker): x-test-prompt-tokens,
// x-test-completion-tokens, x-test-cached-tokens (of the prompt; Responses),
// x-test-thoughts-tokens (Gemini), x-test-service-tier (the tier an OpenAI
// Chat response says it was served at). x-test-chunk-delay-ms spaces out SSE chunks;
// x-test-cut breaks the connection off mid-response (after the first events of
// a stream, or half of a JSON body). The counting endpoints (Anthropic
// count_tokens, Gemini countTokens) answer x-test-count-tokens.
//
// Base URLs may end in /_openai, /_anthropic or /_gemini: the prefix is taken
// off the recorded url and kept as the hit's `base`, so a test can tell which
// provider's base URL a request was sent to.
import { createServer } from 'node:http';

export async function startUpstream() {
  const hits = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const base = /^\/_(openai|anthropic|gemini)(?=\/)/.exec(req.url)?.[1] ?? null;
      if (base) req.url = req.url.slice(base.length + 2);
      hits.push({ method: req.method, url: req.url, base, headers: req.headers, body });
      respond(req, body, res).catch((e) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    reset() { hits.length = 0; },
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function respond(req, body, res) {
  const prompt = Number(req.headers['x-test-prompt-tokens'] ?? 10);
  const completion = Number(req.headers['x-test-completion-tokens'] ?? 5);
  const delay = Number(req.headers['x-test-chunk-delay-ms'] ?? 0);
  const cached = Number(req.headers['x-test-cached-tokens'] ?? 0);
  const thoughts = Number(req.headers['x-test-thoughts-tokens'] ?? 0);
  const cut = req.headers['x-test-cut'] !== undefined;
  const tier = req.headers['x-test-service-tier'];
  const served = tier ? { service_tier: tier } : {};
  /** Writes `text` (half of it when cutting) and, when cutting, breaks the connection. */
  const endJson = (text) => {
    if (!cut) return res.end(text);
    res.setHeader('content-length', Buffer.byteLength(text));
    res.write(text.slice(0, text.length >> 1));
    setTimeout(() => res.socket.destroy(), 50);
  };
  let json = {};
  try { json = JSON.parse(body.toString('utf8') || '{}'); } catch { /* not JSON */ }
  const path = req.url.split('?')[0];
  res.setHeader('x-upstream', 'fake');

  if (req.method === 'GET' && path === '/v1/models') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o', object: 'model' }] }));
    return;
  }
  if (path === '/v1/chat/completions') {
    const model = json.model ?? 'gpt-4o';
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    if (json.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      for (const word of ['Hel', 'lo', '!']) {
        res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, ...served, choices: [{ index: 0, delta: { content: word } }], usage: null })}\n\n`);
        if (delay) await sleep(delay);
      }
      if (cut) return void setTimeout(() => res.socket.destroy(), 50);
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, ...served, choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.setHeader('content-type', 'application/json');
    endJson(JSON.stringify({
      id: 'c1', object: 'chat.completion', model, ...served,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
      usage,
    }));
    return;
  }
  // The providers' free counting endpoints. The count is x-test-count-tokens
  // (else a quarter of the body's bytes); x-test-count-status answers with
  // that status instead, x-test-count-delay-ms answers late.
  const counting = path === '/v1/messages/count_tokens' || /^\/v1(?:beta)?\/models\/[^/:]+:countTokens$/.test(path);
  if (counting && req.method === 'POST') {
    const status = Number(req.headers['x-test-count-status'] ?? 200);
    const tokens = Number(req.headers['x-test-count-tokens'] ?? Math.ceil(body.length / 4));
    await sleep(Number(req.headers['x-test-count-delay-ms'] ?? 0));
    res.writeHead(status, { 'content-type': 'application/json' });
    if (status !== 200) return void res.end(JSON.stringify({ error: { message: 'count failed (test)' } }));
    return void res.end(JSON.stringify(path.endsWith(':countTokens') ? { totalTokens: tokens } : { input_tokens: tokens }));
  }
  if (path === '/v1/messages') {
    const model = json.model ?? 'claude-sonnet-4-5';
    if (json.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      ev('message_start', { message: { id: 'm1', type: 'message', role: 'assistant', model, usage: { input_tokens: prompt, output_tokens: 1 } } });
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
      if (delay) await sleep(delay);
      if (cut) return void setTimeout(() => res.socket.destroy(), 50);
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: completion } });
      ev('message_stop', {});
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    endJson(JSON.stringify({
      id: 'm1', type: 'message', role: 'assistant', model,
      content: [{ type: 'text', text: 'Hello!' }],
      usage: { input_tokens: prompt, output_tokens: completion },
    }));
    return;
  }
  if (path === '/v1/responses') {
    const model = json.model ?? 'gpt-4o';
    const usage = {
      input_tokens: prompt, input_tokens_details: { cached_tokens: cached },
      output_tokens: completion, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: prompt + completion,
    };
    const response = (status, output, u) => ({ id: 'resp_1', object: 'response', created_at: 1763800000, status, model, output, usage: u });
    const message = { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }] };
    if (json.stream) {
      // The Responses API's named events; only `response.completed` carries the usage.
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      let seq = 0;
      const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
      ev('response.created', { response: response('in_progress', [], null) });
      ev('response.in_progress', { response: response('in_progress', [], null) });
      for (const delta of ['Hel', 'lo', '!']) {
        ev('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta });
        if (delay) await sleep(delay);
      }
      ev('response.output_text.done', { item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hello!' });
      ev('response.completed', { response: response('completed', [message], usage) });
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(response('completed', [message], usage)));
    return;
  }
  const gemini = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (gemini && req.method === 'POST') {
    const [, model, method] = gemini;
    const usageMetadata = (candidates, final) => ({
      promptTokenCount: prompt,
      candidatesTokenCount: candidates,
      ...(final && thoughts ? { thoughtsTokenCount: thoughts } : {}),
      totalTokenCount: prompt + candidates + (final ? thoughts : 0),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    });
    const chunk = (text, candidates, final) => ({
      candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0, ...(final ? { finishReason: 'STOP' } : {}) }],
      usageMetadata: usageMetadata(candidates, final),
      modelVersion: model,
      responseId: 'g1',
    });
    if (method === 'streamGenerateContent' && new URL(req.url, 'http://x').searchParams.get('alt') === 'sse') {
      // Gemini's SSE: CRLF line ends, and every chunk carries the usage so far;
      // the last one the final counts (with the thinking tokens).
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const words = ['Hel', 'lo', '!'];
      for (let i = 0; i < words.length; i++) {
        const final = i === words.length - 1;
        res.write(`data: ${JSON.stringify(chunk(words[i], final ? completion : i + 1, final))}\r\n\r\n`);
        if (delay && !final) await sleep(delay);
      }
      res.end();
      return;
    }
    if (method === 'generateContent') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(chunk('Hello!', completion, true)));
      return;
    }
  }
  res.statusCode = 404;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
}
