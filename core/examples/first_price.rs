//! What a fresh process (an edge worker's new isolate) pays to price its
//! first call from the built-in table: make the table, resolve one model,
//! price one usage. Profiled in docs/PERFORMANCE.md:
//!
//! ```sh
//! cargo build --release -p farebox-core --example first_price
//! valgrind --tool=callgrind target/release/examples/first_price
//! ```

use farebox_core::{CostOptions, PriceTable, Usage, UsageKind};

fn main() {
    let table = PriceTable::builtin();
    let usage = Usage::new().with(UsageKind::Input, 1200).with(UsageKind::Output, 300);
    let cost = table.cost("gpt-4o", &usage, &CostOptions::default()).expect("gpt-4o is in the built-in table");
    println!("gpt-4o, 1200 in / 300 out: ${}", cost.total);
}
