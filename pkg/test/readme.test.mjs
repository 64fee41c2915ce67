// The examples of the npm README run as written. Each ```js block is run as
// its own module (here, so `farebox` resolves to the built package); the
// `// prints: …` comments, in order, must be exactly what it prints.
// ```javascript blocks are shown, not run (they need a browser or a worker).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js\n([^]*?)```/g)].map((m) => m[1]);

test('the README has runnable examples', () => {
  assert.ok(blocks.length >= 5, `${blocks.length} blocks`);
});

blocks.forEach((code, i) => {
  const title = code.split('\n').find((l) => l.startsWith('import')) ?? `block ${i}`;
  test(`README example ${i + 1}: ${title}`, () => {
    const expected = [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]);
    assert.ok(expected.length > 0, 'an example says what it prints');
    const dir = mkdtempSync(fileURLToPath(new URL('./readme-', import.meta.url)));
    try {
      const file = `${dir}/example.mjs`;
      writeFileSync(file, code);
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      assert.deepEqual(out.trimEnd().split('\n'), expected);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
