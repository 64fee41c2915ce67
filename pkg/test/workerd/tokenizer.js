// A worker that only counts, through `farebox/tokenizer`: counting before the
// vocabulary is registered fails as documented, then counts.
import { countTokens, FareboxError, loadEncoding, registerEncoding } from 'farebox/tokenizer';
import o200k from 'farebox/vocab/o200k_base';

export default {
  async fetch(request) {
    const text = await request.text();
    const failure = (error) => ({ isFareboxError: error instanceof FareboxError, code: error.code, encoding: error.encoding });
    let beforeRegister;
    try {
      countTokens(text, 'gpt-4o');
    } catch (error) {
      beforeRegister = failure(error);
    }
    const loaded = await loadEncoding('gpt-4o').then(() => 'loaded', failure);
    registerEncoding('o200k_base', o200k);
    return Response.json({ beforeRegister, loaded, count: countTokens(text, 'gpt-4o') });
  },
};
