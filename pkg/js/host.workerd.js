// Workers' vocabularies: there is no file system and no package URL to fetch
// from, so a vocabulary comes in as a module:
//   import o200k from 'farebox/vocab/o200k_base';
//   registerEncoding('o200k_base', o200k);
// Used by workerd.js and tokenizer.workerd.js.

import { FareboxError } from './tokens.js';

export async function fetchPriceHistory() {
  throw new FareboxError(
    'price_history_unavailable',
    "a worker cannot fetch the price history from the package: `import bytes from 'farebox/prices/history'` and call `loadPriceHistory(bytes)`",
  );
}

export async function fetchVocabulary(name) {
  throw new FareboxError(
    'vocabulary_unavailable',
    `a worker cannot fetch the ${name} vocabulary from the package: ` +
      `\`import bytes from 'farebox/vocab/${name}'\` and call \`registerEncoding('${name}', bytes)\``,
  );
}
