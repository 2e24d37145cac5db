//! HTTPS on the listeners themselves (issue 14 §4, Hydra's `serve.tls.*`): `portunus
//! serve` with a self-signed certificate answers HTTPS with HTTP/2 by ALPN on both
//! listeners, sets `Secure` cookies and advertises an `https` issuer; SIGHUP reloads
//! the certificate for new connections while open ones keep working; a certificate
//! that cannot be used stops startup with one line naming the file.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Certificate, StatusCode, Version};
use serde_json::{Value, json};

use crate::cli::{dev_server, free_port};

/// The server process; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1: (certificate PEM, key PEM).
fn self_signed() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    (certified.cert.pem(), certified.key_pair.serialize_pem())
}

fn write_pair(dir: &Path, (cert, key): &(String, String)) {
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
}

fn start(dir: &Path, public: u16, admin: u16) -> Server {
    Server(
        dev_server(dir, public, admin)
            .env("SERVE_TLS_CERT_PATH", dir.join("cert.pem"))
            .env("SERVE_TLS_KEY_PATH", dir.join("key.pem"))
            .env("LOG_LEVEL", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start portunus"),
    )
}

/// A client that trusts only `cert` (and keeps its connections in a pool).
fn trusting(cert: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([Certificate::from_pem(cert.as_bytes()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn wait_ready(http: &reqwest::Client, admin: u16) {
    let url = format!("https://localhost:{admin}/admin/health/ready");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = http.get(&url).send().await
            && response.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("portunus did not become ready over HTTPS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_listeners_serve_https_with_http2_and_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let pair = self_signed();
    write_pair(dir.path(), &pair);
    let (public, admin) = (free_port(), free_port());
    let _server = start(dir.path(), public, admin);
    let http = trusting(&pair.0);
    wait_ready(&http, admin).await;

    for url in [
        format!("https://localhost:{public}/health/alive"),
        format!("https://localhost:{admin}/admin/health/alive"),
    ] {
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(response.version(), Version::HTTP_2, "ALPN h2 on {url}");
    }
    // Plain HTTP on a TLS port gets no HTTP answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{public}/health/alive"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.map(|r| r.status() != StatusCode::OK).unwrap_or(true),
        "plain HTTP is not served on the TLS port"
    );

    // Dev mode's default issuer follows the listener's scheme.
    let discovery: Value = http
        .get(format!(
            "https://localhost:{public}/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["issuer"],
        format!("https://127.0.0.1:{public}/"),
        "{discovery}"
    );

    // The login flow's cookie is `Secure`: every request came over TLS.
    let client: Value = http
        .post(format!("https://localhost:{admin}/admin/clients"))
        .json(&json!({
            "redirect_uris": ["https://rp.test/cb"],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "scope": "openid",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorize = http
        .get(format!("https://localhost:{public}/oauth2/auth"))
        .query(&[
            ("client_id", client["client_id"].as_str().unwrap()),
            ("response_type", "code"),
            ("redirect_uri", "https://rp.test/cb"),
            ("scope", "openid"),
            ("state", "a-long-enough-state"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = authorize
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(!cookies.is_empty(), "the flow sets its CSRF cookie");
    assert!(cookies.iter().all(|c| c.contains("Secure")), "{cookies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_connections() {
    let dir = tempfile::tempdir().unwrap();
    let first = self_signed();
    write_pair(dir.path(), &first);
    let (public, admin) = (free_port(), free_port());
    let server = start(dir.path(), public, admin);
    let old_client = trusting(&first.0);
    wait_ready(&old_client, admin).await;
    let alive = format!("https://localhost:{public}/health/alive");
    assert_eq!(
        old_client.get(&alive).send().await.unwrap().status(),
        StatusCode::OK
    );

    let second = self_signed();
    write_pair(dir.path(), &second);
    let hup = Command::new("kill")
        .args(["-HUP", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());

    // New connections get the new certificate (the reload is asynchronous: wait).
    let new_client = trusting(&second.0);
    let start = Instant::now();
    loop {
        if let Ok(response) = new_client.get(&alive).send().await {
            assert_eq!(response.status(), StatusCode::OK);
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A fresh connection trusting only the old certificate is refused now…
    assert!(
        trusting(&first.0).get(&alive).send().await.is_err(),
        "the old certificate is no longer presented"
    );
    // …while the connection opened before the reload goes on serving.
    assert_eq!(
        old_client.get(&alive).send().await.unwrap().status(),
        StatusCode::OK,
        "an open connection survives the reload"
    );
    // The process is still the same one.
    assert_eq!(
        new_client
            .get(format!("https://localhost:{admin}/admin/health/alive"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[test]
fn a_certificate_that_cannot_be_used_stops_startup_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = self_signed();
    let (_, other_key) = self_signed();
    std::fs::write(dir.path().join("garbage.pem"), "not a certificate").unwrap();
    std::fs::write(dir.path().join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.path().join("other-key.pem"), &other_key).unwrap();
    let cases = [
        ("garbage.pem", "other-key.pem", "garbage.pem"),
        ("cert.pem", "missing-key.pem", "missing-key.pem"),
        ("cert.pem", "other-key.pem", "other-key.pem"),
    ];
    for (cert_file, key_file, named) in cases {
        let mut child = dev_server(dir.path(), free_port(), free_port())
            .env("SERVE_TLS_CERT_PATH", dir.path().join(cert_file))
            .env("SERVE_TLS_KEY_PATH", dir.path().join(key_file))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run portunus");
        let began = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if began.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{cert_file} + {key_file}: portunus kept running");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = child.wait_with_output().unwrap();
        assert!(!output.status.success(), "{cert_file} + {key_file} started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("TLS:") && stderr.contains(named),
            "{cert_file} + {key_file}: {stderr}"
        );
    }
}

/// `serve.admin.tls` (here inline, as base64) replaces `serve.tls` on the admin
/// listener only: each listener presents its own certificate, and a client trusting one
/// of them reaches only that listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_listener_presents_its_own_certificate() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let shared = self_signed();
    write_pair(dir.path(), &shared);
    let admin_pair = self_signed();
    let b64 = |pem: &str| base64::engine::general_purpose::STANDARD.encode(pem);
    let (public, admin) = (free_port(), free_port());
    let _server = Server(
        dev_server(dir.path(), public, admin)
            .env("SERVE_TLS_CERT_PATH", dir.path().join("cert.pem"))
            .env("SERVE_TLS_KEY_PATH", dir.path().join("key.pem"))
            .env("SERVE_ADMIN_TLS_CERT_BASE64", b64(&admin_pair.0))
            .env("SERVE_ADMIN_TLS_KEY_BASE64", b64(&admin_pair.1))
            .env("LOG_LEVEL", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start portunus"),
    );
    let admin_client = trusting(&admin_pair.0);
    wait_ready(&admin_client, admin).await;
    let public_client = trusting(&shared.0);

    let public_url = format!("https://localhost:{public}/health/alive");
    let admin_url = format!("https://localhost:{admin}/admin/health/alive");
    let ok = |r: Result<reqwest::Response, reqwest::Error>| r.map(|r| r.status()).ok();
    assert_eq!(
        ok(public_client.get(&public_url).send().await),
        Some(StatusCode::OK)
    );
    assert_eq!(
        ok(admin_client.get(&admin_url).send().await),
        Some(StatusCode::OK)
    );
    // Each certificate is refused on the other listener's handshake.
    let crossed = public_client.get(&admin_url).send().await;
    assert!(
        crossed.is_err(),
        "admin listener served serve.tls's certificate"
    );
    let crossed = admin_client.get(&public_url).send().await;
    assert!(
        crossed.is_err(),
        "public listener served serve.admin.tls's certificate"
    );
}
