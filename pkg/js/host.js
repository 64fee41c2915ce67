// How this runtime gets vocabulary bytes. Each entry point fills these in
// from its runtime's host module (host.node.js, host.browser.js,
// host.workerd.js) before the API is used; tokens.js only asks. Both entries
// (`farebox`, `farebox/tokenizer`) fill in the same functions, so either may
// run first. Internal: not part of the public API.

export const host = {
  /** Reads a vocabulary synchronously, where the runtime can (Node: the file
   * beside the package), so that counting needs no `await` there. */
  readVocabularySync: undefined,
  /** Fetches a vocabulary's bytes (`loadEncoding`). */
  fetchVocabulary: undefined,
  /** Reads the price history synchronously, where the runtime can (Node). */
  readPriceHistorySync: undefined,
  /** Fetches the price history's bytes (`loadPriceHistory()`). */
  fetchPriceHistory: undefined,
};
