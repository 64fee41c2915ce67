// A worker that uses farebox as a Workers app would: the vocabulary comes in
// as a module (workerd has no file system and no package URL to fetch).
import { analyzeTraces, checkBudget, costFromUsage, countTokens, estimateCost, registerEncoding } from 'farebox';
import o200k from 'farebox/vocab/o200k_base';

registerEncoding('o200k_base', o200k);

export default {
  async fetch(request) {
    const text = await request.text();
    const estimate = estimateCost({ model: 'gpt-4o', messages: [{ role: 'user', content: text }], max_tokens: 10 });
    return Response.json({
      count: countTokens(text, 'gpt-4o'),
      cost: costFromUsage('claude-sonnet-4-5', { input_tokens: 1500, output_tokens: 1000 }).total,
      minCost: estimate.minCost,
      decision: checkBudget(estimate, { per_call_max_usd: '0.0001' }).reason,
      generations: analyzeTraces('{"id":"t","observations":[{"id":"o","type":"GENERATION","model":"gpt-4o","usageDetails":{"input":1,"output":1}}]}').import.generations,
    });
  },
};
