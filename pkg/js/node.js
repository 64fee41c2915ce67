// The Node entry point (export condition "node"): the module and the
// vocabularies are files beside this one, read synchronously, so nothing
// needs an `await` and each vocabulary is read on its first use.

import { readFileSync } from 'node:fs';
import { initSync } from './farebox_wasm.js';
import { host } from './host.js';
import * as vocabularies from './host.node.js';

initSync({ module: readFileSync(new URL('./farebox_wasm_bg.wasm', import.meta.url)) });
Object.assign(host, vocabularies);

export * from './api.js';
