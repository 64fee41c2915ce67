// What the side-by-side benchmarks (bench.mjs, gemma3.mjs, families.mjs) share: running
// one tool in its own process, and what a page downloads for it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sizes } from './sizes.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Runs `script` (run-tool.mjs, or a benchmark's own per-process mode) with `args`; its last
 * line of output as JSON, `{ timedOut }` past `timeout`, `{ failed }` when a worst case crashes the tool.
 */
export function child(args, timeout, script = 'run-tool.mjs') {
  const run = spawnSync(process.execPath, [here(script), ...args], { encoding: 'utf8', timeout, maxBuffer: 1 << 20 });
  if (run.error?.code === 'ETIMEDOUT' || run.signal === 'SIGTERM') return { timedOut: true };
  if (run.status !== 0) {
    const reason = /(RangeError|RuntimeError|Error): [^\n]*/.exec(run.stderr)?.[0] ?? `exit ${run.status}`;
    if (args[1] === 'once') return { failed: reason };
    throw new Error(`${args.slice(0, 2).join(' ')} failed:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

/** Brotli bytes a page downloads for `[source, extra files]`: the bundled, minified entry and the files it fetches. */
export async function download([source, extra]) {
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
  return sizes(Buffer.from(result.outputFiles[0].contents)).brotli + filesBrotli(extra);
}

/** Brotli bytes of files, each a package specifier resolved from this folder or a path. */
export function filesBrotli(specs) {
  const require = createRequire(here('package.json'));
  return specs.reduce((sum, spec) => sum + sizes(readFileSync(require.resolve(spec))).brotli, 0);
}

/**
 * Each tool of `tools` (`run-tool.mjs` names, `prefix` before each) in its own
 * process: throughput over `texts`, one count of each `worst` case (capped at
 * `capMs`), and its download (`downloads[tool]`).
 */
export async function measure(tools, downloads, texts, worst, { prefix = '', throughputMs, capMs }) {
  const rows = [];
  for (const tool of tools) {
    process.stderr.write(`${prefix}${tool}: throughput ...\n`);
    const main = child([`${prefix}${tool}`, 'throughput', ...texts.map((t) => t.file)], throughputMs);
    const worstMs = worst.map((w) => {
      process.stderr.write(`${prefix}${tool}: ${w.name} ...\n`);
      return child([`${prefix}${tool}`, 'once', w.file], capMs);
    });
    rows.push({ tool, download: await download(downloads[tool]), ...main, worst: worstMs });
  }
  return rows;
}

/** Where the tools' counts of the same text differ (every tool, every text, the same count). */
export function differences(rows, texts, worst) {
  const out = [];
  texts.forEach((t, i) => {
    const counts = rows.map((r) => r.results[i].tokens);
    if (new Set(counts).size !== 1) out.push(`${t.name}: ${rows.map((r, j) => `${r.tool} ${counts[j]}`).join(', ')}`);
  });
  worst.forEach((w, i) => {
    const counts = rows.map((r) => r.worst[i]?.tokens).filter((n) => n !== undefined);
    if (new Set(counts).size > 1) out.push(`${w.name}: ${rows.map((r) => `${r.tool} ${r.worst[i]?.tokens}`).join(', ')}`);
  });
  return out;
}

export const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
export const mib = (n) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
export const ms = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`);

/** The Markdown table of `measure`'s rows: download, cold start (`coldStart` names it), peak RSS, MB/s per text, each worst case. */
export function table(rows, texts, worst, coldStart = 'cold start') {
  const header = ['tool', 'download (brotli)', coldStart, 'peak RSS', ...texts.map((t) => `${t.name} MB/s`), ...worst.map((w) => w.name)];
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
  return lines;
}
