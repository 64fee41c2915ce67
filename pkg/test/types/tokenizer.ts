// `farebox/tokenizer` as a TypeScript user imports it: the counting subset
// of 'farebox', with the same types (compiled, never run, by types.test.mjs).
import { countTokens, encodingForModel, FareboxError, loadEncoding, registerEncoding, type VocabularyName } from 'farebox/tokenizer';
import * as farebox from 'farebox';

const n: number = countTokens('hello world', 'gpt-4o');
const vocabulary: VocabularyName | null = encodingForModel('gpt-4o');
const loaded: Promise<void> = loadEncoding('o200k_base');
registerEncoding('o200k_base', new Uint8Array(0));
const same: typeof farebox.FareboxError = FareboxError;
// @ts-expect-error: the tokenizer entry has no pricing functions.
import('farebox/tokenizer').then((m) => m.estimateCost);
export { n, vocabulary, loaded, same };
