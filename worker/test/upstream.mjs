// A fake OpenAI + Anthropic API on 127.0.0.1 (random port) that records
// every request it gets and answers with canned responses: JSON with a
// `usage` object, or SSE ending with the usage chunk.
//
// The usage it reports can be set per request with headers (they are
// forwarded unchanged by the worker): x-test-prompt-tokens,
// x-test-completion-tokens. x-test-chunk-delay-ms spaces out SSE chunks.
import { createServer } from 'node:http';

export async function startUpstream() {
  const hits = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      hits.push({ method: req.method, url: req.url, headers: req.headers, body });
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
        res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content: word } }], usage: null })}\n\n`);
        if (delay) await sleep(delay);
      }
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      id: 'c1', object: 'chat.completion', model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
      usage,
    }));
    return;
  }
  if (path === '/v1/messages') {
    const model = json.model ?? 'claude-sonnet-4-5';
    if (json.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      ev('message_start', { message: { id: 'm1', type: 'message', role: 'assistant', model, usage: { input_tokens: prompt, output_tokens: 1 } } });
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
      if (delay) await sleep(delay);
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: completion } });
      ev('message_stop', {});
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      id: 'm1', type: 'message', role: 'assistant', model,
      content: [{ type: 'text', text: 'Hello!' }],
      usage: { input_tokens: prompt, output_tokens: completion },
    }));
    return;
  }
  res.statusCode = 404;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
}
