//! Cross-crate tests live in `tests/tests/`; this library holds the
//! fixtures several of them share, each built once per test binary.

pub mod references;

use std::sync::OnceLock;

use farebox_core::tokens::Tokenizers;
use farebox_core::PriceTable;

/// The text of `tests/corpus/<name>` (the file name, extension included).
pub fn corpus(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The built-in price table.
pub fn prices() -> &'static PriceTable {
    static T: OnceLock<PriceTable> = OnceLock::new();
    T.get_or_init(PriceTable::builtin)
}

/// Every vocabulary core ships, loaded on first use.
pub fn tokenizers() -> &'static Tokenizers {
    static T: OnceLock<Tokenizers> = OnceLock::new();
    T.get_or_init(Tokenizers::embedded)
}

/// The built-in price table with its history loaded.
pub fn dated_prices() -> &'static PriceTable {
    static T: OnceLock<PriceTable> = OnceLock::new();
    T.get_or_init(|| {
        let mut table = PriceTable::builtin();
        table.load_history(include_bytes!("../../core/data/price_history.json")).expect("the committed history loads");
        table
    })
}
