//! Sending an outbound request in its own client span, with the span's `traceparent`
//! (W3C Trace Context) so the receiver can continue the trace. Every HTTP call the server
//! makes goes through [`send`]; with tracing off it is reqwest's `send`.

use tracing::Instrument;

use crate::telemetry::{propagation, spans};

/// Builds and sends `request`, as `RequestBuilder::send` does.
pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let (client, request) = request.build_split();
    let mut request = request?;
    let span = spans::http_client(request.method(), request.url());
    if span.is_disabled() {
        return client.execute(request).await;
    }
    propagation::inject(&span, request.headers_mut());
    let result = client.execute(request).instrument(span.clone()).await;
    match &result {
        Ok(response) => {
            let status = response.status().as_u16();
            span.record("http.response.status_code", status);
            if status >= 400 {
                spans::failed(&span, &status.to_string());
            }
        }
        Err(err) => spans::failed(
            &span,
            if err.is_timeout() {
                "timeout"
            } else if err.is_connect() {
                "connect"
            } else {
                "request"
            },
        ),
    }
    result
}
