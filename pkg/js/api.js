// The public API of `farebox` (types and docs: index.d.ts). Every answer
// comes from the WebAssembly module (farebox-core compiled); this layer only
// checks argument types, turns arguments into the JSON text the module reads,
// parses the JSON it returns, and re-throws its errors as FareboxError.
// Counting, vocabulary loading and error translation are tokens.js's, shared
// with the `farebox/tokenizer` entry.

import * as wasm from './farebox_wasm.js';
import { host } from './host.js';
import { bindTokenizer, describe, fail, requireString } from './tokens.js';

export { FareboxError } from './tokens.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON document given as text, bytes or a value, as JSON text. */
function jsonText(value, what) {
  if (typeof value === 'string') return value;
  if (value instanceof ArrayBuffer) value = new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    try {
      return utf8.decode(value);
    } catch {
      fail(`${what} bytes are not valid UTF-8`);
    }
  }
  if (value === null || typeof value !== 'object') {
    fail(`${what} must be an object, a JSON string or UTF-8 bytes, got ${describe(value)}`);
  }
  try {
    return JSON.stringify(value);
  } catch (error) {
    fail(`${what} cannot be written as JSON: ${error.message}`);
  }
}

/** Options without the keys handled here, as JSON text for the module ('' for none). */
function optionsText(options, jsOnly) {
  if (options === undefined || options === null) return ['', {}];
  if (typeof options !== 'object' || Array.isArray(options)) fail(`options must be an object, got ${describe(options)}`);
  const rest = {};
  const own = {};
  for (const [key, value] of Object.entries(options)) {
    if (jsOnly.includes(key)) own[key] = value;
    else if (value !== undefined) rest[key] = value;
  }
  return [Object.keys(rest).length ? JSON.stringify(rest) : '', own];
}

// ---------------------------------------------------------------- tokenizers

const { run, ...counting } = bindTokenizer(wasm);
export const { encodingForModel, loadEncoding, registerEncoding, countTokens } = counting;

// ------------------------------------------------------------------- pricing

const handles = new WeakMap();
let builtinPrices;

export class Pricing {
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') fail(`Pricing options must be an object, got ${describe(options)}`);
    const { builtin = true } = options;
    if (typeof builtin !== 'boolean') fail('Pricing option `builtin` must be a boolean');
    handles.set(this, new wasm.Prices(builtin));
  }

  load(file, format = 'auto') {
    const text = jsonText(file, 'the price file');
    requireString(format, 'format');
    return JSON.parse(run(() => handles.get(this).load(text, format)));
  }

  createModel(definition) {
    const text = jsonText(definition, 'the model definition');
    run(() => handles.get(this).createModel(text));
    return this;
  }

  resolve(model) {
    requireString(model, 'model');
    return JSON.parse(run(() => handles.get(this).resolve(model)));
  }

  get snapshot() {
    return handles.get(this).snapshot();
  }

  loadHistory(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!(bytes instanceof Uint8Array)) fail(`the price history must be bytes, got ${describe(bytes)}`);
    return JSON.parse(run(() => handles.get(this).loadHistory(bytes)));
  }
}

/** The price table a call uses, and whether it is a one-off to free after. */
function tableFor(own) {
  if (own.pricing !== undefined && own.prices !== undefined) fail('pass either options.pricing or options.prices, not both');
  if (own.pricing !== undefined) {
    if (!(own.pricing instanceof Pricing)) fail('options.pricing must be a Pricing');
    return [handles.get(own.pricing), false];
  }
  if (own.prices !== undefined) {
    const temporary = new wasm.Prices(true);
    const text = jsonText(own.prices, 'options.prices');
    try {
      run(() => temporary.load(text, 'auto'));
    } catch (error) {
      temporary.free();
      throw error;
    }
    return [temporary, true];
  }
  builtinPrices ??= new wasm.Prices(true);
  return [builtinPrices, false];
}

function withTable(own, fn) {
  const [table, temporary] = tableFor(own);
  try {
    return run(() => fn(table));
  } finally {
    if (temporary) table.free();
  }
}

const PRICING_KEYS = ['pricing', 'prices'];

// ------------------------------------------------------------- price history

/** Loads the built-in models' price history: the package's own file, or `bytes`. */
export async function loadPriceHistory(bytes) {
  if (bytes === undefined) bytes = await host.fetchPriceHistory();
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) fail(`the price history must be bytes, got ${describe(bytes)}`);
  return JSON.parse(run(() => wasm.loadPriceHistory(bytes)));
}

export const isPriceHistoryLoaded = () => wasm.isPriceHistoryLoaded();

/** Runs `fn`; where the runtime reads files (Node), a missing price history is
 * read on first need, as vocabularies are, and `fn` runs again. */
function withHistory(fn) {
  try {
    return fn();
  } catch (error) {
    if (error?.code !== 'price_history_not_loaded' || !host.readPriceHistorySync || wasm.isPriceHistoryLoaded()) throw error;
    run(() => wasm.loadPriceHistory(host.readPriceHistorySync()));
    return fn();
  }
}

/** `options.at` as the module reads it: a `Date` or epoch milliseconds as an ISO instant. */
function withDay(options) {
  const at = options?.at;
  if (at instanceof Date || typeof at === 'number') {
    const day = new Date(at);
    if (Number.isNaN(day.getTime())) fail(`options.at is not a valid date: ${describe(at)}`);
    return { ...options, at: day.toISOString() };
  }
  return options;
}

export function costFromUsage(model, usage, options) {
  if (model !== null && model !== undefined) requireString(model, 'model');
  const body = jsonText(usage, 'usage');
  const [text, own] = optionsText(withDay(options), PRICING_KEYS);
  return withHistory(() => JSON.parse(withTable(own, (t) => t.costOfUsage(model ?? undefined, body, text))));
}

export function estimateCost(requestBody, options) {
  const body = jsonText(requestBody, 'the request body');
  const [text, own] = optionsText(options, PRICING_KEYS);
  return JSON.parse(withTable(own, (t) => t.estimateCost(body, text)));
}

export function estimateTokens(text, model, options) {
  requireString(text, 'text');
  requireString(model, 'model');
  const [, own] = optionsText(options, PRICING_KEYS);
  return JSON.parse(withTable(own, (t) => t.estimateTokens(text, model)));
}

export function countChatTokens(requestOrMessages, model, options) {
  if (model !== undefined) requireString(model, 'model');
  let body;
  if (Array.isArray(requestOrMessages)) {
    if (model === undefined) fail('countChatTokens(messages, model): name the model the messages are for');
    // A bare message list is the `messages` of a request in the model's API
    // (Anthropic's for Claude, OpenAI's otherwise); the output limit is
    // irrelevant to counting, so 0.
    body = JSON.stringify({ model, messages: requestOrMessages, max_tokens: 0 });
  } else {
    body = jsonText(requestOrMessages, 'the request');
  }
  const [, own] = optionsText(options, PRICING_KEYS);
  return JSON.parse(withTable(own, (t) => t.countChatTokens(body, model)));
}

// ------------------------------------------------------------------- budgets

function instant(at) {
  if (at === undefined) return Date.now();
  if (at instanceof Date) {
    if (Number.isNaN(at.getTime())) fail('call.at is an invalid Date');
    return at.getTime();
  }
  if (typeof at === 'number' && Number.isSafeInteger(at)) return at;
  if (typeof at === 'string') return at;
  fail(`call.at must be a Date, milliseconds since 1970 or an RFC 3339 string, got ${describe(at)}`);
}

export function checkBudget(call, policy, spent, options) {
  if (call === null || typeof call !== 'object' || Array.isArray(call)) {
    fail(`checkBudget's first argument must be an estimate or a planned call, got ${describe(call)}`);
  }
  // An estimate's input is a range: the budget takes its high end, as its
  // maxCost does.
  if (call.maxCost === undefined) fail("call.maxCost is missing: pass the estimate's maxCost, or null for a call that cannot be priced");
  const tokens = call.inputTokens;
  const planned = {
    model: call.model,
    maxCost: call.maxCost,
    inputTokens: tokens !== null && typeof tokens === 'object' ? tokens.high : tokens,
    user: call.user,
    session: call.session,
    org: call.org,
    at: instant(call.at),
  };
  const callText = JSON.stringify(planned);
  const policyText = jsonText(policy, 'the policy');
  const spentText = spent === undefined || spent === null ? '' : jsonText(spent, 'spent');
  const [, own] = optionsText(options, PRICING_KEYS);
  return JSON.parse(withTable(own, (t) => t.checkBudget(callText, policyText, spentText)));
}

// -------------------------------------------------------------------- traces
//
// The module's TraceImport takes the export chunk by chunk (core's streaming
// importer: only an unfinished record is carried between chunks, so any
// chunking of the same bytes gives the same report). A string or bytes are
// cut into chunks here and read synchronously; a stream, an async iterable
// or a Blob is read with `for await`, one chunk at a time, and never held
// whole.

/** Feeds chunks (strings or bytes, in any mix) to `importer`. */
function feeder(importer) {
  // A string chunk that ends with the first half of a surrogate pair keeps
  // it for the next chunk: sent alone it would become U+FFFD.
  let pending = '';
  const flush = () => {
    if (pending) importer.pushText(pending);
    pending = '';
  };
  return {
    push(chunk) {
      if (typeof chunk === 'string') {
        let text = pending + chunk;
        pending = '';
        const last = text.charCodeAt(text.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pending = text.slice(-1);
          text = text.slice(0, -1);
        }
        importer.pushText(text);
        return;
      }
      flush();
      if (chunk instanceof ArrayBuffer) chunk = new Uint8Array(chunk);
      else if (ArrayBuffer.isView(chunk) && !(chunk instanceof Uint8Array)) {
        chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      if (!(chunk instanceof Uint8Array)) fail(`trace data chunks must be strings or Uint8Arrays, got ${describe(chunk)}`);
      importer.pushBytes(chunk);
    },
    finish() {
      flush();
      return JSON.parse(importer.finish());
    },
  };
}

/** Successive chunks of a string or bytes, `size` UTF-16 units or bytes each. */
function* slices(data, size) {
  if (typeof data !== 'string') {
    data = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  for (let offset = 0; offset < data.length; offset += size) {
    yield typeof data === 'string' ? data.slice(offset, offset + size) : data.subarray(offset, offset + size);
  }
}

/** The chunks of a ReadableStream; the stream is cancelled if reading stops early. */
async function* streamChunks(stream) {
  // getReader rather than the stream's own async iterator, which not every
  // browser has.
  const reader = stream.getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!ended) reader.cancel().catch(() => {});
  }
}

/** `data` as an async iterable of chunks, or undefined for a string or bytes. */
function asyncSource(data) {
  if (typeof data === 'string' || data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return undefined;
  if (data !== null && typeof data === 'object') {
    if (typeof data.getReader === 'function') return streamChunks(data);
    if (typeof data[Symbol.asyncIterator] === 'function') return data;
    // A Blob or File (browsers, Node 20+): read through its stream.
    if (typeof data.stream === 'function' && typeof data.arrayBuffer === 'function') return streamChunks(data.stream());
  }
  fail(
    'trace data must be a string, a Uint8Array, an ArrayBuffer, a ReadableStream, a Blob or File, ' +
      `or an async iterable of string or Uint8Array chunks (a Node Readable), got ${describe(data)}`,
  );
}

/** Starts an import with `options`; `step(chunk)` reads a chunk and reports progress. */
function startImport(options) {
  const [text, own] = optionsText(options, [...PRICING_KEYS, 'onProgress', 'chunkSize']);
  const chunkSize = own.chunkSize ?? 1 << 20;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) fail('options.chunkSize must be a positive whole number');
  const { onProgress } = own;
  if (onProgress !== undefined && typeof onProgress !== 'function') fail('options.onProgress must be a function');
  // The import holds its own reference to the table, so a one-off
  // `options.prices` table is freed here, before the chunks are read.
  const importer = withTable(own, (t) => t.traceImport(text));
  const feed = feeder(importer);
  return {
    chunkSize,
    step(chunk) {
      feed.push(chunk);
      if (onProgress) onProgress(JSON.parse(importer.progress()));
    },
    finish: () => feed.finish(),
    abandon: () => importer.free(),
  };
}

/** Whether an analysis prices each generation at its own day (the default). */
const datedAnalysis = (options) => options?.pricesAt !== 'today';

export function analyzeTraces(data, options) {
  const source = asyncSource(data);
  // Calls are priced at their own day's prices: the history comes first
  // (read where the runtime can; an async import fetches it). Without it the
  // report's `pricing.withoutHistory` counts what was priced at today's prices.
  if (datedAnalysis(options) && !wasm.isPriceHistoryLoaded() && host.readPriceHistorySync) {
    run(() => wasm.loadPriceHistory(host.readPriceHistorySync()));
  }
  if (source === undefined) {
    const run = startImport(options);
    try {
      for (const chunk of slices(data, run.chunkSize)) run.step(chunk);
    } catch (error) {
      run.abandon();
      throw error;
    }
    return run.finish();
  }
  // Every error after the source is known, bad options included, rejects
  // the Promise rather than throwing.
  return (async () => {
    if (datedAnalysis(options) && !wasm.isPriceHistoryLoaded() && host.fetchPriceHistory) {
      await loadPriceHistory().catch(() => {});
    }
    const run = startImport(options);
    try {
      for await (const chunk of source) run.step(chunk);
    } catch (error) {
      run.abandon();
      throw error;
    }
    return run.finish();
  })();
}
