// Streamed trace input from what a browser has: a File, a fetch body, a
// TextDecoderStream. Compiled with the DOM library.
import { analyzeTraces, type TraceReport } from 'farebox';

export async function fromBrowser(file: File, response: Response): Promise<TraceReport[]> {
  const body = response.body;
  if (!body) return [];
  return [
    await analyzeTraces(file),
    await analyzeTraces(new Blob(['{}'])),
    await analyzeTraces(body),
    await analyzeTraces(file.stream().pipeThrough(new TextDecoderStream())),
  ];
}
