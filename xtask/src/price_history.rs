//! The built-in price history (`core/data/price_history.json`) and
//! `cargo xtask prices --update`.
//!
//! LiteLLM keeps only the latest price of a model; its releases on PyPI each
//! package the table as it was (`litellm/model_prices_and_context_window_backup.json`
//! in the wheel). One release per month — the last of the month on the main
//! line (a version above every earlier upload: back-ported patch releases of
//! older lines carry older prices and would read as price changes) — dates
//! each price by the first sampled release that listed it.
//!
//! The repository must build and test offline, so what the history is made
//! from is vendored as `vendor/price-tables/litellm-history.jsonl`: one line
//! per sampled release with the in-scope entries that changed since the
//! previous line (their price fields, `mode` and `litellm_provider`, as the
//! release wrote them) and the ids it no longer lists. Replaying the lines
//! rebuilds each release's table, which core's own LiteLLM importer prices;
//! a model gets a new period whenever its prices or tiers differ from the
//! previous release's. The last line is the release vendored in full
//! (its table's SHA-256 is checked), from which the current table is made.
//!
//! `--update` (needs the registry) reads PyPI's index of litellm, downloads
//! each wheel the history lacks (SHA-256 checked against the index), appends
//! its line, replaces the vendored full table with the newest release's, and
//! the generator then prints what changed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use farebox_core::pricing::{Model, Source};
use farebox_core::time::Date;
use farebox_core::{PriceFileFormat, PriceTable};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cmd::Cmd;
use crate::prices::sha256_hex;
use crate::Result;

pub const HISTORY_SOURCE: &str = "litellm-history.jsonl";
const INDEX_URL: &str = "https://pypi.org/pypi/litellm/json";
const TABLE_IN_WHEEL: &str = "litellm/model_prices_and_context_window_backup.json";

/// One sampled release: what changed in scope since the previous line.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseDelta {
    pub version: String,
    /// Upload day of its first wheel, from the registry's index.
    pub date: Date,
    pub wheel_sha256: String,
    /// SHA-256 of the packaged table, whole.
    pub table_sha256: String,
    /// In-scope entries added or changed (price fields, mode, provider).
    pub changed: BTreeMap<String, Value>,
    /// In-scope ids no longer listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// The fields of a LiteLLM entry that bear on its price.
fn slim(entry: &Value) -> Option<Value> {
    let fields = entry.as_object()?;
    let kept: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| k.contains("cost") || k.contains("pricing") || *k == "mode" || *k == "litellm_provider")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Value::Object(kept))
}

/// The in-scope entries of a whole LiteLLM table, slimmed.
fn in_scope_entries(table: &[u8]) -> Result<BTreeMap<String, Value>> {
    let all: Map<String, Value> = serde_json::from_slice(table)?;
    Ok(all
        .iter()
        .filter(|(id, _)| super::prices::in_scope(id))
        .filter_map(|(id, e)| Some((id.clone(), slim(e)?)))
        .collect())
}

pub fn read_deltas(vendor: &Path) -> Result<Vec<ReleaseDelta>> {
    let path = vendor.join(HISTORY_SOURCE);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1).into()))
        .collect()
}

/// Each release's in-scope entries, replayed from the deltas.
fn replay(deltas: &[ReleaseDelta]) -> impl Iterator<Item = (&ReleaseDelta, BTreeMap<String, Value>)> {
    let mut state = BTreeMap::new();
    deltas.iter().map(move |d| {
        for id in &d.removed {
            state.remove(id);
        }
        state.extend(d.changed.iter().map(|(k, v)| (k.clone(), v.clone())));
        (d, state.clone())
    })
}

/// Prices one release's entries with core's importer. An entry today's
/// importer refuses (old releases hold a few odd ones) is left out and named.
fn models_of(version: &str, entries: &BTreeMap<String, Value>) -> Result<Vec<Model>> {
    let mut table = PriceTable::empty();
    if table.load(&serde_json::to_vec(entries)?, PriceFileFormat::LiteLlm).is_ok() {
        return Ok(table.user_models().to_vec());
    }
    for (id, entry) in entries {
        let one = serde_json::to_vec(&Map::from_iter([(id.clone(), entry.clone())]))?;
        if let Err(e) = table.load(&one, PriceFileFormat::LiteLlm) {
            println!("prices: history: litellm {version}: `{id}` left out: {e}");
        }
    }
    Ok(table.user_models().to_vec())
}

/// The history of every model over the sampled releases, as the history
/// file writes it (core's `parse_history`): the releases as sources, and a
/// period per model and change (`since` the release that first listed it;
/// an entry without prices the day a release no longer listed it), ordered
/// by id, then day. The last release's models are returned too, for the
/// check against the current table.
pub fn build(deltas: &[ReleaseDelta]) -> Result<(Vec<Source>, Vec<Model>, Vec<Model>)> {
    let sources: Vec<Source> = deltas
        .iter()
        .map(|d| Source {
            name: "litellm".into(),
            origin: format!("PyPI litellm=={}: litellm/model_prices_and_context_window_backup.json", d.version),
            version: d.version.clone(),
            date: d.date.to_string(),
            sha256: d.table_sha256.clone(),
        })
        .collect();
    let mut periods: BTreeMap<String, Vec<Model>> = BTreeMap::new();
    let mut last = Vec::new();
    for (delta, entries) in replay(deltas) {
        let mut models = models_of(&delta.version, &entries)?;
        super::prices::fill_from_cloud_copies(&mut models, false)?;
        let seen = format!("litellm {}", delta.version);
        let mut present = BTreeSet::new();
        for m in &models {
            present.insert(m.id.clone());
            let list = periods.entry(m.id.clone()).or_default();
            let listed = |p: &Model| !(p.prices.is_empty() && p.tiers.is_empty());
            let same = list.last().is_some_and(|p| listed(p) && p.prices == m.prices && p.tiers == m.tiers);
            if !same {
                list.push(Model { since: Some(delta.date), source: seen.clone(), ..period_of(m) });
            }
        }
        for (id, list) in periods.iter_mut() {
            let still_listed = list.last().is_some_and(|p| !(p.prices.is_empty() && p.tiers.is_empty()));
            if !present.contains(id) && still_listed {
                let gone = Model { prices: Default::default(), tiers: Vec::new(), ..list[list.len() - 1].clone() };
                list.push(Model { since: Some(delta.date), source: seen.clone(), ..gone });
            }
        }
        last = models;
    }
    Ok((sources, periods.into_values().flatten().collect(), last))
}

/// A model as one period of its history: its identity and prices, without
/// what does not change with a price (limits, names, patterns).
fn period_of(m: &Model) -> Model {
    Model { aliases: Vec::new(), pattern: None, context_window: None, max_output_tokens: None, ..m.clone() }
}

/// A release of the index that may be sampled.
struct Candidate {
    version: Vec<u64>,
    name: String,
    uploaded: String,
    url: String,
    sha256: String,
}

/// The last main-line stable release of each month, oldest first.
fn monthly_main_line(index: &Value) -> Result<Vec<Candidate>> {
    let releases = index["releases"].as_object().ok_or("the PyPI index has no releases")?;
    let mut all = Vec::new();
    for (name, files) in releases {
        let Some(version) = stable_version(name) else {
            continue; // pre-releases: 1.84.0.dev1, 1.88.0rc1
        };
        let wheels = files
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["packagetype"] == "bdist_wheel" && !f["yanked"].as_bool().unwrap_or(false));
        let Some(first) = wheels.min_by_key(|f| f["upload_time_iso_8601"].as_str().unwrap_or_default().to_string())
        else {
            continue;
        };
        let field = |k: &str| first[k].as_str().map(str::to_string).ok_or_else(|| format!("{name}: no {k}"));
        all.push(Candidate {
            version,
            name: name.clone(),
            uploaded: field("upload_time_iso_8601")?,
            url: absolute(&field("url")?),
            sha256: first["digests"]["sha256"].as_str().ok_or("no sha256")?.to_string(),
        });
    }
    all.sort_by(|a, b| a.uploaded.cmp(&b.uploaded));
    let mut by_month: BTreeMap<String, Candidate> = BTreeMap::new();
    let mut highest: Vec<u64> = Vec::new();
    for c in all {
        if c.version > highest {
            highest = c.version.clone();
            by_month.insert(c.uploaded[..7].to_string(), c);
        }
    }
    Ok(by_month.into_values().collect())
}

/// The index may give file URLs relative to itself (`../../packages/…`).
fn absolute(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        return url.to_string();
    }
    let mut base: Vec<&str> = INDEX_URL.split('/').collect();
    base.pop(); // the document
    let mut rest = url;
    while let Some(r) = rest.strip_prefix("../") {
        base.pop();
        rest = r;
    }
    format!("{}/{rest}", base.join("/"))
}

/// `cargo xtask prices --update`: appends the releases the history lacks and
/// vendors the newest release's table. Returns the versions added.
pub fn update(vendor: &Path, litellm_file: &str) -> Result<Vec<String>> {
    let cache: PathBuf = crate::cmd::repo_root().join("target/litellm-wheels");
    fs::create_dir_all(&cache)?;
    let index_path = cache.join("index.json");
    Cmd::new("curl").args(["-fsSL", "--retry", "3", "-o"]).arg(&index_path).arg(INDEX_URL).run()?;
    let index: Value = serde_json::from_slice(&fs::read(&index_path)?)?;
    let candidates = monthly_main_line(&index)?;
    let mut deltas = if vendor.join(HISTORY_SOURCE).exists() { read_deltas(vendor)? } else { Vec::new() };
    let newest_known = deltas.last().and_then(|d| stable_version(&d.version));
    let mut state: BTreeMap<String, Value> = replay(&deltas).last().map(|(_, s)| s).unwrap_or_default();
    let mut added = Vec::new();
    let mut newest_table = None;
    for c in candidates.iter().filter(|c| newest_known.as_ref().is_none_or(|n| c.version > *n)) {
        let wheel = cache.join(format!("litellm-{}.whl", c.name));
        if !wheel.exists() || sha256_hex(&fs::read(&wheel)?) != c.sha256 {
            println!("prices: downloading litellm {} ({})", c.name, &c.uploaded[..10]);
            Cmd::new("curl").args(["-fsSL", "--retry", "3", "-o"]).arg(&wheel).arg(&c.url).run()?;
        }
        let bytes = fs::read(&wheel)?;
        if sha256_hex(&bytes) != c.sha256 {
            return Err(format!("litellm {}: the wheel's SHA-256 is not the index's", c.name).into());
        }
        let table = match unzip_entry(&wheel, TABLE_IN_WHEEL) {
            Ok(table) if !table.is_empty() => table,
            _ => {
                println!(
                    "prices: litellm {} packages no price table ({TABLE_IN_WHEEL}): month {} not sampled",
                    c.name,
                    &c.uploaded[..7]
                );
                continue;
            }
        };
        let entries = in_scope_entries(&table)?;
        let changed =
            entries.iter().filter(|(k, v)| state.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        let removed = state.keys().filter(|k| !entries.contains_key(*k)).cloned().collect();
        deltas.push(ReleaseDelta {
            version: c.name.clone(),
            date: Date::parse(&c.uploaded)?,
            wheel_sha256: c.sha256.clone(),
            table_sha256: sha256_hex(&table),
            changed,
            removed,
        });
        state = entries;
        added.push(c.name.clone());
        newest_table = Some(table);
    }
    if let Some(table) = newest_table {
        fs::write(vendor.join(litellm_file), table)?;
        let mut out = String::new();
        for d in &deltas {
            out.push_str(&serde_json::to_string(d)?);
            out.push('\n');
        }
        fs::write(vendor.join(HISTORY_SOURCE), out)?;
    }
    Ok(added)
}

/// `1.110.2` → `[1, 110, 2]`; `None` for a pre-release (`1.88.0rc1`).
fn stable_version(v: &str) -> Option<Vec<u64>> {
    v.split('.').map(|part| part.parse().ok()).collect()
}

fn unzip_entry(archive: &Path, entry: &str) -> Result<Vec<u8>> {
    let out = std::process::Command::new("unzip").arg("-p").arg(archive).arg(entry).output()?;
    if !out.status.success() {
        return Err(format!("unzip {}: no {entry}", archive.display()).into());
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_index_urls_resolve_against_the_index() {
        assert_eq!(absolute("../../packages/packages/ab/x.whl"), "https://pypi.org/packages/packages/ab/x.whl");
        assert_eq!(absolute("https://files.example/x.whl"), "https://files.example/x.whl");
    }

    #[test]
    fn the_main_line_skips_back_ports_and_pre_releases() {
        let wheel = |t: &str| serde_json::json!([{"packagetype":"bdist_wheel","upload_time_iso_8601":t,"url":"u","digests":{"sha256":"s"}}]);
        let index = serde_json::json!({"releases": {
            "1.9.0": wheel("2025-01-03T00:00:00Z"),
            "1.10.0": wheel("2025-01-20T00:00:00Z"),
            "1.9.1": wheel("2025-01-25T00:00:00Z"),
            "1.11.0rc1": wheel("2025-02-01T00:00:00Z"),
            "1.11.0": wheel("2025-02-10T00:00:00Z"),
        }});
        let picked: Vec<String> = monthly_main_line(&index).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(picked, ["1.10.0", "1.11.0"]);
    }

    #[test]
    fn slimming_keeps_what_prices_a_model() {
        let e = serde_json::json!({"input_cost_per_token": 1e-6, "max_tokens": 9, "mode": "chat", "litellm_provider": "openai", "supports_vision": true, "tiered_pricing": []});
        let s = slim(&e).unwrap();
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["input_cost_per_token", "litellm_provider", "mode", "tiered_pricing"]);
    }
}
