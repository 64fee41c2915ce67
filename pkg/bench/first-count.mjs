// One first count, for counting its instructions under valgrind rather than timing it (on
// a shared machine wall-clock A/B runs of a few milliseconds differ by ±30%; instruction
// counts by 0.1%). `node first-count.mjs TOOL TARGET ENCODING WARM [skip]`: load TOOL
// (tools.mjs), count the corpus texts WARM (comma-separated names) once each, then count
// TARGET (a corpus name or an absolute path) once, unless `skip`. Run it twice, with and
// without `skip`, under `valgrind --tool=cachegrind --cache-sim=no` and Node's
// deterministic flags: the difference is the target's first count. docs/PERFORMANCE.md
// ("Counting instructions") has the command.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TOOLS } from './tools.mjs';

const corpus = (name) =>
  readFileSync(name.startsWith('/') ? name : fileURLToPath(new URL(`../../tests/corpus/${name}.txt`, import.meta.url)), 'utf8');

const [tool, target, encoding, warm, skip] = process.argv.slice(2);
if (!TOOLS[tool] || !target || !encoding || !warm) {
  throw new Error('usage: node first-count.mjs TOOL TARGET ENCODING WARM[,WARM…] [skip]');
}
const count = await TOOLS[tool](encoding);
for (const name of warm.split(',')) count(corpus(name));
const text = corpus(target);
if (skip !== 'skip') count(text);
