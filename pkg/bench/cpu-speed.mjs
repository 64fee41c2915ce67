// Counting speed from CPU time, for comparing builds of the package on a
// shared machine (docs/PERFORMANCE.md: the tokenizer module's opt-level):
//   node cpu-speed.mjs ENTRY FILE...    ENTRY: farebox or farebox/tokenizer
// Prints MB/s per file from the least CPU time (user + system) of 9 counts
// after a warm-up: CPU time leaves out the time other processes hold the
// cores, and the least of 9 the remaining disturbance. bench.mjs's wall-clock
// medians stay the numbers to compare tools by.

import { readFileSync } from 'node:fs';

const [entry, ...files] = process.argv.slice(2);
const { countTokens } = await import(entry);
const speeds = files.map((file) => {
  const text = readFileSync(file, 'utf8');
  countTokens(text, 'o200k_base');
  let least = Infinity;
  for (let i = 0; i < 9; i++) {
    const start = process.cpuUsage();
    countTokens(text, 'o200k_base');
    const { user, system } = process.cpuUsage(start);
    least = Math.min(least, user + system);
  }
  // Bytes per microsecond is MB/s.
  return Number((Buffer.byteLength(text) / least).toFixed(1));
});
console.log(JSON.stringify({ entry, speeds }));
