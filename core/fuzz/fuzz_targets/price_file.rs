//! Fuzzes `PriceTable::load` on arbitrary bytes, in every `PriceFileFormat`
//! (`Auto`, then `LiteLlm`, `Langfuse` and `Farebox` explicitly).
//!
//! Checks: loading never panics; when a load succeeds, every loaded model
//! (`table.user_models()`) resolves by its own id, and pricing a small usage
//! on it never panics and, when it returns `Ok`, its `total` is exactly the
//! sum of its lines' `amount`s.
#![no_main]

use farebox_core::{CostOptions, PriceFileFormat, PriceTable, Usage, UsageKind, Usd};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [PriceFileFormat::Auto, PriceFileFormat::LiteLlm, PriceFileFormat::Langfuse, PriceFileFormat::Farebox]
    {
        check(data, format);
    }
});

fn check(data: &[u8], format: PriceFileFormat) {
    let mut table = PriceTable::empty();
    if table.load(data, format).is_err() {
        return;
    }
    let usage = Usage::new().with(UsageKind::Input, 1000).with(UsageKind::Output, 100).with(UsageKind::CacheRead, 10);
    let options = CostOptions::default();
    for model in table.user_models() {
        if let Err(e) = table.resolve(&model.id) {
            panic!("{format:?}: loaded model {:?} does not resolve by its own id: {e}", model.id);
        }
        if let Ok(cost) = table.cost(&model.id, &usage, &options) {
            let sum = cost
                .lines
                .iter()
                .try_fold(Usd::ZERO, |a, l| a.checked_add(l.amount))
                .unwrap_or_else(|e| panic!("{format:?}: model {:?}: lines overflow when summed ({e}) but cost is Ok", model.id));
            assert_eq!(cost.total, sum, "{format:?}: model {:?}: total is not the sum of the lines", model.id);
        }
    }
}
