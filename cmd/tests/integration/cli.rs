//! The `portunus` binary: client commands against a running TestApp (through the SDK),
//! startup refusals, and graceful shutdown on SIGTERM.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{TestApp, TestBackend};

fn portunus(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portunus"));
    command
        .args(args)
        .env_remove("DSN")
        .env_remove("SECRETS_SYSTEM");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().expect("run portunus")
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_commands_round_trip_through_the_admin_api() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let endpoint = app.admin_url.clone();
    let run = move |args: Vec<String>| {
        let endpoint = endpoint.clone();
        tokio::task::spawn_blocking(move || {
            let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
            full.extend(["--endpoint", &endpoint]);
            portunus(&full, &[])
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    let created = run(args(&[
        "create",
        "client",
        "--name",
        "cli app",
        "--grant-type",
        "authorization_code,refresh_token",
        "--response-type",
        "code",
        "--scope",
        "openid",
        "--scope",
        "offline",
        "--redirect-uri",
        "https://cli.example.com/cb",
        "--audience",
        "https://api.example.com",
        "--metadata",
        r#"{"k":"v"}"#,
        "--format",
        "json",
    ]))
    .await
    .unwrap();
    let created = stdout_json(&created);
    let id = created["client_id"].as_str().unwrap().to_owned();
    assert!(
        created["client_secret"]
            .as_str()
            .is_some_and(|s| s.len() >= 43)
    );
    assert_eq!(created["scope"], "openid offline");
    assert_eq!(
        created["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );

    // Read back with plain HTTP and with the SDK.
    let by_curl: Value = app
        .http
        .get(app.admin_path(&format!("/admin/clients/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_curl["client_name"], "cli app");
    assert_eq!(by_curl["metadata"]["k"], "v");
    let by_sdk = app
        .admin
        .get_o_auth2_client()
        .id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        by_sdk.redirect_uris,
        Some(vec!["https://cli.example.com/cb".to_owned()])
    );

    let got = stdout_json(
        &run(args(&["get", "client", &id, "--format", "json"]))
            .await
            .unwrap(),
    );
    assert_eq!(got["client_id"], id.as_str());
    assert!(got.get("client_secret").is_none());

    let listed = stdout_json(
        &run(args(&["list", "clients", "--format", "json"]))
            .await
            .unwrap(),
    );
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    let table = run(args(&["list", "clients"])).await.unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.starts_with("CLIENT ID") && table.contains(&id),
        "{table}"
    );

    let updated = stdout_json(
        &run(args(&[
            "update", "client", &id, "--name", "renamed", "--format", "json",
        ]))
        .await
        .unwrap(),
    );
    assert_eq!(updated["client_name"], "renamed");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clients.json");
    std::fs::write(&file, r#"[{"client_id":"imported-1"},{"client_id":"imported-2","token_endpoint_auth_method":"none"}]"#).unwrap();
    let imported = stdout_json(
        &run(args(&[
            "import",
            "client",
            file.to_str().unwrap(),
            "--format",
            "json",
        ]))
        .await
        .unwrap(),
    );
    assert_eq!(imported.as_array().map(Vec::len), Some(2));

    let deleted = run(args(&["delete", "client", &id, "imported-1", "imported-2"]))
        .await
        .unwrap();
    assert!(deleted.status.success());
    let missing = run(args(&["get", "client", &id])).await.unwrap();
    assert!(!missing.status.success(), "getting a deleted client fails");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("not_found") && stderr.contains(&id),
        "{stderr}"
    );

    let invalid = run(args(&["create", "client", "--redirect-uri", "not-a-url"]))
        .await
        .unwrap();
    assert!(!invalid.status.success());
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("redirect_uris[0]"));
}

#[test]
fn serve_refuses_to_start_without_dsn_or_secret() {
    // Every missing key at once, each named once (issue 21).
    let output = portunus(&["serve", "all"], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: 3 configuration errors:"),
        "{stderr}"
    );
    for key in ["`dsn`", "`secrets.system`", "`urls.self.issuer`"] {
        assert_eq!(stderr.matches(key).count(), 1, "{key} in {stderr}");
    }
    assert_eq!(stderr.lines().count(), 4, "{stderr}");

    let output = portunus(
        &["serve", "all"],
        &[("DSN", "sqlite:///tmp/never-used.sqlite")],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("secrets.system"));

    let output = portunus(
        &["serve", "all"],
        &[
            ("DSN", "sqlite:///tmp/x.sqlite"),
            ("SECRETS_SYSTEM", "too-short"),
        ],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("secrets.system[0]"));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "serve:\n  public:\n    porrt: 1\n").unwrap();
    let output = portunus(&["serve", "all", "-c", config.to_str().unwrap()], &[]);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("serve.public"),
        "unknown keys are named"
    );
}

/// A minimal HTTP/1.1 GET; returns the status line.
pub(crate) fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_owned()
}

/// A minimal HTTP/1.0 GET; returns the body.
pub(crate) fn http_get_body(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// `portunus serve all --dev` in `dir` on the ports `public` and `admin`, with neither
/// `DSN` nor `SECRETS_SYSTEM` taken from the test's environment (dev mode makes both);
/// callers add settings and pipes, then spawn it.
pub(crate) fn dev_server(dir: &std::path::Path, public: u16, admin: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portunus"));
    command
        .args(["serve", "all", "--dev"])
        .current_dir(dir)
        .env_remove("DSN")
        .env_remove("SECRETS_SYSTEM")
        .env("SERVE_PUBLIC_PORT", public.to_string())
        .env("SERVE_ADMIN_PORT", admin.to_string());
    command
}

/// SIGTERM through the shell's own `kill` (a builtin of every POSIX sh): a minimal
/// system has no /bin/kill (procps), and the tests must not need more than the build.
pub(crate) fn sigterm(child: &std::process::Child) {
    let kill = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(kill.success());
}

/// Waits up to `within` for `child` to exit and returns its status; past that, kills it
/// and fails with `what` (what its not exiting means).
pub(crate) fn exit_within(
    child: &mut std::process::Child,
    within: Duration,
    what: &str,
) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("{what} (no exit within {within:?})");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn dev_mode_serves_migrates_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let mut child = dev_server(dir.path(), public, admin)
        .env("LOG_FORMAT", "json")
        .env("SERVE_PUBLIC_REQUEST_LOG_DISABLE_FOR_HEALTH", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", admin)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", public)).is_ok()
    });
    assert!(ready, "dev server did not start");
    // One health probe and one other request on the public listener: only the latter
    // may appear in the access log (serve.public.request_log.disable_for_health).
    for path in ["/health/alive", "/.well-known/jwks.json"] {
        let status = http_get(public, path);
        assert!(status.starts_with("HTTP/1.1 200"), "{path}: {status}");
    }
    // Issue 21: one dev host everywhere: the issuer is 127.0.0.1, as every doc says.
    let discovery = http_get_body(public, "/.well-known/openid-configuration");
    assert!(
        discovery.contains(&format!("\"issuer\":\"http://127.0.0.1:{public}/\"")),
        "{discovery}"
    );
    assert!(dir.path().join("portunus.sqlite").exists());
    assert!(dir.path().join("portunus.dev-secret").exists());
    let migrate = portunus(
        &[
            "migrate",
            "sql",
            "status",
            &format!("sqlite://{}", dir.path().join("portunus.sqlite").display()),
        ],
        &[],
    );
    let status = String::from_utf8_lossy(&migrate.stdout);
    assert!(
        status.contains("applied") && !status.contains("pending"),
        "{status}"
    );

    sigterm(&child);
    let status = exit_within(
        &mut child,
        Duration::from_secs(10),
        "portunus exits after SIGTERM",
    );
    assert!(status.success(), "clean exit: {status:?}");
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(log.contains("generated a random system secret"), "{log}");
    // The start message says where to go next (issue 21).
    assert!(
        log.contains(&format!("http://127.0.0.1:{admin}/swagger-ui/"))
            && log.contains(&format!("http://127.0.0.1:{public}/"))
            && log.contains("perform client-credentials"),
        "{log}"
    );
    assert!(
        log.contains("\"route\":\"/.well-known/jwks.json\""),
        "requests are logged: {log}"
    );
    assert!(
        !log.contains("\"route\":\"/health/alive\""),
        "health probes are not: {log}"
    );
    assert!(
        !log.contains("dev-secret\n")
            && !log.contains(
                &std::fs::read_to_string(dir.path().join("portunus.dev-secret"))
                    .unwrap()
                    .trim()
                    .to_owned()
            ),
        "the secret is never logged"
    );
    assert!(
        log.contains("\"stopped\"") || log.contains("stopped"),
        "{log}"
    );
}

/// Issue 21: a missing configuration file is one clear line, the OS error said once.
#[test]
fn missing_config_file_is_one_message() {
    let output = portunus(&["serve", "all", "-c", "/nonexistent/portunus.yaml"], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/portunus.yaml"), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

/// Issue 21: `--help` leads a new user to `--dev` and the documentation; every flag
/// of `create client` says what it does (`cli.rs` unit tests check all commands).
#[test]
fn help_mentions_dev_mode_and_the_docs() {
    let output = portunus(&["--help"], &[]);
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in ["--dev", "README.md", "docs/", "perform"] {
        assert!(help.contains(needle), "{needle} in {help}");
    }
    let output = portunus(&["create", "client", "--help"], &[]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("default: offline_access, offline, openid"),
        "{help}"
    );
}

/// Issue 21: a port in use names the settings that choose it.
#[test]
fn address_in_use_names_the_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_portunus"))
        .args(["serve", "all", "--dev"])
        .current_dir(dir.path())
        .env("SERVE_PUBLIC_PORT", &port)
        .env("SERVE_ADMIN_PORT", free_port().to_string())
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("in use") && stderr.contains("serve.public.port"),
        "{stderr}"
    );
}

/// Issue 21: the command `migrate sql status` suggests works as printed.
#[test]
fn migrate_status_suggests_a_command_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let dsn = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let output = portunus(&["migrate", "sql", "status", "-e"], &[("DSN", &dsn)]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let suggested = stdout
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("a suggestion in {stdout}"));
    assert_eq!(suggested, "portunus migrate sql up -e");
    let args: Vec<&str> = suggested.split(' ').skip(1).collect();
    let output = portunus(&args, &[("DSN", &dsn)]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = portunus(&["migrate", "sql", "status", "-e"], &[("DSN", &dsn)]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains("pending:"));
}

/// A reader that stops early (`portunus openapi | head`) ends the output quietly: no
/// panic message, a successful exit. The document is larger than a pipe's buffer.
#[test]
fn closed_stdout_is_not_a_panic() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_portunus"))
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here, before the rest of the document is written.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.status.success(), "{stderr}");
}
