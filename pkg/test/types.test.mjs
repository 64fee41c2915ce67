// The typings (dist/index.d.ts) under tsc, as a TypeScript user imports
// 'farebox': every function called with its documented argument and result
// types, misuses refused (each `@ts-expect-error` in types/mistakes.ts must
// meet an error), and streamed trace input from a browser's and from Node's
// types. The base configuration has only the ES library: the typings must not
// need the DOM library or @types/node.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const tsc = fileURLToPath(new URL('./node_modules/typescript/bin/tsc', import.meta.url));

for (const [config, what] of [
  ['tsconfig.json', 'every function, and the misuses refused, with the ES library only'],
  ['tsconfig.dom.json', "a File, a Blob, a fetch body and a TextDecoderStream's output as trace input"],
  ['tsconfig.node.json', 'a Node file stream (bytes and text), Readable.toWeb and a Blob as trace input'],
]) {
  test(`the typings type-check ${what}`, () => {
    const project = fileURLToPath(new URL(`./types/${config}`, import.meta.url));
    const run = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
    assert.equal(run.status, 0, `tsc -p types/${config}:\n${run.stdout}${run.stderr}`);
  });
}
