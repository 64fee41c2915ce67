// The browser and bundler entry point (export condition "default"). The
// module is fetched before the first export is used (top-level await);
// vocabularies are fetched by `loadEncoding` (host.browser.js). The module
// is named in a `new URL('…', import.meta.url)` literal so that bundlers
// emit it as an asset.

import init from './farebox_wasm.js';
import { host } from './host.js';
import * as vocabularies from './host.browser.js';

Object.assign(host, vocabularies);

await init({ module_or_path: new URL('./farebox_wasm_bg.wasm', import.meta.url) });

export * from './api.js';
