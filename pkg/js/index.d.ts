// Types of the `farebox` npm package. Hand-written to match what the module
// returns (the node --test suites check these shapes against the real output).

/** An exact amount of US dollars as decimal text, e.g. `"0.0195"`. Never a float. */
export type Money = string;

/** An amount given to farebox: decimal text, or a number (read from its shortest decimal text). */
export type MoneyInput = string | number;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A JSON document: a value, its text, or its UTF-8 bytes. */
export type JsonInput = JsonObject | string | Uint8Array | ArrayBuffer;

/** The OpenAI encodings (o200k_harmony counts ordinary text with o200k_base's vocabulary); gemma3,
 * the SentencePiece model Google's google-genai SDK counts Gemini 2.0, 2.5 and 3 text with; Llama 3's
 * Mistral NeMo's Tekken, Llama 4's; Mistral's SentencePiece v1 and v3 (Mistral 7B, Mixtral,
 * Codestral 2405, Mistral Large 2407). */
export type EncodingName =
  | 'o200k_base'
  | 'o200k_harmony'
  | 'cl100k_base'
  | 'p50k_base'
  | 'r50k_base'
  | 'gemma3'
  | 'llama3'
  | 'tekken'
  | 'llama4'
  | 'mistral_v1'
  | 'mistral_v3'
  | 'mistral_v7'
  | 'deepseek_v3'
  | 'qwen3';

/** The vocabulary files the package ships (`farebox/vocab/<name>`). */
export type VocabularyName =
  | 'o200k_base'
  | 'cl100k_base'
  | 'p50k_base'
  | 'r50k_base'
  | 'gemma3'
  | 'llama3'
  | 'tekken'
  | 'llama4'
  | 'mistral_v1'
  | 'mistral_v3'
  | 'mistral_v7'
  | 'deepseek_v3'
  | 'qwen3';

export type FareboxErrorCode =
  | 'unknown_model'
  | 'invalid_price_file'
  | 'invalid_usage'
  | 'amount_out_of_range'
  | 'invalid_request'
  | 'stored_context'
  | 'server_tool'
  | 'unknown_tool'
  | 'background_mode'
  | 'unknown_field'
  | 'unpriced_modality'
  | 'ledger_error'
  | 'tokenizer_not_loaded'
  | 'price_history_not_loaded'
  | 'price_history_unavailable'
  | 'invalid_argument'
  | 'invalid_policy'
  | 'no_exact_tokenizer'
  | 'invalid_vocabulary'
  | 'vocabulary_unavailable';

/**
 * Every error farebox throws for bad input. `code` is stable; `message` says what to fix.
 * `stored_context`, `server_tool`, `unknown_tool`, `background_mode`, `unknown_field` and
 * `unpriced_modality` refuse a valid request whose cost has no upper bound (context the
 * provider stores, server-side tools, ...): its maximum would be a guess.
 */
export class FareboxError extends Error {
  readonly name: 'FareboxError';
  readonly code: FareboxErrorCode;
  /** For `tokenizer_not_loaded`: the vocabulary to load. */
  readonly encoding?: VocabularyName;
}

// ------------------------------------------------------------------ tokens

/** A token count, exact or bounded: `low <= tokens <= high`; `exact` means all three are equal and certain. */
export interface TokenCount {
  tokens: number;
  exact: boolean;
  low: number;
  high: number;
}

/**
 * Exact token count for an OpenAI model (`"gpt-4o"`, `"azure/gpt-4.1"`), a Llama 3.x model
 * (`"groq/llama-3.3-70b-versatile"`), a Llama 4 model (`"meta.llama4-scout-17b-instruct-v1:0"`),
 * Mistral NeMo (`"open-mistral-nemo"`), DeepSeek V3 (`"deepseek/deepseek-v3"`), an open-weight Qwen 3 model
 * (`"Qwen/Qwen3-235B-A22B-Instruct-2507"`) or an encoding (`"o200k_base"`, `"llama3"`, `"tekken"`, `"llama4"`,
 * `"deepseek_v3"`, `"qwen3"`; the last two as Hugging Face's `tokenizers` counts with their `tokenizer.json`, Qwen 3's after NFC):
 * what tiktoken's `len(encode_ordinary(text))` gives (for Llama 3, Hugging Face's `tokenizers` on
 * Meta's published `tokenizer.json`: `<|eot_id|>` in the text is one token; for Tekken,
 * mistral-common's, which is tiktoken's on Tekken's ranks; for Llama 4, Meta's `llama-models` tokenizer,
 * tiktoken's on its ranks with o200k_base's split); for a Gemini model Google's google-genai
 * SDK counts with Gemma 3 (`"gemini-2.5-pro"`, `"vertex_ai/gemini-2.0-flash-001"`) or `"gemma3"`, what
 * the SDK's `LocalTokenizer.count_tokens(text)` gives. Throws `no_exact_tokenizer` for other models
 * (use {@link estimateTokens}). Synchronous; in Node the vocabulary is read on first use, elsewhere
 * load it first with {@link loadEncoding} or {@link registerEncoding} (else `tokenizer_not_loaded`).
 */
export function countTokens(text: string, modelOrEncoding: string): number;

/**
 * Tokens of `text` as `model` would count it: exact for OpenAI models, otherwise an estimate from
 * o200k_base scaled by a ratio calibrated for the model's tokenizer family, with its bounds. The
 * model must be in the price table (or `options.pricing`).
 */
export function estimateTokens(text: string, model: string, options?: PricingOptions): TokenCount;

/** A chat message in the model's API (OpenAI Chat for OpenAI and most models, Anthropic Messages for Claude). */
export interface ChatMessage {
  role: string;
  content?: JsonValue;
  [field: string]: JsonValue | undefined;
}

/**
 * Prompt tokens of a request body (any format {@link estimateCost} reads) or of a message list,
 * with the per-message overheads each API adds. `model` is required with a message list and
 * overrides the body's model otherwise.
 */
export function countChatTokens(requestOrMessages: JsonInput | ChatMessage[], model?: string, options?: PricingOptions): TokenCount;

/**
 * Fetches (browsers), reads (Node) or rejects (Workers: use {@link registerEncoding}) the vocabulary of an
 * encoding or OpenAI model, once; later calls resolve at once. Counting is synchronous after it.
 */
export function loadEncoding(encodingOrModel: string): Promise<void>;

/** Loads a vocabulary from its bytes, e.g. `import o200k from 'farebox/vocab/o200k_base'`. Synchronous. */
export function registerEncoding(encodingOrModel: string, bytes: Uint8Array | ArrayBuffer): void;

/** The vocabulary an OpenAI or Gemini model or an encoding counts with, or null for models without one. */
export function encodingForModel(model: string): VocabularyName | null;

// ----------------------------------------------------------------- pricing

export type UsageFormat = 'openai_chat' | 'openai_responses' | 'anthropic' | 'gemini' | 'langfuse';
export type RequestFormat = 'openai_chat' | 'openai_responses' | 'anthropic' | 'gemini' | 'openai_embeddings';
export type PriceFileFormat = 'auto' | 'farebox' | 'litellm' | 'langfuse';

/** Which price table a call uses: the built-in one unless one of these is given. */
export interface PricingOptions {
  /** A table built once with {@link Pricing} (the fast way to use your own prices). */
  pricing?: Pricing;
  /** A LiteLLM, Langfuse or farebox price file loaded over the built-in table for this call only. */
  prices?: JsonInput | JsonValue[];
}

/** Request parameters that select a price tier. */
export interface TierOptions {
  /** OpenAI `service_tier`: `batch`, `flex`, `priority`, ... (the body's own applies otherwise). */
  serviceTier?: string;
  /** Any other parameter a tier tests (Anthropic's `speed`, your own tiers'). */
  params?: Record<string, string>;
}

export interface CostOptions extends PricingOptions, TierOptions {
  /** The usage object's shape; detected from its fields when absent. */
  format?: UsageFormat;
  /**
   * Price at the prices in force on this day (`YYYY-MM-DD`, an RFC 3339 instant, a `Date` or epoch
   * milliseconds) instead of today's. A day before the built-in snapshot needs the price history:
   * Node reads it on first need; elsewhere `await loadPriceHistory()` first (else `price_history_not_loaded`).
   */
  at?: string | number | Date;
}

/** When the prices that priced a call applied. */
export interface Effective {
  /** The first day these prices are known to apply (the release that first listed them, or a Langfuse
   * `startDate`); null when undated (a user definition, or the built-in table without its history). */
  from: string | null;
  /** The change to these prices happened after this day (the previous sampled release). */
  changedAfter?: string;
  /** The first day of the next prices; null while current. */
  until: string | null;
  /** Where these prices were first seen: `litellm 1.63.2`, `langfuse startDate`, `user`. */
  seen: string;
  /** The day asked lies before anything the sources list: the earliest known prices were used. */
  beforeFirstKnown?: boolean;
  /** The sources stopped listing the model on this day; its last listed prices were used. */
  delisted?: string;
}

/** What {@link loadPriceHistory} loaded. */
export interface PriceHistorySummary {
  releases: number;
  first: string | null;
  last: string | null;
}

/**
 * Loads the built-in models' price history (monthly LiteLLM releases since 2023-10; 39 KiB brotli, 59 KiB gzip),
 * kept apart so that pricing today's calls downloads nothing more. Without `bytes`, the package's own
 * file (Node: read from disk; browsers: fetched beside the module; a worker passes the bytes exported
 * by `farebox/prices/history`).
 */
export function loadPriceHistory(bytes?: Uint8Array | ArrayBuffer): Promise<PriceHistorySummary>;
export function isPriceHistoryLoaded(): boolean;

export interface EstimateOptions extends PricingOptions, TierOptions {
  /** The model, when the body names none (Gemini's names it in the URL) or to override it. */
  model?: string;
  format?: RequestFormat;
  /** Bodies larger than this many bytes are refused (default 16 MiB). */
  maxBodyBytes?: number;
}

/** How a requested name found its model. */
export type Resolution =
  | { via: 'id' }
  | { via: 'alias' }
  | { via: 'normalised'; form: string }
  | { via: 'pattern' }
  /** A bare name the table lists as a cloud's resale too: the maker's own API (`form`) answers. */
  | { via: 'maker'; form: string };

export interface CostLine {
  /** A usage kind (`input`, `cache_read`, `cache_write_5m`, `output`, `reasoning`, ...) or a provider unit. */
  kind: string;
  quantity: number;
  unitPrice: Money;
  amount: Money;
  /** Set when this kind was priced at another kind's rate by documented rule (reasoning at `output`). */
  pricedAs?: string;
}

export interface Unpriced {
  kind: string;
  quantity: number;
}

export interface Cost {
  /** The canonical id of the model that priced it. */
  model: string;
  provider: string;
  resolution: Resolution;
  userDefined: boolean;
  /** The price tier that applied (`standard`, `above_200k_tokens`, `flex`, ...). */
  tier: string;
  total: Money;
  breakdown: CostLine[];
  /** Usage the model has no price for; `total` is then a lower bound and `complete` false. */
  unpriced: Unpriced[];
  complete: boolean;
  /** With `options.at`: since when the prices used applied. */
  effective?: Effective;
}

/**
 * What a call cost, from the provider's own usage object (OpenAI Chat or Responses, Anthropic, Gemini,
 * Langfuse) or a whole response body holding one. `model` null takes the body's model.
 */
export function costFromUsage(model: string | null, usage: JsonInput, options?: CostOptions): Cost;

export type OutputLimit = 'request' | 'clamped_to_model' | 'model_maximum' | 'none';

export interface CostEstimate {
  model: string;
  provider: string;
  format: RequestFormat;
  inputTokens: TokenCount;
  /** How the input was counted: an encoding name, or the estimate's basis. */
  method: string;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** The most output tokens one choice can produce, and where that came from. */
  maxOutputTokens: number;
  outputLimit: OutputLimit;
  /** How many choices the request asks for (`n`, `candidateCount`; 1 otherwise): the maximum pays for each. */
  choices: number;
  /** Tokens of a predicted output (`prediction`), billed as output when rejected: in the maximum, per choice. */
  predictionTokens: number;
  /** Input only, at the fewest tokens, with cache hits. */
  minCost: Money;
  /** The most the call can cost: most input, cache writes, every choice's whole output allowance. */
  maxCost: Money;
  exact: boolean;
  breakdown: { min: Cost; max: Cost };
}

/** The cost of a request before it is sent: OpenAI Chat/Responses/embeddings, Anthropic Messages, Gemini. */
export function estimateCost(requestBody: JsonInput, options?: EstimateOptions): CostEstimate;

export interface LoadReport {
  format: Exclude<PriceFileFormat, 'auto'>;
  loaded: number;
  /** Entries that price nothing farebox meters (image generation, rerankers, ...). */
  skipped: { name: string; reason: string }[];
}

export type TierCondition =
  | { usage: { kinds: string[]; op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq'; value: number } }
  | { param: { key: string; values: string[] } };

export interface PriceTier {
  name: string;
  when: TierCondition[];
  /** Complete: a kind missing here is not priced in this tier. */
  prices: Record<string, Money>;
}

export interface ResolvedModel {
  id: string;
  provider: string;
  mode: 'chat' | 'responses' | 'completion' | 'embedding';
  resolution: Resolution;
  userDefined: boolean;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  /** USD per unit, by usage kind. */
  prices: Record<string, Money>;
  tiers: PriceTier[];
  source: string;
}

/** Langfuse's `create_model`: a model priced per input and output unit. */
export interface ModelDefinition {
  name: string;
  /** A regular expression over requested names (`(?i)^my-model$`); the exact name when absent. */
  matchPattern?: string;
  unit?: 'TOKENS' | 'CHARACTERS';
  /** USD per unit. */
  inputPrice: MoneyInput;
  outputPrice: MoneyInput;
}

/** A price table: the built-in one under your own definitions (which win), or only yours. */
export class Pricing {
  /** `builtin: false` starts from an empty table. */
  constructor(options?: { builtin?: boolean });
  /** Loads a LiteLLM, Langfuse or farebox price file; atomic (a bad entry fails the load, naming it). */
  load(file: JsonInput | JsonValue[], format?: PriceFileFormat): LoadReport;
  createModel(definition: ModelDefinition): this;
  resolve(model: string): ResolvedModel;
  /** The day the built-in prices were taken (`YYYY-MM-DD`); empty for an empty table. */
  readonly snapshot: string;
  /** Loads a price history into this table (see {@link loadPriceHistory}). */
  loadHistory(bytes: Uint8Array): PriceHistorySummary;
}

// ----------------------------------------------------------------- budgets

/** A budget policy, in the JSON format farebox's other hosts read too (snake_case keys). */
export interface BudgetPolicy {
  per_call_max_usd?: MoneyInput;
  per_session_usd?: MoneyInput;
  per_user_daily_usd?: MoneyInput;
  per_user_monthly_usd?: MoneyInput;
  per_org_daily_usd?: MoneyInput;
  /** Per-call maxima by model glob (`*` is the only wildcard). */
  per_model_max_usd?: Record<string, MoneyInput>;
  allow_models?: string[];
  deny_models?: string[];
  max_input_tokens?: number;
  unpriced_model?: 'deny' | 'allow';
  alert_at_percent?: number[];
}

/** A call about to be made: an estimate from {@link estimateCost}, or these fields. */
export interface PlannedCall {
  model: string;
  /** The most it can cost; null when it cannot be priced. */
  maxCost: MoneyInput | null;
  /** Prompt tokens; of a range (an estimate's), the high end counts. */
  inputTokens: number | TokenCount;
  user?: string;
  session?: string;
  org?: string;
  /** When it is made (picks the day and month); now when absent. */
  at?: Date | number | string;
}

/** What the call's session, user (today, this month) and organisation (today) have spent already. */
export interface Spent {
  session?: MoneyInput;
  userDay?: MoneyInput;
  userMonth?: MoneyInput;
  orgDay?: MoneyInput;
}

export type BudgetReason =
  | 'ok'
  | 'model_denied'
  | 'model_not_allowed'
  | 'input_tokens_limit'
  | 'unpriced_model'
  | 'per_call_limit'
  | 'model_limit'
  | 'session_limit'
  | 'user_daily_limit'
  | 'user_monthly_limit'
  | 'org_daily_limit';

export interface Decision {
  allow: boolean;
  /** The rule that denied the call, or `ok`. */
  reason: BudgetReason;
  /** The limit that decided: the violated one, or (allowed) the tightest. */
  limit: Money | null;
  estimate: Money | null;
  /** Denied: what was left under the limit. Allowed: what is left after the call. */
  remaining: Money | null;
  /** The ledger key of a deciding cumulative limit (`user:u1:day:2026-11-22`). */
  key?: string;
  maxInputTokens?: number;
  message: string;
}

/**
 * Should this call be made? Checks the policy's rules in order; a scope in `spent` without an id on
 * the call is kept under the id `current`.
 */
export function checkBudget(call: CostEstimate | PlannedCall, policy: BudgetPolicy | string, spent?: Spent, options?: PricingOptions): Decision;

// ------------------------------------------------------------------ traces

export interface TraceProgress {
  bytes: number;
  records: number;
  generations: number;
  errors: number;
}

export type WhatIf = { model: string; only?: string } | { cacheHitRate: number } | { todaysPrices: true };

export interface TraceOptions extends PricingOptions {
  /** The container; detected from the first bytes when absent. */
  format?: 'json' | 'json_lines' | 'csv';
  /** Errors kept in full (default 100); later ones are counted. */
  maxErrors?: number;
  /** The largest record held in memory (default 64 MiB). */
  maxRecordBytes?: number;
  /** How many of the most expensive traces to list (default 10). */
  topN?: number;
  /** Metadata keys to group by; every key seen when absent. */
  metadataKeys?: string[];
  /** Most groups per dimension (default 10,000); the rest are summed under `(other)`. */
  maxGroups?: number;
  /** Exported and farebox costs closer than this agree (default "0.000001"). */
  auditTolerance?: MoneyInput;
  maxDiscrepancies?: number;
  /** The same traffic on another model, or with this share (0–100) of input read from the cache. */
  whatIfs?: WhatIf[];
  /** `callDate` (default): each generation at the prices of its own day, so an audit compares like with
   * like (the price history is loaded first); `today`: every generation at today's prices. */
  pricesAt?: 'callDate' | 'today';
  /** A day is a spike above `factorPercent`% (default 200) of its trailing `trailingDays` (7) average. */
  spikeRule?: { factorPercent?: number; trailingDays?: number; minHistoryDays?: number };
  /** Called after each chunk is read. */
  onProgress?: (progress: TraceProgress) => void;
  /** Bytes (or UTF-16 units of a string) per chunk when `data` is a string or bytes; default
   * 1 MiB. A stream's chunks are its own. */
  chunkSize?: number;
}

export interface TokenTotals {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  total: number;
}

export interface Totals {
  generations: number;
  /** farebox's cost of what it could price. */
  cost: Money;
  /** The export's own costs. */
  exportedCost: Money;
  unpriced: number;
  tokens: TokenTotals;
}

export interface Group extends Totals {
  /** The dimension's value; `(none)` where generations have none, `(other)` past maxGroups. */
  key: string;
}

export interface TraceCost extends Totals {
  traceId: string;
  name: string | null;
  user: string | null;
  firstSeen: string | null;
}

export interface Discrepancy {
  traceId: string | null;
  observationId: string | null;
  line: number;
  model: string;
  exported: Money;
  farebox: Money;
  /** exported − farebox: positive when the export charged more. */
  difference: Money;
  /** The export's cost is the model's cost in this other price period: a price change, not an error. */
  priceChange?: Effective;
}

export interface Audit {
  checked: number;
  agreeing: number;
  differing: number;
  /** Of the differing, those explained by a price change (see `Discrepancy.priceChange`). */
  priceChanges: number;
  exportedTotal: Money;
  fareboxTotal: Money;
  netDifference: Money;
  discrepancies: Discrepancy[];
}

export interface WhatIfResult {
  scenario: { model: { model: string; only: string | null } } | { cacheHitRate: { percent: number } } | 'todaysPrices';
  compared: number;
  baseline: Money;
  cost: Money;
  /** cost − baseline: negative is money saved. */
  difference: Money;
  unpriced: number;
}

export interface Alert {
  kind: 'threshold_crossed' | 'daily_spike' | 'call_over_limit';
  subject: string;
  day?: string;
  amount: Money;
  threshold: Money;
  percent?: number;
  message: string;
}

export interface ImportReport {
  format: 'json' | 'json_lines' | 'csv' | null;
  bytes: number;
  records: number;
  generations: number;
  skipped: number;
  sources: { langfuseTraces: number; langfuseObservations: number; otelSpans: number };
  /** The first errors, each naming its record and line. */
  errors: { record: number; line: number; message: string }[];
  errorCount: number;
}

export interface TraceReport {
  import: ImportReport;
  totals: Totals;
  byDay: Group[];
  byModel: Group[];
  byProvider: Group[];
  byUser: Group[];
  bySession: Group[];
  byTag: Group[];
  byTraceName: Group[];
  byName: Group[];
  byEnvironment: Group[];
  /** By each metadata key (keys as exported), then by its values. */
  byMetadata: Record<string, Group[]>;
  topTraces: TraceCost[];
  cacheSavings: Money;
  audit: Audit;
  whatIfs: WhatIfResult[];
  spikes: Alert[];
  unknownModels: [string, number][];
  /** Which day's prices priced the generations. */
  pricing: {
    pricesAt: 'callDate' | 'today';
    /** Generations priced at prices that have changed since their day. */
    atEarlierPrices: number;
    /** Generations without a timestamp, priced at today's prices. */
    undated: number;
    /** Generations before the built-in snapshot priced at today's prices: the history was not loaded. */
    withoutHistory: number;
    /** The loaded history's span. */
    history: string | null;
  };
  overflow: boolean;
}

/** A chunk of a streamed export: text, or bytes (chunks may end inside a UTF-8 character). */
export type TraceChunk = string | Uint8Array | ArrayBuffer;

/**
 * What farebox uses of a WHATWG `ReadableStream` (a `fetch` body, `File.stream()`, a
 * `TextDecoderStream`'s output). Written out rather than named, so that these typings need
 * neither the DOM library nor @types/node.
 */
export interface TraceStream {
  getReader(): {
    read(): Promise<{ done: boolean; value?: TraceChunk }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

/** What farebox uses of a `Blob` or `File`: its stream. */
export interface TraceBlob {
  stream(): TraceStream;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * An export read as it arrives: a `ReadableStream`, a `Blob` or `File` (read through its
 * stream), or an async iterable of chunks (an async generator, a Node `Readable` such as
 * `fs.createReadStream(path)`).
 */
export type TraceSource = TraceStream | TraceBlob | AsyncIterable<TraceChunk>;

/**
 * Imports a Langfuse export (trace, observations; JSON, JSON Lines, CSV; API pages) or an
 * OpenTelemetry OTLP/JSON file, re-costs every generation with farebox's prices and aggregates.
 * Malformed records are reported with their line, and the rest is kept.
 *
 * A string or bytes are read at once and the report returned. A stream, `Blob` or async
 * iterable is read chunk by chunk and never held whole; the report comes as a Promise, which
 * rejects (after cancelling the stream) on a bad chunk, bad options or an error of the source
 * or of `onProgress`. Any chunking of the same bytes gives the same report.
 */
export function analyzeTraces(data: string | Uint8Array | ArrayBuffer, options?: TraceOptions): TraceReport;
export function analyzeTraces(data: TraceSource, options?: TraceOptions): Promise<TraceReport>;
