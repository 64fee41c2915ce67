// The Cloudflare Workers entry point (export condition "workerd"). Workers
// import .wasm files as compiled modules (wrangler's default rule), so the
// module is ready at once; there is no file system and no package URL to
// fetch from, so a vocabulary comes in as a module too:
//   import o200k from 'farebox/vocab/o200k_base';
//   registerEncoding('o200k_base', o200k);

import module from './farebox_wasm_bg.wasm';
import { initSync } from './farebox_wasm.js';
import { host } from './host.js';
import { FareboxError } from './api.js';

initSync({ module });

host.fetchVocabulary = async (name) => {
  throw new FareboxError(
    'vocabulary_unavailable',
    `a worker cannot fetch the ${name} vocabulary from the package: ` +
      `\`import bytes from 'farebox/vocab/${name}'\` and call \`registerEncoding('${name}', bytes)\``,
  );
};

export * from './api.js';
