// `farebox/tokenizer` in browsers and bundlers (export condition "default"):
// as browser.js, with the tokenizer's module.

import init from './farebox_tokenizer.js';
import { host } from './host.js';
import * as vocabularies from './host.browser.js';

Object.assign(host, vocabularies);

await init({ module_or_path: new URL('./farebox_tokenizer_bg.wasm', import.meta.url) });

export * from './tokenizer.js';
