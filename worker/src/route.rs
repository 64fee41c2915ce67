//! Which API a request is for, and whether the worker prices it.

use farebox_core::estimate::RequestFormat;

/// The upstream API family: picks the base URL and the error shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
    Gemini,
}

/// Where a request goes and how it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub api: Api,
    /// `Some`: a priced call; `None`: passed through unchanged.
    pub format: Option<RequestFormat>,
    /// Gemini names the model in the path.
    pub model: Option<String>,
    /// Gemini's `:streamGenerateContent`.
    pub stream_in_path: bool,
}

/// Routes `method` and `path` (no query). `anthropic_hint` is whether the
/// request carries an `anthropic-version` header (passed-through paths only).
pub fn route(method: &str, path: &str, anthropic_hint: bool) -> Route {
    let pass = |api| Route { api, format: None, model: None, stream_in_path: false };
    let priced = |api, format| Route { api, format: Some(format), model: None, stream_in_path: false };
    let is_post = method.eq_ignore_ascii_case("POST");
    let path = path.trim_end_matches('/');
    match path {
        "/v1/chat/completions" | "/chat/completions" if is_post => priced(Api::OpenAi, RequestFormat::OpenAiChat),
        "/v1/responses" | "/responses" if is_post => priced(Api::OpenAi, RequestFormat::OpenAiResponses),
        "/v1/embeddings" | "/embeddings" if is_post => priced(Api::OpenAi, RequestFormat::OpenAiEmbeddings),
        "/v1/messages" if is_post => priced(Api::Anthropic, RequestFormat::Anthropic),
        _ => {
            if let Some((model, method_name)) = gemini_model_path(path) {
                return match method_name {
                    "generateContent" | "streamGenerateContent" if is_post => Route {
                        api: Api::Gemini,
                        format: Some(RequestFormat::Gemini),
                        model: Some(model.to_string()),
                        stream_in_path: method_name == "streamGenerateContent",
                    },
                    _ => pass(Api::Gemini),
                };
            }
            if path.starts_with("/v1beta/") {
                pass(Api::Gemini)
            } else if anthropic_hint || path.starts_with("/v1/messages") || path == "/v1/complete" {
                pass(Api::Anthropic)
            } else {
                pass(Api::OpenAi)
            }
        }
    }
}

/// `/v1beta/models/{model}:{method}` (or `/v1/...`) → (model, method).
fn gemini_model_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v1beta/models/").or_else(|| path.strip_prefix("/v1/models/"))?;
    let (model, method) = rest.rsplit_once(':')?;
    (!model.is_empty() && !model.contains('/')).then_some((model, method))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priced_paths() {
        assert_eq!(route("POST", "/v1/chat/completions", false).format, Some(RequestFormat::OpenAiChat));
        assert_eq!(route("post", "/v1/responses", false).format, Some(RequestFormat::OpenAiResponses));
        assert_eq!(route("POST", "/v1/embeddings", false).format, Some(RequestFormat::OpenAiEmbeddings));
        let r = route("POST", "/v1/messages", false);
        assert_eq!((r.api, r.format), (Api::Anthropic, Some(RequestFormat::Anthropic)));
        let g = route("POST", "/v1beta/models/gemini-2.5-pro:generateContent", false);
        assert_eq!(
            (g.api, g.format, g.model.as_deref()),
            (Api::Gemini, Some(RequestFormat::Gemini), Some("gemini-2.5-pro"))
        );
        assert!(!g.stream_in_path);
        assert!(route("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", false).stream_in_path);
    }

    #[test]
    fn everything_else_passes_through_to_its_api() {
        let r = route("GET", "/v1/models", false);
        assert_eq!((r.api, r.format), (Api::OpenAi, None));
        assert_eq!(route("GET", "/v1/chat/completions", false).format, None);
        assert_eq!(route("POST", "/v1/messages/count_tokens", false).api, Api::Anthropic);
        assert_eq!(route("POST", "/v1/messages/count_tokens", false).format, None);
        assert_eq!(route("GET", "/v1/models", true).api, Api::Anthropic);
        let g = route("POST", "/v1beta/models/gemini-2.5-pro:countTokens", false);
        assert_eq!((g.api, g.format), (Api::Gemini, None));
        assert_eq!(route("POST", "/v1/files", false).format, None);
    }
}
