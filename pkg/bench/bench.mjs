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
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sizes } from './sizes.mjs';
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

/** Runs run-tool.mjs; `{ timedOut }` past `timeout`, `{ failed }` when a worst case crashes the tool. */
function child(args, timeout) {
  const run = spawnSync(process.execPath, [here('run-tool.mjs'), ...args], { encoding: 'utf8', timeout, maxBuffer: 1 << 20 });
  if (run.error?.code === 'ETIMEDOUT' || run.signal === 'SIGTERM') return { timedOut: true };
  if (run.status !== 0) {
    const reason = /(RangeError|RuntimeError|Error): [^\n]*/.exec(run.stderr)?.[0] ?? `exit ${run.status}`;
    if (args[1] === 'once') return { failed: reason };
    throw new Error(`${args.slice(0, 2).join(' ')} failed:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

async function download(tool) {
  const [source, extra] = DOWNLOADS[tool];
  const result = await build({
    stdin: { contents: source, resolveDir: here('.'), sourcefile: 'entry.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external: ['*.wasm', '*.bin', 'node:*'],
    logLevel: 'silent',
  });
  const require = createRequire(here('package.json'));
  const files = [Buffer.from(result.outputFiles[0].contents), ...extra.map((spec) => readFileSync(require.resolve(spec)))];
  return files.reduce((sum, bytes) => sum + sizes(bytes).brotli, 0);
}

const rows = [];
for (const tool of Object.keys(TOOLS)) {
  process.stderr.write(`${tool}: throughput ...\n`);
  const main = child([tool, 'throughput', ...texts.map((t) => t.file)], 600_000);
  const worstMs = worst.map((w) => {
    process.stderr.write(`${tool}: ${w.name} ...\n`);
    return child([tool, 'once', w.file], CAP_MS);
  });
  rows.push({ tool, download: await download(tool), ...main, worst: worstMs });
}
rmSync(work, { recursive: true });

// Exactness: every tool, every text, the same count.
const mismatches = [];
texts.forEach((t, i) => {
  const counts = rows.map((r) => r.results[i].tokens);
  if (new Set(counts).size !== 1) mismatches.push(`${t.name}: ${rows.map((r, j) => `${r.tool} ${counts[j]}`).join(', ')}`);
});
worst.forEach((w, i) => {
  const counts = rows.map((r) => r.worst[i]?.tokens).filter((n) => n !== undefined);
  if (new Set(counts).size > 1) mismatches.push(`${w.name}: ${counts.join(', ')}`);
});

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const mib = (n) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
const ms = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`);
const header = ['tool', 'download (brotli)', 'cold start (after Node’s start-up)', 'peak RSS', ...texts.map((t) => `${t.name} MB/s`), ...worst.map((w) => w.name)];
const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
for (const r of rows) {
  const cells = [
    r.tool,
    kib(r.download),
    ms(r.coldStartMs),
    mib(r.peakRss),
    ...r.results.map((x) => x.mbPerS.toFixed(1)),
    ...r.worst.map((w) => (w.timedOut ? '> 20 s' : w.failed ? `crashed (${w.failed})` : ms(w.ms))),
  ];
  lines.push(`| ${cells.join(' | ')} |`);
}
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
