//! Ory's own published Hydra SDK for Python drives a TestApp unchanged (compat/
//! ory_python_sdk.py): client management, keys, the login/consent flow, sessions.
//! Runs when `PORTUNUS_TEST_ORY_PYTHON` names a Python with `ory-hydra-client`
//! installed (`.ci/run` sets it up); a configured interpreter that fails is a failure.

use crate::support::{TestApp, TestBackend};

pub const ORY_PYTHON_VAR: &str = "PORTUNUS_TEST_ORY_PYTHON";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ory_python_sdk_works_unchanged() {
    let Some(python) = std::env::var(ORY_PYTHON_VAR).ok().filter(|p| !p.is_empty()) else {
        eprintln!("not run: {ORY_PYTHON_VAR} is not set");
        return;
    };
    // Dev mode: cookies without `Secure`, as Python's cookie jar (like a browser) will
    // not send `Secure` cookies over the plain HTTP of the test listeners.
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.dev = true)
        .build()
        .await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../compat/ory_python_sdk.py");
    let (admin, public) = (app.admin_url.clone(), app.public_url.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args([script, &admin, &public])
            .output()
    })
    .await
    .unwrap()
    .expect("run the Ory SDK script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "Ory SDK check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all Ory SDK checks passed"), "{stdout}");
}
