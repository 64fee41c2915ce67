//! Who a call is billed to, established by the worker, never by the client's
//! word alone.
//!
//! - The user is the API key the request carries (its keyed hash), unless
//!   the request carries a user header *signed by the operator*:
//!   `x-farebox-user: <id>.<hex HMAC-SHA256(ID_SIGNING_KEY, "user:<id>")>`.
//!   Session and org ids exist only as signed headers (`session:<id>`,
//!   `org:<id>`). Without `ID_SIGNING_KEY` every id header is ignored; with
//!   it, a header whose signature does not verify is refused (401), never
//!   silently dropped. The scope is part of the signed text, so a session
//!   token cannot be replayed as an org or a user.
//! - A scope the policy limits must have an id: a call without one is
//!   refused (403), never let through unlimited.
//! - Ids leave this module only as their HMAC under `HASH_SALT`; the
//!   credentials and raw ids are never stored or logged.

use farebox_core::budget::{Holder, IdHasher};

use crate::config::Config;
use crate::route::Api;

/// The id-bearing request headers, as the request carries them.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHeaders<'a> {
    pub user: Option<&'a str>,
    pub session: Option<&'a str>,
    pub org: Option<&'a str>,
}

/// The budget ids of a call: each a keyed hash, present only for a scope
/// the policy limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BudgetIds {
    pub user: Option<String>,
    pub session: Option<String>,
    pub org: Option<String>,
}

/// Why a call's ids cannot be established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdRefusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

/// The API key a request authenticates with at `api`: the header (or, for
/// Gemini, the `key` query parameter) that provider reads.
pub fn api_key<'a>(api: Api, header: impl Fn(&str) -> Option<&'a str>, query_key: Option<&'a str>) -> Option<&'a str> {
    let bearer = || {
        header("authorization").and_then(|a| {
            let (scheme, token) = a.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
        })
    };
    let nonempty = |v: Option<&'a str>| v.map(str::trim).filter(|v| !v.is_empty());
    match api {
        Api::OpenAi => bearer(),
        Api::Anthropic => nonempty(header("x-api-key")).or_else(bearer),
        Api::Gemini => nonempty(header("x-goog-api-key")).or_else(|| nonempty(query_key)).or_else(bearer),
    }
}

/// The signature an operator gives out with `id` for `scope` (`user`,
/// `session`, `org`): 64 lowercase hex digits.
pub fn sign(signing_key: &[u8], scope: &str, id: &str) -> String {
    let mac = IdHasher::new(signing_key).mac(format!("{scope}:{id}").as_bytes());
    mac.iter().map(|b| format!("{b:02x}")).collect()
}

/// `<id>.<signature>` verified for `scope`; `None` when the signature is wrong.
fn verified<'a>(signing_key: &[u8], scope: &str, value: &'a str) -> Option<&'a str> {
    let (id, signature) = value.trim().rsplit_once('.')?;
    let same = same_secret(sign(signing_key, scope, id).as_bytes(), signature.to_ascii_lowercase().as_bytes());
    (same && !id.is_empty()).then_some(id)
}

/// Whether two secrets are equal, compared without an early exit so that
/// timing does not reveal a matching prefix.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What an id a limited scope lacks means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A call: refused.
    Refuse,
    /// A budget read: that scope is left out.
    Skip,
}

/// Establishes a call's budget ids from its credentials and id headers.
pub fn budget_ids(
    config: &Config,
    api_key: Option<&str>,
    headers: IdHeaders<'_>,
    missing: Missing,
) -> Result<BudgetIds, IdRefusal> {
    let signed = |scope: &'static str, header_name: &str, value: Option<&str>| -> Result<Option<String>, IdRefusal> {
        let (Some(key), Some(value)) = (config.id_signing_key.as_deref(), value) else { return Ok(None) };
        match verified(key, scope, value) {
            Some(id) => Ok(Some(format!("{scope}:{id}"))),
            None => Err(IdRefusal {
                status: 401,
                code: "invalid_budget_id",
                message: format!(
                    "the `{header_name}` header is not `<id>.<signature>` signed by this gateway's operator: ask the operator for a signed id, or leave the header out"
                ),
            }),
        }
    };
    let user = match signed("user", &config.user_header, headers.user)? {
        Some(user) => Some(user),
        None => api_key.map(|k| format!("key:{k}")),
    };
    let session = signed("session", &config.session_header, headers.session)?;
    let org = signed("org", &config.org_header, headers.org)?;

    let hasher = IdHasher::new(&config.hash_salt);
    let mut ids = BudgetIds::default();
    for (slot, id, holder, what) in [
        (&mut ids.user, user, Holder::User, "an API key or a signed user header"),
        (&mut ids.session, session, Holder::Session, "a signed session header"),
        (&mut ids.org, org, Holder::Org, "a signed org header"),
    ] {
        if !config.policy.limits(holder) {
            continue;
        }
        match id {
            Some(id) => *slot = Some(hasher.hash(&id)),
            None if missing == Missing::Skip => {}
            None => {
                return Err(IdRefusal {
                    status: 403,
                    code: "budget_id_missing",
                    message: format!("this gateway limits spend per {}: the call needs {what}", holder_word(holder)),
                })
            }
        }
    }
    Ok(ids)
}

fn holder_word(holder: Holder) -> &'static str {
    match holder {
        Holder::Session => "session",
        Holder::User => "user",
        Holder::Org => "organisation",
    }
}

/// Whether a request header goes on to the upstream at `api`. Not: the
/// worker's own headers (`x-farebox-*` and the configured id headers), the
/// client's `host`, and credentials only another provider reads (an
/// OpenAI request's `x-goog-api-key` is never sent to OpenAI).
pub fn forwards_header(config: &Config, api: Api, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let ours = name.starts_with("x-farebox-")
        || name == config.user_header
        || name == config.session_header
        || name == config.org_header;
    let foreign_credential = match api {
        Api::OpenAi => name == "x-api-key" || name == "x-goog-api-key",
        Api::Anthropic => name == "x-goog-api-key",
        Api::Gemini => name == "x-api-key",
    };
    !(ours || foreign_credential || name == "host")
}

/// The query string forwarded to `api`: Gemini's `key` parameter only to Gemini.
pub fn forwarded_query(api: Api, query: &str) -> String {
    if api == Api::Gemini {
        return query.to_string();
    }
    query.split('&').filter(|pair| pair.split('=').next() != Some("key")).collect::<Vec<_>>().join("&")
}

/// Whether `given` is the operator's admin token (compared in constant time).
pub fn is_admin(config: &Config, given: Option<&str>) -> bool {
    let (Some(token), Some(given)) = (config.admin_token.as_deref(), given) else { return false };
    same_secret(token.as_bytes(), given.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned()).unwrap()
    }

    const SALT: (&str, &str) = ("HASH_SALT", "0123456789abcdef");
    const SIGNING: (&str, &str) = ("ID_SIGNING_KEY", "operator-signing-key-0123");

    fn signed(scope: &str, id: &str) -> String {
        format!("{id}.{}", sign(SIGNING.1.as_bytes(), scope, id))
    }

    #[test]
    fn the_user_is_the_api_key_unless_the_operator_signed_a_user_header() {
        let cfg = config(&[("POLICY_JSON", r#"{"per_user_daily_usd":"1"}"#), SALT, SIGNING]);
        let by_key = budget_ids(&cfg, Some("sk-a"), IdHeaders::default(), Missing::Refuse).unwrap().user.unwrap();
        assert_eq!(by_key.len(), 32);
        // A rotating, unsigned user header is refused; it cannot mint fresh budgets.
        for forged in ["alice", "alice.00", &format!("alice.{}", sign(b"wrong-key", "user", "alice"))] {
            let e = budget_ids(
                &cfg,
                Some("sk-a"),
                IdHeaders { user: Some(forged), ..IdHeaders::default() },
                Missing::Refuse,
            );
            assert_eq!(e.unwrap_err().code, "invalid_budget_id", "{forged}");
        }
        let alice = signed("user", "alice");
        let ids =
            budget_ids(&cfg, Some("sk-a"), IdHeaders { user: Some(&alice), ..IdHeaders::default() }, Missing::Refuse)
                .unwrap();
        assert_ne!(ids.user.as_ref(), Some(&by_key));
        // The same signed id with another key is the same budget.
        let again =
            budget_ids(&cfg, Some("sk-b"), IdHeaders { user: Some(&alice), ..IdHeaders::default() }, Missing::Refuse)
                .unwrap();
        assert_eq!(ids.user, again.user);
        // A session token is not a user token.
        let session_token = signed("session", "alice");
        let e = budget_ids(
            &cfg,
            Some("sk-a"),
            IdHeaders { user: Some(&session_token), ..IdHeaders::default() },
            Missing::Refuse,
        );
        assert_eq!(e.unwrap_err().status, 401);
    }

    #[test]
    fn without_a_signing_key_id_headers_are_ignored() {
        let cfg = config(&[("POLICY_JSON", r#"{"per_user_daily_usd":"1"}"#), SALT]);
        let plain = budget_ids(&cfg, Some("sk-a"), IdHeaders::default(), Missing::Refuse).unwrap();
        let with_header =
            budget_ids(&cfg, Some("sk-a"), IdHeaders { user: Some("bob"), ..IdHeaders::default() }, Missing::Refuse);
        assert_eq!(with_header.unwrap(), plain);
    }

    #[test]
    fn a_limited_scope_without_an_id_is_refused() {
        let cfg = config(&[("POLICY_JSON", r#"{"per_org_daily_usd":"5","per_session_usd":"1"}"#), SALT, SIGNING]);
        let e = budget_ids(&cfg, Some("sk-a"), IdHeaders::default(), Missing::Refuse).unwrap_err();
        assert_eq!((e.status, e.code), (403, "budget_id_missing"));
        let (s, o) = (signed("session", "s1"), signed("org", "acme"));
        let only_session = IdHeaders { session: Some(&s), ..IdHeaders::default() };
        assert!(budget_ids(&cfg, Some("sk-a"), only_session, Missing::Refuse)
            .unwrap_err()
            .message
            .contains("organisation"));
        let ids = budget_ids(
            &cfg,
            None,
            IdHeaders { session: Some(&s), org: Some(&o), ..IdHeaders::default() },
            Missing::Refuse,
        )
        .unwrap();
        // No per-user limit: the key is kept nowhere.
        assert_eq!(ids.user, None);
        assert!(ids.session.is_some() && ids.org.is_some() && ids.session != ids.org);
        // A budget read leaves out what it is not given.
        let read = budget_ids(&cfg, None, only_session, Missing::Skip).unwrap();
        assert!(read.session.is_some() && read.org.is_none());
        let user_cfg = config(&[("POLICY_JSON", r#"{"per_user_monthly_usd":"5"}"#), SALT]);
        assert_eq!(
            budget_ids(&user_cfg, None, IdHeaders::default(), Missing::Refuse).unwrap_err().code,
            "budget_id_missing"
        );
    }

    #[test]
    fn each_api_reads_its_own_credential() {
        let headers: HashMap<&str, &str> =
            [("authorization", "Bearer sk-openai"), ("x-api-key", "sk-ant"), ("x-goog-api-key", "AIza")].into();
        let h = |name: &str| headers.get(name).copied();
        assert_eq!(api_key(Api::OpenAi, h, Some("q")), Some("sk-openai"));
        assert_eq!(api_key(Api::Anthropic, h, None), Some("sk-ant"));
        assert_eq!(api_key(Api::Gemini, h, None), Some("AIza"));
        assert_eq!(api_key(Api::Gemini, |_| None, Some("AIzaQ")), Some("AIzaQ"));
        assert_eq!(api_key(Api::OpenAi, |_| Some("Basic abc"), None), None);
        assert_eq!(api_key(Api::OpenAi, |_| None, Some("q")), None);
    }

    #[test]
    fn the_workers_headers_and_foreign_credentials_are_not_forwarded() {
        let cfg = config(&[("USER_HEADER", "x-team-user")]);
        for name in ["x-farebox-user", "X-Farebox-Session", "x-farebox-admin-token", "x-team-user", "host"] {
            assert!(!forwards_header(&cfg, Api::OpenAi, name), "{name}");
        }
        assert!(!forwards_header(&cfg, Api::OpenAi, "x-goog-api-key"));
        assert!(!forwards_header(&cfg, Api::OpenAi, "x-api-key"));
        assert!(forwards_header(&cfg, Api::Anthropic, "x-api-key"));
        assert!(!forwards_header(&cfg, Api::Gemini, "x-api-key"));
        assert!(forwards_header(&cfg, Api::OpenAi, "authorization"));
        assert!(forwards_header(&cfg, Api::OpenAi, "openai-organization"));
        assert_eq!(forwarded_query(Api::OpenAi, "a=1&key=AIza&b=2"), "a=1&b=2");
        assert_eq!(forwarded_query(Api::Gemini, "alt=sse&key=AIza"), "alt=sse&key=AIza");
    }

    #[test]
    fn the_admin_token_is_required_and_compared_whole() {
        let cfg = config(&[("ADMIN_TOKEN", "admin-token-0123456789")]);
        assert!(is_admin(&cfg, Some("admin-token-0123456789")));
        assert!(!is_admin(&cfg, Some("admin-token-012345678")));
        assert!(!is_admin(&cfg, None));
        assert!(!is_admin(&config(&[]), Some("")));
    }
}
