//! The answers the worker gives itself, each in the error shape the
//! client's SDK parses.

use serde_json::json;

use crate::route::Shape;

/// An HTTP answer the worker gives itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
    /// The log line of a policy denial (model, estimate, reason; never the body).
    pub log: Option<String>,
}

/// An error body in the shape `shape`'s SDKs parse: OpenAI
/// `{"error":{"type","code","message","param"}}`, Anthropic
/// `{"type":"error","error":{"type","message"}}`, Gemini
/// `{"error":{"code","message","status"}}`.
pub fn error_reply(shape: Shape, status: u16, kind: &str, code: &str, message: &str, param: Option<&str>) -> Reply {
    let body = match shape {
        Shape::OpenAi => json!({"error": {"type": kind, "code": code, "message": message, "param": param}}),
        Shape::Anthropic => json!({"type": "error", "error": {"type": kind, "code": code, "message": message}}),
        Shape::Gemini => {
            json!({"error": {"code": status, "message": message, "status": gemini_status(status), "reason": code}})
        }
    };
    Reply {
        status,
        body: body.to_string(),
        headers: vec![("content-type", String::from("application/json")), ("x-farebox-error", code.to_string())],
        log: None,
    }
}

fn gemini_status(status: u16) -> &'static str {
    match status {
        400 | 413 | 415 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        402 => "FAILED_PRECONDITION",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        _ => "INTERNAL",
    }
}

/// The 402 for a call the policy refuses: the API's error shape, the
/// reason as its `code`, the estimate and limit in headers.
pub fn deny_reply(shape: Shape, reason: &str, message: &str, headers: Vec<(&'static str, String)>) -> Reply {
    let mut reply = error_reply(shape, 402, "budget_exceeded", reason, message, None);
    reply.headers.push(("x-farebox-decision", String::from("deny")));
    reply.headers.push(("x-farebox-reason", reason.to_string()));
    reply.headers.extend(headers);
    reply
}

/// A request the worker will not forward because it cannot price it: 400
/// with the refusal's code, naming what to change or which setting allows it.
pub fn refuse_reply(shape: Shape, status: u16, code: &str, message: &str) -> Reply {
    let kind = match status {
        401 => "authentication_error",
        403 | 404 => "permission_error",
        _ => "invalid_request_error",
    };
    let mut reply = error_reply(shape, status, kind, code, message, None);
    reply.headers.push(("x-farebox-decision", String::from("deny")));
    reply.headers.push(("x-farebox-reason", code.to_string()));
    reply
}

/// The 413 reply for a body of `n` bytes.
pub fn too_large(shape: Shape, max_body_bytes: usize, n: u64) -> Reply {
    let kind = if shape == Shape::Anthropic { "request_too_large" } else { "invalid_request_error" };
    error_reply(
        shape,
        413,
        kind,
        "request_too_large",
        &format!("the request body is {n} bytes; this gateway accepts at most {max_body_bytes} bytes"),
        None,
    )
}

/// Checks that need only the headers: content type and declared length.
pub fn precheck(
    shape: Shape,
    max_body_bytes: usize,
    content_type: Option<&str>,
    content_length: Option<u64>,
) -> Option<Reply> {
    let media = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "application/json" {
        return Some(error_reply(
            shape,
            415,
            "invalid_request_error",
            "unsupported_media_type",
            "the request body must be JSON with `Content-Type: application/json`",
            None,
        ));
    }
    match content_length {
        Some(n) if n > max_body_bytes as u64 => Some(too_large(shape, max_body_bytes, n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn error_shapes_are_each_apis_own() {
        let o: Value = serde_json::from_str(&error_reply(Shape::OpenAi, 402, "t", "c", "m", None).body).unwrap();
        assert_eq!(o, json!({"error": {"type": "t", "code": "c", "message": "m", "param": null}}));
        let a: Value = serde_json::from_str(&error_reply(Shape::Anthropic, 402, "t", "c", "m", None).body).unwrap();
        assert_eq!(a["type"], "error");
        assert_eq!((a["error"]["type"].as_str(), a["error"]["message"].as_str()), (Some("t"), Some("m")));
        let g: Value = serde_json::from_str(&error_reply(Shape::Gemini, 402, "t", "c", "m", None).body).unwrap();
        assert_eq!(
            (g["error"]["code"].as_u64(), g["error"]["status"].as_str()),
            (Some(402), Some("FAILED_PRECONDITION"))
        );
    }

    #[test]
    fn content_type_and_declared_length_are_checked_first() {
        assert_eq!(precheck(Shape::OpenAi, 1 << 20, Some("text/plain"), None).unwrap().status, 415);
        assert_eq!(precheck(Shape::OpenAi, 1 << 20, None, None).unwrap().status, 415);
        assert!(precheck(Shape::OpenAi, 1 << 20, Some("application/json; charset=utf-8"), Some(10)).is_none());
        assert_eq!(precheck(Shape::OpenAi, 1 << 20, Some("application/json"), Some(50 << 20)).unwrap().status, 413);
    }
}
