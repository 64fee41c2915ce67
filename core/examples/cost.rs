//! The cost of a finished LLM call, from the provider's own usage object.
//!
//! ```text
//! echo '{"prompt_tokens":10000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":4000}}' \
//!   | cargo run -p farebox-core --example cost -- --model gpt-4o
//! cargo run -p farebox-core --example cost -- --sample
//! ```
//!
//! Reads from stdin a usage object or a whole response body (which names its
//! model) and prints what the call cost — or a request body (`messages`,
//! `input`, `contents`) and prints what it will cost, before it is sent. Options: `--model NAME`, `--format openai_chat|openai_responses|
//! anthropic|gemini|langfuse`, `--service-tier batch|flex|priority`,
//! `--prices FILE` (a LiteLLM, Langfuse or farebox price file whose
//! definitions beat the built-in ones), `--sample` (a built-in example).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use farebox_core::estimate::{estimate, Estimate, EstimateOptions};
use farebox_core::tokens::Tokenizers;
use farebox_core::{Cost, CostOptions, PriceFileFormat, PriceTable, UsageFormat};

const SAMPLE: &str = r#"{"model":"claude-sonnet-4-5","type":"message",
  "usage":{"input_tokens":1500,"output_tokens":1000,"cache_read_input_tokens":0}}"#;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut model = None;
    let mut format = None;
    let mut options = CostOptions::default();
    let mut sample = false;
    let mut table = PriceTable::builtin();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--model" => model = Some(value()?),
            "--format" => {
                let name = value()?;
                format = Some(UsageFormat::from_name(&name).ok_or_else(|| format!("unknown usage format `{name}`"))?);
            }
            "--service-tier" => options = CostOptions::service_tier(&value()?),
            "--prices" => {
                let path = value()?;
                let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
                let report = table.load(&bytes, PriceFileFormat::Auto)?;
                eprintln!(
                    "loaded {} models from {path} ({:?}), skipped {}",
                    report.loaded,
                    report.format,
                    report.skipped.len()
                );
            }
            "--sample" => sample = true,
            "-h" | "--help" => {
                println!("usage: cost [--model NAME] [--format FORMAT] [--service-tier TIER] [--prices FILE] [--sample] < usage.json");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}` (try --help)").into()),
        }
    }
    let input = if sample || std::io::stdin().is_terminal() {
        eprintln!("(no usage on stdin: costing the built-in sample)");
        SAMPLE.as_bytes().to_vec()
    } else {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        buf
    };
    let is_request = serde_json::from_slice::<serde_json::Value>(&input)
        .ok()
        .and_then(|v| v.as_object().map(|o| ["messages", "input", "contents"].iter().any(|k| o.contains_key(*k))))
        .unwrap_or(false);
    if is_request {
        let opts = EstimateOptions { model, cost: options, ..EstimateOptions::default() };
        print_estimate(&estimate(&table, &Tokenizers::embedded(), &input, &opts)?);
    } else {
        print_cost(&table.cost_of_usage_json(model.as_deref(), &input, format, &options)?);
    }
    Ok(())
}

fn print_estimate(e: &Estimate) {
    let t = e.input_tokens;
    let count = if t.exact {
        format!("{} (exact, {})", t.tokens, e.method)
    } else {
        format!("{} ({}–{}; {})", t.tokens, t.low, t.high, e.method)
    };
    println!("model          {} ({})", e.model, e.provider);
    println!("input tokens   {count}");
    println!("output up to   {} ({:?})", e.max_output_tokens, e.output_limit);
    println!("-- minimum: input only");
    print_cost(&e.min_cost);
    println!("-- maximum: input and the whole output allowance");
    print_cost(&e.max_cost);
}

fn print_cost(cost: &Cost) {
    println!("model     {} ({}), tier {}", cost.model, cost.provider, cost.tier);
    for line in &cost.lines {
        let note = line.priced_as.map(|k| format!("  (at the {k} price)")).unwrap_or_default();
        println!(
            "{:<18} {:>12} × ${:<22} = ${}{note}",
            line.kind,
            line.quantity,
            line.unit_price.to_string(),
            line.amount
        );
    }
    for u in &cost.unpriced {
        println!("{:<18} {:>12}   no price for this kind: not included", u.kind, u.quantity);
    }
    let bound = if cost.complete { "" } else { "  (lower bound: some usage is unpriced)" };
    println!("total     ${}{bound}", cost.total);
}
