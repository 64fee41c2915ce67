// Where farebox's cold start goes, in Node: Node's own start-up (to the first
// line of this script), then importing the package or the entry given as the
// argument (compiling and instantiating its WebAssembly module), reading o200k_base.bin, building the
// tokenizer from it, and the first count. Prints one JSON line per run:
//   node pkg/bench/cold-start.mjs [farebox | farebox/tokenizer]   (after `cargo xtask pkg` and `npm install` here)
// `cargo xtask bench` runs it 5 times per entry and prints the medians.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const nodeStart = performance.now();
const { registerEncoding, countTokens } = await import(process.argv[2] ?? 'farebox');
const imported = performance.now();
const bytes = readFileSync(createRequire(import.meta.url).resolve('farebox/vocab/o200k_base.bin'));
const read = performance.now();
registerEncoding('o200k_base', bytes);
const built = performance.now();
countTokens('hello world', 'o200k_base');
const counted = performance.now();
console.log(
  JSON.stringify({
    node: nodeStart,
    import: imported - nodeStart,
    read: read - imported,
    vocabulary: built - read,
    firstCount: counted - built,
    ours: counted - nodeStart,
  }),
);
