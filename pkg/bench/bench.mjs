// farebox against gpt-tokenizer, js-tiktoken and tiktoken (WASM), in one run
// on the same texts: `cargo xtask bench` (or `node pkg/bench/bench.mjs` after
// `cargo xtask pkg` and `npm install` here). Each tool runs in its own process.
// Measures, per tool: download size for o200k_base (brotli), cold start to the
// first count (after Node's own start-up, printed apart), peak RSS, MB/s per text
// (median of 5 after a warm-up), and the worst cases (one character repeated; one
// count timed after a warm-up count of the text's first 1,000 characters, as MB/s
// is timed after a warm-up), capped at 20 s; then farebox's cold start by phase
// (cold-start.mjs). Asserts no timing; checks that every tool gives the same
// count for every text, and prints a Markdown table.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { differences, kib, measure, ms, table } from './harness.mjs';
import { DOWNLOADS, TOOLS } from './tools.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const corpus = (name) => readFileSync(here(`../../tests/corpus/${name}`), 'utf8');
const CAP_MS = 20_000;

const work = mkdtempSync(`${tmpdir()}/farebox-bench-`);
const texts = [
  ['prose (1 MB)', corpus('prose-en.txt').repeat(3)],
  ['code', corpus('code-rust.txt')],
  ['JSON', corpus('json.txt')],
  ['CJK', corpus('cjk.txt')],
].map(([name, text], i) => {
  const file = `${work}/text-${i}.txt`;
  writeFileSync(file, text);
  return { name, file, bytes: Buffer.byteLength(text) };
});
const worst = [
  ['400 KB of "a"', 'a', 400_000],
  ['1 MB of "a"', 'a', 1_000_000],
  ['1 MB of spaces', ' ', 1_000_000],
  ['1 MB of digits', '7', 1_000_000],
].map(([name, unit, n], i) => {
  const file = `${work}/worst-${i}.txt`;
  writeFileSync(file, unit.repeat(n));
  return { name, file, bytes: n };
});

const rows = await measure(Object.keys(TOOLS), DOWNLOADS, texts, worst, { throughputMs: 600_000, capMs: CAP_MS });
rmSync(work, { recursive: true });
const mismatches = differences(rows, texts, worst);
const lines = table(rows, texts, worst, 'cold start (after Node’s start-up)');
const farebox = rows.find((r) => r.tool === 'farebox');
const ratios = rows
  .filter((r) => r !== farebox)
  .map((r) => {
    const speed = r.results.map((x, i) => (farebox.results[i].mbPerS / x.mbPerS).toFixed(2)).join(' / ');
    return `- vs ${r.tool}: download ×${(farebox.download / r.download).toFixed(2)}, cold start ×${(farebox.coldStartMs / r.coldStartMs).toFixed(2)}, peak RSS ×${(farebox.peakRss / r.peakRss).toFixed(2)}, speed ×${speed}`;
  });
console.log(`Node ${process.version}, ${texts.map((t) => `${t.name} ${kib(t.bytes)}`).join(', ')}\n`);
console.log(lines.join('\n'));
console.log('\nfarebox relative to each tool (speed: farebox MB/s ÷ tool MB/s per text; others: farebox ÷ tool):\n');
console.log(ratios.join('\n'));
// The linear-time goal: a megabyte of one repeated character against a megabyte of prose.
const proseMsPerMb = 1000 / farebox.results[0].mbPerS;
const worstRatios = worst
  .map((w, i) => [w, farebox.worst[i]])
  .filter(([w, r]) => w.bytes === 1_000_000 && r.ms !== undefined)
  .map(([w, r]) => `${w.name} ${(r.ms / proseMsPerMb).toFixed(1)}×`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nNode's own start-up, not in the cold starts above: ${ms(median(rows.map((r) => r.nodeStartMs)))} (median over the tools' processes)`);
// farebox's cold start by phase, per entry, 5 fresh processes, medians.
for (const entry of ['farebox', 'farebox/tokenizer']) {
  const phases = Array.from({ length: 5 }, () => {
    const run = spawnSync(process.execPath, [here('cold-start.mjs'), entry], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`cold-start.mjs ${entry} failed:\n${run.stderr}`);
    return JSON.parse(run.stdout);
  });
  const phase = (key) => `${median(phases.map((p) => p[key])).toFixed(1)} ms`;
  console.log(
    `${entry}'s cold start by phase (cold-start.mjs, median of 5): import (compile + instantiate) ${phase('import')}, ` +
      `read o200k_base.bin ${phase('read')}, build the tokenizer ${phase('vocabulary')}, first count ${phase('firstCount')}; ` +
      `total ${phase('ours')} after Node's start-up (${phase('node')})`,
  );
}
console.log(`\nfarebox, time of each 1 MB worst case ÷ time of 1 MB of prose: ${worstRatios.join(', ')}`);
console.log(mismatches.length ? `\nCOUNTS DIFFER:\n${mismatches.join('\n')}` : '\nexactness: every tool gave the same count for every text');
if (mismatches.length) process.exitCode = 1;
