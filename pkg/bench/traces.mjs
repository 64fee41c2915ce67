// The npm package's trace import on a large export: `node pkg/bench/traces.mjs FILE`
// (after `cargo xtask pkg`; FILE from `cargo run --release -p farebox-core --example
// trace_export > export.jsonl`). Each way of passing the export runs in its own process,
// so that its peak RSS is its own: a Node file stream (`fs.createReadStream`, 64 KiB
// chunks), a web `ReadableStream` (`Readable.toWeb`, as a browser's `File.stream()`),
// and the whole file read into a string first. Prints wall time, MB/s and peak RSS;
// asserts no timing, but checks that the three reports are the same.

import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const [file, mode] = process.argv.slice(2);
if (!file) throw new Error('usage: node traces.mjs EXPORT_FILE');

/** Peak resident set size of this process, from the kernel. */
function peakRss() {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
}

if (mode) {
  const { analyzeTraces } = await import('farebox');
  analyzeTraces(''); // the built-in price table and the module, before the clock starts
  const started = performance.now();
  const source = {
    'node-stream': () => createReadStream(file),
    'web-stream': () => Readable.toWeb(createReadStream(file)),
    string: () => readFileSync(file, 'utf8'),
  }[mode]();
  const report = await analyzeTraces(source);
  const ms = performance.now() - started;
  const summary = { generations: report.import.generations, errors: report.import.errorCount, cost: report.totals.cost };
  console.log(JSON.stringify({ ms, peakRss: peakRss(), summary }));
} else {
  const bytes = statSync(file).size;
  const runs = ['node-stream', 'web-stream', 'string'].map((m) => {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), file, m], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return { mode: m, ...JSON.parse(out.trim().split('\n').pop()) };
  });
  const first = JSON.stringify(runs[0].summary);
  for (const r of runs) if (JSON.stringify(r.summary) !== first) throw new Error(`${r.mode} gave another report: ${JSON.stringify(r.summary)} vs ${first}`);
  console.log(`${bytes} bytes, ${runs[0].summary.generations} generations, total cost $${runs[0].summary.cost}\n`);
  console.log('| input | time | MB/s | peak RSS |\n|---|---|---|---|');
  for (const r of runs) {
    console.log(`| ${r.mode} | ${(r.ms / 1000).toFixed(2)} s | ${(bytes / 1e6 / (r.ms / 1000)).toFixed(1)} | ${(r.peakRss / 2 ** 20).toFixed(0)} MiB |`);
  }
}
