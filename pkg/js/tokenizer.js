// The public API of `farebox/tokenizer` (types: tokenizer.d.ts): the
// counting functions of `farebox`, over a module that holds nothing else
// (farebox-wasm without `pricing`: no price table, no JSON, no estimators),
// for apps that only count tokens. The same code as the main entry's
// (tokens.js), so counts, names and errors are the same.

import * as wasm from './farebox_tokenizer.js';
import { bindTokenizer } from './tokens.js';

export { FareboxError } from './tokens.js';

export const { encodingForModel, loadEncoding, registerEncoding, countTokens } = bindTokenizer(wasm);
