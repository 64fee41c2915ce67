//! `cargo xtask prices [--check]`: generates `core/data/prices.json`, the
//! built-in price table, from the public tables vendored in `vendor/price-tables/`,
//! and `core/data/prices_index.rs`, the index `PriceTable::builtin` starts from.
//!
//! What goes in: every chat, responses, completion and embedding entry of
//! LiteLLM's table whose id names an OpenAI, Anthropic, Google Gemini,
//! Mistral, DeepSeek, xAI or Meta-Llama model, on any provider (so
//! `azure/…`, `bedrock/…`, `vertex_ai/…` and the hosts of open-weight models
//! come along); then every Langfuse definition LiteLLM does not have, with
//! its match pattern. Where both tables price the same id, LiteLLM's entry is
//! kept and any disagreement on the input or output price is printed.
//!
//! The parsing is farebox-core's own importers: the generator only selects
//! and merges. `--check` fails if the committed file differs from what the
//! reference tables generate (run by `cargo xtask test`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use farebox_core::pricing::{write_price_file, write_price_index, Mode, Model, Resolution, Source};
use farebox_core::{PriceFileFormat, PriceTable, UsageKind};

use crate::Result;

const LITELLM: &str = "litellm-model_prices_and_context_window.json";
const LANGFUSE: &str = "langfuse-default-model-prices.json";

/// Model families in scope, matched at the start of an id segment
/// (after `/`, `.` or the start), case-insensitively.
const FAMILIES: &[&str] = &[
    "gpt",
    "chatgpt",
    "o1",
    "o3",
    "o4",
    "text-embedding",
    "omni-moderation",
    "text-moderation",
    "babbage",
    "davinci",
    "claude",
    "anthropic-claude",
    "gemini",
    "text-multilingual-embedding",
    "mistral",
    "open-mistral",
    "mixtral",
    "open-mixtral",
    "codestral",
    "magistral",
    "ministral",
    "pixtral",
    "devstral",
    "voxtral",
    "deepseek",
    "grok",
    "llama",
    "meta-llama",
    "codellama",
];

pub fn run(args: &[String]) -> Result<()> {
    crate::generated::run("prices", args, || {
        let generated = generate(&crate::cmd::repo_root().join("vendor/price-tables"))?;
        // The index `PriceTable::builtin` looks models up in without parsing the table.
        let index = write_price_index(&generated)?;
        Ok(vec![
            ("core/data/prices.json".to_string(), generated.into_bytes()),
            ("core/data/prices_index.rs".to_string(), index.into_bytes()),
        ])
    })
}

fn in_scope(id: &str) -> bool {
    let id = id.to_ascii_lowercase();
    id.split(['/', '.', ':', '@']).any(|segment| {
        FAMILIES.iter().any(|f| {
            segment.strip_prefix(f).is_some_and(|rest| {
                // `o1`, `o3`, `o4` are whole names or followed by `-`: not `o3x`.
                !f.starts_with('o') || f.len() > 2 || rest.is_empty() || rest.starts_with('-')
            })
        })
    })
}

fn generate(reference: &Path) -> Result<String> {
    let read = |name: &str| -> Result<(Vec<u8>, PathBuf)> {
        let path = reference.join(name);
        let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((bytes, path))
    };
    let (litellm_bytes, _) = read(LITELLM)?;
    let (langfuse_bytes, _) = read(LANGFUSE)?;

    let mut litellm = PriceTable::empty();
    let report = litellm.load(&litellm_bytes, PriceFileFormat::LiteLlm)?;
    let mut models: Vec<Model> = litellm.user_models().iter().filter(|m| in_scope(&m.id)).cloned().collect();
    println!(
        "prices: LiteLLM: {} entries priced, {} skipped (not metered in tokens), {} in scope",
        report.loaded,
        report.skipped.len(),
        models.len()
    );

    let mut langfuse = PriceTable::empty();
    langfuse.load(&langfuse_bytes, PriceFileFormat::Langfuse)?;
    let mut selected = PriceTable::empty();
    for m in &models {
        selected.add_model(m.clone())?;
    }
    let mut added = 0;
    let mut disagreements = Vec::new();
    let ids: BTreeSet<String> = models.iter().map(|m| m.id.to_ascii_lowercase()).collect();
    for lf in langfuse.user_models() {
        match selected.resolve(&lf.id) {
            Ok(found) if found.via == Resolution::Id => {
                // Embeddings produce no output tokens: Langfuse's `total` price
                // sets an output price there that nothing bills.
                let kinds: &[UsageKind] = match found.model.mode {
                    Mode::Embedding => &[UsageKind::Input],
                    _ => &[UsageKind::Input, UsageKind::Output],
                };
                for &kind in kinds {
                    let (a, b) = (found.model.prices.get(kind), lf.prices.get(kind));
                    if a != b {
                        disagreements.push(format!("{} {kind}: LiteLLM {a:?}, Langfuse {b:?}", lf.id));
                    }
                }
            }
            _ if !ids.contains(&lf.id.to_ascii_lowercase()) => {
                models.push(lf.clone());
                added += 1;
            }
            _ => {}
        }
    }
    println!("prices: Langfuse: {} definitions, {added} added (not in LiteLLM)", langfuse.user_models().len());
    for d in &disagreements {
        println!("prices: disagreement (LiteLLM kept): {d}");
    }

    let sources = [
        Source {
            name: "litellm".into(),
            origin: "BerriAI/litellm model_prices_and_context_window.json, as packaged in PyPI litellm==1.109.1".into(),
            version: "1.109.1".into(),
            date: "2026-11-22".into(),
            sha256: sha256_hex(&litellm_bytes),
        },
        Source {
            name: "langfuse".into(),
            origin: "langfuse/langfuse worker/src/constants/default-model-prices.json".into(),
            version: "2b0e9d23a10f8ef9ed194c6c7084e56950766caa".into(),
            date: "2026-08-21".into(),
            sha256: sha256_hex(&langfuse_bytes),
        },
    ];
    Ok(write_price_file(&models, "2026-11-22", &sources))
}

/// The data file records exactly which bytes it came from.
fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_lowercase_hex() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn scope_is_vendor_families_by_segment() {
        for id in [
            "gpt-4o",
            "azure/eu/gpt-4o",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "vertex_ai/claude-haiku-4-5@20251001",
            "gemini/gemini-2.5-pro",
            "o3-mini",
            "o1",
            "mistral/codestral-latest",
            "deepseek-chat",
            "xai/grok-4",
            "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "text-embedding-3-small",
        ] {
            assert!(in_scope(id), "{id}");
        }
        for id in ["command-r", "qwen3-8b", "o3x-foo", "amazon.titan-embed-text-v1", "jamba-1.5"] {
            assert!(!in_scope(id), "{id}");
        }
    }
}
