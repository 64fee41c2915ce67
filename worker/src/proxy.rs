//! Forwarding: the original method, the headers the upstream may see and
//! the body bytes to the upstream URL, and the upstream response streamed
//! back. Every response's bytes pass through a usage scanner chunk by chunk
//! (SSE events, or a JSON body's top-level members), and the final usage it
//! found is handed over when the stream ends: no response is held whole.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_channel::oneshot;
use futures_util::Stream;
use wasm_bindgen::JsValue;
use worker::*;

use crate::json_scan::JsonUsageScanner;
use crate::sse::UsageScanner;

/// Sends `body` (or the original body stream when `None`) with the headers
/// `keep` accepts to `url`.
pub async fn forward(
    method: Method,
    headers: &Headers,
    keep: impl Fn(&str) -> bool,
    body: Option<JsValue>,
    url: &str,
) -> Result<Response> {
    let headers = headers.clone();
    let dropped: Vec<String> = headers.keys().filter(|name| !keep(name)).collect();
    for name in dropped {
        headers.delete(&name)?;
    }
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers).with_body(body).with_redirect(RequestRedirect::Manual);
    let req = Request::new_with_init(url, &init)?;
    Fetch::Request(req).send().await
}

/// Whether a response is a Server-Sent Events stream.
pub fn is_sse(resp: &Response) -> bool {
    resp.headers()
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|t| t.to_ascii_lowercase().contains("text/event-stream"))
}

/// The scanner a response's bytes pass through.
pub enum Scanner {
    Sse(UsageScanner),
    Json(JsonUsageScanner),
}

impl Scanner {
    pub fn sse() -> Scanner {
        Scanner::Sse(UsageScanner::new())
    }

    pub fn json() -> Scanner {
        Scanner::Json(JsonUsageScanner::new())
    }

    fn feed(&mut self, bytes: &[u8]) {
        match self {
            Scanner::Sse(s) => s.feed(bytes),
            Scanner::Json(s) => s.feed(bytes),
        }
    }

    fn finish(self) -> Option<Vec<u8>> {
        match self {
            Scanner::Sse(s) => s.finish(),
            Scanner::Json(s) => s.finish(),
        }
    }
}

/// The upstream response re-emitted with its status and headers, its body
/// streamed through `scanner`. The receiver yields the final usage body (if
/// the response carried one to its end) once the stream has ended, failed,
/// or was dropped by a client that went away.
pub fn stream_through(
    mut upstream: Response,
    scanner: Scanner,
) -> Result<(Response, oneshot::Receiver<Option<Vec<u8>>>)> {
    let (tx, rx) = oneshot::channel();
    let status = upstream.status_code();
    let headers = upstream.headers().clone();
    // The body is re-streamed: a declared length would no longer be the worker's to promise.
    headers.delete("content-length")?;
    let body = match upstream.stream() {
        Ok(stream) => Some(Box::pin(stream)),
        Err(_) => None,
    };
    let Some(inner) = body else {
        let _ = tx.send(scanner.finish());
        return Ok((Response::empty()?.with_status(status).with_headers(headers), rx));
    };
    let body = ScanStream { inner, scanner: Some((scanner, tx)), failed: false };
    Ok((Response::from_stream(body)?.with_status(status).with_headers(headers), rx))
}

struct ScanStream {
    inner: Pin<Box<ByteStream>>,
    scanner: Option<(Scanner, oneshot::Sender<Option<Vec<u8>>>)>,
    /// The upstream broke off: whatever usage was seen is not final.
    failed: bool,
}

impl ScanStream {
    fn finish(&mut self) {
        if let Some((scanner, tx)) = self.scanner.take() {
            let usage = if self.failed { None } else { scanner.finish() };
            let _ = tx.send(usage);
        }
    }
}

impl Stream for ScanStream {
    type Item = Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(bytes))) => {
                if let Some((scanner, _)) = self.scanner.as_mut() {
                    scanner.feed(bytes);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                self.failed = true;
                self.finish();
            }
            Poll::Ready(None) => self.finish(),
            Poll::Pending => {}
        }
        next
    }
}

impl Drop for ScanStream {
    fn drop(&mut self) {
        self.finish();
    }
}
