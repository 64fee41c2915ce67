// Counting text a tool has not seen before, against counting it again: `node
// pkg/bench/unseen.mjs` (after `cargo xtask pkg` and `npm install` here). bench.mjs
// reports the median of 5 counts of the same text, which a tool with a per-piece merge
// cache (gpt-tokenizer, js-tiktoken, farebox's memo of piece counts) answers largely from
// its cache after the warm-up count. Here, per tool (one process each) and per target
// text (the native benchmark's six files): warm the JIT on the other corpus texts, then time
// the first count of the target (unseen pieces) and the best of 3 counts of it again.
// Checks the counts agree; asserts no timing. `cargo xtask bench` runs it after bench.mjs.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TOOLS, corpus } from './tools.mjs';

// The six files of the native benchmark (tests/benches/tokenize.rs), in its order.
const TARGETS = ['prose-en', 'code-rust', 'multilingual', 'json', 'cjk', 'chat'];
const OTHERS = ['code-python', 'edge'];
// Each (tool, target) runs in this many processes; the median is reported.
const RUNS = 3;

// A fourth argument names the warm-up texts instead (comma-separated corpus names):
// `prose-en` is a page whose first text not in English is the target, which then also
// pays for what a tool builds on first use (farebox: its tries, its seams).
const [tool, target, encoding = 'o200k_base', warmWith] = process.argv.slice(2);
if (tool && !tool.startsWith('--')) {
  const count = await TOOLS[tool](encoding);
  const warm = (warmWith ? warmWith.split(',') : [...OTHERS, ...TARGETS.filter((t) => t !== target)]).map(corpus);
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
  // `--out FILE`: also write every median as JSON (`cargo xtask bench` puts it beside criterion's numbers).
  const out = process.argv.indexOf('--out');
  const results = [];
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const counts = {};
  // o200k_base for every tool; cl100k_base for farebox's two entries (the peers here count o200k_base only).
  const runs = [
    ...Object.keys(TOOLS).map((name) => [name, 'o200k_base']),
    ['farebox', 'cl100k_base'],
    ['farebox/tokenizer', 'cl100k_base'],
  ];
  for (const enc of ['o200k_base', 'cl100k_base']) {
    console.log(`\n${enc}, MB/s, median of ${RUNS} processes:\n`);
    console.log('| tool | ' + TARGETS.map((t) => `${t} first | ${t} again`).join(' | ') + ' |');
    console.log('|---|' + TARGETS.map(() => '---|---|').join(''));
    for (const [name] of runs.filter(([, e]) => e === enc)) {
      const cells = TARGETS.map((target) => {
        const samples = Array.from({ length: RUNS }, () => {
          const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name, target, enc], { encoding: 'utf8' });
          if (run.status !== 0) throw new Error(`${name} ${target} ${enc} failed:\n${run.stderr}`);
          return JSON.parse(run.stdout.trim().split('\n').pop());
        });
        for (const { tokens } of samples) {
          const key = `${enc} ${target}`;
          if ((counts[key] ??= tokens) !== tokens) throw new Error(`${name} counts ${key} as ${tokens}, not ${counts[key]}`);
        }
        const first = median(samples.map((s) => s.first));
        const again = median(samples.map((s) => s.again));
        results.push({ tool: name, encoding: enc, file: `${target}.txt`, first, again });
        return `${first.toFixed(2)} | ${again.toFixed(2)}`;
      });
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
  }
  if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(results, null, 1));
}
