//! `cargo xtask vocab [--check]`: generates the tokenizer data in `core/data/`.
//!
//! - `vocab/<encoding>.bin` for r50k_base, p50k_base, cl100k_base and
//!   o200k_base, from the `.tiktoken` files that the tiktoken-rs crate ships
//!   (the reference implementation, found through `cargo metadata`; it is a
//!   dev-dependency of `farebox-tests`, so it is on disk after `cargo fetch`),
//!   written by core's own `tokens::vocab_file::encode` (the `FBV3` format,
//!   described there).
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
        outputs.push(("core/data/unicode_classes.bin".to_string(), unicode_bin()?));
        Ok(outputs)
    })
}

/// The `assets/` folder of the tiktoken-rs package in the dependency graph.
fn tiktoken_assets() -> Result<PathBuf> {
    let metadata = Cmd::cargo().args(["metadata", "--format-version", "1"]).read()?;
    let json: serde_json::Value = serde_json::from_str(&metadata)?;
    let manifest = json["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "tiktoken-rs"))
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or("tiktoken-rs is not in the dependency graph (it is a dev-dependency of farebox-tests)")?;
    Ok(Path::new(manifest).parent().ok_or("bad manifest path")?.join("assets"))
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
