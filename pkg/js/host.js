// How this runtime gets vocabulary bytes. Each entry point (node.js,
// browser.js, workerd.js) fills these in before the API is used; api.js only
// asks. Internal: not part of the public API.

export const host = {
  /** Reads a vocabulary synchronously, where the runtime can (Node: the file
   * beside the package), so that counting needs no `await` there. */
  readVocabularySync: undefined,
  /** Fetches a vocabulary's bytes (`loadEncoding`). */
  fetchVocabulary: undefined,
};
