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
//! Then first-party Anthropic models take what LiteLLM lists only on their
//! cloud copies (see [`fill_from_cloud_copies`]): long-context tiers,
//! `context_window`, `max_output_tokens`.
//!
//! The parsing is farebox-core's own importers: the generator only selects
//! and merges. `--check` fails if the committed file differs from what the
//! reference tables generate (run by `cargo xtask test`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use farebox_core::pricing::{write_price_file, Condition, Mode, Model, Resolution, Source, Tier};
use farebox_core::{PriceFileFormat, PriceTable, UsageKind};
// `raw_value` is on: farebox-core's serde_json has it, and features unify.
use serde_json::value::RawValue;

use crate::price_history;
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
    let vendor = crate::cmd::repo_root().join("vendor/price-tables");
    let (args, before) = match args {
        [flag] if flag == "--update" => {
            let before = fs::read(crate::cmd::repo_root().join("core/data/prices.json")).ok();
            let added = price_history::update(&vendor, LITELLM)?;
            match added.last() {
                Some(newest) => println!(
                    "prices: added litellm {} to the history; the table is now from {newest}",
                    added.join(", ")
                ),
                None => println!("prices: the history already has the newest litellm release"),
            }
            (&[][..], before)
        }
        _ => (args, None),
    };
    crate::generated::run("prices", args, || {
        let generated = generate(&vendor)?;
        // The index `PriceTable::builtin` looks models up in without parsing the table.
        let index = write_price_index(&generated.table)?;
        if let Some(before) = &before {
            print_changes(before, generated.table.as_bytes())?;
        }
        Ok(vec![
            ("core/data/prices.json".to_string(), generated.table.into_bytes()),
            ("core/data/prices_index.rs".to_string(), index.into_bytes()),
            ("core/data/price_history.json".to_string(), generated.history.into_bytes()),
        ])
    })
}

/// What `--update` changed: models added and removed, prices old → new.
fn print_changes(before: &[u8], after: &[u8]) -> Result<()> {
    let load = |bytes: &[u8]| -> Result<BTreeMap<String, Model>> {
        let mut table = PriceTable::empty();
        table.load(bytes, PriceFileFormat::Farebox)?;
        Ok(table.user_models().iter().map(|m| (m.id.clone(), m.clone())).collect())
    };
    let (old, new) = (load(before)?, load(after)?);
    let added: Vec<&str> = new.keys().filter(|id| !old.contains_key(*id)).map(String::as_str).collect();
    let removed: Vec<&str> = old.keys().filter(|id| !new.contains_key(*id)).map(String::as_str).collect();
    println!("prices: {} models added: {}", added.len(), added.join(" "));
    println!("prices: {} models removed: {}", removed.len(), removed.join(" "));
    let mut changed = 0;
    for (id, n) in &new {
        let Some(o) = old.get(id) else { continue };
        let kinds: Vec<String> = UsageKind::ALL
            .into_iter()
            .filter(|&k| o.prices.get(k) != n.prices.get(k))
            .map(|k| format!("{k} {} → {}", show(o.prices.get(k)), show(n.prices.get(k))))
            .collect();
        let tiers = if o.tiers != n.tiers { " (tiers changed)" } else { "" };
        if !kinds.is_empty() || !tiers.is_empty() {
            changed += 1;
            println!("prices: changed {id}: {}{tiers}", kinds.join(", "));
        }
    }
    println!("prices: {changed} models with changed prices");
    Ok(())
}

/// The generated files' text.
struct Generated {
    table: String,
    history: String,
}

pub(crate) fn in_scope(id: &str) -> bool {
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

fn generate(reference: &Path) -> Result<Generated> {
    let read = |name: &str| -> Result<(Vec<u8>, PathBuf)> {
        let path = reference.join(name);
        let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((bytes, path))
    };
    let (litellm_bytes, _) = read(LITELLM)?;
    let (langfuse_bytes, _) = read(LANGFUSE)?;
    let deltas = price_history::read_deltas(reference)?;
    let release = deltas.last().ok_or("the LiteLLM history has no release")?;
    if release.table_sha256 != sha256_hex(&litellm_bytes) {
        return Err(format!(
            "vendor/price-tables/{LITELLM} is not the table of litellm {}, the history's last release: run `cargo xtask prices --update`",
            release.version
        )
        .into());
    }

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

    fill_from_cloud_copies(&mut models, true)?;

    let (releases, periods, last) = price_history::build(&deltas)?;
    check_history_ends_at_table(&last, &models)?;
    // The first day each id was listed: periods come by id, then day.
    let mut first_seen: BTreeMap<&str, farebox_core::time::Date> = BTreeMap::new();
    for p in &periods {
        if let Some(day) = p.since {
            first_seen.entry(p.id.as_str()).or_insert(day);
        }
    }
    println!(
        "prices: history: {} releases ({} to {}), {} models, {} periods",
        releases.len(),
        releases[0].date,
        release.date,
        first_seen.len(),
        periods.len()
    );

    let sources = [
        Source {
            name: "litellm".into(),
            origin: format!(
                "BerriAI/litellm model_prices_and_context_window.json, as packaged in PyPI litellm=={}",
                release.version
            ),
            version: release.version.clone(),
            date: release.date.to_string(),
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
    Ok(Generated {
        table: write_price_file(&models, &release.date.to_string(), &sources, &featured(&models, &first_seen)),
        history: write_price_file(&periods, &release.date.to_string(), &releases, &[]),
    })
}

/// Names of variants rather than a maker's general-purpose models.
const VARIANTS: &[&str] = &[
    "preview",
    "latest",
    "audio",
    "realtime",
    "search",
    "tts",
    "image",
    "transcribe",
    "codex",
    "computer-use",
    "live",
    "embed",
    "moderation",
    "research",
    "exp",
    "ft:",
    "instruct",
    "chatgpt",
    "oss",
    "vision",
    "robotics",
    "customtools",
    "thinking",
    "guard",
    "beta",
];

/// The Compare view's defaults, derived from the data so that they do not
/// age: for each maker's own API, its chat models of its own families (not a
/// variant, not a dated snapshot, priced for input and output, not free)
/// first listed within 120 days of its newest, and of those the ones other
/// providers resell (three copies or more) when any are; then the dearest by
/// output price (the flagship) and the cheapest (the small model), the newer
/// and then the shorter id winning a tie (`deepseek-v4-pro` over `deepseek/deepseek-v4-pro`).
fn featured(models: &[Model], first_seen: &BTreeMap<&str, farebox_core::time::Date>) -> Vec<String> {
    let mut out = Vec::new();
    for maker in farebox_core::pricing::MAKERS {
        let candidates: Vec<(&Model, farebox_core::time::Date, farebox_core::Usd)> = models
            .iter()
            .filter(|m| m.provider == *maker && matches!(m.mode, Mode::Chat | Mode::Responses))
            .filter(|m| {
                let bare = m.id.rsplit('/').next().unwrap_or(&m.id).to_ascii_lowercase();
                let family = farebox_core::pricing::infer_provider(&bare);
                let maker_family = match *maker {
                    "gemini" => "google",
                    other => other,
                };
                family == maker_family && !VARIANTS.iter().any(|v| bare.contains(v)) && !dated_snapshot(&bare)
            })
            .filter_map(|m| {
                let output = m.prices.get(UsageKind::Output).filter(|p| !p.is_zero())?;
                m.prices.get(UsageKind::Input)?;
                Some((m, *first_seen.get(m.id.as_str())?, output))
            })
            .collect();
        let Some(newest) = candidates.iter().map(|c| c.1).max() else { continue };
        let mut recent: Vec<_> =
            candidates.into_iter().filter(|c| newest.days_since_epoch() - c.1.days_since_epoch() <= 120).collect();
        // Mainstream models are resold: Bedrock, Vertex, Azure, OpenRouter… list
        // them too. Special-purpose ones (a coding CLI's model) are not.
        if recent.iter().any(|c| copies(models, &c.0.id) >= 3) {
            recent.retain(|c| copies(models, &c.0.id) >= 3);
        }
        let pick = |dearest: bool| {
            recent
                .iter()
                .min_by(|a, b| {
                    let by_price = if dearest { b.2.cmp(&a.2) } else { a.2.cmp(&b.2) };
                    by_price.then(b.1.cmp(&a.1)).then(a.0.id.len().cmp(&b.0.id.len())).then(a.0.id.cmp(&b.0.id))
                })
                .map(|c| c.0.id.clone())
        };
        for id in [pick(true), pick(false)].into_iter().flatten() {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    println!("prices: featured (Compare's defaults): {}", out.join(" "));
    out
}

/// How many other entries name the model `id` names (its bare name at a
/// segment boundary: `bedrock/us.anthropic.claude-opus-5-v1:0`, `azure/gpt-6-sol`).
fn copies(models: &[Model], id: &str) -> usize {
    let bare = id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
    models
        .iter()
        .filter(|m| m.id != id)
        .filter(|m| {
            let other = m.id.to_ascii_lowercase();
            other.match_indices(&bare).any(|(at, _)| {
                let before = other[..at].chars().next_back();
                let after = other[at + bare.len()..].chars().next();
                matches!(before, None | Some('/' | '.')) && matches!(after, None | Some('-' | '@' | ':'))
            })
        })
        .count()
}

/// `-2025-08-07`, `-20250929`, `-0731`, `-09-2025`: a snapshot of a model that has an undated name.
fn dated_snapshot(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [.., y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => true,
        [.., m, y] if digits(m, 2) && digits(y, 4) => true,
        [.., last] => digits(last, 8) || digits(last, 4),
        [] => false,
    }
}

/// The history's last release prices every LiteLLM model of the table as the
/// table does: the history is made from the same release, slimmed.
fn check_history_ends_at_table(last: &[Model], table: &[Model]) -> Result<()> {
    let by_id: BTreeMap<&str, &Model> = last.iter().map(|m| (m.id.as_str(), m)).collect();
    for m in table.iter().filter(|m| m.source.starts_with("litellm")) {
        match by_id.get(m.id.as_str()) {
            Some(h) if h.prices == m.prices && h.tiers == m.tiers => {}
            _ => {
                return Err(
                    format!("the price history's last release does not price `{}` as the table does", m.id).into()
                )
            }
        }
    }
    Ok(())
}

/// First-party Anthropic models (provider `anthropic`) whose long-context
/// tiers or limits LiteLLM lists only on cloud copies of the same model.
///
/// LiteLLM writes the >200k-token prices (`input_cost_per_token_above_200k_tokens`,
/// ...) and `max_input_tokens` on some entries of a model and not on others:
/// `anthropic.claude-sonnet-4-5-20250929-v1:0` has the tier, `claude-sonnet-4-5-20250929`
/// does not; Langfuse's `claude-sonnet-4-20250514` has no limits at all. Priced at
/// the base rate, a 300k-token request to the first-party id is under-estimated
/// (and a budget can let it through), and its context shows as unknown.
///
/// A cloud copy is a model that core's own name resolution maps to the
/// first-party id by a normalising rewrite (provider prefix, Bedrock region
/// and `-v1:0`, Vertex's `@date`), with patterns left out. Only copies with
/// the first-party base prices (every kind both price, input and output
/// included) are used: the provider's long-context multiplier is then the
/// same, and their tiers are copied, never computed: a tier is the union of
/// the copies' prices for it (one copy may price a kind another does not);
/// copies that set a value differently leave it unfilled (printed). A kind
/// the model's base prices but no copy's tier does (Bedrock has no 1-hour
/// cache write) stays unpriced in that tier, reported as such by a cost
/// (the worker then refuses unless the policy allows unpriced usage) rather
/// than guessed. A model that already has a context-threshold tier keeps its
/// own tiers; copied ones go where the importer orders them (with a service
/// tier first, threshold alone last).
///
/// The filled model's `source` says what was copied and from which ids
/// (`litellm; above_200k tier, context_window from anthropic.claude-…-v1:0`),
/// so it is no longer compared as a plain LiteLLM entry.
pub(crate) fn fill_from_cloud_copies(models: &mut [Model], log: bool) -> Result<()> {
    let say = |line: String| {
        if log {
            println!("{line}");
        }
    };
    let first_party: Vec<usize> = (0..models.len()).filter(|&i| models[i].provider == "anthropic").collect();
    // The first-party ids alone, without patterns: a copy is what a rewrite finds.
    let mut firsts = PriceTable::empty();
    for &i in &first_party {
        firsts.add_model(Model { pattern: None, ..models[i].clone() })?;
    }
    let by_id: BTreeMap<String, usize> = first_party.iter().map(|&i| (models[i].id.to_ascii_lowercase(), i)).collect();
    let mut copies: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (j, m) in models.iter().enumerate() {
        if m.provider == "anthropic" || !m.id.to_ascii_lowercase().contains("claude") {
            continue;
        }
        if let Ok(found) = firsts.resolve(&m.id) {
            if let Resolution::Normalised { .. } = found.via {
                copies.entry(by_id[&found.model.id.to_ascii_lowercase()]).or_default().push(j);
            }
        }
    }

    let mut counts: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut fills = Vec::new();
    say(format!("prices: {} first-party Anthropic models, {} with cloud copies", first_party.len(), copies.len()));
    for &i in &first_party {
        let f = &models[i];
        let Some(cs) = copies.get(&i) else {
            counts.entry("no cloud copy").or_default().insert(f.id.clone());
            continue;
        };
        let mut donors = Vec::new();
        for &j in cs {
            let c = &models[j];
            let mut notes = Vec::new();
            let differing = base_differences(f, c);
            let same_base = differing.is_empty();
            if same_base {
                donors.push(j);
            } else {
                counts.entry("cloud copies with other base prices (not used)").or_default().insert(c.id.clone());
            }
            let (ft, ct) = (threshold_tier_names(f), threshold_tier_names(c));
            let only_copy: Vec<&str> = ct.iter().filter(|n| !ft.contains(n)).map(|n| n.as_str()).collect();
            let only_first: Vec<&str> = ft.iter().filter(|n| !ct.contains(n)).map(|n| n.as_str()).collect();
            if !only_copy.is_empty() {
                notes.push(format!("tiers only on the copy: {}", only_copy.join(" ")));
                let key = if same_base { "tier only on a same-price copy" } else { "tier only on an other-price copy" };
                counts.entry(key).or_default().insert(f.id.clone());
            }
            if !only_first.is_empty() {
                notes.push(format!("tiers missing on the copy: {}", only_first.join(" ")));
                counts.entry("tier missing on a copy (reverse)").or_default().insert(f.id.clone());
            }
            for (what, a, b) in [
                ("context_window", f.context_window, c.context_window),
                ("max_output_tokens", f.max_output_tokens, c.max_output_tokens),
            ] {
                match (a, b) {
                    (None, Some(v)) => {
                        notes.push(format!("{what} only on the copy ({v})"));
                        counts
                            .entry(if what == "context_window" {
                                "context_window only on a copy"
                            } else {
                                "max_output_tokens only on a copy"
                            })
                            .or_default()
                            .insert(f.id.clone());
                    }
                    (Some(v), None) => {
                        notes.push(format!("{what} missing on the copy ({v})"));
                        counts.entry("limit missing on a copy (reverse)").or_default().insert(f.id.clone());
                    }
                    (Some(x), Some(y)) if x != y => {
                        notes.push(format!("{what} {x} here, {y} on the copy"));
                        counts.entry("limit differs on a copy (kept)").or_default().insert(f.id.clone());
                    }
                    _ => {}
                }
            }
            if !notes.is_empty() {
                let base =
                    if same_base { String::new() } else { format!(", other base prices: {}", differing.join(", ")) };
                say(format!("prices: anthropic {} vs {} ({}{base}): {}", f.id, c.id, c.provider, notes.join("; ")));
            }
        }
        if let Some(fill) = fill_one(models, i, &donors) {
            fills.push((i, fill));
        }
    }
    for (what, ids) in &counts {
        let list = if ids.len() > 20 {
            String::new()
        } else {
            format!(": {}", ids.iter().cloned().collect::<Vec<_>>().join(" "))
        };
        say(format!("prices: first-party Anthropic: {what}: {}{list}", ids.len()));
    }
    for (i, (model, what)) in fills {
        say(format!("prices: filled {}: {what}", models[i].id));
        models[i] = model;
    }
    Ok(())
}

/// The base prices two models both set and set differently (input and output
/// compared even when only one sets them).
fn base_differences(a: &Model, b: &Model) -> Vec<String> {
    UsageKind::ALL
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (a.prices.get(k), b.prices.get(k));
            let compared = matches!(k, UsageKind::Input | UsageKind::Output) || (x.is_some() && y.is_some());
            (compared && x != y).then(|| format!("{k} {} vs {}", show(x), show(y)))
        })
        .collect()
}

fn show(price: Option<farebox_core::Usd>) -> String {
    price.map_or_else(|| "none".to_string(), |p| p.to_string())
}

fn is_threshold(tier: &Tier) -> bool {
    tier.when.iter().any(|c| matches!(c, Condition::Usage { .. }))
}

fn threshold_tier_names(m: &Model) -> Vec<String> {
    m.tiers.iter().filter(|t| is_threshold(t)).map(|t| t.name.clone()).collect()
}

/// First-party model `i` with what its same-price cloud copies `donors` add,
/// and a description of it; `None` when there is nothing to add.
fn fill_one(models: &[Model], i: usize, donors: &[usize]) -> Option<(Model, String)> {
    let mut model = models[i].clone();
    let mut what = Vec::new();
    let mut from = BTreeSet::new();
    if !model.tiers.iter().any(is_threshold) {
        // The union of the copies' threshold tiers; a price two copies set differently stops it.
        let mut merged: Vec<Tier> = Vec::new();
        let mut used = BTreeSet::new();
        let mut conflict = None;
        for &j in donors {
            for t in models[j].tiers.iter().filter(|t| is_threshold(t)) {
                used.insert(models[j].id.clone());
                let Some(m) = merged.iter_mut().find(|m| m.name == t.name) else {
                    merged.push(t.clone());
                    continue;
                };
                if m.when != t.when {
                    conflict = Some(format!("tier {} has other conditions on {}", t.name, models[j].id));
                }
                for (k, p) in t.prices.kinds() {
                    match m.prices.get(k) {
                        Some(q) if q != p => {
                            conflict = Some(format!("{} {k}: {q} on one copy, {p} on {}", t.name, models[j].id))
                        }
                        _ => m.prices.set(k, p),
                    }
                }
                for (k, p) in t.prices.others() {
                    match m.prices.get_other(k) {
                        Some(q) if q != p => {
                            conflict = Some(format!("{} {k}: {q} on one copy, {p} on {}", t.name, models[j].id))
                        }
                        _ => m.prices.set_other(k, p),
                    }
                }
            }
        }
        if let Some(c) = conflict {
            println!("prices: NOT filled {}: the cloud copies disagree: {c}", model.id);
        } else if !merged.is_empty() {
            for t in &merged {
                let unpriced: Vec<&str> =
                    model.prices.kinds().filter(|(k, _)| t.prices.get(*k).is_none()).map(|(k, _)| k.name()).collect();
                if !unpriced.is_empty() {
                    println!(
                        "prices: note {}: no copy prices {} in tier {} (unpriced there, not guessed)",
                        model.id,
                        unpriced.join(" "),
                        t.name
                    );
                }
                what.push(format!("{} tier", t.name));
            }
            // The importer's order: threshold with service tier, then service tier, then threshold.
            let (combined, plain): (Vec<Tier>, Vec<Tier>) =
                merged.into_iter().partition(|t| t.when.iter().any(|c| matches!(c, Condition::Param { .. })));
            model.tiers = combined.into_iter().chain(model.tiers).chain(plain).collect();
            from.extend(used);
        }
    }
    for (what_name, get) in [
        ("context_window", (|m: &Model| m.context_window) as fn(&Model) -> Option<u64>),
        ("max_output_tokens", |m: &Model| m.max_output_tokens),
    ] {
        if get(&model).is_some() {
            continue;
        }
        let values: BTreeMap<u64, Vec<&str>> =
            donors.iter().filter_map(|&j| get(&models[j]).map(|v| (v, j))).fold(BTreeMap::new(), |mut acc, (v, j)| {
                acc.entry(v).or_default().push(models[j].id.as_str());
                acc
            });
        match values.len() {
            0 => {}
            1 => {
                let (&v, ids) = values.iter().next().expect("one value");
                match what_name {
                    "context_window" => model.context_window = Some(v),
                    _ => model.max_output_tokens = Some(v),
                }
                what.push(what_name.to_string());
                from.extend(ids.iter().map(|s| s.to_string()));
            }
            _ => println!("prices: NOT filled {} {what_name}: the cloud copies disagree: {values:?}", model.id),
        }
    }
    if what.is_empty() {
        return None;
    }
    let what = format!("{} from {}", what.join(", "), from.into_iter().collect::<Vec<_>>().join(", "));
    model.source = format!("{}; {what}", model.source);
    Some((model, what))
}

/// The index of a farebox price file, as the Rust source that
/// `PriceTable::builtin` compiles in (`core/data/prices_index.rs`, written
/// beside `prices.json`): the snapshot, the sources (as JSON), where the
/// first model's JSON starts in `file` and, per model, its length, the bytes
/// to the next one, where its id's text starts in it and its length; the
/// models sorted by lower-cased id, the other lower-cased names (aliases)
/// sorted, and the models with a match pattern, in order.
///
/// The names and patterns are those of the file loaded as a user layer
/// (`PriceTable::load`: the same parsing, trimming and validation; each name
/// lower-cased, a later model taking a name over; patterns in definition
/// order), so a lookup in the index finds what a lookup in the loaded file
/// would (`tests::the_index_resolves_every_name_as_the_loaded_file_does`).
/// Two ids that are one name case-insensitively are refused (the later model
/// would replace the earlier and the spans would not match the models), and
/// so is an id written with escapes (its text cannot be sliced out of the JSON).
fn write_price_index(file: &str) -> Result<String> {
    use std::fmt::Write;

    let too_large = |what: &str| format!("{what} is too large for the index");
    let mut loaded = PriceTable::empty();
    loaded.load(file.as_bytes(), PriceFileFormat::Farebox)?;
    let models = loaded.user_models();
    // The file again, each model as its exact JSON text: its position in `file` is its span.
    let top: BTreeMap<&str, &RawValue> = serde_json::from_str(file)?;
    let field = |name: &str| top.get(name).copied().ok_or_else(|| format!("the price file has no `{name}`"));
    let snapshot: String = serde_json::from_str(field("snapshot")?.get())?;
    let sources: Vec<Source> = serde_json::from_str(field("sources")?.get())?;
    let raw_models: Vec<&RawValue> = serde_json::from_str(field("models")?.get())?;
    if models.len() != raw_models.len() {
        return Err("two models share an id (case-insensitively)".into());
    }
    let offset = |text: &str| text.as_ptr() as usize - file.as_ptr() as usize;

    let mut out = String::from(
        "// Generated by `cargo xtask prices` (write_price_index in xtask/src/prices.rs)\n\
         // from prices.json, which it indexes: do not edit.\n",
    );
    let _ = writeln!(out, "pub(super) const SNAPSHOT: &str = {snapshot:?};");
    let _ = writeln!(out, "pub(super) const SOURCES: &str = {:?};", serde_json::to_string(&sources)?);
    let featured: Vec<String> = match top.get("featured") {
        Some(list) => serde_json::from_str(list.get())?,
        None => Vec::new(),
    };
    let _ = writeln!(out, "pub(super) static FEATURED: &[&str] = &{featured:?};");
    let first = raw_models.first().map_or(0, |m| offset(m.get()));
    let _ =
        writeln!(out, "pub(super) const FIRST: u32 = {};", u32::try_from(first).map_err(|_| too_large("the file"))?);
    out.push_str("pub(super) static MODELS: &[(u16, u8, u8, u8)] = &[\n");
    for (i, text) in raw_models.iter().map(|m| m.get()).enumerate() {
        let (start, end) = (offset(text), offset(text) + text.len());
        let next = raw_models.get(i + 1).map_or(end, |m| offset(m.get()));
        let fields: BTreeMap<&str, &RawValue> = serde_json::from_str(text)?;
        let id = fields.get("id").map(|id| id.get()).ok_or_else(|| format!("model #{i} has no id"))?;
        let id = match id.strip_prefix('"').and_then(|id| id.strip_suffix('"')) {
            Some(id) if !id.contains('\\') => id.trim(),
            _ => return Err(format!("model #{i}: the id {id} is not a string without escapes").into()),
        };
        let name = || format!("model `{id}`");
        let id_at = u8::try_from(offset(id) - start).map_err(|_| too_large(&name()))?;
        let id_len = u8::try_from(id.len()).map_err(|_| too_large(&format!("{}'s id", name())))?;
        let len = u16::try_from(text.len()).map_err(|_| too_large(&name()))?;
        let gap = u8::try_from(next - end).map_err(|_| too_large(&format!("the space after {}", name())))?;
        let _ = write!(out, "{}({len}, {gap}, {id_at}, {id_len}),", if i % 8 == 0 { "    " } else { "" });
        out.push(if i % 8 == 7 { '\n' } else { ' ' });
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let index = |i: usize| u16::try_from(i).map_err(|_| too_large("the number of models"));
    // Lower-cased id and aliases → model, a later model taking a name over.
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, m) in models.iter().enumerate() {
        for name in std::iter::once(&m.id).chain(&m.aliases) {
            names.insert(name.to_ascii_lowercase(), i);
        }
    }
    let (mut by_id, mut aliases) = (Vec::new(), Vec::new());
    for (name, &i) in &names {
        if *name == models[i].id.to_ascii_lowercase() {
            by_id.push(index(i)?);
        } else {
            aliases.push((name, index(i)?));
        }
    }
    out.push_str("];\npub(super) static BY_ID: &[u16] = &[\n");
    for chunk in by_id.chunks(16) {
        let line: Vec<String> = chunk.iter().map(u16::to_string).collect();
        let _ = writeln!(out, "    {},", line.join(", "));
    }
    out.push_str("];\npub(super) static ALIASES: &[(&str, u16)] = &[\n");
    for (name, i) in aliases {
        let _ = writeln!(out, "    ({name:?}, {i}),");
    }
    out.push_str("];\npub(super) static PATTERNS: &[(u16, &str)] = &[\n");
    for (i, m) in models.iter().enumerate() {
        if let Some(pattern) = &m.pattern {
            let _ = writeln!(out, "    ({}, {pattern:?}),", index(i)?);
        }
    }
    out.push_str("];\n");
    Ok(out)
}

/// The data file records exactly which bytes it came from.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILTIN: &str = include_str!("../../core/data/prices.json");

    #[test]
    fn the_compiled_in_index_is_that_of_the_compiled_in_table() {
        let index = write_price_index(BUILTIN).unwrap();
        assert!(index == include_str!("../../core/data/prices_index.rs"), "stale index: run `cargo xtask prices`");
    }

    /// The index derives names and patterns itself (core's layer is
    /// private): the built-in table, looked up through it, must resolve every
    /// id, alias and pattern-matched name as the same file loaded does.
    #[test]
    fn the_index_resolves_every_name_as_the_loaded_file_does() {
        let builtin = PriceTable::builtin();
        let mut loaded = PriceTable::empty();
        loaded.load(BUILTIN.as_bytes(), PriceFileFormat::Farebox).unwrap();
        let mut names = 0;
        for m in loaded.user_models() {
            // For a model with a pattern, a name only patterns can match too:
            // its id with a suffix no id or alias has.
            let suffixed = m.pattern.as_ref().map(|_| format!("{}-farebox-test", m.id));
            for name in std::iter::once(&m.id).chain(&m.aliases).chain(&suffixed) {
                for name in [name.clone(), name.to_ascii_uppercase()] {
                    let (a, b) = (builtin.resolve(&name), loaded.resolve(&name));
                    match (a, b) {
                        (Ok(a), Ok(b)) => assert_eq!((&a.model.id, &a.via), (&b.model.id, &b.via), "{name}"),
                        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
                        (a, b) => panic!("{name}: built-in {:?}, loaded {:?}", a.map(|r| r.via), b.map(|r| r.via)),
                    }
                    names += 1;
                }
            }
        }
        assert!(names > 4000, "{names}");
    }

    #[test]
    fn the_index_names_what_loading_names() {
        let usd = |s: &str| farebox_core::Usd::parse(s).unwrap();
        let big = Model::simple("Acme-Big", usd("0.000001"), usd("0.000002"), false);
        // A later model's alias takes a name over, as `load` does.
        let mut small = Model::simple("acme-small", usd("0.000001"), usd("0.000002"), false);
        small.aliases = vec![String::from("ACME-BIG"), String::from(" small ")];
        let index = write_price_index(&write_price_file(&[big.clone(), small], "2026-01-01", &[], &[])).unwrap();
        assert!(index.contains("BY_ID: &[u16] = &[\n    1,\n];"), "{index}");
        assert!(
            index.contains("ALIASES: &[(&str, u16)] = &[\n    (\"acme-big\", 1),\n    (\"small\", 1),\n];"),
            "{index}"
        );
        // Patterns in definition order: the first that matches wins, as in `load`.
        let patterned =
            |id: &str, pattern: &str| Model { id: id.to_string(), pattern: Some(pattern.to_string()), ..big.clone() };
        let file = write_price_file(&[patterned("z", "^acme-"), big.clone(), patterned("a", "^acme")], "", &[], &[]);
        let index = write_price_index(&file).unwrap();
        assert!(
            index.contains("PATTERNS: &[(u16, &str)] = &[\n    (0, \"^acme-\"),\n    (2, \"^acme\"),\n];"),
            "{index}"
        );
        // Two ids one name, or an id the index cannot slice out of the JSON: refused.
        let twice =
            write_price_file(&[big.clone(), Model { id: String::from("acme-big"), ..big.clone() }], "", &[], &[]);
        assert!(write_price_index(&twice).is_err());
        let escaped = write_price_file(&[Model { id: String::from("acme\"big"), ..big }], "", &[], &[]);
        assert!(write_price_index(&escaped).is_err());
    }

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
