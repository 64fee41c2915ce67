// Raw, gzip (level 9) and brotli (quality 11) sizes of files: what a server
// sends with each encoding. `node sizes.mjs FILE...` prints a table.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export function sizes(bytes) {
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotli.length };
}

export const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = process.argv.slice(2).map((file) => ({ file: basename(file), ...sizes(readFileSync(file)) }));
  const width = Math.max(4, ...rows.map((r) => r.file.length));
  console.log(`${'file'.padEnd(width)}  ${'raw'.padStart(11)}  ${'gzip'.padStart(11)}  ${'brotli'.padStart(11)}`);
  for (const r of rows) {
    console.log(`${r.file.padEnd(width)}  ${kb(r.raw).padStart(11)}  ${kb(r.gzip).padStart(11)}  ${kb(r.brotli).padStart(11)}`);
  }
}
