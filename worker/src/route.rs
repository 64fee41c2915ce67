//! Which API a request is for, and whether the worker may forward it.
//!
//! Deny by default: a request is either a call the worker prices, one of a
//! short list of operations that cost nothing (listing models, counting
//! tokens, reading files and stored responses), an operator-allowed route
//! (`ALLOW_ROUTES`), or refused. The path is normalised once
//! ([`normalise_path`]: percent-decoded, duplicate and trailing slashes
//! removed) and the normalised path is both what is matched and what is
//! forwarded, so what is priced is what is sent: `/v1/chat/%63ompletions`
//! and `//v1/chat/completions/` are the priced chat route, sent as
//! `/v1/chat/completions`. Literal path segments match case-insensitively
//! and are forwarded in their canonical spelling. Each route names the one
//! provider whose base URL it goes to.

use farebox_core::estimate::RequestFormat;
use serde::Deserialize;

/// The upstream API family: picks the base URL and the credentials it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    #[serde(rename = "openai")]
    OpenAi,
    Anthropic,
    Gemini,
}

/// The error body shape the client's SDK parses (Gemini's OpenAI-compatible
/// endpoints answer in OpenAI's shape although they go to Gemini).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    OpenAi,
    Anthropic,
    Gemini,
}

impl Api {
    /// The error shape of the API's native paths.
    pub fn shape(self) -> Shape {
        match self {
            Api::OpenAi => Shape::OpenAi,
            Api::Anthropic => Shape::Anthropic,
            Api::Gemini => Shape::Gemini,
        }
    }
}

/// What the worker does with a routed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Estimate, check the policy, reserve, forward.
    Priced { format: RequestFormat, model: Option<String>, stream_in_path: bool },
    /// An operation that costs nothing: forwarded unpriced.
    Free,
    /// Not a route the worker knows to be free or can price: refused.
    Refused,
}

/// Where a request goes and how it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The provider whose base URL the request goes to.
    pub api: Api,
    /// The error shape the client expects.
    pub shape: Shape,
    pub action: Action,
    /// The normalised path: what was matched and what is forwarded.
    pub path: String,
}

impl Route {
    pub fn format(&self) -> Option<RequestFormat> {
        match &self.action {
            Action::Priced { format, .. } => Some(*format),
            _ => None,
        }
    }

    pub fn model(&self) -> Option<&str> {
        match &self.action {
            Action::Priced { model, .. } => model.as_deref(),
            _ => None,
        }
    }

    pub fn stream_in_path(&self) -> bool {
        matches!(self.action, Action::Priced { stream_in_path: true, .. })
    }
}

/// Why a path cannot be normalised (answered with a 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPath(pub &'static str);

/// Percent-decodes `raw` (the URL's path, as sent) and removes empty
/// segments (duplicate slashes, a trailing slash). Refused: invalid
/// percent escapes, an escape that decodes to `%` or `/` (double encoding,
/// a slash hidden inside a segment), `.`/`..` segments, and any byte
/// outside the characters an API path uses (letters, digits, `-._~:@`).
pub fn normalise_path(raw: &str) -> Result<String, BadPath> {
    let mut out = String::with_capacity(raw.len());
    for segment in raw.split('/') {
        let decoded = percent_decode(segment)?;
        if decoded.is_empty() {
            continue;
        }
        if decoded == "." || decoded == ".." {
            return Err(BadPath("the path has a `.` or `..` segment"));
        }
        if !decoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~:@".contains(&b)) {
            return Err(BadPath("the path has characters no API path uses"));
        }
        out.push('/');
        out.push_str(&decoded);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn percent_decode(segment: &str) -> Result<String, BadPath> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
            else {
                return Err(BadPath("the path has an invalid percent escape"));
            };
            let b = (hi * 16 + lo) as u8;
            if b == b'%' || b == b'/' {
                return Err(BadPath("the path hides a `%` or `/` in a percent escape"));
            }
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| BadPath("the path is not UTF-8"))
}

/// A route an operator allows beyond the built-in free ones
/// (`ALLOW_ROUTES`: `[{"method":"POST","path":"/v1/files","api":"openai"}]`).
/// `*` in the path matches one segment; a last segment `**` matches the rest.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedRoute {
    pub method: String,
    pub path: String,
    pub api: Api,
}

impl AllowedRoute {
    fn matches(&self, method: &str, path: &str) -> bool {
        if !self.method.eq_ignore_ascii_case(method) {
            return false;
        }
        let mut want = self.path.split('/').filter(|s| !s.is_empty());
        let mut have = path.split('/').filter(|s| !s.is_empty());
        loop {
            match (want.next(), have.next()) {
                (Some("**"), Some(_)) => return true,
                (Some("*"), Some(_)) => {}
                (Some(w), Some(h)) if w.eq_ignore_ascii_case(h) => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }
}

/// The credential-bearing headers a request carries, which decide the
/// provider of the paths OpenAI and Anthropic share (`/v1/models`, `/v1/files`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    /// `anthropic-version` or `x-api-key` is present.
    pub anthropic: bool,
}

/// Routes `method` and the raw `path` (no query).
pub fn route(method: &str, raw_path: &str, hints: Hints, allowed: &[AllowedRoute]) -> Result<Route, BadPath> {
    let path = normalise_path(raw_path)?;
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let (post, get) = (method.eq_ignore_ascii_case("POST"), method.eq_ignore_ascii_case("GET"));
    let shared_api = if hints.anthropic { Api::Anthropic } else { Api::OpenAi };
    let priced = |api: Api, shape: Shape, format: RequestFormat, canonical: &str| Route {
        api,
        shape,
        action: Action::Priced { format, model: None, stream_in_path: false },
        path: canonical.to_string(),
    };
    let free = |api: Api, canonical: String| Route { api, shape: api.shape(), action: Action::Free, path: canonical };
    let canonical = |literal: &[&str], rest: &[&str]| {
        let mut p = String::new();
        for s in literal.iter().chain(rest) {
            p.push('/');
            p.push_str(s);
        }
        p
    };

    let matched = match (post, get, lower.as_slice()) {
        // Priced calls.
        (true, _, ["v1", "chat", "completions"]) => {
            Some(priced(Api::OpenAi, Shape::OpenAi, RequestFormat::OpenAiChat, "/v1/chat/completions"))
        }
        (true, _, ["chat", "completions"]) => {
            Some(priced(Api::OpenAi, Shape::OpenAi, RequestFormat::OpenAiChat, "/chat/completions"))
        }
        (true, _, ["v1", "responses"]) => {
            Some(priced(Api::OpenAi, Shape::OpenAi, RequestFormat::OpenAiResponses, "/v1/responses"))
        }
        (true, _, ["responses"]) => {
            Some(priced(Api::OpenAi, Shape::OpenAi, RequestFormat::OpenAiResponses, "/responses"))
        }
        (true, _, ["v1", "embeddings"]) => {
            Some(priced(Api::OpenAi, Shape::OpenAi, RequestFormat::OpenAiEmbeddings, "/v1/embeddings"))
        }
        (true, _, ["embeddings"]) => {
            Some(priced(Api::OpenAi, Shape::OpenAi, RequestFormat::OpenAiEmbeddings, "/embeddings"))
        }
        (true, _, ["v1", "messages"]) => {
            Some(priced(Api::Anthropic, Shape::Anthropic, RequestFormat::Anthropic, "/v1/messages"))
        }
        // Gemini's OpenAI-compatible endpoints: OpenAI bodies and errors, Gemini's host and key.
        (true, _, ["v1beta", "openai", "chat", "completions"]) => {
            Some(priced(Api::Gemini, Shape::OpenAi, RequestFormat::OpenAiChat, "/v1beta/openai/chat/completions"))
        }
        (true, _, ["v1beta", "openai", "embeddings"]) => {
            Some(priced(Api::Gemini, Shape::OpenAi, RequestFormat::OpenAiEmbeddings, "/v1beta/openai/embeddings"))
        }
        // Gemini's native API names the model and the method in the path.
        (_, _, [version @ ("v1beta" | "v1"), "models", _]) if segments[2].contains(':') => {
            let (model, method_name) = segments[2].rsplit_once(':').unwrap_or_default();
            let literal = [*version, "models"];
            let full = canonical(&literal, &[segments[2]]);
            match (post, method_name) {
                _ if model.is_empty() => None,
                (true, "generateContent" | "streamGenerateContent") => Some(Route {
                    api: Api::Gemini,
                    shape: Shape::Gemini,
                    action: Action::Priced {
                        format: RequestFormat::Gemini,
                        model: Some(model.to_string()),
                        stream_in_path: method_name == "streamGenerateContent",
                    },
                    path: full,
                }),
                (true, "countTokens") => Some(free(Api::Gemini, full)),
                // `/v1/models/ft:gpt-4o:org::id` is an OpenAI fine-tune's id, not a Gemini method.
                (false, _) if get && *version == "v1" => {
                    Some(free(shared_api, canonical(&["v1", "models"], &[segments[2]])))
                }
                _ => None,
            }
        }
        // Free operations.
        (false, true, ["v1beta", "models"]) => Some(free(Api::Gemini, String::from("/v1beta/models"))),
        (false, true, ["v1beta", "models", _]) => {
            Some(free(Api::Gemini, canonical(&["v1beta", "models"], &segments[2..])))
        }
        (false, true, ["v1", "models"]) => Some(free(shared_api, String::from("/v1/models"))),
        (false, true, ["v1", "models", _]) => Some(free(shared_api, canonical(&["v1", "models"], &segments[2..]))),
        (true, _, ["v1", "messages", "count_tokens"]) => {
            Some(free(Api::Anthropic, String::from("/v1/messages/count_tokens")))
        }
        (true, _, ["v1", "responses", "input_tokens"]) => {
            Some(free(Api::OpenAi, String::from("/v1/responses/input_tokens")))
        }
        (false, true, ["v1", "files"]) => Some(free(shared_api, String::from("/v1/files"))),
        (false, true, ["v1", "files", _]) => Some(free(shared_api, canonical(&["v1", "files"], &segments[2..]))),
        (false, true, ["v1", "files", _, "content"]) => {
            Some(free(shared_api, canonical(&["v1", "files"], &[segments[2], "content"])))
        }
        // Reading a stored response (a background one's result included) costs nothing.
        (false, true, ["v1", "responses", _]) => {
            Some(free(Api::OpenAi, canonical(&["v1", "responses"], &segments[2..])))
        }
        (false, true, ["v1", "responses", _, "input_items"]) => {
            Some(free(Api::OpenAi, canonical(&["v1", "responses"], &[segments[2], "input_items"])))
        }
        _ => None,
    };
    if let Some(r) = matched {
        return Ok(r);
    }
    if let Some(a) = allowed.iter().find(|a| a.matches(method, &path)) {
        return Ok(Route { api: a.api, shape: a.api.shape(), action: Action::Free, path });
    }
    // Refused, answered in the shape of the API the path looks like.
    let api = if lower.first() == Some(&"v1beta") || path.contains(':') {
        Api::Gemini
    } else if hints.anthropic || lower.get(1) == Some(&"messages") || lower.get(1) == Some(&"complete") {
        Api::Anthropic
    } else {
        Api::OpenAi
    };
    Ok(Route { api, shape: api.shape(), action: Action::Refused, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str) -> Route {
        route(method, path, Hints::default(), &[]).unwrap()
    }

    #[test]
    fn priced_paths() {
        assert_eq!(r("POST", "/v1/chat/completions").format(), Some(RequestFormat::OpenAiChat));
        assert_eq!(r("post", "/v1/responses").format(), Some(RequestFormat::OpenAiResponses));
        assert_eq!(r("POST", "/v1/embeddings").format(), Some(RequestFormat::OpenAiEmbeddings));
        let a = r("POST", "/v1/messages");
        assert_eq!((a.api, a.format()), (Api::Anthropic, Some(RequestFormat::Anthropic)));
        let g = r("POST", "/v1beta/models/gemini-2.5-pro:generateContent");
        assert_eq!((g.api, g.format(), g.model()), (Api::Gemini, Some(RequestFormat::Gemini), Some("gemini-2.5-pro")));
        assert!(!g.stream_in_path());
        assert!(r("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent").stream_in_path());
        assert_eq!(r("POST", "/v1/models/gemini-2.5-pro:generateContent").api, Api::Gemini);
        let compat = r("POST", "/v1beta/openai/chat/completions");
        assert_eq!(
            (compat.api, compat.shape, compat.format()),
            (Api::Gemini, Shape::OpenAi, Some(RequestFormat::OpenAiChat))
        );
    }

    #[test]
    fn variants_of_a_priced_path_are_that_path_and_are_forwarded_normalised() {
        for variant in [
            "/v1/chat/%63ompletions",
            "//v1/chat/completions",
            "/v1//chat/completions/",
            "/V1/Chat/Completions",
            "/v1/chat/completions///",
            "/%76%31/chat/completions",
        ] {
            let route = r("POST", variant);
            assert_eq!(route.format(), Some(RequestFormat::OpenAiChat), "{variant}");
            assert_eq!(route.path, "/v1/chat/completions", "{variant}");
        }
        let g = r("POST", "/v1beta/models/gemini-2.5-pro%3AgenerateContent");
        assert_eq!(
            (g.format(), g.path.as_str()),
            (Some(RequestFormat::Gemini), "/v1beta/models/gemini-2.5-pro:generateContent")
        );
    }

    #[test]
    fn hidden_slashes_double_encoding_and_dot_segments_are_bad_paths() {
        for bad in [
            "/v1/chat%2Fcompletions",
            "/v1/chat/%2563ompletions",
            "/v1/chat/../chat/completions",
            "/v1/./chat/completions",
            "/v1/chat/completions%00",
            "/v1/chat/completions%",
            "/v1/chat/compl%ZZetions",
            "/v1/chat/completions;x",
            "/v1/chat/%C3",
        ] {
            assert!(route("POST", bad, Hints::default(), &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_and_costly_unpriced_paths_are_refused() {
        for (method, path) in [
            ("POST", "/v1/completions"),
            ("POST", "/v1/batches"),
            ("POST", "/v1/images/generations"),
            ("POST", "/v1/audio/speech"),
            ("POST", "/v1/audio/transcriptions"),
            ("GET", "/v1/realtime"),
            ("POST", "/v1/realtime/sessions"),
            ("POST", "/v1/threads/thread_1/runs"),
            ("POST", "/v1/threads/runs"),
            ("POST", "/v1/files"),
            ("POST", "/v1/fine_tuning/jobs"),
            ("POST", "/v1/messages/batches"),
            ("POST", "/v1/complete"),
            ("POST", "/v1beta/tunedModels/my-model:generateContent"),
            ("POST", "/v1beta/models/gemini-2.5-pro:batchGenerateContent"),
            ("POST", "/v1beta/models/gemini-2.5-pro:predict"),
            ("POST", "/v1beta/cachedContents"),
            ("POST", "/v1beta/openai/images/generations"),
            ("POST", "/v1/projects/p/locations/us/publishers/google/models/gemini-2.5-pro:generateContent"),
            ("POST", "/openai/deployments/gpt-4o/chat/completions"),
            ("GET", "/v1/chat/completions"),
            ("DELETE", "/v1/files/file-1"),
            ("POST", "/"),
        ] {
            assert_eq!(r(method, path).action, Action::Refused, "{method} {path}");
        }
    }

    #[test]
    fn free_operations_go_to_their_own_provider() {
        let models = r("GET", "/v1/models");
        assert_eq!((models.api, models.action), (Api::OpenAi, Action::Free));
        assert_eq!(route("GET", "/v1/models", Hints { anthropic: true }, &[]).unwrap().api, Api::Anthropic);
        assert_eq!(r("POST", "/v1/messages/count_tokens").api, Api::Anthropic);
        let count = r("POST", "/v1beta/models/gemini-2.5-pro:countTokens");
        assert_eq!((count.api, count.action), (Api::Gemini, Action::Free));
        // An OpenAI fine-tune's id has colons: it is not sent to Gemini with the caller's OpenAI key.
        let ft = r("GET", "/v1/models/ft:gpt-4o-mini:acme::abc123");
        assert_eq!(
            (ft.api, ft.action, ft.path.as_str()),
            (Api::OpenAi, Action::Free, "/v1/models/ft:gpt-4o-mini:acme::abc123")
        );
        assert_eq!(r("POST", "/v1/models/ft:gpt-4o-mini:acme::abc123").action, Action::Refused);
        assert_eq!(r("GET", "/v1beta/models").api, Api::Gemini);
        assert_eq!(r("GET", "/v1/files/file-1/content").action, Action::Free);
        assert_eq!(r("GET", "/v1/responses/resp_1").action, Action::Free);
    }

    #[test]
    fn operators_extend_the_allowlist() {
        let allowed: Vec<AllowedRoute> = serde_json::from_str(
            r#"[{"method":"POST","path":"/v1/files","api":"openai"},{"method":"GET","path":"/v1/batches/**","api":"openai"}]"#,
        )
        .unwrap();
        let upload = route("POST", "/v1//files/", Hints::default(), &allowed).unwrap();
        assert_eq!((upload.api, upload.action, upload.path.as_str()), (Api::OpenAi, Action::Free, "/v1/files"));
        assert_eq!(route("GET", "/v1/batches/b1/x", Hints::default(), &allowed).unwrap().action, Action::Free);
        assert_eq!(route("GET", "/v1/batches", Hints::default(), &allowed).unwrap().action, Action::Refused);
        assert_eq!(route("POST", "/v1/batches", Hints::default(), &allowed).unwrap().action, Action::Refused);
        assert!(serde_json::from_str::<Vec<AllowedRoute>>(r#"[{"method":"GET","path":"/x","api":"azure"}]"#).is_err());
    }
}
