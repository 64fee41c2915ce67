// Streamed trace input from what Node has: a file stream, a web stream, a Blob.
// Compiled with @types/node.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { analyzeTraces, type TraceReport } from 'farebox';

export async function fromNode(path: string): Promise<TraceReport[]> {
  return [
    await analyzeTraces(createReadStream(path)),
    await analyzeTraces(createReadStream(path, 'utf8')),
    await analyzeTraces(Readable.toWeb(createReadStream(path))),
    await analyzeTraces(new Blob(['{}'])),
  ];
}
