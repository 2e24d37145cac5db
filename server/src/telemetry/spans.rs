//! The trace's spans, named and shaped after OpenTelemetry's semantic conventions: one
//! server span per HTTP request, one span per token grant, per storage call and per
//! outbound HTTP call. All have the target [`TARGET`]: with tracing off they are
//! disabled where they are created, and nothing here computes a name or reads a header.

use opentelemetry::trace::TraceContextExt;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::TARGET;

/// The server span of one HTTP request, continuing the caller's trace when its headers
/// carry one (`propagation.rs`).
pub fn http_server(
    method: &str,
    path: &str,
    headers: &actix_web::http::header::HeaderMap,
    listener: &'static str,
) -> Span {
    let span = tracing::info_span!(
        target: TARGET,
        "http.server",
        otel.name = %method,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        url.path = %path,
        http.route = Empty,
        http.response.status_code = Empty,
        portunus.listener = listener,
    );
    if !span.is_disabled() {
        // Only fails when the span has started, and it has not.
        let _ = span.set_parent(super::propagation::extract(headers));
    }
    span
}

/// Completes a server span with the answer: the route, the status, and the name
/// `METHOD route` (method alone for a path no route matched: paths carry ids).
pub fn http_server_answered(span: &Span, method: &str, route: Option<&str>, status: u16) {
    if span.is_disabled() {
        return;
    }
    span.record("http.response.status_code", status);
    if let Some(route) = route {
        span.record("http.route", route);
        // Started spans take a new name only this way (`otel.name` is read at the start).
        span.context()
            .span()
            .update_name(format!("{method} {route}"));
    }
    // Server spans are errors for 5xx only; a 4xx is the client's.
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
}

/// A token request's grant: client authentication and the grant's handler.
pub fn grant(grant_type: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "oauth2.grant",
        otel.name = %format!("grant {grant_type}"),
        oauth2.grant_type = %grant_type,
        otel.status_code = Empty,
        error.type = Empty,
    )
}

/// Marks a span failed with an error code (an OAuth 2.0 error, a storage error kind).
pub fn failed(span: &Span, code: &str) {
    if !span.is_disabled() {
        span.record("otel.status_code", "error");
        span.record("error.type", code);
    }
}

/// One storage call, named after the store method that made it (`TokenStore.get_token`),
/// which is the caller of `F`'s closure. Only inside a trace: the background tasks'
/// polling (events, janitor) would otherwise make a trace of every query.
pub fn storage<F>(backend: &'static str) -> Span {
    // Not `tracing::enabled!`: with per-layer filters it leaves the thread's filter
    // state dirty, and the next event on the thread is lost to the log.
    if !super::exporting() || !in_trace() {
        return Span::none();
    }
    let span = tracing::info_span!(
        target: TARGET,
        "storage",
        otel.name = Empty,
        db.system.name = backend,
        otel.status_code = Empty,
        error.type = Empty,
    );
    if !span.is_disabled() {
        let name = operation_name(std::any::type_name::<F>());
        span.record("otel.name", name.as_deref().unwrap_or("storage"));
    }
    span
}

/// Work a request leaves to a background task (back-channel logout deliveries): a span
/// in the request's trace that does not keep the request's spans open.
pub fn background(name: &'static str) -> Span {
    let span = tracing::info_span!(target: TARGET, parent: None, "background", otel.name = name);
    if !span.is_disabled() {
        let _ = span.set_parent(opentelemetry::Context::current());
    }
    span
}

/// Whether the current OpenTelemetry context has a span (one of ours is entered).
fn in_trace() -> bool {
    opentelemetry::Context::map_current(|context| context.has_active_span())
}

/// An outbound HTTP call. The URL is recorded without its query and credentials.
pub fn http_client(method: &reqwest::Method, url: &url::Url) -> Span {
    tracing::info_span!(
        target: TARGET,
        "http.client",
        otel.name = %method,
        otel.kind = "client",
        otel.status_code = Empty,
        http.request.method = %method,
        url.full = %without_query(url),
        server.address = url.host_str().unwrap_or_default(),
        http.response.status_code = Empty,
        error.type = Empty,
    )
}

fn without_query(url: &url::Url) -> String {
    let port = url
        .port()
        .map(|port| format!(":{port}"))
        .unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}

/// `Owner.method` from the type name of a closure defined in that method: the trait of
/// an `impl Trait for Type`, the type of an inherent `impl`, else the module. Type names
/// are for diagnostics and their form may change; `None` when it is not understood.
fn operation_name(type_name: &str) -> Option<String> {
    let mut path = type_name;
    // Closures and async blocks: `::{{closure}}`, `::{closure#0}`, `::{async_block#0}`.
    while let Some((head, last)) = path.rsplit_once("::") {
        if !last.starts_with('{') {
            break;
        }
        path = head;
    }
    // A method's generic arguments (async_trait's lifetimes: `get_token<'_, '_>`).
    if path.ends_with('>') && !path.ends_with(">>") {
        let mut depth = 0usize;
        for (at, c) in path.char_indices().rev() {
            match c {
                '>' => depth += 1,
                '<' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        if path[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                            path = &path[..at];
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    let (owner, method) = path.rsplit_once("::")?;
    if method.is_empty() || !method.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    // `<Type as Trait>` for a trait's method (older compilers: `<impl Trait for Type>`).
    let owner = match owner.strip_suffix('>') {
        Some(head) => {
            let inside = match head.rfind("<impl ") {
                Some(start) => &head[start + 1..],
                None => head.strip_prefix('<').unwrap_or(head),
            };
            match (inside.strip_prefix("impl "), inside.rsplit_once(" as ")) {
                (Some(imp), _) => imp.split_once(" for ").map_or(imp, |(trait_, _)| trait_),
                (None, Some((_, trait_))) => trait_,
                (None, None) => inside,
            }
        }
        None => owner,
    };
    let owner = owner.split('<').next().unwrap_or(owner);
    let owner = owner.rsplit("::").next().unwrap_or(owner);
    (!owner.is_empty()).then(|| format!("{owner}.{method}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Store {
        fn call(&self) -> &'static str;
    }

    struct Sql;

    fn name_of<F>(_: &F) -> &'static str {
        std::any::type_name::<F>()
    }

    impl Store for Sql {
        fn call(&self) -> &'static str {
            let work = || ();
            name_of(&work)
        }
    }

    impl Sql {
        fn inherent(&self) -> &'static str {
            let work = || ();
            name_of(&work)
        }
    }

    #[async_trait::async_trait]
    trait AsyncStore {
        async fn get(&self) -> &'static str;
    }

    #[async_trait::async_trait]
    impl AsyncStore for Sql {
        async fn get(&self) -> &'static str {
            let work = move || ();
            name_of(&work)
        }
    }

    #[tokio::test]
    async fn names_come_from_the_method_around_the_closure() {
        // The forms this compiler gives, so that a change of form shows up here: the
        // storage ports are async_trait traits.
        assert_eq!(
            operation_name(Sql.get().await).as_deref(),
            Some("AsyncStore.get")
        );
        assert_eq!(operation_name(Sql.call()).as_deref(), Some("Store.call"));
        assert_eq!(
            operation_name(Sql.inherent()).as_deref(),
            Some("Sql.inherent")
        );
        let async_trait_form = "<portunus_server::storage::sql::SqlStore as \
            portunus_server::storage::tokens::TokenStore>::get_token::{{closure}}::{{closure}}";
        assert_eq!(
            operation_name(async_trait_form).as_deref(),
            Some("TokenStore.get_token")
        );
        let older_form = "portunus_server::storage::sql::tokens::<impl \
            portunus_server::storage::tokens::TokenStore for \
            portunus_server::storage::sql::SqlStore>::get_token::{closure#0}";
        assert_eq!(
            operation_name(older_form).as_deref(),
            Some("TokenStore.get_token")
        );
        assert_eq!(
            operation_name("portunus_server::storage::sql::janitor::delete_batch::{closure#0}")
                .as_deref(),
            Some("janitor.delete_batch")
        );
        assert_eq!(operation_name("{{closure}}"), None);
        assert_eq!(operation_name("<a as b>::{{closure}}"), None);
    }

    #[test]
    fn disabled_spans_cost_nothing_to_complete() {
        let span = grant("client_credentials");
        assert!(span.is_disabled());
        failed(&span, "invalid_client");
        http_server_answered(&span, "POST", Some("/oauth2/token"), 500);
    }
}
