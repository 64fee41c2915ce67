//! Reads a JSON array of strings on stdin and writes the JSON array of their
//! token counts under ah-ah-ah's Claude backend (greedy longest match over
//! 38,360 Claude 3+ tokens recovered from Anthropic's `count_tokens`; an
//! unmatched byte counts one token), the text alone as `calibrate.mjs`
//! counts every tokenizer: no markdown decomposition, no budget.

use std::io::{Read, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let samples: Vec<String> = serde_json::from_str(&input)?;
    let counts: Vec<usize> = samples
        .iter()
        .map(|text| ah_ah_ah::count_tokens(text, None, ah_ah_ah::Backend::Claude, None).count)
        .collect();
    std::io::stdout().write_all(serde_json::to_string(&counts)?.as_bytes())?;
    Ok(())
}
