//! `cargo xtask estimates [--check]`: derives `core/data/estimate_ratios.json`
//! from the calibration in `tests/calibration/calibration.json` (see its
//! README for how that is measured and reproduced).
//!
//! The estimator multiplies an o200k_base count by a ratio. It cannot know a
//! text's category, but it can see its script, so the calibration's
//! categories are folded into three bands per family: `ascii` (prose, code, chat,
//! JSON), `cjk`, and `other` (other scripts, emoji). The synthetic `whitespace`
//! and `edge` stress files are left out: they are built to break pre-tokenizers
//! (the code categories already measure real indentation), and their extremes
//! would widen every prose bound several-fold. A band's
//! ratio is the median of its categories' recommended ratios; its bound runs
//! from the lowest recommended low to the highest recommended high. The
//! `generic` family (models with no calibrated tokenizer) takes, per band,
//! the median ratio and the widest bound over all families.

use std::fs;

use serde_json::{json, Map, Value};

use crate::Result;

const BANDS: &[(&str, &[&str])] = &[
    ("ascii", &["prose-en", "code-rust", "code-python", "code-js", "json", "chat"]),
    ("cjk", &["cjk"]),
    ("other", &["multilingual", "emoji"]),
];
const FAMILIES: &[&str] = &["claude", "claude_4_7", "gemini", "llama3", "mistral"];

pub fn run(args: &[String]) -> Result<()> {
    crate::generated::run("estimates", args, || {
        let path = crate::cmd::repo_root().join("tests/calibration/calibration.json");
        let calibration: Value = serde_json::from_str(&fs::read_to_string(path)?)?;
        let generated = serde_json::to_string_pretty(&derive(&calibration)?)? + "\n";
        Ok(vec![("core/data/estimate_ratios.json".to_string(), generated.into_bytes())])
    })
}

/// Ten-thousandths from a 4-decimal string, and back.
fn units(s: &Value) -> Result<u64> {
    let s = s.as_str().ok_or("a ratio is not a string")?;
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    Ok(int.parse::<u64>()? * 10_000 + format!("{frac:0<4}")[..4].parse::<u64>()?)
}

fn text(u: u64) -> String {
    format!("{}.{:04}", u / 10_000, u % 10_000)
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn derive(calibration: &Value) -> Result<Value> {
    let mut families = Map::new();
    let mut per_band: Vec<(Vec<u64>, u64, u64)> = vec![(Vec::new(), u64::MAX, 0); BANDS.len()];
    for family in FAMILIES {
        let recommended = &calibration["families"][family]["recommended"];
        let mut bands = Map::new();
        for (b, (band, categories)) in BANDS.iter().enumerate() {
            let (mut ratios, mut low, mut high) = (Vec::new(), u64::MAX, 0);
            for c in *categories {
                let r = &recommended[c];
                ratios.push(units(&r["ratio"])?);
                low = low.min(units(&r["low"])?);
                high = high.max(units(&r["high"])?);
            }
            let ratio = median(ratios);
            per_band[b].0.push(ratio);
            per_band[b].1 = per_band[b].1.min(low);
            per_band[b].2 = per_band[b].2.max(high);
            bands.insert(band.to_string(), json!({"ratio": text(ratio), "low": text(low), "high": text(high)}));
        }
        let calibrated_with = calibration["families"][family]["calibrated_with"].clone();
        if !calibrated_with.is_string() {
            return Err(
                format!("calibration.json: family `{family}` says nothing of what it was calibrated with").into()
            );
        }
        families.insert(family.to_string(), json!({"calibrated_with": calibrated_with, "bands": bands}));
    }
    let mut generic = Map::new();
    for (b, (band, _)) in BANDS.iter().enumerate() {
        let (ratios, low, high) = per_band[b].clone();
        generic.insert(band.to_string(), json!({"ratio": text(median(ratios)), "low": text(low), "high": text(high)}));
    }
    families.insert("generic".into(), json!({"calibrated_with": "all families", "bands": generic}));
    Ok(json!({
        "source": "tests/calibration/calibration.json",
        "date": calibration["date"],
        "families": families,
    }))
}
