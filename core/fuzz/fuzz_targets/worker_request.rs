//! Fuzzes the edge worker's whole request path on arbitrary bytes: the
//! method, the raw path, the headers and the body of a request (split at
//! the first `\n`s, see below) go through the router, the budget-id rules
//! and the guard's decision exactly as `worker/src/entry.rs` drives them;
//! the same bytes are also fed to both response usage scanners.
//!
//! Input layout: `METHOD PATH\nname: value\n…\n\nBODY`.
//!
//! Checks: nothing panics; a routed path is normalised (no empty, `.` or
//! `..` segment, no `%`); a priced path is one of the priced routes; and
//! the cap holds: a call the guard allows has a complete estimate whose
//! maximum is within the per-call limit.
#![no_main]

use std::sync::OnceLock;

use farebox_core::tokens::Tokenizers;
use farebox_core::{Timestamp, Usd};
use farebox_worker::assess::{assess, tokenizers, RequestContext, Verdict};
use farebox_worker::config::Config;
use farebox_worker::identity::{api_key, budget_ids, IdHeaders, Missing};
use farebox_worker::json_scan::JsonUsageScanner;
use farebox_worker::route::{route, Action, Hints};
use farebox_worker::sse::UsageScanner;
use libfuzzer_sys::fuzz_target;

const PER_CALL: &str = "0.05";

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::from_lookup(|name| {
            let value = match name {
                "PER_CALL_MAX_USD" => PER_CALL,
                "POLICY_JSON" => r#"{"per_user_daily_usd":"1"}"#,
                "HASH_SALT" => "fuzz-salt-0123456789",
                "ID_SIGNING_KEY" => "fuzz-signing-key-0123456789",
                "ALLOW_ROUTES" => r#"[{"method":"POST","path":"/v1/files","api":"openai"}]"#,
                _ => return None,
            };
            Some(value.to_string())
        })
        .expect("the fuzz configuration is valid")
    })
}

fn shared_tokenizers() -> &'static Tokenizers {
    static T: OnceLock<Tokenizers> = OnceLock::new();
    T.get_or_init(tokenizers)
}

fuzz_target!(|data: &[u8]| {
    let mut sse = UsageScanner::new();
    sse.feed(data);
    let _ = sse.finish();
    let mut json = JsonUsageScanner::new();
    json.feed(data);
    let _ = json.finish();

    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let Ok(head) = std::str::from_utf8(head) else { return };
    let mut lines = head.split('\n');
    let Some((method, path)) = lines.next().and_then(|l| l.split_once(' ')) else { return };
    let headers: Vec<(String, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim()))
        .collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let config = config();
    let hints = Hints { anthropic: header("anthropic-version").is_some() || header("x-api-key").is_some() };
    let Ok(r) = route(method, path, hints, &config.allowed_routes) else { return };
    assert!(r.path.starts_with('/') && !r.path.contains('%'), "{:?}", r.path);
    assert!(r.path == "/" || !r.path.split('/').skip(1).any(|s| s.is_empty() || s == "." || s == ".."), "{:?}", r.path);
    if !matches!(r.action, Action::Priced { .. }) {
        return;
    }
    assert!(method.eq_ignore_ascii_case("POST"));
    let key = api_key(r.api, header, None);
    let ids = IdHeaders { user: header("x-farebox-user"), session: header("x-farebox-session"), org: header("x-farebox-org") };
    let Ok(ids) = budget_ids(config, key, ids, Missing::Refuse) else { return };
    let context = RequestContext::from_anthropic_beta(header("anthropic-beta"));
    let now = Timestamp::from_millis(1_795_000_000_000);
    if let Verdict::Allow(planned) = assess(config, shared_tokenizers(), &r, body, &ids, context, now) {
        let e = planned.estimate.as_ref().expect("an allowed call was priced");
        assert!(e.max_cost.complete, "allowed with an incomplete maximum");
        assert!(e.max_cost.total <= Usd::parse(PER_CALL).unwrap(), "allowed over the cap: {}", e.max_cost.total);
        assert!(planned.call.user.is_some(), "a per-user limit and no user id");
    }
});
