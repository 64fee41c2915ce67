//! A deterministic Langfuse observations export (JSON Lines) of a chosen
//! size: varied models (one unknown, one Bedrock regional id), 5,000 users,
//! ~50,000 sessions, 28 days, tags, metadata, prompts of 10–50 words,
//! `usageDetails` with cached and reasoning tokens, `costDetails`. Shared by
//! the `traces` benchmark and the `trace_export` example (which writes it to
//! a file for the web app's import measurement).

/// xorshift64*: small, deterministic, good enough to vary a fixture.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MODELS: [&str; 8] = [
    "gpt-4o",
    "gpt-4o-mini",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "gemini-2.5-pro",
    "o3",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "acme-internal-llm",
];
const NAMES: [&str; 5] = ["plan", "answer", "summarise", "classify", "embed-query"];
const WORDS: [&str; 12] =
    ["the", "invoice", "customer", "asked", "about", "refund", "policy", "for", "order", "shipped", "late", "again"];

/// One observation line of about 400–700 bytes.
fn line(rng: &mut Rng, i: u64, out: &mut String) {
    use std::fmt::Write;
    let model = MODELS[rng.below(MODELS.len() as u64) as usize];
    let day = 1 + rng.below(28);
    let (h, m, s) = (rng.below(24), rng.below(60), rng.below(60));
    let input = 200 + rng.below(20_000);
    let cached = if rng.below(3) == 0 { rng.below(input) } else { 0 };
    let output = 20 + rng.below(2_000);
    let reasoning = if model == "o3" { rng.below(output) } else { 0 };
    let user = rng.below(5_000);
    let cost = (input * 25 + output * 100) as f64 / 1e7;
    let mut prompt = String::new();
    for _ in 0..(10 + rng.below(40)) {
        prompt.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        prompt.push(' ');
    }
    let _ = writeln!(
        out,
        "{{\"id\":\"obs-{i}\",\"traceId\":\"trace-{}\",\"type\":\"GENERATION\",\"name\":\"{}\",\
         \"startTime\":\"2026-10-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z\",\"model\":\"{model}\",\
         \"usageDetails\":{{\"input\":{},\"input_cached_tokens\":{cached},\"output\":{},\"output_reasoning\":{reasoning}}},\
         \"costDetails\":{{\"total\":{cost}}},\"userId\":\"user-{user}\",\"sessionId\":\"session-{}\",\
         \"environment\":\"production\",\"metadata\":{{\"agent_type\":\"agent-{}\",\"feature\":\"f{}\"}},\
         \"tags\":[\"t{}\"],\"input\":\"{prompt}\",\"output\":\"ok\",\"level\":\"DEFAULT\"}}",
        i / 3,
        NAMES[rng.below(NAMES.len() as u64) as usize],
        rng.below(1000),
        input - cached,
        output - reasoning,
        user * 10 + rng.below(10),
        rng.below(6),
        rng.below(12),
        rng.below(20),
    );
}

/// A JSON Lines export of at least `target_bytes` (whole lines), the same for the same size.
pub fn export(target_bytes: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut text = String::with_capacity(target_bytes + 1024);
    let mut i = 0;
    while text.len() < target_bytes {
        line(&mut rng, i, &mut text);
        i += 1;
    }
    text.into_bytes()
}
