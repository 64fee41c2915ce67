// The counting layer both entry points share: `farebox` (api.js) and
// `farebox/tokenizer` (tokenizer.js) each bind it to their own WebAssembly
// module, whose counting exports (vocabularyFor, isVocabularyLoaded,
// loadVocabulary, countTokens) are the same code with the same errors: the
// tokenizer's module is farebox-wasm built without its `pricing` feature.
// Argument checks, error translation and vocabulary loading live here once,
// so the two entries cannot drift apart.

import { host } from './host.js';

/** The vocabulary files the package ships (o200k_harmony counts with o200k_base's). */
const VOCABULARIES = ['o200k_base', 'cl100k_base', 'p50k_base', 'r50k_base', 'gemma3', 'llama3', 'tekken', 'llama4', 'mistral_v1', 'mistral_v3', 'mistral_v7', 'deepseek_v3', 'qwen3'];

/** One class for both entries: `instanceof FareboxError` holds whichever threw. */
export class FareboxError extends Error {
  constructor(code, message, encoding) {
    super(message);
    this.name = 'FareboxError';
    this.code = code;
    if (encoding !== undefined) this.encoding = encoding;
  }
}

export function fail(message) {
  throw new FareboxError('invalid_argument', message);
}

/** The codes the module's errors carry (core's, and the bindings' own). */
const CODES = new Set([
  'unknown_model',
  'invalid_price_file',
  'invalid_usage',
  'amount_out_of_range',
  'invalid_request',
  'stored_context',
  'server_tool',
  'unknown_tool',
  'background_mode',
  'unknown_field',
  'unpriced_modality',
  'ledger_error',
  'tokenizer_not_loaded',
  'price_history_not_loaded',
  'invalid_argument',
  'invalid_policy',
  'no_exact_tokenizer',
  'invalid_vocabulary',
]);

/** An error from the module as a FareboxError; anything else (a trap, an
 * exception thrown by a user callback) passes through untouched. */
function translate(error) {
  if (error instanceof FareboxError || !(error instanceof Error) || !CODES.has(error.code)) return error;
  if (error.code === 'price_history_not_loaded') {
    return new FareboxError(
      error.code,
      'the price history is not loaded: call `await loadPriceHistory()` first to price a call on a day ' +
        "before the built-in prices were taken (in a worker: `loadPriceHistory(bytes)` with the bytes exported by 'farebox/prices/history')",
    );
  }
  if (error.code === 'tokenizer_not_loaded' && error.encoding) {
    const name = error.encoding;
    return new FareboxError(
      error.code,
      `the ${name} vocabulary is not loaded: call \`await loadEncoding('${name}')\` first, or ` +
        `\`registerEncoding('${name}', bytes)\` with the bytes exported by 'farebox/vocab/${name}'`,
      name,
    );
  }
  return new FareboxError(error.code, error.message);
}

export function requireString(value, what) {
  if (typeof value !== 'string') fail(`${what} must be a string, got ${describe(value)}`);
  return value;
}

export function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a Uint8Array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

/** The counting functions over `wasm` (a wasm-bindgen module with the
 * counting exports), and `run`, which calls into it for the other API
 * functions. */
export function bindTokenizer(wasm) {
  /** Runs `fn`; where this runtime reads files synchronously (Node), the
   * vocabulary core names in a `tokenizer_not_loaded` error (a call counts
   * with one) is read and loaded, and `fn` runs again. */
  function run(fn) {
    try {
      return fn();
    } catch (error) {
      const missing = error instanceof Error && !(error instanceof FareboxError) && error.code === 'tokenizer_not_loaded' ? error.encoding : undefined;
      if (!missing || !host.readVocabularySync) throw translate(error);
      load(missing, host.readVocabularySync(missing));
    }
    try {
      return fn();
    } catch (error) {
      throw translate(error);
    }
  }

  /** Loads the bytes of the vocabulary core named (`o200k_base`, ...). */
  function load(vocabulary, bytes) {
    try {
      wasm.loadVocabulary(vocabulary, bytes);
    } catch (error) {
      throw translate(error);
    }
  }

  /** The vocabulary an encoding or OpenAI model counts with. */
  function vocabularyOf(name) {
    requireString(name, 'the encoding');
    const vocabulary = wasm.vocabularyFor(name);
    if (vocabulary === undefined) {
      throw new FareboxError(
        'no_exact_tokenizer',
        `\`${name}\` is neither an encoding (${VOCABULARIES.join(', ')}, o200k_harmony) nor an OpenAI or Gemini model with one`,
      );
    }
    return vocabulary;
  }

  /** The encoding's vocabulary file an OpenAI or Gemini model (or encoding name) counts with, or null. */
  function encodingForModel(model) {
    return wasm.vocabularyFor(requireString(model, 'model')) ?? null;
  }

  const loading = new Map();

  function loadEncoding(name) {
    let vocabulary;
    try {
      vocabulary = vocabularyOf(name);
    } catch (error) {
      return Promise.reject(error);
    }
    if (wasm.isVocabularyLoaded(vocabulary)) return Promise.resolve();
    let pending = loading.get(vocabulary);
    if (!pending) {
      pending = (async () => registerEncoding(vocabulary, await host.fetchVocabulary(vocabulary)))();
      loading.set(vocabulary, pending);
      pending.catch(() => loading.delete(vocabulary));
    }
    return pending;
  }

  function registerEncoding(name, bytes) {
    const vocabulary = vocabularyOf(name);
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    if (!(bytes instanceof Uint8Array)) fail(`the ${vocabulary} vocabulary must be a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
    load(vocabulary, bytes);
  }

  function countTokens(text, modelOrEncoding) {
    requireString(text, 'text');
    requireString(modelOrEncoding, 'modelOrEncoding');
    return run(() => wasm.countTokens(text, modelOrEncoding));
  }

  return { run, encodingForModel, loadEncoding, registerEncoding, countTokens };
}
