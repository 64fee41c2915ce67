// Counting text a tool has not seen before, against counting it again: `node
// pkg/bench/unseen.mjs` (after `cargo xtask pkg` and `npm install` here). bench.mjs
// reports the median of 5 counts of the same text, which a tool with a per-piece merge
// cache (gpt-tokenizer, js-tiktoken, farebox's memo of piece counts) answers largely from
// its cache after the warm-up count. Here, per tool (one process each) and per target
// text (code, JSON, CJK, multilingual): warm the JIT on the other corpus texts, then time
// the first count of the target (unseen pieces) and the best of 3 counts of it again.
// Checks the counts agree; asserts no timing. `cargo xtask bench` runs it after bench.mjs.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TOOLS } from './tools.mjs';

const corpus = (name) => readFileSync(fileURLToPath(new URL(`../../tests/corpus/${name}.txt`, import.meta.url)), 'utf8');
const TARGETS = ['code-rust', 'json', 'cjk', 'multilingual'];
const OTHERS = ['prose-en', 'code-python', 'edge'];

const [tool, target] = process.argv.slice(2);
if (tool) {
  const count = await TOOLS[tool]();
  const warm = [...OTHERS, ...TARGETS.filter((t) => t !== target)].map(corpus);
  for (let i = 0; i < 3; i++) for (const text of warm) count(text);
  const text = corpus(target);
  const mbPerS = () => {
    const started = performance.now();
    const tokens = count(text);
    return [tokens, Buffer.byteLength(text) / 1e6 / ((performance.now() - started) / 1000)];
  };
  const [tokens, first] = mbPerS();
  const again = Math.max(...[0, 1, 2].map(() => mbPerS()[1]));
  console.log(JSON.stringify({ tokens, first, again }));
} else {
  console.log('| tool | ' + TARGETS.map((t) => `${t} first count MB/s | ${t} again MB/s`).join(' | ') + ' |');
  console.log('|---|' + TARGETS.map(() => '---|---|').join(''));
  const counts = {};
  for (const name of Object.keys(TOOLS)) {
    const cells = TARGETS.map((target) => {
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name, target], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${name} ${target} failed:\n${run.stderr}`);
      const { tokens, first, again } = JSON.parse(run.stdout.trim().split('\n').pop());
      if ((counts[target] ??= tokens) !== tokens) throw new Error(`${name} counts ${target} as ${tokens}, not ${counts[target]}`);
      return `${first.toFixed(2)} | ${again.toFixed(2)}`;
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}
