//! Code we did not write, driving Portunus: Ory's own published Hydra SDK for Python
//! (compat/ory_python_sdk.py: client management, keys, the login/consent flow, sessions)
//! and the Authlib relying party (compat/oidc_rp_authlib.py). Runs when
//! `PORTUNUS_TEST_ORY_PYTHON` names a Python with compat/requirements.txt installed
//! (`.ci/run` sets it up); a configured interpreter that fails is a failure.

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// OIDC Core, RP-Initiated Logout: Authlib (a relying-party library we did not write)
/// logs in with PKCE, validates the ID token, calls userinfo, refreshes, logs out, and
/// logs in again through a pushed authorization request (RFC 9126), against the real
/// `portunus serve all --dev` binary (compat/oidc_rp_authlib.py).
#[test]
fn authlib_relying_party_against_serve_dev() {
    let Some(python) = std::env::var(ORY_PYTHON_VAR).ok().filter(|p| !p.is_empty()) else {
        eprintln!("not run: {ORY_PYTHON_VAR} is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let public_url = format!("http://127.0.0.1:{public}");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_portunus"))
        .args(["serve", "all", "--dev"])
        .current_dir(dir.path())
        .env_remove("DSN")
        .env_remove("SECRETS_SYSTEM")
        .env("SERVE_PUBLIC_PORT", public.to_string())
        .env("SERVE_ADMIN_PORT", admin.to_string())
        .env("URLS_SELF_ISSUER", format!("{public_url}/"))
        .env("URLS_LOGIN", "https://login.test/login")
        .env("URLS_CONSENT", "https://consent.test/consent")
        .env("URLS_LOGOUT", "https://logout.test/logout")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..150).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", admin)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", public)).is_ok()
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../compat/oidc_rp_authlib.py");
    let output = ready.then(|| {
        std::process::Command::new(python)
            .args([script, &format!("http://127.0.0.1:{admin}"), &public_url])
            .output()
    });
    let _ = server.kill();
    let _ = server.wait();
    assert!(ready, "portunus serve all --dev did not start");
    let output = output.unwrap().expect("run the Authlib script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "relying-party check failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("all relying-party checks passed"),
        "{stdout}"
    );
}
