// Every function of the public API as a TypeScript user calls it, with the
// result types spelled out. Compiled (never run) by types.test.mjs with only
// the ES library: the typings must need neither the DOM library nor @types/node.
import {
  analyzeTraces,
  checkBudget,
  costFromUsage,
  countChatTokens,
  countTokens,
  encodingForModel,
  estimateCost,
  estimateTokens,
  FareboxError,
  loadEncoding,
  Pricing,
  registerEncoding,
  type Cost,
  type CostEstimate,
  type Decision,
  type FareboxErrorCode,
  type Money,
  type TokenCount,
  type TraceProgress,
  type TraceReport,
  type VocabularyName,
} from 'farebox';
import o200k from 'farebox/vocab/o200k_base';

export async function everything(bytes: Uint8Array): Promise<unknown[]> {
  await loadEncoding('gpt-4o');
  registerEncoding('o200k_base', o200k);
  const vocabulary: VocabularyName | null = encodingForModel('gpt-4.1');
  const n: number = countTokens('hello world', 'gpt-4o');
  const text: TokenCount = estimateTokens('hello', 'claude-sonnet-4-5');
  const chat: TokenCount = countChatTokens([{ role: 'user', content: 'hi' }], 'gpt-4o');
  const estimate: CostEstimate = estimateCost({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { serviceTier: 'flex' });
  const max: Money | null = estimate.maxCost;
  const cost: Cost = costFromUsage('claude-sonnet-4-5', { input_tokens: 1500, output_tokens: 1000 });
  const pricing = new Pricing({ builtin: true }).createModel({ name: 'house-llm', inputPrice: '0.000001', outputPrice: 2e-6 });
  const own: Cost = costFromUsage('house-llm', '{"input_tokens":1}', { pricing });
  const decision: Decision = checkBudget(estimate, { per_call_max_usd: '0.10' }, { session: '0.5' });
  const planned: Decision = checkBudget({ model: 'gpt-4o', maxCost: '0.2', inputTokens: 10, at: new Date() }, '{}');
  const seen: TraceProgress[] = [];
  const whole: TraceReport = analyzeTraces('{}', { onProgress: (p) => seen.push(p), whatIfs: [{ cacheHitRate: 50 }] });
  const fromBytes: TraceReport = analyzeTraces(bytes, { chunkSize: 1024 });
  async function* chunks(): AsyncGenerator<string | Uint8Array> {
    yield '{"id":"t1"';
    yield bytes;
  }
  const streamed: TraceReport = await analyzeTraces(chunks(), { topN: 3 });
  try {
    countTokens('x', 'claude-sonnet-4-5');
  } catch (error) {
    if (error instanceof FareboxError) {
      const code: FareboxErrorCode = error.code;
      const missing: VocabularyName | undefined = error.encoding;
      return [code, missing];
    }
  }
  return [vocabulary, n, text, chat, max, cost, own, decision, planned, whole, fromBytes, streamed, pricing.snapshot];
}
