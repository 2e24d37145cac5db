//! `portunus create|get|rotate|delete jwk` against a running TestApp, through the SDK.

use std::process::{Command, Output};

use portunus_server::jwk::ID_TOKEN_SET;
use serde_json::Value;

use crate::support::{TestApp, TestBackend};

pub(crate) async fn portunus(app: &TestApp, args: &[&str]) -> Output {
    let mut full: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    full.extend(["--endpoint".to_owned(), app.admin_url.clone()]);
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(&full)
            .output()
            .expect("run portunus")
    })
    .await
    .unwrap()
}

pub(crate) fn json_out(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwk_commands_create_get_rotate_and_delete() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let created = json_out(
        &portunus(
            &app,
            &[
                "create", "jwk", "cli-set", "--alg", "ES256", "--kid", "one", "--format", "json",
            ],
        )
        .await,
    );
    assert_eq!(created["keys"][0]["kid"], "one");
    assert!(
        created["keys"][0]["d"].is_string(),
        "the admin API returns d"
    );

    // Hydra's spelling (`jwks`) works too; the default algorithm is RS256.
    let hydra_style =
        json_out(&portunus(&app, &["create", "jwks", "rsa-set", "--format", "json"]).await);
    assert_eq!(hydra_style["keys"][0]["alg"], "RS256");

    let rotated =
        json_out(&portunus(&app, &["rotate", "jwk", "cli-set", "--format", "json"]).await);
    assert_eq!(
        rotated["keys"][0]["alg"], "ES256",
        "rotation keeps the algorithm"
    );
    let new_kid = rotated["keys"][0]["kid"].as_str().unwrap().to_owned();
    let set = json_out(&portunus(&app, &["get", "jwk", "cli-set", "--format", "json"]).await);
    assert_eq!(kids(&set), ["one".to_owned(), new_kid.clone()]);

    let table = portunus(&app, &["get", "jwk", "cli-set", "one"]).await;
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("SET"), "{text}");
    assert!(text.contains("cli-set") && text.contains("ES256"), "{text}");
    assert!(
        !text.contains(created["keys"][0]["d"].as_str().unwrap()),
        "no key material in tables"
    );

    assert!(
        portunus(&app, &["delete", "jwk", "cli-set", "one"])
            .await
            .status
            .success()
    );
    let set = json_out(&portunus(&app, &["get", "jwk", "cli-set", "--format", "json"]).await);
    assert_eq!(kids(&set), [new_kid]);
    assert!(
        portunus(&app, &["delete", "jwk", "cli-set"])
            .await
            .status
            .success()
    );
    let missing = portunus(&app, &["get", "jwk", "cli-set"]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not_found"));

    // Rotating the ID token set adds an RS256 key that signs at once.
    let before = app.state.key_manager.signer(ID_TOKEN_SET).await.unwrap();
    let rotated =
        json_out(&portunus(&app, &["rotate", "jwk", ID_TOKEN_SET, "--format", "json"]).await);
    let after = app.state.key_manager.signer(ID_TOKEN_SET).await.unwrap();
    let now = app.state.clock.now();
    assert_ne!(
        before.current(now).unwrap().kid,
        after.current(now).unwrap().kid
    );
    assert_eq!(
        after.current(now).unwrap().kid,
        rotated["keys"][0]["kid"].as_str().unwrap()
    );
}
