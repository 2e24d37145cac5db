//! `portunus create|get|list|delete user` against a running TestApp (through the SDK),
//! and the demo user `serve all --dev` seeds (issue 22 §1).

use std::io::{BufRead, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use portunus_server::storage::UserStore;
use portunus_server::storage::sql::SqlStore;
use portunus_server::users::password;
use serde_json::Value;

use crate::support::{TestApp, TestBackend};

/// Runs `portunus` with `args` against the app's admin listener, `stdin` as input.
async fn portunus(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut full: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    full.extend(["--endpoint".to_owned(), app.admin_url.clone()]);
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(&full)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run portunus");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn json_out(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_commands_round_trip_through_the_admin_api() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let created = json_out(
        &portunus(
            &app,
            &[
                "create",
                "user",
                "--username",
                "Judy",
                "--email",
                "judy@example.com",
                "--email-verified",
                "--name",
                "Judy Hopps",
                "--password-stdin",
                "--format",
                "json",
            ],
            "carrots-and-more\n",
        )
        .await,
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["username"], "judy");
    assert_eq!(created["email_verified"], true);
    assert_eq!(created["has_password"], true);
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());
    let signed_in = password::check(app.state.users.as_ref(), "judy", "carrots-and-more")
        .await
        .unwrap();
    assert_eq!(
        signed_in.map(|u| u.id),
        Some(id.clone()),
        "the password from standard input, without its newline"
    );

    let fetched = json_out(&portunus(&app, &["get", "user", &id, "--format", "json"], "").await);
    assert_eq!(fetched, created);

    let second = json_out(
        &portunus(
            &app,
            &[
                "create",
                "user",
                "-u",
                "nick",
                "--email",
                "nick@example.com",
                "--format",
                "json",
            ],
            "",
        )
        .await,
    );
    assert_eq!(second["has_password"], false);

    let table = portunus(&app, &["list", "users"], "").await;
    assert!(table.status.success());
    let table = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("USERNAME"),
        "{table}"
    );
    assert!(table.contains("judy@example.com") && table.contains("Judy Hopps"));

    let only = json_out(
        &portunus(
            &app,
            &["list", "users", "--username", "NICK", "--format", "json"],
            "",
        )
        .await,
    );
    assert_eq!(only.as_array().map(Vec::len), Some(1), "{only}");
    assert_eq!(only[0]["username"], "nick");

    let paged = portunus(&app, &["list", "users", "--page-size", "1"], "").await;
    assert!(paged.status.success());
    assert!(
        String::from_utf8_lossy(&paged.stderr).contains("NEXT PAGE TOKEN"),
        "{}",
        String::from_utf8_lossy(&paged.stderr)
    );

    let duplicate = portunus(
        &app,
        &["create", "user", "-u", "JUDY", "--email", "j@example.com"],
        "",
    )
    .await;
    assert!(!duplicate.status.success());
    let message = String::from_utf8_lossy(&duplicate.stderr);
    assert!(
        message.contains("conflict") && message.contains("409"),
        "{message}"
    );

    let invalid = portunus(
        &app,
        &[
            "create",
            "user",
            "-u",
            "x",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ],
        "",
    )
    .await;
    assert!(!invalid.status.success());
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("password"));

    let deleted = portunus(&app, &["delete", "user", &id], "").await;
    assert!(deleted.status.success());
    assert_eq!(String::from_utf8_lossy(&deleted.stdout).trim(), id);
    let again = portunus(&app, &["delete", "user", &id], "").await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not_found"));
    let gone = portunus(&app, &["get", "user", &id], "").await;
    assert!(!gone.status.success());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `serve all --dev` in `dir` until it printed its demo-user line, then stops it
/// with SIGTERM; returns that line and the log (standard error).
fn dev_server_demo_line(dir: &std::path::Path) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portunus"))
        .args(["serve", "all", "--dev"])
        .current_dir(dir)
        .env_remove("DSN")
        .env_remove("SECRETS_SYSTEM")
        .env("SERVE_PUBLIC_PORT", free_port().to_string())
        .env("SERVE_ADMIN_PORT", free_port().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut log);
        log
    });
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains("demo user") {
                let _ = send.send(line);
            }
        }
    });
    let line = receive.recv_timeout(Duration::from_secs(120));
    crate::cli::sigterm(&child);
    let exited = crate::cli::exit_within(
        &mut child,
        Duration::from_secs(10),
        "portunus exits after SIGTERM",
    );
    assert!(exited.success(), "clean exit: {exited:?}");
    let log = log.join().unwrap();
    (line.expect("the dev server prints a demo user line"), log)
}

/// `serve all --dev` creates the demo user once and prints its password on standard
/// output that one time (not in the log); the password signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_seeds_one_demo_user_and_shows_its_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let (first, log) = tokio::task::spawn_blocking(move || dev_server_demo_line(&path))
        .await
        .unwrap();
    let password_shown = first
        .split("with the password \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no password in {first:?}"))
        .to_owned();
    assert_eq!(password_shown.len(), 16, "{first}");
    assert!(!log.contains(&password_shown), "never in the log: {log}");

    let dsn = format!("sqlite://{}", dir.path().join("portunus.sqlite").display());
    let store = tokio::task::spawn_blocking(move || SqlStore::connect(&dsn).unwrap())
        .await
        .unwrap();
    let demo = password::check(&store, "demo", &password_shown)
        .await
        .unwrap()
        .expect("the printed password signs the demo user in");
    assert!(demo.email_verified && !demo.disabled);
    let stored_hash = demo.password_hash.clone().unwrap();
    assert!(stored_hash.starts_with("$argon2id$"));

    let path = dir.path().to_owned();
    let (second, _) = tokio::task::spawn_blocking(move || dev_server_demo_line(&path))
        .await
        .unwrap();
    assert!(second.contains("exists"), "{second}");
    assert!(!second.contains(&password_shown), "shown once: {second}");
    let again = store.get_user_by_username("demo").await.unwrap().unwrap();
    assert_eq!(again.id, demo.id, "not created twice");
    assert_eq!(again.password_hash.as_deref(), Some(stored_hash.as_str()));
}
