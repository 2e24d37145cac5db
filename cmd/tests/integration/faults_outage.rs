//! The database goes away and comes back (issue 23, docs/operations.md "Faults"). While
//! it is away: readiness answers 503 on both listeners (from the background probe, never
//! hanging), liveness, discovery and JWKS still answer 200, and a request that needs the
//! database answers 503 `temporarily_unavailable` with `Retry-After` (at once once the
//! circuit breaker is open) instead of hanging. Afterwards readiness is 200 again, tokens
//! are issued again, and a token issued before the outage is still active.
//!
//! Bounds are generous for a loaded CI machine: an answer within [`ANSWER_WITHIN`] (a
//! hanging request fails the test), readiness following the database within
//! [`FOLLOW_WITHIN`].

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::health::{PostgresApp, postgres_app};
use crate::support::flow::{FlowClient, create_client};
use crate::support::{TestApp, TestBackend};

/// Every request of these tests must be answered within this, outage or not.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// Readiness must follow the database within this.
const FOLLOW_WITHIN: Duration = Duration::from_secs(20);

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(ANSWER_WITHIN)
        .build()
        .unwrap()
}

async fn get(http: &reqwest::Client, url: String) -> (u16, Value) {
    let response = http
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url} not answered within {ANSWER_WITHIN:?}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls public readiness until it answers `want`.
async fn readiness_becomes(app: &TestApp, http: &reqwest::Client, want: u16) {
    let start = Instant::now();
    loop {
        let (status, body) = get(http, app.public_path("/health/ready")).await;
        if status == want {
            return;
        }
        assert!(
            start.elapsed() < FOLLOW_WITHIN,
            "readiness still {status} {body} after {FOLLOW_WITHIN:?}, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `client_credentials` request: status, `Retry-After`, body.
async fn client_credentials(
    app: &TestApp,
    http: &reqwest::Client,
    client: &FlowClient,
) -> (u16, Option<String>, Value) {
    let response = http
        .post(app.public_path("/oauth2/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("token request not answered within {ANSWER_WITHIN:?}: {e}"));
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap())
}

fn assert_unavailable(answer: &(u16, Option<String>, Value)) {
    let (status, retry_after, body) = answer;
    assert_eq!(*status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
}

/// What is true while the database is away.
async fn assert_outage(app: &TestApp, client: &FlowClient) {
    let http = http();
    readiness_becomes(app, &http, 503).await;
    for url in [
        app.public_path("/health/ready"),
        app.admin_path("/health/ready"),
        app.admin_path("/admin/health/ready"),
    ] {
        let (status, body) = get(&http, url.clone()).await;
        assert_eq!(status, 503, "{url}: {body}");
        assert!(body["errors"]["database"].is_string(), "{url}: {body}");
    }
    for url in [
        app.public_path("/health/alive"),
        app.admin_path("/admin/health/alive"),
        app.public_path("/.well-known/openid-configuration"),
        app.public_path("/.well-known/jwks.json"),
    ] {
        let (status, body) = get(&http, url.clone()).await;
        assert_eq!(status, 200, "{url} during the outage: {body}");
    }
    // Requests that need the database: 503 JSON, none hanging. A few may still be
    // answered 200 before the breaker opens (SQLite writes to the moved file).
    let start = Instant::now();
    loop {
        let answer = client_credentials(app, &http, client).await;
        if answer.0 == 503 {
            assert_unavailable(&answer);
            break;
        }
        assert_eq!(
            answer.0, 200,
            "only 200 or 503 during the outage: {:?}",
            answer.2
        );
        assert!(
            start.elapsed() < FOLLOW_WITHIN,
            "never 503 during the outage"
        );
    }
    // The breaker is open by now (the probe has failed for a while): every one answers
    // 503 at once, and concurrent ones do not queue behind each other.
    let burst = (0..16).map(|_| client_credentials(app, &http, client));
    for answer in futures::future::join_all(burst).await {
        assert_unavailable(&answer);
    }
}

/// What is true once the database is back; `issued` was answered 200 before the outage.
async fn assert_recovered(app: &TestApp, client: &FlowClient, issued: &str) {
    let http = http();
    readiness_becomes(app, &http, 200).await;
    let (status, _, body) = client_credentials(app, &http, client).await;
    assert_eq!(status, 200, "tokens are issued again: {body}");
    assert!(
        app.introspect(issued, None).await.active,
        "nothing answered 200 is lost"
    );
    let (status, body) = get(&http, app.admin_path("/admin/health/ready")).await;
    assert_eq!(status, 200, "{body}");
}

/// The value of `portunus_db_breaker_open` / `…_opened_total` for `backend`, from the
/// metrics endpoint.
async fn breaker_series(app: &TestApp, backend: &str) -> (Option<f64>, Option<f64>) {
    let text = http()
        .get(app.admin_path("/admin/metrics/prometheus"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        let prefix = format!("{name}{{backend=\"{backend}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse().ok())
    };
    (
        value("portunus_db_breaker_open"),
        value("portunus_db_breaker_opened_total"),
    )
}

async fn machine_client(app: &TestApp) -> (FlowClient, String) {
    let client = create_client(
        app,
        json!({"grant_types": ["authorization_code", "refresh_token", "client_credentials"]}),
    )
    .await;
    let (status, _, body) = client_credentials(app, &http(), &client).await;
    assert_eq!(status, 200, "{body}");
    // Neither discovery nor the JWKS is asked for before the outage: the keys loaded at
    // startup serve them (`KeyManager::warm`).
    (client, body["access_token"].as_str().unwrap().to_owned())
}

/// PostgreSQL refusing connections (and every pooled connection terminated): the
/// measured outage of issue 23, on a database of the test's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_fails_fast_and_recovers() {
    let Some(PostgresApp { app, name, admin }) = postgres_app().await else {
        return;
    };
    let (client, issued) = machine_client(&app).await;
    admin
        .run(format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await;
    assert_outage(&app, &client).await;
    assert_eq!(breaker_series(&app, "postgres").await.0, Some(1.0));
    admin
        .run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true;"))
        .await;
    assert_recovered(&app, &client, &issued).await;
    assert_eq!(breaker_series(&app, "postgres").await.0, Some(0.0));
}

/// The SQLite file moved away: the store's connections would go on writing to the moved
/// file, so readiness reports it and the breaker stops requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_outage_fails_fast_and_recovers() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let (client, issued) = machine_client(&app).await;
    let path = app.db.sqlite_path().expect("sqlite").to_owned();
    let aside = path.with_extension("moved");
    std::fs::rename(&path, &aside).unwrap();
    assert_outage(&app, &client).await;
    let (open, opened) = breaker_series(&app, "sqlite").await;
    assert_eq!(open, Some(1.0), "the breaker gauge shows the outage");
    assert!(opened.is_some_and(|n| n >= 1.0), "{opened:?}");
    std::fs::rename(&aside, &path).unwrap();
    assert_recovered(&app, &client, &issued).await;
    assert_eq!(
        breaker_series(&app, "sqlite").await.0,
        Some(0.0),
        "closed again"
    );
}
