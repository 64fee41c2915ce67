// `farebox/tokenizer` in Node (export condition "node"): as node.js, with
// the tokenizer's module.

import { readFileSync } from 'node:fs';
import { initSync } from './farebox_tokenizer.js';
import { host } from './host.js';
import * as vocabularies from './host.node.js';

initSync({ module: readFileSync(new URL('./farebox_tokenizer_bg.wasm', import.meta.url)) });
Object.assign(host, vocabularies);

export * from './tokenizer.js';
