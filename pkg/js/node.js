// The Node entry point (export condition "node"): the module and the
// vocabularies are files beside this one, read synchronously, so nothing
// needs an `await` and each vocabulary is read on its first use.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { initSync } from './farebox_wasm.js';
import { host } from './host.js';

const vocabulary = (name) => new URL(`../vocab/${name}.bin`, import.meta.url);

initSync({ module: readFileSync(new URL('./farebox_wasm_bg.wasm', import.meta.url)) });
host.readVocabularySync = (name) => readFileSync(vocabulary(name));
host.fetchVocabulary = async (name) => readFile(vocabulary(name));

export * from './api.js';
