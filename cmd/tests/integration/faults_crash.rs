//! Crash durability (issue 23): `portunus serve` killed with SIGKILL while eight
//! clients request `client_credentials` tokens as fast as it answers, or while eight
//! refresh-token families rotate as fast as it answers, then started again on the same
//! database. Every token the clients received a 200 for still introspects active (for
//! refresh, the latest of each family), no refresh family is left half-rotated (each
//! has exactly one live refresh token), and an SQLite file passes `PRAGMA
//! integrity_check`. (An answered write is committed before the answer; what a power
//! loss may take with SQLite's `synchronous=NORMAL` is in docs/benchmarks.md.)

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{dev_server, free_port};
use crate::support::browser::{Browser, param};
use crate::support::test_db::TestDatabase;
use crate::support::{TestBackend, per_backend};

per_backend!(
    sigkill_under_load_loses_no_answered_token,
    sigkill_under_refresh_load_leaves_no_family_half_rotated,
);

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
    start_with(dir, dsn, public, admin, &[])
}

/// `start` with more environment variables.
fn start_with(dir: &Path, dsn: &str, public: u16, admin: u16, env: &[(&str, &str)]) -> Server {
    Server(
        dev_server(dir, public, admin)
            .env("DSN", dsn)
            .env("LOG_LEVEL", "error")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start portunus"),
    )
}

/// Waits until `progress()` reaches `at_least`, then kills `server` with SIGKILL while
/// the load runs (requests in flight, some writes committed but not answered), and
/// stops and joins the load.
async fn kill_under_load(
    server: &mut Server,
    progress: impl Fn() -> usize,
    at_least: usize,
    stop: &AtomicBool,
    load: Vec<tokio::task::JoinHandle<()>>,
) {
    let began = Instant::now();
    while progress() < at_least {
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "the load never got going"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
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
    let progress = || answered.lock().unwrap().len();
    kill_under_load(&mut server, progress, ANSWERED_BEFORE_KILL, &stop, load).await;
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

    assert_integrity(&db);
}

/// SQLite's own check of the file after the crash (the server backends have theirs).
fn assert_integrity(db: &TestDatabase) {
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    if db.backend == TestBackend::Sqlite {
        let checks: Vec<Check> = db.select("PRAGMA integrity_check");
        let results: Vec<&str> = checks.iter().map(|c| c.integrity_check.as_str()).collect();
        assert_eq!(results, ["ok"]);
    }
}

/// Refresh families that rotate during the load.
const FAMILIES: usize = 8;
/// Rotations answered before the kill.
const ROTATED_BEFORE_KILL: usize = 120;
const CALLBACK: &str = "https://rp.test/cb";

/// The admin API's answer to an accepted login or consent: where the browser goes next.
async fn accept(http: &reqwest::Client, url: String, body: Value) -> String {
    let answer: Value = http
        .put(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["redirect_to"].as_str().unwrap().to_owned()
}

/// One authorization code flow with `offline_access` through the admin API's login and
/// consent (the login and consent apps' part): the first access and refresh token.
async fn first_tokens(
    http: &reqwest::Client,
    public: u16,
    admin: u16,
    client: (&str, &str),
    subject: &str,
) -> (String, String) {
    let browser = Browser::new();
    let mut authorize = url::Url::parse(&format!("http://127.0.0.1:{public}/oauth2/auth")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", client.0)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("scope", "openid offline_access")
        .append_pair("state", "crash-test-state");
    let step = |page: crate::support::browser::Page| {
        page.location
            .unwrap_or_else(|| panic!("no redirect ({}): {}", page.status, page.body))
    };
    let to_login = step(browser.get(authorize.as_str()).await);
    let challenge = param(&to_login, "login_challenge").expect("login_challenge");
    let admin_url = format!("http://127.0.0.1:{admin}/admin/oauth2/auth/requests");
    let next = accept(
        http,
        format!("{admin_url}/login/accept?login_challenge={challenge}"),
        json!({"subject": subject}),
    )
    .await;
    let to_consent = step(browser.get(&next).await);
    let challenge = param(&to_consent, "consent_challenge").expect("consent_challenge");
    let next = accept(
        http,
        format!("{admin_url}/consent/accept?consent_challenge={challenge}"),
        json!({"grant_scope": ["openid", "offline_access"]}),
    )
    .await;
    let callback = step(browser.get(&next).await);
    let code = param(&callback, "code").unwrap_or_else(|| panic!("a code: {callback}"));
    let body: Value = http
        .post(format!("http://127.0.0.1:{public}/oauth2/token"))
        .basic_auth(client.0, Some(client.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = |name: &str| {
        body[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {body}"))
            .to_owned()
    };
    (token("access_token"), token("refresh_token"))
}

/// What a refresh answered: the new pair on a complete 200, `Err(status)` otherwise
/// (`0`: no answer).
async fn refresh(
    http: &reqwest::Client,
    url: &str,
    client: (&str, &str),
    refresh_token: &str,
) -> Result<(String, String), u16> {
    let response = http
        .post(url)
        .basic_auth(client.0, Some(client.1))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .map_err(|_| 0u16)?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(status);
    }
    let body: Value = response.json().await.map_err(|_| 0u16)?;
    match (
        body["access_token"].as_str(),
        body["refresh_token"].as_str(),
    ) {
        (Some(access), Some(refresh)) => Ok((access.to_owned(), refresh.to_owned())),
        _ => Err(0),
    }
}

async fn introspect(http: &reqwest::Client, admin: u16, token: &str) -> Value {
    http.post(format!("http://127.0.0.1:{admin}/admin/oauth2/introspect"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn sigkill_under_refresh_load_leaves_no_family_half_rotated(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // Headless, as in production: login and consent are the admin API's.
    let launch = || {
        start_with(
            dir.path(),
            &db.dsn,
            public,
            admin,
            &[
                ("URLS_LOGIN", "https://login.test/login"),
                ("URLS_CONSENT", "https://consent.test/consent"),
                ("LOGIN_UI_ENABLED", "false"),
            ],
        )
    };
    let mut server = launch();
    wait_ready(&http, admin).await;
    let created: Value = http
        .post(format!("http://127.0.0.1:{admin}/admin/clients"))
        .json(&json!({
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "redirect_uris": [CALLBACK],
            "scope": "openid offline_access",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let mut families = Vec::new();
    for i in 0..FAMILIES {
        let subject = format!("user-{i}");
        families.push(first_tokens(&http, public, admin, (&id, &secret), &subject).await);
    }

    // Each worker rotates its own family; `latest[i]` is the pair last answered 200.
    let latest = Arc::new(Mutex::new(families));
    let rotated = Arc::new(Mutex::new(0usize));
    let refused = Arc::new(Mutex::new(Vec::<u16>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let url = format!("http://127.0.0.1:{public}/oauth2/token");
    let load: Vec<_> = (0..FAMILIES)
        .map(|i| {
            let (http, url, id, secret) = (http.clone(), url.clone(), id.clone(), secret.clone());
            let (latest, rotated, refused, stop) = (
                latest.clone(),
                rotated.clone(),
                refused.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let current = latest.lock().unwrap()[i].1.clone();
                    match refresh(&http, &url, (&id, &secret), &current).await {
                        Ok(pair) => {
                            latest.lock().unwrap()[i] = pair;
                            *rotated.lock().unwrap() += 1;
                        }
                        // After the kill: no answer (0). Anything else before it is a
                        // failure of the test's premise, reported below.
                        Err(status) => {
                            if status != 0 {
                                refused.lock().unwrap().push(status);
                            }
                            // A refused or unanswered rotation may have committed: the
                            // answered token may be used up, so this family stops.
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    let progress = || *rotated.lock().unwrap();
    kill_under_load(&mut server, progress, ROTATED_BEFORE_KILL, &stop, load).await;
    assert_eq!(
        *refused.lock().unwrap(),
        Vec::<u16>::new(),
        "every rotation before the kill succeeded"
    );

    // Underneath, before any request can change it: every family that has refresh
    // tokens has exactly one live one (never none: rotated away without its successor;
    // never two: the successor stored without the predecessor used).
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Family {
        #[diesel(sql_type = diesel::sql_types::Text)]
        family_id: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        live: i64,
    }
    #[derive(diesel::QueryableByName)]
    struct FamilyId {
        #[diesel(sql_type = diesel::sql_types::Text)]
        family_id: String,
    }
    let mut all: Vec<String> = db
        .select::<FamilyId>(
            "SELECT DISTINCT family_id FROM oauth2_tokens WHERE kind = 'refresh_token'",
        )
        .into_iter()
        .map(|f| f.family_id)
        .collect();
    all.sort();
    let mut live: Vec<Family> = db.select(
        "SELECT family_id, COUNT(*) AS live FROM oauth2_tokens \
         WHERE kind = 'refresh_token' AND active = TRUE AND used_at IS NULL \
         GROUP BY family_id",
    );
    live.sort_by(|a, b| a.family_id.cmp(&b.family_id));
    assert_eq!(all.len(), FAMILIES, "one family per login");
    let expected: Vec<Family> = all
        .iter()
        .map(|f| Family {
            family_id: f.clone(),
            live: 1,
        })
        .collect();
    assert_eq!(
        live, expected,
        "each family has exactly one live refresh token"
    );
    assert_integrity(&db);

    // Over HTTP after the restart: a family whose last answered refresh token is still
    // live (its in-flight rotation did not commit) keeps its last answered access token
    // and rotates on; one whose in-flight rotation committed lost only that answer.
    let _server = launch();
    wait_ready(&http, admin).await;
    let latest = latest.lock().unwrap().clone();
    for (access, refresh_token) in &latest {
        if introspect(&http, admin, refresh_token).await["active"] != true {
            continue;
        }
        assert_eq!(
            introspect(&http, admin, access).await["active"],
            true,
            "the access token answered with a live refresh token survives the crash"
        );
        let next = refresh(&http, &url, (&id, &secret), refresh_token).await;
        assert!(
            next.is_ok(),
            "a live refresh token rotates after restart: {next:?}"
        );
    }
}
