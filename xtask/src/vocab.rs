//! `cargo xtask vocab [--check]`: generates the tokenizer data in `core/data/`.
//!
//! - `vocab/<encoding>.bin` for r50k_base, p50k_base, cl100k_base and
//!   o200k_base, from the `.tiktoken` files that the tiktoken-rs crate ships
//!   (the reference implementation, found through `cargo metadata`; it is a
//!   dev-dependency of `farebox-tests`, so it is on disk after `cargo fetch`),
//!   written by core's own `tokens::vocab_file::encode` (the `FBV3` format,
//!   described there).
//! - `vocab/gemma3.bin`: the Gemma 3 SentencePiece model Google's `google-genai`
//!   SDK counts Gemini text with (`gemma3_cleaned_262144_v2.spiece.model`, the
//!   SDK's pinned sha256 checked here), taken from the crate that ships it
//!   byte for byte (`gemini-tokenizer`, an optional dependency of xtask that
//!   no build enables: `cargo metadata` fetches it from the registry, pinned
//!   by `Cargo.lock`), written as `FBS1` by core's `tokens::spm_file::encode`.
//!   Only what counting needs is kept, and the model's rules are checked to be
//!   the ones core implements (see [`gemma3_bin`]).
//! - `unicode_classes.bin`: per code point, the character classes the
//!   pre-tokenizer regexes test (`\p{L}`, `\p{N}`, `\s`, o200k's two letter
//!   classes), taken from regex-syntax — the tables of the regex engine the
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

/// Class bits, shared with `core/src/tokens/unicode.rs`.
const CLASSES: &[(u8, &str)] = &[
    (1, r"\p{L}"),
    (2, r"\p{N}"),
    (4, r"\s"),
    (8, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
    (16, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
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
        outputs.push(("core/data/vocab/gemma3.bin".to_string(), gemma3_bin(&fs::read(gemma3_model()?)?)?));
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

fn gemma3_model() -> Result<PathBuf> {
    let path = package_dir("gemini-tokenizer", "it is an optional dependency of xtask")?
        .join("resources/gemma3_cleaned_262144_v2.spiece.model");
    let hash = crate::prices::sha256_hex(&fs::read(&path)?);
    if hash != GEMMA3_SHA256 {
        return Err(format!("{} has sha256 {hash}, not the SDK's {GEMMA3_SHA256}", path.display()).into());
    }
    Ok(path)
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

/// A SentencePiece `ModelProto` → `FBS1`, after checking that the model's
/// rules are the ones core implements (`tokens::sentencepiece`): BPE with
/// byte fallback, whitespace as a prefix; an identity normaliser (no
/// character map, no rules) that escapes spaces, adds no dummy prefix and
/// keeps extra whitespace; ordinary pieces' scores falling as ids rise (the
/// id is then the merge priority); no piece kind beyond those core knows.
/// Field numbers are `sentencepiece_model.proto`'s.
fn gemma3_bin(model: &[u8]) -> Result<Vec<u8>> {
    use farebox_core::tokens::spm_file::{Kind, Piece};
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
        ("no add_dummy_prefix", int(&normalizer, 3, 1) == 0),
        ("no remove_extra_whitespaces", int(&normalizer, 4, 1) == 0),
        ("escape_whitespaces", int(&normalizer, 5, 1) == 1),
    ];
    if let Some((what, _)) = checks.iter().find(|c| !c.1) {
        return Err(format!("the model is not one core encodes: expected {what}").into());
    }
    let mut pieces = Vec::new();
    let mut last_score = f32::INFINITY;
    for f in fields.iter().filter(|f| f.0 == 1) {
        let p = proto_fields(f.3)?;
        let text = std::str::from_utf8(bytes(&p, 1))?;
        let score = p.iter().find(|f| f.0 == 2).map_or(0.0, |f| f32::from_le_bytes(f.3.try_into().unwrap_or([0; 4])));
        let kind = match int(&p, 3, 1) {
            1 => Kind::Normal,
            2 => Kind::Unknown,
            3 => Kind::Control,
            4 => Kind::UserDefined,
            6 => Kind::Byte,
            other => return Err(format!("piece {}: type {other} is not one core encodes", pieces.len()).into()),
        };
        if kind == Kind::Normal {
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
        pieces.push(Piece { kind, text, byte });
    }
    Ok(farebox_core::tokens::spm_file::encode(&pieces)?)
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
    Ok(farebox_core::tokens::vocab_file::encode(&by_rank)?)
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
