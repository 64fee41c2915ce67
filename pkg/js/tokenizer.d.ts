// Types of `farebox/tokenizer`: the counting subset of `farebox`, the same
// declarations (index.d.ts documents them).
export {
  countTokens,
  encodingForModel,
  EncodingName,
  FareboxError,
  FareboxErrorCode,
  loadEncoding,
  registerEncoding,
  VocabularyName,
} from './index.js';
