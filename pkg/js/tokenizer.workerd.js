// `farebox/tokenizer` in Cloudflare Workers (export condition "workerd"): as
// workerd.js, with the tokenizer's module.

import module from './farebox_tokenizer_bg.wasm';
import { initSync } from './farebox_tokenizer.js';
import { host } from './host.js';
import * as vocabularies from './host.workerd.js';

initSync({ module });
Object.assign(host, vocabularies);

export * from './tokenizer.js';
