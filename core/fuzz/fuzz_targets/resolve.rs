//! Fuzzes `PriceTable::resolve` on the built-in table with arbitrary UTF-8
//! model names.
//!
//! Checks: resolving never panics (an `UnknownModel` error is fine) and takes
//! no pathological time on long or odd names (the rewrites, the name index,
//! the match patterns, the "did you mean" suggestions); run with libFuzzer's
//! `-timeout` to catch the latter.
#![no_main]

use std::sync::OnceLock;

use farebox_core::PriceTable;
use libfuzzer_sys::fuzz_target;

fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(PriceTable::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = table().resolve(s);
});
