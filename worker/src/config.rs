//! Worker configuration: wrangler.toml vars and secrets, read once per
//! isolate and validated before any request is served. A bad value is a
//! [`ConfigError`] naming the variable and what is wrong with it, never its
//! value (policies, price files and salts may be secrets).

use core::fmt;

use farebox_core::budget::{Holder, Policy};
use farebox_core::{PriceFileFormat, PriceTable, Usd};

use crate::route::AllowedRoute;

/// Every variable the worker reads.
pub const VARS: &[&str] = &[
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GEMINI_BASE_URL",
    "PER_CALL_MAX_USD",
    "POLICY_JSON",
    "PRICES_JSON",
    "USER_HEADER",
    "SESSION_HEADER",
    "ORG_HEADER",
    "HASH_SALT",
    "ID_SIGNING_KEY",
    "ADMIN_TOKEN",
    "ALLOW_ROUTES",
    "MAX_BODY_BYTES",
    "PRICES_REFRESH_SECONDS",
    "COUNT_TOKENS",
    "COUNT_TOKENS_TIMEOUT_MS",
];

/// When the worker asks the provider's free counting endpoint (Anthropic
/// `count_tokens`, Gemini `countTokens`) for a prompt farebox can only
/// estimate (`COUNT_TOKENS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountTokens {
    /// Never: the estimate's high end decides.
    Off,
    /// When the estimate's range straddles the limit: its high end would be
    /// denied, its low end allowed (the default).
    Straddling,
    /// For every such prompt, so that reservations hold the counted cost.
    Always,
}

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    /// Upstream base URLs (scheme, host, optional port and path prefix; no trailing `/`).
    pub openai_base: String,
    pub anthropic_base: String,
    pub gemini_base: String,
    /// The policy, with `PER_CALL_MAX_USD` applied over `POLICY_JSON`'s `per_call_max_usd`.
    pub policy: Policy,
    /// The built-in price table with `PRICES_JSON` (any format `PriceTable::load` reads) over it.
    pub prices: PriceTable,
    /// The request header naming the user a daily budget is kept for;
    /// without it, the API key is the budget's id.
    pub user_header: String,
    /// The request headers naming the session and the organisation a call
    /// counts against (`per_session_usd`, `per_org_daily_usd`).
    pub session_header: String,
    pub org_header: String,
    /// The HMAC key budget ids are hashed with (required with cumulative limits).
    pub hash_salt: Vec<u8>,
    /// The key the operator signs id headers with (`crate::identity`);
    /// without it, id headers are ignored and the user is the API key.
    pub id_signing_key: Option<Vec<u8>>,
    /// The token `GET /_farebox/budget` requires; without it the endpoint is off.
    pub admin_token: Option<String>,
    /// Routes the operator lets through unpriced beyond the built-in free ones.
    pub allowed_routes: Vec<AllowedRoute>,
    /// Larger request bodies are refused with 413 before they are read.
    pub max_body_bytes: usize,
    /// How long an isolate keeps a price file read from the `PRICES` KV
    /// namespace before reading it again (`PRICES_REFRESH_SECONDS`, default 60).
    pub prices_refresh_seconds: u32,
    /// When to ask the provider to count (`COUNT_TOKENS`: `off`, `straddling`, `always`).
    pub count_tokens: CountTokens,
    /// How long the provider's count may take before the estimate's high
    /// end decides instead (`COUNT_TOKENS_TIMEOUT_MS`, default 2000).
    pub count_tokens_timeout_ms: u32,
}

/// A variable with a bad value; the message never contains the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub why: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "farebox worker configuration: {}: {}", self.var, self.why)
    }
}

impl std::error::Error for ConfigError {}

fn err(var: &'static str, why: impl Into<String>) -> ConfigError {
    ConfigError { var, why: why.into() }
}

impl ConfigError {
    /// An error in what `var` (a var, a secret or a binding) holds.
    pub fn new(var: &'static str, why: impl Into<String>) -> ConfigError {
        err(var, why)
    }
}

impl Config {
    /// Reads the configuration through `get` (a var or secret by name; an
    /// empty value counts as unset).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let openai_base = base_url("OPENAI_BASE_URL", get("OPENAI_BASE_URL"), "https://api.openai.com")?;
        let anthropic_base = base_url("ANTHROPIC_BASE_URL", get("ANTHROPIC_BASE_URL"), "https://api.anthropic.com")?;
        let gemini_base =
            base_url("GEMINI_BASE_URL", get("GEMINI_BASE_URL"), "https://generativelanguage.googleapis.com")?;

        let mut policy = match get("POLICY_JSON") {
            Some(text) => Policy::from_json(text.as_bytes()).map_err(|e| err("POLICY_JSON", e.to_string()))?,
            None => Policy::default(),
        };
        if let Some(text) = get("PER_CALL_MAX_USD") {
            let limit = Usd::parse(text.trim())
                .map_err(|_| err("PER_CALL_MAX_USD", "is not a decimal amount of dollars (such as `0.50`)"))?;
            if limit.is_negative() {
                return Err(err("PER_CALL_MAX_USD", "is negative"));
            }
            policy.per_call_max_usd = Some(limit);
        }

        let mut prices = PriceTable::builtin();
        if let Some(text) = get("PRICES_JSON") {
            prices.load(text.as_bytes(), PriceFileFormat::Auto).map_err(|e| err("PRICES_JSON", e.to_string()))?;
        }

        let header = |var: &'static str, default: &str| {
            let name = get(var).unwrap_or_else(|| String::from(default)).trim().to_ascii_lowercase();
            if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                Ok(name)
            } else {
                Err(err(var, "is not a header name (letters, digits, `-`, `_`)"))
            }
        };
        let user_header = header("USER_HEADER", "x-farebox-user")?;
        let session_header = header("SESSION_HEADER", "x-farebox-session")?;
        let org_header = header("ORG_HEADER", "x-farebox-org")?;
        let names = [("USER_HEADER", &user_header), ("SESSION_HEADER", &session_header), ("ORG_HEADER", &org_header)];
        for (i, (_, a)) in names.iter().enumerate() {
            if let Some((var, _)) = names[i + 1..].iter().find(|(_, b)| b == a) {
                return Err(err(var, "names the same header as another budget id"));
            }
        }
        let cumulative = Holder::ALL.into_iter().any(|h| policy.limits(h));
        let hash_salt = match get("HASH_SALT") {
            Some(s) if s.len() < 16 => return Err(err("HASH_SALT", "is shorter than 16 bytes")),
            Some(s) => s.into_bytes(),
            None if cumulative => {
                return Err(err(
                    "HASH_SALT",
                    "must be set (as a secret) when the policy has cumulative budgets (per user, session or org)",
                ))
            }
            None => Vec::new(),
        };
        let secret = |var: &'static str| match get(var) {
            Some(s) if s.len() < 16 => Err(err(var, "is shorter than 16 bytes")),
            other => Ok(other),
        };
        let id_signing_key = secret("ID_SIGNING_KEY")?.map(String::into_bytes);
        let admin_token = secret("ADMIN_TOKEN")?;
        if id_signing_key.is_none() {
            // Session and org ids exist only as signed headers: without a
            // signing key every call would be refused, so fail at start.
            if policy.limits(Holder::Session) || policy.limits(Holder::Org) {
                return Err(err(
                    "ID_SIGNING_KEY",
                    "must be set (as a secret) when the policy limits sessions or organisations: their ids are signed headers",
                ));
            }
        }
        let allowed_routes = match get("ALLOW_ROUTES") {
            Some(text) => serde_json::from_str::<Vec<AllowedRoute>>(&text).map_err(|e| {
                err("ALLOW_ROUTES", format!("is not a JSON array of {{\"method\",\"path\",\"api\"}} objects: {e}"))
            })?,
            None => Vec::new(),
        };
        if let Some(r) = allowed_routes.iter().find(|r| !r.path.starts_with('/') || r.method.trim().is_empty()) {
            return Err(err(
                "ALLOW_ROUTES",
                format!("route `{} {}` needs a method and a path starting with `/`", r.method, r.path),
            ));
        }
        let max_body_bytes = match get("MAX_BODY_BYTES") {
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0 && n <= 100 << 20)
                .ok_or_else(|| err("MAX_BODY_BYTES", "must be a whole number of bytes between 1 and 104857600"))?,
            None => 16 << 20,
        };
        let prices_refresh_seconds =
            match get("PRICES_REFRESH_SECONDS") {
                Some(text) => text.trim().parse::<u32>().ok().filter(|&n| n <= 86_400).ok_or_else(|| {
                    err("PRICES_REFRESH_SECONDS", "must be a whole number of seconds from 0 to 86400")
                })?,
                None => 60,
            };
        let count_tokens = match get("COUNT_TOKENS").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("straddling") => CountTokens::Straddling,
            Some("off") => CountTokens::Off,
            Some("always") => CountTokens::Always,
            Some(_) => return Err(err("COUNT_TOKENS", "must be `off`, `straddling` or `always`")),
        };
        let count_tokens_timeout_ms = match get("COUNT_TOKENS_TIMEOUT_MS") {
            Some(text) => text.trim().parse::<u32>().ok().filter(|&n| (1..=30_000).contains(&n)).ok_or_else(|| {
                err("COUNT_TOKENS_TIMEOUT_MS", "must be a whole number of milliseconds from 1 to 30000")
            })?,
            None => 2_000,
        };
        Ok(Config {
            openai_base,
            anthropic_base,
            gemini_base,
            policy,
            prices,
            user_header,
            session_header,
            org_header,
            hash_salt,
            id_signing_key,
            admin_token,
            allowed_routes,
            max_body_bytes,
            prices_refresh_seconds,
            count_tokens,
            count_tokens_timeout_ms,
        })
    }
}

fn base_url(var: &'static str, value: Option<String>, default: &str) -> Result<String, ConfigError> {
    let url = value.unwrap_or_else(|| default.to_string());
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| err(var, "must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || url.contains(['?', '#', ' ']) {
        return Err(err(var, "must be an absolute URL with a host and no query or fragment"));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_public_apis_and_no_limit() {
        let c = config(&[]).unwrap();
        assert_eq!(c.openai_base, "https://api.openai.com");
        assert_eq!(c.anthropic_base, "https://api.anthropic.com");
        assert_eq!(c.policy, Policy::default());
        assert_eq!(c.user_header, "x-farebox-user");
        assert_eq!((c.session_header.as_str(), c.org_header.as_str()), ("x-farebox-session", "x-farebox-org"));
    }

    #[test]
    fn per_call_max_overrides_the_policy() {
        let c = config(&[
            ("OPENAI_BASE_URL", "http://127.0.0.1:9999/"),
            ("POLICY_JSON", r#"{"per_call_max_usd":"1","deny_models":["o1-pro*"]}"#),
            ("PER_CALL_MAX_USD", "0.05"),
        ])
        .unwrap();
        assert_eq!(c.openai_base, "http://127.0.0.1:9999");
        assert_eq!(c.policy.per_call_max_usd, Some(Usd::parse("0.05").unwrap()));
        assert_eq!(c.policy.deny_models, vec!["o1-pro*".to_string()]);
    }

    #[test]
    fn bad_values_name_the_variable_never_the_value() {
        let e = config(&[("PER_CALL_MAX_USD", "ten dollars")]).unwrap_err();
        assert_eq!(e.var, "PER_CALL_MAX_USD");
        assert!(!e.to_string().contains("ten dollars"));
        assert_eq!(config(&[("OPENAI_BASE_URL", "api.openai.com")]).unwrap_err().var, "OPENAI_BASE_URL");
        assert_eq!(config(&[("POLICY_JSON", r#"{"per_user_daly_usd":"1"}"#)]).unwrap_err().var, "POLICY_JSON");
        assert_eq!(config(&[("PER_CALL_MAX_USD", "-1")]).unwrap_err().var, "PER_CALL_MAX_USD");
        assert_eq!(config(&[("MAX_BODY_BYTES", "0")]).unwrap_err().var, "MAX_BODY_BYTES");
        assert_eq!(config(&[("PRICES_JSON", "[1,2")]).unwrap_err().var, "PRICES_JSON");
        assert_eq!(config(&[("COUNT_TOKENS", "sometimes")]).unwrap_err().var, "COUNT_TOKENS");
        assert_eq!(config(&[("COUNT_TOKENS_TIMEOUT_MS", "0")]).unwrap_err().var, "COUNT_TOKENS_TIMEOUT_MS");
        assert_eq!(config(&[("COUNT_TOKENS", " Always ")]).unwrap().count_tokens, CountTokens::Always);
        assert_eq!(config(&[]).unwrap().count_tokens, CountTokens::Straddling);
        let secret = "s3cr3t-salt";
        let e = config(&[("HASH_SALT", secret)]).unwrap_err();
        assert_eq!(e.var, "HASH_SALT");
        assert!(!e.to_string().contains(secret));
    }

    #[test]
    fn cumulative_budgets_need_a_salt_and_distinct_id_headers() {
        for policy in [
            r#"{"per_user_daily_usd":"5"}"#,
            r#"{"per_user_monthly_usd":"5"}"#,
            r#"{"per_session_usd":"5"}"#,
            r#"{"per_org_daily_usd":"5"}"#,
        ] {
            assert_eq!(config(&[("POLICY_JSON", policy)]).unwrap_err().var, "HASH_SALT", "{policy}");
            let signing = ("ID_SIGNING_KEY", "fedcba9876543210");
            assert!(config(&[("POLICY_JSON", policy), ("HASH_SALT", "0123456789abcdef"), signing]).is_ok());
        }
        // Session and org ids are signed headers: those limits need the signing key.
        for policy in [r#"{"per_session_usd":"5"}"#, r#"{"per_org_daily_usd":"5"}"#] {
            let e = config(&[("POLICY_JSON", policy), ("HASH_SALT", "0123456789abcdef")]).unwrap_err();
            assert_eq!(e.var, "ID_SIGNING_KEY", "{policy}");
        }
        assert!(config(&[("POLICY_JSON", r#"{"per_user_daily_usd":"5"}"#), ("HASH_SALT", "0123456789abcdef")]).is_ok());
        assert_eq!(config(&[("ADMIN_TOKEN", "short")]).unwrap_err().var, "ADMIN_TOKEN");
        assert_eq!(
            config(&[("ALLOW_ROUTES", r#"[{"method":"GET","path":"v1/x","api":"openai"}]"#)]).unwrap_err().var,
            "ALLOW_ROUTES"
        );
        assert_eq!(
            config(&[("ALLOW_ROUTES", r#"[{"method":"GET","path":"/v1/x","api":"openai","x":1}]"#)]).unwrap_err().var,
            "ALLOW_ROUTES"
        );
        let c = config(&[("SESSION_HEADER", " X-Conversation-Id ")]).unwrap();
        assert_eq!(c.session_header, "x-conversation-id");
        assert_eq!(config(&[("ORG_HEADER", "x team")]).unwrap_err().var, "ORG_HEADER");
        assert_eq!(config(&[("ORG_HEADER", "X-Farebox-User")]).unwrap_err().var, "ORG_HEADER");
    }
}
