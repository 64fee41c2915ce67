// Misuses the typings must refuse: each line below the comment must be a
// type error (tsc fails on an @ts-expect-error that expects none).
import { analyzeTraces, countTokens, estimateCost, type TraceReport } from 'farebox';

declare const stream: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } };

// @ts-expect-error a stream gives a Promise, not the report
export const notAwaited: TraceReport = analyzeTraces(stream);
// @ts-expect-error a number is no trace data
analyzeTraces(42);
// @ts-expect-error an array of records is no stream of chunks
analyzeTraces([{ id: 't1' }]);
// @ts-expect-error chunks are strings or bytes
analyzeTraces((async function* () { yield 1; })());
// @ts-expect-error options are checked
analyzeTraces('', { topN: '3' });
// @ts-expect-error the text comes first
countTokens('gpt-4o');
// @ts-expect-error a request body is an object, JSON text or bytes
estimateCost(42);
