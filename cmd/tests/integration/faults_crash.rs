//! Crash durability (issue 23): `portunus serve` killed with SIGKILL while eight
//! clients request `client_credentials` tokens as fast as it answers, then started
//! again on the same database. Every token the clients received a 200 for still
//! introspects active, and an SQLite file passes `PRAGMA integrity_check`. (An
//! answered write is committed before the answer; what a power loss may take with
//! SQLite's `synchronous=NORMAL` is in docs/benchmarks.md.)

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl, sql_query};
use serde_json::{Value, json};

use crate::cli::{dev_server, free_port};
use crate::support::test_db::TestDatabase;
use crate::support::{TestBackend, per_backend};

per_backend!(sigkill_under_load_loses_no_answered_token);

/// Tokens answered before the kill; enough that writes are in flight when it lands.
const ANSWERED_BEFORE_KILL: usize = 150;

/// The server process; killed when dropped, so a failing test leaves none behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `serve all --dev` on `dsn` (dev mode migrates, and keeps its generated system
/// secret in `dir`, so a restart in the same directory opens the same tokens).
fn start(dir: &Path, dsn: &str, public: u16, admin: u16) -> Server {
    Server(
        dev_server(dir, public, admin)
            .env("DSN", dsn)
            .env("LOG_LEVEL", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start portunus"),
    )
}

async fn wait_ready(http: &reqwest::Client, admin: u16) {
    let url = format!("http://127.0.0.1:{admin}/admin/health/ready");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = http.get(&url).send().await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("portunus did not become ready");
}

/// One token request; the access token when the answer was a complete 200.
async fn token(http: &reqwest::Client, url: &str, id: &str, secret: &str) -> Option<String> {
    let response = http
        .post(url)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body["access_token"].as_str().map(str::to_owned)
}

async fn sigkill_under_load_loses_no_answered_token(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut server = start(dir.path(), &db.dsn, public, admin);
    wait_ready(&http, admin).await;
    let created: Value = http
        .post(format!("http://127.0.0.1:{admin}/admin/clients"))
        .json(&json!({"grant_types": ["client_credentials"], "scope": "read"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();

    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let url = format!("http://127.0.0.1:{public}/oauth2/token");
    let load: Vec<_> = (0..8)
        .map(|_| {
            let (http, url, id, secret) = (http.clone(), url.clone(), id.clone(), secret.clone());
            let (answered, stop) = (answered.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match token(&http, &url, &id, &secret).await {
                        Some(token) => answered.lock().unwrap().push(token),
                        // Refused once the server is gone: stop hammering the port.
                        None => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
            })
        })
        .collect();
    let began = Instant::now();
    while answered.lock().unwrap().len() < ANSWERED_BEFORE_KILL {
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "the load never got going"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // SIGKILL mid-load: requests are in flight, some writes not yet answered.
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= ANSWERED_BEFORE_KILL);

    let _server = start(dir.path(), &db.dsn, public, admin);
    wait_ready(&http, admin).await;
    let introspect = format!("http://127.0.0.1:{admin}/admin/oauth2/introspect");
    let mut lost = Vec::new();
    for token in &answered {
        let body: Value = http
            .post(&introspect)
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body["active"] != true {
            lost.push(token.clone());
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} answered tokens lost after SIGKILL",
        lost.len(),
        answered.len()
    );

    if backend == TestBackend::Sqlite {
        #[derive(diesel::QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let path = db.dsn.trim_start_matches("sqlite://");
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        let checks: Vec<Check> = sql_query("PRAGMA integrity_check").load(&mut conn).unwrap();
        let results: Vec<&str> = checks.iter().map(|c| c.integrity_check.as_str()).collect();
        assert_eq!(results, ["ok"]);
    }
}
