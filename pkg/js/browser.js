// The browser and bundler entry point (export condition "default"). The
// module is fetched before the first export is used (top-level await);
// vocabularies are fetched by `loadEncoding`. Each file is named in a
// `new URL('…', import.meta.url)` literal so that bundlers (Vite, webpack,
// Rollup, esbuild) emit it as an asset.

import init from './farebox_wasm.js';
import { host } from './host.js';
import { FareboxError } from './api.js';

const VOCABULARIES = {
  o200k_base: () => new URL('../vocab/o200k_base.bin', import.meta.url),
  cl100k_base: () => new URL('../vocab/cl100k_base.bin', import.meta.url),
  p50k_base: () => new URL('../vocab/p50k_base.bin', import.meta.url),
  r50k_base: () => new URL('../vocab/r50k_base.bin', import.meta.url),
};

host.fetchVocabulary = async (name) => {
  const url = VOCABULARIES[name]();
  const response = await fetch(url);
  if (!response.ok) {
    throw new FareboxError('vocabulary_unavailable', `fetching the ${name} vocabulary from ${url} failed: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
};

await init({ module_or_path: new URL('./farebox_wasm_bg.wasm', import.meta.url) });

export * from './api.js';
