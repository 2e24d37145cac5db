//! `portunus perform client-credentials|authorization-code|device-code` (Hydra's `hydra perform`):
//! the binary gets tokens from a running TestApp the way a client does, and the tokens
//! it prints are live (RFC 7662 introspection answers `active`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{accept_consent, accept_login, consent_challenge, login_challenge};
use crate::support::{TestApp, TestBackend};

async fn create_client(app: &TestApp, body: Value) -> (String, String) {
    let body: portunus_sdk::types::OAuth2Client = serde_json::from_value(body).unwrap();
    let created = app
        .admin
        .create_o_auth2_client()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    (created.client_id.unwrap(), created.client_secret.unwrap())
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    app.http
        .post(app.admin_path("/admin/oauth2/introspect"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `perform authorization-code` for client `id` with its callback on `port`:
/// the child, the thread reading all of its stderr, and the authorization URL it printed.
async fn start_perform_code(
    app: &TestApp,
    id: &str,
    secret: &str,
    port: u16,
) -> (std::process::Child, std::thread::JoinHandle<String>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portunus"))
        .args(["perform", "authorization-code", "--client-id", id])
        .args(["--port", &port.to_string(), "--endpoint", &app.public_url])
        .args(["--format", "json", "--timeout", "60"])
        .env("PORTUNUS_CLIENT_SECRET", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read all of stderr (a closed pipe would fail the CLI's later messages), handing
    // the authorization URL over as soon as it is printed.
    let stderr = child.stderr.take().unwrap();
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let stderr_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("http") {
                let _ = url_tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let authorize =
        tokio::task::spawn_blocking(move || url_rx.recv_timeout(Duration::from_secs(60)))
            .await
            .unwrap()
            .expect("the CLI prints the authorization URL");
    (child, stderr_reader, authorize)
}

/// Waits for the CLI to exit successfully and returns the token response it printed,
/// with the access, refresh and ID tokens.
async fn printed_tokens(
    child: std::process::Child,
    stderr_reader: std::thread::JoinHandle<String>,
) -> Value {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("the CLI exits after the exchange")
    .unwrap()
    .unwrap();
    let stderr = stderr_reader.join().unwrap();
    assert!(output.status.success(), "{stderr}");
    let tokens: Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in ["access_token", "refresh_token", "id_token"] {
        assert!(tokens[key].is_string(), "{key} in {tokens}");
    }
    tokens
}

/// RFC 6749 §4.4 through the CLI: the printed token is active with the asked scope;
/// a wrong secret fails with the endpoint's error, printed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perform_client_credentials_prints_a_live_token() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let (id, secret) = create_client(
        &app,
        json!({"grant_types": ["client_credentials"], "scope": "read write"}),
    )
    .await;
    let endpoint = app.public_url.clone();
    let run = move |secret: String, format: &'static str| {
        let (endpoint, id) = (endpoint.clone(), id.clone());
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_portunus"))
                .args(["perform", "client-credentials", "--client-id", &id])
                .args([
                    "--scope",
                    "read",
                    "--endpoint",
                    &endpoint,
                    "--format",
                    format,
                ])
                .env("PORTUNUS_CLIENT_SECRET", secret)
                .output()
                .unwrap()
        })
    };

    let output = run(secret.clone(), "json").await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.ends_with(b"\n"), "JSON ends with a newline");
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(response["token_type"], "bearer");
    assert_eq!(response["scope"], "read");
    let token = response["access_token"].as_str().unwrap();
    let introspection = introspect(&app, token).await;
    assert_eq!(introspection["active"], true, "{introspection}");
    assert_eq!(introspection["scope"], "read");

    let table = run(secret, "table").await.unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.starts_with("ACCESS TOKEN  "), "{table}");

    let refused = run("wrong".to_owned(), "json").await.unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert_eq!(stderr.matches("invalid_client").count(), 1, "{stderr}");
    assert!(refused.stdout.is_empty());
}

/// RFC 6749 §4.1 with PKCE through the CLI: it prints the authorization URL, the test
/// plays browser and login/consent app, the browser lands on the CLI's callback
/// listener, and the CLI prints tokens that are live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perform_authorization_code_receives_the_code_and_prints_tokens() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (id, secret) = create_client(
        &app,
        json!({
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid offline_access",
            "redirect_uris": [redirect],
        }),
    )
    .await;
    let (child, stderr_reader, authorize) = start_perform_code(&app, &id, &secret, port).await;
    assert!(authorize.starts_with(&app.public_path("/oauth2/auth?")));
    assert_eq!(
        param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );

    let browser = Browser::new();
    // A request the callback listener is not waiting for is answered and ignored.
    assert_eq!(
        browser
            .get(&format!("http://127.0.0.1:{port}/favicon.ico"))
            .await
            .status,
        404
    );
    let challenge = login_challenge(&browser, &authorize).await;
    let to_consent = accept_login(&app, &challenge, "ada", false).await;
    let challenge = consent_challenge(&browser, &to_consent).await;
    let back = accept_consent(&app, &challenge, &["openid", "offline_access"], false).await;
    let callback = browser
        .get(&back)
        .await
        .location
        .expect("redirect to the client");
    assert!(callback.starts_with(&redirect), "{callback}");
    let landing = browser.get(&callback).await;
    assert_eq!(landing.status, 200, "{}", landing.body);

    let tokens = printed_tokens(child, stderr_reader).await;
    let introspection = introspect(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(introspection["active"], true, "{introspection}");
    assert_eq!(introspection["sub"], "ada");
}

/// The same through the built-in login UI (issue 22 §3), as a dev server without a
/// login app serves it: the user signs in and consents on `/ui/*`, the consent's
/// redirect reaches the CLI's callback, and the CLI prints the user's tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perform_authorization_code_works_through_the_built_in_pages() {
    use crate::support::login_ui::{
        PASSWORD, USERNAME, app_with_ui, consent_page, create_user, follow, sign_in_page,
        submit_consent, submit_sign_in,
    };
    let app = app_with_ui(TestBackend::Sqlite, |c| c.dev = true).await;
    let user = create_user(&app).await;
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (id, secret) = create_client(
        &app,
        json!({
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid offline_access",
            "redirect_uris": [redirect],
        }),
    )
    .await;
    let (child, stderr_reader, authorize) = start_perform_code(&app, &id, &secret, port).await;

    let browser = Browser::new();
    let (_, page) = sign_in_page(&app, &browser, &authorize).await;
    let signed_in = submit_sign_in(&app, &browser, &page, USERNAME, PASSWORD, false).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let (_, consent) = consent_page(&app, &browser, &signed_in.location.unwrap()).await;
    let accepted = submit_consent(
        &app,
        &browser,
        &consent,
        "accept",
        &["openid", "offline_access"],
    )
    .await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    let callback = follow(&browser, &accepted.location.unwrap()).await;
    assert!(callback.starts_with(&redirect), "{callback}");
    let landing = browser.get(&callback).await;
    assert_eq!(landing.status, 200, "{}", landing.body);

    let tokens = printed_tokens(child, stderr_reader).await;
    let introspection = introspect(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(introspection["active"], true, "{introspection}");
    assert_eq!(introspection["sub"], user.id.as_str());
}

/// RFC 8628 through the CLI (`perform device-code`): it prints the verification URI
/// and the user code, the test plays browser and device, login and consent apps, and
/// the CLI, polling meanwhile, prints tokens that are live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perform_device_code_polls_and_prints_tokens() {
    use crate::support::device::{DEVICE_DONE_URL, approve, configure, device_client};
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(configure)
        .build()
        .await;
    let client = device_client(&app).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_portunus"))
        .args(["perform", "device-code", "--client-id", &client.id])
        .args(["--scope", "openid,offline", "--endpoint", &app.public_url])
        .args(["--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Open ") {
                let uri = rest.split(' ').next().unwrap_or_default().to_owned();
                let code = rest.rsplit(' ').next().unwrap_or_default().to_owned();
                let _ = tx.send((uri, code));
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let (uri, code) = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
        .await
        .unwrap()
        .expect("the CLI prints the verification URI and user code");
    assert_eq!(uri, app.public_path("/oauth2/device/verify"));
    assert_eq!(code.len(), 8, "{code}");
    let done = approve(&app, &Browser::new(), &uri, &code, &["openid", "offline"]).await;
    assert_eq!(done, DEVICE_DONE_URL);
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("the CLI exits once authorized")
    .unwrap()
    .unwrap();
    let stderr = stderr_reader.join().unwrap();
    assert!(output.status.success(), "{stderr}");
    let tokens: Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in ["access_token", "refresh_token", "id_token"] {
        assert!(tokens[key].is_string(), "{key} in {tokens}");
    }
    let introspection = introspect(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(introspection["active"], true, "{introspection}");
    assert_eq!(introspection["sub"], "ada");
}
