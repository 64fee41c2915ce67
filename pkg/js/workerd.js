// The Cloudflare Workers entry point (export condition "workerd"). Workers
// import .wasm files as compiled modules (wrangler's default rule), so the
// module is ready at once; vocabularies come in as modules too
// (host.workerd.js).

import module from './farebox_wasm_bg.wasm';
import { initSync } from './farebox_wasm.js';
import { host } from './host.js';
import * as vocabularies from './host.workerd.js';

initSync({ module });
Object.assign(host, vocabularies);

export * from './api.js';
