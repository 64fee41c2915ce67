// One tool in its own process (spawned by bench.mjs), so that cold start and
// peak memory are this tool's alone. Prints one JSON line.
//   node run-tool.mjs TOOL throughput FILE...   Node's start-up, cold start after it, MB/s per file,
//                                               peak RSS, counts
//   node run-tool.mjs TOOL once FILE            one timed count after one of the text's first 1,000
//                                               characters (the worst cases, killed at the cap)

import { readFileSync } from 'node:fs';
import { GEMMA3_TOOLS, TOOLS } from './tools.mjs';

// performance.now() counts from the process's start: here, Node's own start-up is over.
const nodeStartMs = performance.now();
const [tool, mode, ...files] = process.argv.slice(2);
// `gemma3:<tool>`: the Gemma 3 comparison's tools (gemma3.mjs).
const count = await (tool.startsWith('gemma3:') ? GEMMA3_TOOLS[tool.slice(7)] : TOOLS[tool])();
const texts = files.map((file) => readFileSync(file, 'utf8'));

/** Peak resident set size of this process, from the kernel. */
function peakRss() {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

if (mode === 'once') {
  // Warm up as the MB/s runs do, on the start of the same text: the JIT, and
  // whatever a tool builds on first need (farebox: the trie for the text's first byte).
  count(texts[0].slice(0, 1000));
  const started = performance.now();
  const tokens = count(texts[0]);
  console.log(JSON.stringify({ tokens, ms: performance.now() - started }));
} else {
  count('hello world');
  // The import, the vocabulary and the first count, after Node's own start-up.
  const coldStartMs = performance.now() - nodeStartMs;
  const results = texts.map((text) => {
    const bytes = Buffer.byteLength(text);
    const tokens = count(text);
    const times = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      count(text);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { tokens, bytes, mbPerS: bytes / 1e6 / (times[2] / 1000) };
  });
  console.log(JSON.stringify({ nodeStartMs, coldStartMs, results, peakRss: peakRss() }));
}
