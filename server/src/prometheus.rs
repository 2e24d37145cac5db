//! Prometheus metrics (docs/operations.md, "Metrics"): the `metrics` facade with the
//! Prometheus exporter as the process's recorder, rendered in the text exposition
//! format at `GET /admin/metrics/prometheus` (Hydra's path).
//!
//! Series are named in Prometheus conventions (`portunus_` prefix, `_total` counters,
//! `_seconds` histograms) and labelled only by bounded sets: listener, route template
//! (never the raw path: unmatched paths are `unmatched`), method (the nine standard ones,
//! else `other`), status, grant type, token type, client authentication method. No
//! client id or subject is ever a label.
//!
//! The recorder is process-wide (the `metrics` facade has one): installed once by the
//! first server built with `metrics.enabled`, shared by every server in the process.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "portunus_http_requests_total";
pub const HTTP_DURATION: &str = "portunus_http_request_duration_seconds";
pub const TOKENS_ISSUED: &str = "portunus_tokens_issued_total";
pub const TOKEN_ERRORS: &str = "portunus_token_requests_failed_total";
pub const CLIENT_AUTH_FAILURES: &str = "portunus_client_authentication_failures_total";
pub const TOKEN_REUSE: &str = "portunus_token_reuse_detected_total";
pub const BUILD_INFO: &str = "portunus_build_info";
pub const RATE_LIMIT_REJECTIONS: &str = "portunus_rate_limit_rejections_total";
pub const RATE_LIMIT_FAIL_OPEN: &str = "portunus_rate_limit_fail_open_total";
pub const FAILED_ATTEMPTS_FALLBACK: &str = "portunus_failed_attempts_local_fallback_total";
pub const FLOW_STEPS: &str = "portunus_authorization_flow_steps_total";
pub const DB_POOL_CONNECTIONS: &str = "portunus_db_pool_connections";
pub const DB_POOL_MAX: &str = "portunus_db_pool_max_connections";
pub const DB_POOL_WAIT: &str = "portunus_db_pool_wait_seconds";
pub const DB_ERRORS: &str = "portunus_db_errors_total";
pub const DB_BREAKER_OPEN: &str = "portunus_db_breaker_open";
pub const DB_BREAKER_OPENED: &str = "portunus_db_breaker_opened_total";
pub const SQLITE_WRITER_QUEUE: &str = "portunus_sqlite_writer_queue_depth";
pub const SQLITE_WRITER_BATCH: &str = "portunus_sqlite_writer_batch_size";
pub const JANITOR_RUNS: &str = "portunus_janitor_runs_total";
pub const JANITOR_ROWS_DELETED: &str = "portunus_janitor_rows_deleted_total";
pub const JANITOR_RUN_DURATION: &str = "portunus_janitor_run_duration_seconds";
pub const EVENTS_DELIVERED: &str = "portunus_events_delivered_total";
pub const EVENTS_PENDING: &str = "portunus_events_pending";

/// Every series this server records (the Grafana dashboard in `docs/grafana/` graphs
/// each of them, and only these: `tests::the_dashboard_graphs_every_series`).
pub const ALL_SERIES: [&str; 24] = [
    HTTP_REQUESTS,
    HTTP_DURATION,
    TOKENS_ISSUED,
    TOKEN_ERRORS,
    CLIENT_AUTH_FAILURES,
    TOKEN_REUSE,
    BUILD_INFO,
    RATE_LIMIT_REJECTIONS,
    RATE_LIMIT_FAIL_OPEN,
    FAILED_ATTEMPTS_FALLBACK,
    FLOW_STEPS,
    DB_POOL_CONNECTIONS,
    DB_POOL_MAX,
    DB_POOL_WAIT,
    DB_ERRORS,
    DB_BREAKER_OPEN,
    DB_BREAKER_OPENED,
    SQLITE_WRITER_QUEUE,
    SQLITE_WRITER_BATCH,
    JANITOR_RUNS,
    JANITOR_ROWS_DELETED,
    JANITOR_RUN_DURATION,
    EVENTS_DELIVERED,
    EVENTS_PENDING,
];

/// Latency buckets, in seconds: from a cached token lookup to a slow Argon2id check.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Waits for a pooled connection, in seconds: none at all when one is idle, up to
/// `database.acquire_timeout` under overload.
const WAIT_BUCKETS: [f64; 10] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Writes per SQLite group commit: 1 when idle, up to the writer's cap of 256.
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// One janitor run, in seconds: nothing to do up to a backlog of millions of rows.
const JANITOR_BUCKETS: [f64; 10] = [0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often the histograms' recorded samples are folded into their buckets. The
/// exporter keeps every sample of a histogram in a queue until this upkeep (or a scrape)
/// drains it: without it, a server nobody scrapes grew by ~30 bytes per request, 84 MB
/// in a 20-minute soak (docs/benchmarks.md, "The soak"). Five seconds is what the
/// exporter's own upkeep task uses.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the recorder (once per process) and describes every series. `None` when
/// another recorder was installed first (then nothing is recorded here).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &BUCKETS)
                .ok()?
                .set_buckets_for_metric(Matcher::Full(DB_POOL_WAIT.to_owned()), &WAIT_BUCKETS)
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full(SQLITE_WRITER_BATCH.to_owned()),
                    &BATCH_BUCKETS,
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full(JANITOR_RUN_DURATION.to_owned()),
                    &JANITOR_BUCKETS,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            let upkept = handle.clone();
            if let Err(error) = spawn_upkeep(UPKEEP_EVERY, move || upkept.run_upkeep()) {
                // Only a scrape drains the histograms then: say so rather than fail.
                tracing::warn!(%error, "could not start the metrics upkeep thread; histograms are drained only when scraped");
            }
            Some(handle)
        })
        .as_ref()
}

/// Runs `upkeep` every `every` on a thread of its own for the rest of the process (the
/// recorder is process-wide and lives as long; a thread rather than a task because the
/// recorder may be installed before or outside any runtime).
fn spawn_upkeep(
    every: Duration,
    upkeep: impl Fn() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                upkeep();
            }
        })
}

/// The installed recorder's handle, if metrics are on in this process.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get().and_then(Option::as_ref)
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by listener, route template, method and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request, by listener, route template and method."
    );
    describe_counter!(
        TOKENS_ISSUED,
        "Token endpoint successes, by grant type and access token type."
    );
    describe_counter!(
        TOKEN_ERRORS,
        "Token endpoint failures, by grant type and RFC 6749 error code."
    );
    describe_counter!(
        CLIENT_AUTH_FAILURES,
        "Failed client authentications, by the method the request used."
    );
    describe_counter!(
        TOKEN_REUSE,
        "Used authorization codes and rotated refresh tokens presented again (their family is revoked), by kind."
    );
    describe_counter!(
        RATE_LIMIT_REJECTIONS,
        "Requests answered 429 by the rate limiter, by endpoint group."
    );
    describe_counter!(
        RATE_LIMIT_FAIL_OPEN,
        "Requests let through because the rate limit store (Redis) failed, by endpoint group."
    );
    describe_counter!(
        FAILED_ATTEMPTS_FALLBACK,
        "Failed-attempt checks and counts made in this node's memory because the shared store (Redis) failed, by budget."
    );
    describe_counter!(
        FLOW_STEPS,
        "Authorization endpoint requests by flow step (authorize, login, consent) and outcome: continued to the next app, completed (the client got its response), denied (access_denied or an interaction error), errored."
    );
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Pooled database connections by backend and state (idle, in_use), as of the last checkout."
    );
    describe_gauge!(DB_POOL_MAX, "The database pool's size limit, by backend.");
    describe_histogram!(
        DB_POOL_WAIT,
        Unit::Seconds,
        "Time spent waiting for a pooled database connection, by backend."
    );
    describe_counter!(
        DB_ERRORS,
        "Failed storage operations by backend and kind (unavailable, timeout, contention, conflict, database)."
    );
    describe_gauge!(
        DB_BREAKER_OPEN,
        "1 while the database circuit breaker is open (storage calls fail at once), 0 once it closed again, by backend."
    );
    describe_counter!(
        DB_BREAKER_OPENED,
        "Times the database circuit breaker opened (the database became unreachable), by backend."
    );
    describe_gauge!(
        SQLITE_WRITER_QUEUE,
        "Writes waiting for the SQLite writer thread."
    );
    describe_histogram!(
        SQLITE_WRITER_BATCH,
        "Writes committed together by one SQLite group commit."
    );
    describe_counter!(
        JANITOR_RUNS,
        "Runs of the built-in janitor by outcome: completed, skipped (another node held the lock), failed."
    );
    describe_counter!(
        JANITOR_ROWS_DELETED,
        "Expired rows the janitor deleted, by table."
    );
    describe_histogram!(
        JANITOR_RUN_DURATION,
        Unit::Seconds,
        "Time one janitor run took, pauses between batches included."
    );
    describe_counter!(
        EVENTS_DELIVERED,
        "Audit events delivered, by sink (webhook, stdout)."
    );
    describe_gauge!(
        EVENTS_PENDING,
        "Audit events in the outbox not delivered yet, as the delivery worker last counted."
    );
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label says which build runs."
    );
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// The nine methods of RFC 9110 §9 by name, anything else as `other`.
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

/// One answered request; `route` is the matched route template, if any.
pub fn http_request(
    listener: &'static str,
    route: Option<&str>,
    method: &str,
    status: u16,
    seconds: f64,
) {
    if handle().is_none() {
        return;
    }
    let route = route.unwrap_or("unmatched").to_owned();
    let method = method_label(method);
    counter!(
        HTTP_REQUESTS,
        "listener" => listener,
        "route" => route.clone(),
        "method" => method,
        "status" => status.to_string()
    )
    .increment(1);
    histogram!(
        HTTP_DURATION,
        "listener" => listener,
        "route" => route,
        "method" => method
    )
    .record(seconds);
}

/// A token endpoint success.
pub fn token_issued(grant_type: &'static str, token_type: &'static str) {
    counter!(TOKENS_ISSUED, "grant_type" => grant_type, "token_type" => token_type).increment(1);
}

/// A token endpoint failure (`grant_type` as registered, or `unknown`).
pub fn token_failed(grant_type: &'static str, error: &'static str) {
    counter!(TOKEN_ERRORS, "grant_type" => grant_type, "error" => error).increment(1);
}

/// A failed client authentication by `method`.
pub fn client_authentication_failed(method: &'static str) {
    counter!(CLIENT_AUTH_FAILURES, "method" => method).increment(1);
}

/// A used code or rotated refresh token presented again; `kind` is
/// `authorization_code` or `refresh_token`.
pub fn token_reused(kind: &str) {
    counter!(TOKEN_REUSE, "kind" => kind.to_owned()).increment(1);
}

/// A request the rate limiter refused; `group` is an endpoint group's name.
pub fn rate_limit_rejected(group: &'static str) {
    counter!(RATE_LIMIT_REJECTIONS, "group" => group).increment(1);
}

/// A request let through because the rate limit store failed.
pub fn rate_limit_failed_open(group: &'static str) {
    counter!(RATE_LIMIT_FAIL_OPEN, "group" => group).increment(1);
}

/// A failed-attempt budget decided in memory because its shared store failed.
pub fn failed_attempts_fell_back(budget: &'static str) {
    counter!(FAILED_ATTEMPTS_FALLBACK, "budget" => budget).increment(1);
}

/// One request of the authorization endpoint: its flow `step` and `outcome` (both
/// from fixed sets, see [`FLOW_STEPS`]'s description).
pub fn flow_step(step: &'static str, outcome: &'static str) {
    counter!(FLOW_STEPS, "step" => step, "outcome" => outcome).increment(1);
}

/// Whether a recorder is installed: callers skip work that only feeds metrics.
pub fn enabled() -> bool {
    handle().is_some()
}

/// One checkout of a pooled connection on `backend`: the pool's state right after it
/// and how long it waited.
pub fn db_checkout(backend: &'static str, connections: u32, idle: u32, max: u32, waited: f64) {
    let in_use = connections.saturating_sub(idle);
    gauge!(DB_POOL_CONNECTIONS, "backend" => backend, "state" => "idle").set(f64::from(idle));
    gauge!(DB_POOL_CONNECTIONS, "backend" => backend, "state" => "in_use").set(f64::from(in_use));
    gauge!(DB_POOL_MAX, "backend" => backend).set(f64::from(max));
    histogram!(DB_POOL_WAIT, "backend" => backend).record(waited);
}

/// A storage operation on `backend` that failed with an error of `kind`.
pub fn db_error(backend: &'static str, kind: &'static str) {
    counter!(DB_ERRORS, "backend" => backend, "kind" => kind).increment(1);
}

/// The database circuit breaker of `backend` opened (`true`) or closed.
pub fn db_breaker(backend: &'static str, open: bool) {
    gauge!(DB_BREAKER_OPEN, "backend" => backend).set(if open { 1.0 } else { 0.0 });
    if open {
        counter!(DB_BREAKER_OPENED, "backend" => backend).increment(1);
    }
}

/// Writes now waiting for the SQLite writer.
pub fn sqlite_writer_queue(depth: usize) {
    gauge!(SQLITE_WRITER_QUEUE).set(depth as f64);
}

/// One SQLite group commit of `writes` writes.
pub fn sqlite_writer_batch(writes: usize) {
    histogram!(SQLITE_WRITER_BATCH).record(writes as f64);
}

/// One janitor run that ended with `outcome` (`completed`, `skipped`, `failed`) after
/// `seconds`.
pub fn janitor_run(outcome: &'static str, seconds: f64) {
    counter!(JANITOR_RUNS, "outcome" => outcome).increment(1);
    histogram!(JANITOR_RUN_DURATION).record(seconds);
}

/// `rows` expired rows the janitor deleted from `table`.
pub fn janitor_rows_deleted(table: &'static str, rows: u64) {
    counter!(JANITOR_ROWS_DELETED, "table" => table).increment(rows);
}

/// An audit event delivered to `sink` (`webhook`, `stdout`).
pub fn event_delivered(sink: &'static str) {
    counter!(EVENTS_DELIVERED, "sink" => sink).increment(1);
}

/// Audit events in the outbox not delivered yet, as the delivery worker last counted.
pub fn events_pending(pending: u64) {
    gauge!(EVENTS_PENDING).set(pending as f64);
}

/// The text exposition of every series, or `None` when metrics are off.
pub fn render() -> Option<String> {
    handle().map(PrometheusHandle::render)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The upkeep keeps running, not once: each run drains what was recorded since the
    /// last, so a single run would leave the queues growing again (the soak's leak).
    #[test]
    fn the_upkeep_runs_again_and_again() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        spawn_upkeep(Duration::from_millis(5), move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        // A bounded wait for an event, not a timing assertion: three runs at any pace.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while runs.load(Ordering::SeqCst) < 3 {
            assert!(
                std::time::Instant::now() < deadline,
                "the upkeep stopped running"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The `portunus_*` series names a PromQL text mentions, histogram suffixes removed.
    fn series_in(expr: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = expr;
        while let Some(start) = rest.find("portunus_") {
            let tail = &rest[start..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            let name = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .filter(|base| ALL_SERIES.contains(base))
                .unwrap_or(name);
            names.push(name.to_owned());
            rest = &tail[end..];
        }
        names
    }

    #[test]
    fn the_dashboard_graphs_every_series() {
        let dashboard: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/grafana/portunus.json")).unwrap();
        let mut graphed = Vec::new();
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                graphed.extend(series_in(target["expr"].as_str().unwrap()));
            }
        }
        for name in &graphed {
            assert!(
                ALL_SERIES.contains(&name.as_str()),
                "the dashboard graphs {name}, which this server does not record"
            );
        }
        for name in ALL_SERIES {
            assert!(
                graphed.iter().any(|g| g == name),
                "the dashboard does not graph {name}"
            );
        }
        assert_eq!(
            series_in("rate(portunus_db_pool_wait_seconds_bucket[5m])"),
            ["portunus_db_pool_wait_seconds"]
        );
    }

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("BREW"), "other");
        assert_eq!(method_label("get"), "other");
    }
}
