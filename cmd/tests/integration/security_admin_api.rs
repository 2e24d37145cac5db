//! The admin API stays Hydra-compatible (open unless `serve.admin.api_key` is set) but
//! not carelessly (issue 12, item 5): a short or empty-but-set key is refused at
//! startup, and an admin listener beyond loopback without a key is warned about.

use std::process::Command;

use crate::security_trusted_proxies::with_dev_server;

const WARNING: &str = "the admin API listens on a non-loopback address without serve.admin.api_key";

#[test]
fn short_or_empty_api_keys_are_refused_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    for key in ["", "only-twenty-characters"] {
        let output = Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(["serve", "all", "--dev"])
            .current_dir(dir.path())
            .env_remove("DSN")
            .env_remove("SECRETS_SYSTEM")
            .env("SERVE_ADMIN_API_KEY", key)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{key:?} must be refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("serve.admin.api_key") && stderr.contains("32 characters"),
            "{key:?}: {stderr}"
        );
        assert!(key.is_empty() || !stderr.contains(key), "never echoed");
    }
}

#[test]
fn an_admin_api_beyond_loopback_without_a_key_is_warned_about() {
    let log = with_dev_server(&[("SERVE_ADMIN_HOST", "0.0.0.0".into())], |_, _| {});
    assert!(log.contains(WARNING), "{log}");

    let log = with_dev_server(
        &[
            ("SERVE_ADMIN_HOST", "0.0.0.0".into()),
            ("SERVE_ADMIN_API_KEY", "k".repeat(32)),
        ],
        |_, _| {},
    );
    assert!(!log.contains(WARNING), "a key silences it: {log}");

    let log = with_dev_server(&[], |_, _| {});
    assert!(
        !log.contains(WARNING),
        "loopback (the dev default) is quiet: {log}"
    );
    assert!(log.contains("listening"), "{log}");
}
