// One first count, for counting its instructions under valgrind rather than timing it (on
// a shared machine wall-clock A/B runs of a few milliseconds differ by ±30%; instruction
// counts repeat to 1% of one count). `node first-count.mjs TOOL TARGET ENCODING WARM [skip]`: load TOOL
// (tools.mjs), count the corpus texts WARM (comma-separated names) once each, then count
// TARGET (a corpus name or an absolute path) once, unless `skip`. Run it twice, with and
// without `skip`, under `valgrind --tool=cachegrind --cache-sim=no` and Node's
// deterministic flags: the difference is the target's first count. docs/PERFORMANCE.md
// ("A chat transcript, and where a first multilingual count goes") has the command.

import { TOOLS, corpus } from './tools.mjs';

const [tool, target, encoding, warm, skip] = process.argv.slice(2);
if (!TOOLS[tool] || !target || !encoding || !warm) {
  throw new Error('usage: node first-count.mjs TOOL TARGET ENCODING WARM[,WARM…] [skip]');
}
const count = await TOOLS[tool](encoding);
for (const name of warm.split(',')) count(corpus(name));
const text = corpus(target);
if (skip !== 'skip') count(text);
