// Node's vocabularies: the files beside the package, read synchronously on
// first use (so counting needs no `await`). Used by node.js and
// tokenizer.node.js.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const vocabulary = (name) => new URL(`../vocab/${name}.bin`, import.meta.url);

export const readVocabularySync = (name) => readFileSync(vocabulary(name));
export const fetchVocabulary = async (name) => readFile(vocabulary(name));

const priceHistory = new URL('../prices/history.bin', import.meta.url);

export const readPriceHistorySync = () => readFileSync(priceHistory);
export const fetchPriceHistory = async () => readFile(priceHistory);
