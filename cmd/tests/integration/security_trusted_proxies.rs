//! Forwarded headers count only from `serve.<listener>.trusted_proxies` (issue 12,
//! item 1): a trusted proxy's `X-Forwarded-For` is the client address in the access
//! log and its `X-Forwarded-Proto: https` turns cookies `Secure`; anybody else's are
//! ignored. (The parsing rules are unit tests of `server/src/http/forwarded.rs`.)

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::support::flow::{authorize_url, create_client};
use crate::support::test_app::SelfUrls;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(forwarded_https_makes_cookies_secure_only_from_a_trusted_proxy);

/// Whether the login CSRF cookie set by `/oauth2/auth` has `Secure`, with `headers`.
async fn csrf_cookie_secure(app: &TestApp, headers: &[(&str, &str)]) -> bool {
    let client = create_client(app, json!({})).await;
    let mut request = app
        .http
        .get(authorize_url(app, &client.id, &[("scope", "openid")]));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&app.state.config.serve.cookies.names.login_csrf))
        .expect("the login CSRF cookie");
    cookie
        .split(';')
        .any(|part| part.trim().eq_ignore_ascii_case("secure"))
}

async fn forwarded_https_makes_cookies_secure_only_from_a_trusted_proxy(backend: TestBackend) {
    // Dev mode: cookies are not `Secure` by configuration.
    let trusting = TestApp::builder(backend)
        .self_urls(SelfUrls::Neither)
        .config(|c| c.serve.public.trusted_proxies = vec!["127.0.0.0/8".into()])
        .build()
        .await;
    assert!(!csrf_cookie_secure(&trusting, &[]).await);
    assert!(csrf_cookie_secure(&trusting, &[("x-forwarded-proto", "https")]).await);
    assert!(csrf_cookie_secure(&trusting, &[("forwarded", "for=192.0.2.1;proto=https")]).await);
    assert!(!csrf_cookie_secure(&trusting, &[("x-forwarded-proto", "http")]).await);

    let untrusting = TestApp::builder(backend)
        .self_urls(SelfUrls::Neither)
        .config(|c| c.serve.admin.trusted_proxies = vec!["127.0.0.0/8".into()])
        .build()
        .await;
    assert!(!csrf_cookie_secure(&untrusting, &[("x-forwarded-proto", "https")]).await);
    assert!(!csrf_cookie_secure(&untrusting, &[("forwarded", "proto=https")]).await);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 GET with extra headers; returns the status line.
fn http_get(port: u16, path: &str, headers: &[(&str, &str)]) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_owned()
}

/// `portunus serve all --dev` with `envs`, until `run` is done; returns its log.
pub(crate) fn with_dev_server(envs: &[(&str, String)], run: impl FnOnce(u16, u16)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_portunus"));
    command
        .args(["serve", "all", "--dev"])
        .current_dir(dir.path())
        .env_remove("DSN")
        .env_remove("SECRETS_SYSTEM")
        .env("SERVE_PUBLIC_PORT", public.to_string())
        .env("SERVE_ADMIN_PORT", admin.to_string())
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let ready = (0..150).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", admin)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", public)).is_ok()
    });
    // The sockets are bound before the slow part of startup (key generation): a probe
    // answered by each listener is the sign both are serving.
    let ready = ready
        && [public, admin]
            .iter()
            .all(|port| http_get(*port, "/health/alive", &[]).contains(" 200 "));
    if ready {
        run(public, admin);
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    child
        .stderr
        .as_mut()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(ready, "the dev server did not start: {log}");
    log
}

#[test]
fn the_access_log_believes_x_forwarded_for_only_from_trusted_proxies() {
    let log = with_dev_server(
        &[("SERVE_PUBLIC_TRUSTED_PROXIES", "127.0.0.1/32,::1".into())],
        |public, admin| {
            let forwarded = [("X-Forwarded-For", "198.51.100.23")];
            let status = http_get(public, "/.well-known/jwks.json", &forwarded);
            assert!(status.contains(" 200 "), "{status}");
            // The admin listener trusts nobody: the same header is the sender's claim.
            let forged = [("X-Forwarded-For", "198.51.100.24")];
            let status = http_get(admin, "/admin/clients", &forged);
            assert!(status.contains(" 200 "), "{status}");
        },
    );
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request completed"))
        .collect();
    let public_line = lines
        .iter()
        .find(|l| l.contains("/.well-known/jwks.json"))
        .unwrap_or_else(|| panic!("public request logged: {log}"));
    assert!(
        public_line.contains("\"client_ip\":\"198.51.100.23\""),
        "{public_line}"
    );
    let admin_line = lines
        .iter()
        .find(|l| l.contains("/admin/clients"))
        .unwrap_or_else(|| panic!("admin request logged: {log}"));
    assert!(
        admin_line.contains("\"client_ip\":\"127.0.0.1\""),
        "{admin_line}"
    );
    assert!(!log.contains("198.51.100.24"), "{log}");
}
