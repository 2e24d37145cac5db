//! OpenTelemetry tracing (issue 14 §2), end to end: `portunus serve` as a child process
//! (the subscriber is global, one per process) exports over OTLP/HTTP to a receiver in
//! the test, which decodes the protobuf with `opentelemetry-proto` (not the server's
//! code). One token request is one trace: the server span, the grant under it, storage
//! calls under the grant, the token hook's client span, whose `traceparent` the hook
//! receives. A caller's `traceparent` is continued, a malformed one ignored; the request
//! id is the trace id; `sampling_ratio: 0` records only traces a caller sampled; the
//! queue is flushed at shutdown; a collector that is down costs requests nothing.

use std::collections::HashMap;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;

use crate::cli::{dev_server, free_port};

const SERVICE_NAME: &str = "portunus-under-test";

/// One exported span, flattened.
#[derive(Debug, Clone)]
struct Exported {
    service: String,
    trace_id: String,
    span_id: String,
    parent: String,
    name: String,
    kind: i32,
    attributes: HashMap<String, String>,
}

impl Exported {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(list: &[KeyValue]) -> HashMap<String, String> {
    list.iter()
        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An OTLP/HTTP receiver (`POST /v1/traces`, protobuf) and a token hook (`POST /hook`,
/// answers 204) that keeps each call's `traceparent`.
struct Collector {
    port: u16,
    spans: Arc<Mutex<Vec<Exported>>>,
    traceparents: Arc<Mutex<Vec<String>>>,
}

impl Collector {
    fn start() -> Collector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let traceparents = Arc::new(Mutex::new(Vec::new()));
        let (s, t) = (spans.clone(), traceparents.clone());
        let server = HttpServer::new(move || {
            let (s, t) = (s.clone(), t.clone());
            App::new()
                .route(
                    "/v1/traces",
                    web::post().to(move |request: HttpRequest, body: web::Bytes| {
                        let s = s.clone();
                        async move {
                            assert_eq!(
                                request.headers().get("content-type").unwrap(),
                                "application/x-protobuf"
                            );
                            let export = ExportTraceServiceRequest::decode(body).unwrap();
                            let mut spans = s.lock().unwrap();
                            for resource in export.resource_spans {
                                let service = resource
                                    .resource
                                    .as_ref()
                                    .map(|r| attributes(&r.attributes))
                                    .and_then(|a| a.get("service.name").cloned())
                                    .unwrap_or_default();
                                for scope in resource.scope_spans {
                                    for span in scope.spans {
                                        spans.push(Exported {
                                            service: service.clone(),
                                            trace_id: hex(&span.trace_id),
                                            span_id: hex(&span.span_id),
                                            parent: hex(&span.parent_span_id),
                                            name: span.name,
                                            kind: span.kind,
                                            attributes: attributes(&span.attributes),
                                        });
                                    }
                                }
                            }
                            HttpResponse::Ok()
                                .content_type("application/x-protobuf")
                                .finish()
                        }
                    }),
                )
                .route(
                    "/hook",
                    web::post().to(move |request: HttpRequest| {
                        let t = t.clone();
                        async move {
                            let traceparent = request
                                .headers()
                                .get("traceparent")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("none")
                                .to_owned();
                            t.lock().unwrap().push(traceparent);
                            HttpResponse::NoContent().finish()
                        }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Collector {
            port,
            spans,
            traceparents,
        }
    }

    fn spans(&self) -> Vec<Exported> {
        self.spans.lock().unwrap().clone()
    }

    /// Polls until `found` answers, for at most 30 s.
    async fn wait_for<T>(&self, what: &str, found: impl Fn(&[Exported]) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(value) = found(&self.spans()) {
                return value;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {what} among the exported spans: {:#?}",
                self.spans()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `portunus serve all --dev`, exporting to `collector` (plain HTTP) every 100 ms.
fn traced_server(dir: &std::path::Path, collector: &Collector) -> (Command, u16, u16) {
    let (public, admin) = (free_port(), free_port());
    let mut command = dev_server(dir, public, admin);
    command
        .env("TRACING_PROVIDER", "otel")
        .env("TRACING_SERVICE_NAME", SERVICE_NAME)
        .env(
            "TRACING_PROVIDERS_OTLP_SERVER_URL",
            format!("127.0.0.1:{}", collector.port),
        )
        .env("TRACING_PROVIDERS_OTLP_INSECURE", "true")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    (command, public, admin)
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_ready(public: u16, admin: u16) {
    let ready = (0..300).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        TcpStream::connect(("127.0.0.1", admin)).is_ok()
            && TcpStream::connect(("127.0.0.1", public)).is_ok()
    });
    assert!(ready, "portunus did not start");
}

/// SIGTERM (the shell's `kill`), then the exit status and the whole log.
fn stop(mut running: Running) -> (std::process::ExitStatus, String) {
    crate::cli::sigterm(&running.0);
    let status = crate::cli::exit_within(
        &mut running.0,
        Duration::from_secs(40),
        "portunus did not exit",
    );
    let mut log = String::new();
    running
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    (status, log)
}

/// A client_credentials client created through the admin API: (id, secret).
async fn client(http: &reqwest::Client, admin: u16) -> (String, String) {
    let created: serde_json::Value = http
        .post(format!("http://127.0.0.1:{admin}/admin/clients"))
        .json(&serde_json::json!({"grant_types": ["client_credentials"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        created["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// A client_credentials token request with extra headers: (status, X-Request-Id).
async fn token(
    http: &reqwest::Client,
    public: u16,
    (id, secret): &(String, String),
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut request = http
        .post(format!("http://127.0.0.1:{public}/oauth2/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let request_id = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    (response.status().as_u16(), request_id)
}

fn is_trace_id(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The token endpoint's server span of trace `trace_id`.
fn token_span(spans: &[Exported], trace_id: &str) -> Option<Exported> {
    spans
        .iter()
        .find(|s| s.trace_id == trace_id && s.attribute("http.route") == Some("/oauth2/token"))
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_request_is_one_trace_down_to_storage_and_the_hook() {
    let collector = Collector::start();
    let dir = tempfile::tempdir().unwrap();
    let (mut command, public, admin) = traced_server(dir.path(), &collector);
    command.env(
        "OAUTH2_TOKEN_HOOK",
        format!("http://127.0.0.1:{}/hook", collector.port),
    );
    let running = Running(command.spawn().unwrap());
    wait_ready(public, admin);
    let http = reqwest::Client::new();
    let credentials = client(&http, admin).await;

    let (status, request_id) = token(&http, public, &credentials, &[]).await;
    assert_eq!(status, 200);
    // With tracing on, the request id is the trace id.
    assert!(is_trace_id(&request_id), "{request_id}");
    let trace_id = request_id;
    let (root, grant, storage, outbound) = collector
        .wait_for("complete token request trace", |spans| {
            let root = token_span(spans, &trace_id)?;
            let grant = spans
                .iter()
                .find(|s| s.parent == root.span_id && s.name == "grant client_credentials")?;
            let storage: Vec<Exported> = spans
                .iter()
                .filter(|s| s.parent == grant.span_id && s.attribute("db.system.name").is_some())
                .cloned()
                .collect();
            let outbound = spans
                .iter()
                .find(|s| s.trace_id == trace_id && s.kind == SpanKind::Client as i32)?;
            (!storage.is_empty()).then(|| (root.clone(), grant.clone(), storage, outbound.clone()))
        })
        .await;

    // The server span is the root, named by its route, with the answer.
    assert_eq!(root.kind, SpanKind::Server as i32);
    assert!(root.parent.is_empty(), "{root:?}");
    assert_eq!(root.name, "POST /oauth2/token");
    assert_eq!(root.attribute("http.request.method"), Some("POST"));
    assert_eq!(root.attribute("http.response.status_code"), Some("200"));
    assert_eq!(root.service, SERVICE_NAME);
    // The grant and its storage calls, in the same trace.
    assert_eq!(grant.trace_id, trace_id);
    assert_eq!(
        grant.attribute("oauth2.grant_type"),
        Some("client_credentials")
    );
    for span in &storage {
        assert_eq!(span.trace_id, trace_id);
        assert_eq!(span.attribute("db.system.name"), Some("sqlite"));
        assert!(
            span.name.contains("Store."),
            "a storage span is named after its store method: {span:?}"
        );
    }
    assert!(
        storage.iter().any(|s| s.name == "TokenStore.insert_tokens"
            || s.name == "TokenStore.insert_tokens_reporting"),
        "{storage:#?}"
    );
    // The token hook's call: a client span, whose traceparent the hook received.
    assert_eq!(outbound.attribute("http.request.method"), Some("POST"));
    assert_eq!(outbound.attribute("http.response.status_code"), Some("204"));
    let traceparents = collector.traceparents.lock().unwrap().clone();
    let expected = format!("00-{trace_id}-{}-01", outbound.span_id);
    assert!(
        traceparents.contains(&expected),
        "{expected} among {traceparents:?}"
    );
    drop(running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_traceparent_is_continued_and_a_malformed_one_ignored() {
    let collector = Collector::start();
    let dir = tempfile::tempdir().unwrap();
    let (mut command, public, admin) = traced_server(dir.path(), &collector);
    let running = Running(command.spawn().unwrap());
    wait_ready(public, admin);
    let http = reqwest::Client::new();
    let credentials = client(&http, admin).await;

    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let traceparent = format!("00-{caller_trace}-{caller_span}-01");
    let (status, request_id) = token(
        &http,
        public,
        &credentials,
        &[
            ("traceparent", traceparent.as_str()),
            ("x-request-id", "from-the-proxy"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(request_id, caller_trace);
    let root = collector
        .wait_for("continued trace", |spans| token_span(spans, caller_trace))
        .await;
    assert_eq!(root.parent, caller_span, "the caller's span is the parent");
    // The caller's request id is kept beside the trace id.
    assert_eq!(
        root.attribute("http.request.header.x-request-id"),
        Some("from-the-proxy")
    );

    for garbage in [
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
    ] {
        let (status, request_id) =
            token(&http, public, &credentials, &[("traceparent", garbage)]).await;
        assert_eq!(status, 200, "{garbage}");
        assert!(is_trace_id(&request_id), "{request_id}");
        assert_ne!(request_id, caller_trace);
        let root = collector
            .wait_for("new trace", |spans| token_span(spans, &request_id))
            .await;
        assert!(root.parent.is_empty(), "a new root: {root:?}");
    }
    drop(running);
}

/// `sampling_ratio: 0` records no trace of its own, but follows a caller that sampled;
/// with a long export delay, the spans only arrive through the flush at shutdown. The
/// unsampled request still has its trace id as request id in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_ratio_zero_keeps_only_sampled_callers_and_shutdown_flushes() {
    let collector = Collector::start();
    let dir = tempfile::tempdir().unwrap();
    let (mut command, public, admin) = traced_server(dir.path(), &collector);
    command
        .env("TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO", "0")
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000");
    let running = Running(command.spawn().unwrap());
    wait_ready(public, admin);
    let http = reqwest::Client::new();
    let credentials = client(&http, admin).await;

    let (status, unsampled) = token(&http, public, &credentials, &[]).await;
    assert_eq!(status, 200);
    assert!(is_trace_id(&unsampled), "{unsampled}");
    let sampled_trace = "0af7651916cd43dd8448eb211c80319c";
    let (status, _) = token(
        &http,
        public,
        &credentials,
        &[(
            "traceparent",
            &format!("00-{sampled_trace}-b7ad6b7169203331-01"),
        )],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = token(
        &http,
        public,
        &credentials,
        &[(
            "traceparent",
            "00-11111111111111111111111111111111-b7ad6b7169203331-00",
        )],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        collector.spans().is_empty(),
        "nothing is exported before the delay or the shutdown"
    );

    let (exit, log) = stop(running);
    assert!(exit.success(), "{exit:?}: {log}");
    let spans = collector.spans();
    assert!(token_span(&spans, sampled_trace).is_some(), "{spans:#?}");
    assert!(
        spans.iter().all(|s| s.trace_id == sampled_trace),
        "only the caller-sampled trace: {spans:#?}"
    );
    assert!(
        log.contains(&format!("\"request_id\":\"{unsampled}\"")),
        "the log's request id is the trace id: {log}"
    );
}

/// A collector that refuses connections: requests are answered as ever, and the log
/// says so once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_is_down_costs_requests_nothing_and_is_logged_once() {
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let closed = free_port();
    let running = Running(
        dev_server(dir.path(), public, admin)
            .env("TRACING_PROVIDER", "otel")
            .env(
                "TRACING_PROVIDERS_OTLP_SERVER_URL",
                format!("127.0.0.1:{closed}"),
            )
            .env("TRACING_PROVIDERS_OTLP_INSECURE", "true")
            .env("OTEL_BSP_SCHEDULE_DELAY", "50")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    wait_ready(public, admin);
    let http = reqwest::Client::new();
    let credentials = client(&http, admin).await;
    for _ in 0..5 {
        let started = Instant::now();
        let (status, _) = token(&http, public, &credentials, &[]).await;
        assert_eq!(status, 200);
        assert!(started.elapsed() < Duration::from_secs(5));
        // Several export rounds fail meanwhile.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (exit, log) = stop(running);
    assert!(exit.success(), "{exit:?}: {log}");
    assert_eq!(
        log.matches("the collector does not take spans").count(),
        1,
        "{log}"
    );
}

#[test]
fn a_sampling_ratio_outside_0_to_1_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (ratio, provider) in [("1.5", "otel"), ("0.5", "jaeger")] {
        let output = dev_server(dir.path(), free_port(), free_port())
            .env("TRACING_PROVIDER", provider)
            .env("TRACING_PROVIDERS_OTLP_SERVER_URL", "127.0.0.1:4318")
            .env("TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO", ratio)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success());
        let log = String::from_utf8_lossy(&output.stderr);
        if provider == "otel" {
            assert!(
                log.contains("tracing.providers.otlp.sampling.sampling_ratio")
                    && log.contains("between 0 and 1"),
                "{log}"
            );
        } else {
            assert!(
                log.contains("tracing.provider") && log.contains("only \"otel\""),
                "{log}"
            );
        }
    }
}
