// Browsers' vocabularies, fetched by `loadEncoding`. Each file is named in a
// `new URL('…', import.meta.url)` literal so that bundlers (Vite, webpack,
// Rollup, esbuild) emit it as an asset. Used by browser.js and
// tokenizer.browser.js.

import { FareboxError } from './tokens.js';

const VOCABULARIES = {
  o200k_base: () => new URL('../vocab/o200k_base.bin', import.meta.url),
  cl100k_base: () => new URL('../vocab/cl100k_base.bin', import.meta.url),
  p50k_base: () => new URL('../vocab/p50k_base.bin', import.meta.url),
  r50k_base: () => new URL('../vocab/r50k_base.bin', import.meta.url),
  gemma3: () => new URL('../vocab/gemma3.bin', import.meta.url),
  llama3: () => new URL('../vocab/llama3.bin', import.meta.url),
  tekken: () => new URL('../vocab/tekken.bin', import.meta.url),
  llama4: () => new URL('../vocab/llama4.bin', import.meta.url),
  mistral_v1: () => new URL('../vocab/mistral_v1.bin', import.meta.url),
  mistral_v3: () => new URL('../vocab/mistral_v3.bin', import.meta.url),
  mistral_v7: () => new URL('../vocab/mistral_v7.bin', import.meta.url),
  deepseek_v3: () => new URL('../vocab/deepseek_v3.bin', import.meta.url),
  qwen3: () => new URL('../vocab/qwen3.bin', import.meta.url),
};

export async function fetchPriceHistory() {
  const url = new URL('../prices/history.bin', import.meta.url);
  const response = await fetch(url);
  if (!response.ok) {
    throw new FareboxError('price_history_unavailable', `fetching the price history from ${url} failed: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

export async function fetchVocabulary(name) {
  const url = VOCABULARIES[name]();
  const response = await fetch(url);
  if (!response.ok) {
    throw new FareboxError('vocabulary_unavailable', `fetching the ${name} vocabulary from ${url} failed: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
