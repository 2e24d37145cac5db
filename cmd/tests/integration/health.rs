//! `/health/alive`, `/health/ready` (503 while the database is gone, 200 when it is
//! back) and the reference service's `/ping`, `/ready` and `/health` beside them,
//! `/admin/version`, `/robots.txt`, request ids, and the admin API key. The
//! outage scenario as a whole (requests failing fast, discovery and JWKS answering) is
//! in `faults_outage.rs`.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_server::clock::FixedClock;
use serde_json::Value;

use crate::support::test_db::TestDatabase;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    health_answers_on_both_listeners,
    created_at_comes_from_the_clock,
    api_key_guards_admin_but_not_health
);

async fn get_json(app: &TestApp, url: String) -> (u16, Value) {
    let response = app.http.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

async fn health_answers_on_both_listeners(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for url in [
        app.public_path("/health/alive"),
        app.public_path("/health/ready"),
        app.admin_path("/health/alive"),
        app.admin_path("/health/ready"),
        app.admin_path("/admin/health/alive"),
        app.admin_path("/admin/health/ready"),
    ] {
        let (status, body) = get_json(&app, url.clone()).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("ok")),
            "{url}"
        );
    }
    let (status, body) = get_json(&app, app.admin_path("/admin/version")).await;
    assert_eq!(status, 200);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let robots = app
        .http
        .get(app.public_path("/robots.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(robots.status().as_u16(), 200);
    assert!(robots.text().await.unwrap().contains("Disallow: /"));
    let echoed = app
        .http
        .get(app.public_path("/health/alive"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers().get("x-request-id").unwrap(), "trace-me-42");
    let fresh = app
        .http
        .get(app.public_path("/health/alive"))
        .send()
        .await
        .unwrap();
    assert!(
        fresh
            .headers()
            .get("x-request-id")
            .is_some_and(|v| v.len() == 36)
    );
}

async fn created_at_comes_from_the_clock(backend: TestBackend) {
    let at = chrono::Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
    let app = TestApp::builder(backend)
        .clock(Arc::new(FixedClock::new(at)))
        .build()
        .await;
    let created = app
        .admin
        .create_o_auth2_client()
        .body(portunus_sdk::types::OAuth2Client::default())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.created_at, Some(at));
    assert_eq!(created.updated_at, Some(at));

    // The reference service's health report is stamped by the same clock.
    let (status, body) = get_json(&app, app.public_path("/health")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({
            "status": "healthy",
            "database": "connected",
            "version": env!("CARGO_PKG_VERSION"),
            "timestamp": "2030-01-02T03:04:05Z",
        })
    );
    let (status, body) = get_json(&app, app.public_path("/ready")).await;
    assert_eq!((status, &body["status"]), (200, &Value::from("ok")));
    let ping = app.http.get(app.public_path("/ping")).send().await.unwrap();
    assert_eq!(ping.status().as_u16(), 200);
    assert!(
        ping.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(ping.text().await.unwrap(), "OK");
}

async fn api_key_guards_admin_but_not_health(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.serve.admin.api_key = Some("admin-key-0123456789-abcdefghijkl".into()))
        .build()
        .await;
    // The SDK client carries the key.
    app.admin
        .list_o_auth2_clients()
        .send()
        .await
        .expect("with key");
    let without = app
        .http
        .get(app.admin_path("/admin/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status().as_u16(), 401);
    assert!(without.headers().get("www-authenticate").is_some());
    let body: Value = without.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    let wrong = app
        .http
        .get(app.admin_path("/clients"))
        .bearer_auth("admin-key-0123456780")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    for path in [
        "/health/ready",
        "/admin/health/alive",
        "/swagger-ui/",
        "/openapi.json",
    ] {
        let open = app.http.get(app.admin_path(path)).send().await.unwrap();
        assert_eq!(open.status().as_u16(), 200, "{path}");
    }
}

/// Polls public readiness until it answers `want` (readiness answers from a background
/// probe, so it follows the database within about a second); the body of that answer.
async fn ready_becomes(app: &TestApp, want: u16) -> Value {
    for _ in 0..200 {
        let (status, body) = get_json(app, app.public_path("/health/ready")).await;
        if status == want {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("readiness never answered {want}");
}

/// Readiness follows the database: a SQLite file moved away is an outage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_while_the_sqlite_file_is_gone() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let path = app.db.sqlite_path().expect("sqlite").to_owned();
    let aside = path.with_extension("moved");
    std::fs::rename(&path, &aside).unwrap();
    let body = ready_becomes(&app, 503).await;
    assert!(
        body["errors"]["database"]
            .as_str()
            .is_some_and(|e| e.contains("removed or replaced")),
        "{body}"
    );
    let (status, _) = get_json(&app, app.admin_path("/admin/health/ready")).await;
    assert_eq!(status, 503);
    let (status, _) = get_json(&app, app.public_path("/health/alive")).await;
    assert_eq!(status, 200, "alive does not depend on the database");
    // The reference service's surface follows the same probe.
    let (status, _) = get_json(&app, app.public_path("/ready")).await;
    assert_eq!(status, 503);
    let (status, body) = get_json(&app, app.public_path("/health")).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["database"], "disconnected");
    let ping = app.http.get(app.public_path("/ping")).send().await.unwrap();
    assert_eq!(
        ping.status().as_u16(),
        200,
        "ping does not depend on the database"
    );
    std::fs::rename(&aside, &path).unwrap();
    let body = ready_becomes(&app, 200).await;
    assert_eq!(body["status"], "ok");
    let (status, body) = get_json(&app, app.public_path("/health")).await;
    assert_eq!(
        (status, &body["database"]),
        (200, &Value::from("connected"))
    );
}

/// Readiness follows the database: PostgreSQL refusing connections is an outage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_while_postgres_refuses_connections() {
    let Some(PostgresApp { app, name, admin }) = postgres_app().await else {
        return;
    };
    admin
        .run(format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await;
    let body = ready_becomes(&app, 503).await;
    assert!(body["errors"]["database"].is_string(), "{body}");
    admin
        .run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true;"))
        .await;
    ready_becomes(&app, 200).await;
    app.admin
        .create_o_auth2_client()
        .body(portunus_sdk::types::OAuth2Client::default())
        .send()
        .await
        .expect("writes work again");
}

/// PostgreSQL connections the server closed (restart, `pg_terminate_backend`, an idle
/// timeout) are noticed and replaced: pooled connections used moments ago are handed out
/// without a check (no round trip per storage call), so a request may meet a dead
/// connection (503), but that connection is then dropped and the pool recovers by
/// itself: once a request succeeds again, every later one does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_postgres_connections_are_replaced() {
    let Some(PostgresApp { app, name, admin }) = postgres_app().await else {
        return;
    };
    // Concurrent storage calls spread over several pooled connections.
    let warm = (0..8).map(|_| get_json(&app, app.admin_path("/admin/clients")));
    for (status, _) in futures::future::join_all(warm).await {
        assert_eq!(status, 200);
    }
    admin
        .run(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await;
    let mut statuses = Vec::new();
    while !statuses.contains(&200) {
        assert!(statuses.len() < 200, "never served again: {statuses:?}");
        let (status, body) = get_json(&app, app.admin_path("/admin/clients")).await;
        assert!(status == 200 || status == 503, "{status} {body}");
        statuses.push(status);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for _ in 0..20 {
        statuses.push(get_json(&app, app.admin_path("/admin/clients")).await.0);
    }
    let first_ok = statuses.iter().position(|s| *s == 200).unwrap_or(0);
    assert!(
        statuses[first_ok..].iter().all(|s| *s == 200),
        "dead connections kept being handed out: {statuses:?}"
    );
    app.admin
        .create_o_auth2_client()
        .body(portunus_sdk::types::OAuth2Client::default())
        .send()
        .await
        .expect("writes work");
}

/// An app on a fresh PostgreSQL database, that database's name, and a way to run SQL as
/// the server's administrator; `None` (after saying so) when PostgreSQL is not configured.
pub(crate) struct PostgresApp {
    pub app: TestApp,
    pub name: String,
    pub admin: PostgresAdmin,
}

pub(crate) struct PostgresAdmin {
    server: String,
}

impl PostgresAdmin {
    pub async fn run(&self, sql: String) {
        let server = self.server.clone();
        tokio::task::spawn_blocking(move || {
            use diesel::Connection;
            use diesel::connection::SimpleConnection;
            portunus_server::storage::sql::init_openssl();
            let mut conn = diesel::PgConnection::establish(&server).expect("postgres");
            conn.batch_execute(&sql).expect("admin sql");
        })
        .await
        .unwrap();
    }
}

pub(crate) async fn postgres_app() -> Option<PostgresApp> {
    let Some(server) = TestBackend::Postgres.server_url() else {
        eprintln!(
            "not run: {} is not set",
            crate::support::test_db::POSTGRES_URL_VAR
        );
        return None;
    };
    let db = TestDatabase::create(TestBackend::Postgres);
    let name = db
        .dsn
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let app = TestApp::builder(TestBackend::Postgres)
        .database(db)
        .build()
        .await;
    Some(PostgresApp {
        app,
        name,
        admin: PostgresAdmin { server },
    })
}
