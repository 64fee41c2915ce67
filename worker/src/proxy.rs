//! Forwarding: the original method, headers and body bytes to the upstream
//! URL, and the upstream response streamed back. For a streamed (SSE)
//! response the bytes pass through a [`UsageScanner`] chunk by chunk, and
//! the usage it found is handed over when the stream ends.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_channel::oneshot;
use futures_util::Stream;
use wasm_bindgen::JsValue;
use worker::*;

use crate::sse::UsageScanner;

/// Sends `body` (or the original body stream when `None`) with `headers` to `url`.
pub async fn forward(method: Method, headers: &Headers, body: Option<JsValue>, url: &str) -> Result<Response> {
    let headers = headers.clone();
    // The worker's own Host must not reach the upstream; fetch sets it from the URL.
    headers.delete("host")?;
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

/// The upstream response re-emitted with its status and headers, its body
/// streamed through a usage scanner. The receiver yields the usage body
/// (if any) once the stream has ended, or was dropped by a client that went away.
pub fn stream_through(mut upstream: Response) -> Result<(Response, oneshot::Receiver<Option<Vec<u8>>>)> {
    let (tx, rx) = oneshot::channel();
    let status = upstream.status_code();
    let headers = upstream.headers().clone();
    let body = ScanStream { inner: Box::pin(upstream.stream()?), scanner: Some((UsageScanner::new(), tx)) };
    Ok((Response::from_stream(body)?.with_status(status).with_headers(headers), rx))
}

struct ScanStream {
    inner: Pin<Box<ByteStream>>,
    scanner: Option<(UsageScanner, oneshot::Sender<Option<Vec<u8>>>)>,
}

impl ScanStream {
    fn finish(&mut self) {
        if let Some((scanner, tx)) = self.scanner.take() {
            let _ = tx.send(scanner.finish());
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
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.finish(),
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
