//! Forward-auth behind a real nginx (Debian's binary, `auth_request`): nginx on a
//! loopback port protects locations proxied to a tiny upstream this test runs, asking
//! `GET /oauth2/forward-auth` on the Portunus public listener. Checked through nginx:
//! no token → 401 with the challenge, a valid token → the upstream sees the user's
//! headers (and not the ones the client forged), a group filter refusing → 403; a
//! browser's session cookie passes until `/oauth2/sign_out`, proxied by the same nginx,
//! ends the session and redirects only to allowed hosts.
//!
//! Runs when `PORTUNUS_TEST_NGINX` names the nginx binary (`.ci/run` sets
//! `/usr/sbin/nginx`); the default nextest profile leaves it out. When set and nginx
//! cannot start, the test fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::forward_auth::{ada_claims, enable, sign_in};
use crate::support::browser::Browser;
use crate::support::{TestApp, TestBackend, per_backend};

// Sign-out reads and deletes stored sessions: on every backend.
per_backend!(nginx_sign_out_ends_the_session_and_redirects_only_to_allowed_hosts);

pub const NGINX_VAR: &str = "PORTUNUS_TEST_NGINX";

/// nginx, stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The configuration a user would write (docs/forward-auth.md), on loopback ports:
/// `/app/` needs any signed-in user, `/admins/` one in the group `admins`;
/// `/oauth2/sign_out` is passed to Portunus as it is (query, cookie and
/// `X-Auth-Request-Redirect` included).
fn config(dir: &std::path::Path, port: u16, portunus: u16, upstream: u16) -> String {
    let d = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /_auth {{
            internal;
            rewrite ^ /oauth2/forward-auth break;
            proxy_pass http://127.0.0.1:{portunus};
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
        location = /_auth_admins {{
            internal;
            rewrite ^ /oauth2/forward-auth?allowed_groups=admins break;
            proxy_pass http://127.0.0.1:{portunus};
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
        location /app/ {{
            auth_request /_auth;
            auth_request_set $auth_user $upstream_http_x_auth_request_user;
            auth_request_set $auth_email $upstream_http_x_auth_request_email;
            auth_request_set $auth_name $upstream_http_x_auth_request_preferred_username;
            auth_request_set $auth_groups $upstream_http_x_auth_request_groups;
            proxy_set_header X-Auth-Request-User $auth_user;
            proxy_set_header X-Auth-Request-Email $auth_email;
            proxy_set_header X-Auth-Request-Preferred-Username $auth_name;
            proxy_set_header X-Auth-Request-Groups $auth_groups;
            proxy_set_header Authorization "";
            proxy_pass http://127.0.0.1:{upstream};
        }}
        location /admins/ {{
            auth_request /_auth_admins;
            auth_request_set $auth_user $upstream_http_x_auth_request_user;
            proxy_set_header X-Auth-Request-User $auth_user;
            proxy_pass http://127.0.0.1:{upstream};
        }}
        location = /oauth2/sign_out {{
            proxy_pass http://127.0.0.1:{portunus};
        }}
    }}
}}
"#
    )
}

fn start_nginx(binary: &str, portunus: u16, upstream: u16) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, config(dir.path(), port, portunus, upstream)).unwrap();
    let child = Command::new(binary)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.path().join("startup.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{NGINX_VAR}={binary} cannot be started: {e}"));
    let mut nginx = Nginx { child, port, dir };
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return nginx;
        }
        if let Ok(Some(status)) = nginx.child.try_wait() {
            panic!("nginx exited ({status}):\n{}", logs(&nginx));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = nginx.child.kill();
    panic!(
        "nginx did not listen on 127.0.0.1:{port}:\n{}",
        logs(&nginx)
    );
}

fn logs(nginx: &Nginx) -> String {
    ["startup.log", "error.log"]
        .iter()
        .map(|f| std::fs::read_to_string(nginx.dir.path().join(f)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The upstream: answers every request 200 with the request's head as its body, so
/// the test sees exactly the headers nginx forwarded.
fn start_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || echo(stream));
        }
    });
    port
}

fn echo(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let body = format!("upstream saw:\r\n{}", String::from_utf8_lossy(&head));
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// The header `name` as the upstream received it (case-insensitive name).
fn seen<'a>(body: &'a str, name: &str) -> Vec<&'a str> {
    body.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_auth_request_protects_an_upstream() {
    let Some(binary) = std::env::var(NGINX_VAR).ok().filter(|p| !p.is_empty()) else {
        eprintln!("not run: {NGINX_VAR} is not set");
        return;
    };
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(enable)
        .build()
        .await;
    let portunus = url::Url::parse(&app.public_url).unwrap().port().unwrap();
    let upstream = start_upstream();
    let nginx = tokio::task::spawn_blocking(move || start_nginx(&binary, portunus, upstream))
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let http = reqwest::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let mut request = http
            .get(format!("{base}{path}"))
            .header("X-Auth-Request-User", "mallory");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    // No token: nginx answers 401 with Portunus's challenge; the upstream is not asked.
    let response = get("/app/page", None).await.unwrap();
    assert_eq!(response.status().as_u16(), 401, "{}", logs(&nginx));
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer")
    );
    assert!(!response.text().await.unwrap().contains("upstream saw"));

    // A valid token: the upstream sees Ada, not the forged user, and no token.
    let tokens = sign_in(&app, &Browser::new(), &["openid", "email"], ada_claims()).await;
    let token = tokens["access_token"].as_str().unwrap();
    let response = get("/app/page", Some(token)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{}", logs(&nginx));
    let body = response.text().await.unwrap();
    assert_eq!(seen(&body, "x-auth-request-user"), ["ada"], "{body}");
    assert_eq!(
        seen(&body, "x-auth-request-email"),
        ["ada@example.com"],
        "{body}"
    );
    assert_eq!(
        seen(&body, "x-auth-request-groups"),
        ["engineers,admins"],
        "{body}"
    );
    assert!(seen(&body, "authorization").is_empty(), "{body}");

    // An invalid token: 401 with invalid_token, through nginx.
    let response = get("/app/page", Some("ptn_at_unknown.mac")).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer error=\"invalid_token\"")
    );

    // The group filter: Ada is in `admins`; a user in no group is refused with 403.
    let response = get("/admins/page", Some(token)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        seen(&response.text().await.unwrap(), "x-auth-request-user"),
        ["ada"]
    );
    let mut claims = ada_claims();
    claims["groups"] = serde_json::json!(["engineers"]);
    let other = sign_in(&app, &Browser::new(), &["openid"], claims).await;
    let response = get("/admins/page", other["access_token"].as_str())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert!(!response.text().await.unwrap().contains("upstream saw"));
}

/// Through nginx, as a browser: the session cookie reaches `/app/` (the upstream sees
/// the session's user); `/oauth2/sign_out` with `rd` (or the proxy's
/// `X-Auth-Request-Redirect` header) on an allowed host ends the session and goes
/// there, after which the same cookie is 401; a foreign host is never the target, the
/// default page is.
async fn nginx_sign_out_ends_the_session_and_redirects_only_to_allowed_hosts(backend: TestBackend) {
    let Some(binary) = std::env::var(NGINX_VAR).ok().filter(|p| !p.is_empty()) else {
        eprintln!("not run: {NGINX_VAR} is not set");
        return;
    };
    let app = TestApp::builder(backend)
        .config(|c| {
            enable(c);
            c.urls.allowed_return_domains = vec![".apps.test".into()];
            c.urls.post_logout_redirect = Some("https://portal.test/bye".into());
        })
        .build()
        .await;
    let portunus = url::Url::parse(&app.public_url).unwrap().port().unwrap();
    let upstream = start_upstream();
    let nginx = tokio::task::spawn_blocking(move || start_nginx(&binary, portunus, upstream))
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let name = app.state.config.serve.cookies.names.session.clone();
    // Redirects are the answers under test: never followed.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = || async {
        let browser = Browser::new();
        sign_in(
            &app,
            &browser,
            &["openid", "email", "profile"],
            ada_claims(),
        )
        .await;
        let value = browser
            .cookie(&app.public_url, &name)
            .expect("a session cookie");
        format!("{name}={value}")
    };
    let page = |cookie: String| {
        http.get(format!("{base}/app/page"))
            .header("cookie", cookie)
            .send()
    };
    let sign_out = |query: &str, cookie: &str, redirect_header: Option<&str>| {
        let mut request = http
            .get(format!("{base}/oauth2/sign_out{query}"))
            .header("cookie", cookie);
        if let Some(value) = redirect_header {
            request = request.header("x-auth-request-redirect", value);
        }
        request.send()
    };
    let location = |response: &reqwest::Response| {
        response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // The session reaches the upstream, with the user's headers from its claims.
    let cookie = signed_in().await;
    let response = page(cookie.clone()).await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{}", logs(&nginx));
    let body = response.text().await.unwrap();
    assert_eq!(seen(&body, "x-auth-request-user"), ["ada"], "{body}");
    assert_eq!(seen(&body, "x-auth-request-email"), ["ada@example.com"]);
    assert_eq!(seen(&body, "x-auth-request-preferred-username"), ["ada.l"]);
    assert_eq!(seen(&body, "x-auth-request-groups"), ["engineers,admins"]);

    // Sign-out with an allowed `rd`: there, the cookie cleared, the session over.
    let response = sign_out(
        "?rd=https%3A%2F%2Fwiki.apps.test%2Fhome%3Fx%3D1",
        &cookie,
        None,
    )
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 303, "{}", logs(&nginx));
    assert_eq!(
        location(&response).as_deref(),
        Some("https://wiki.apps.test/home?x=1")
    );
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .expect("the session cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let response = page(cookie.clone()).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(!response.text().await.unwrap().contains("upstream saw"));

    // A foreign `rd`, as query or header: the default page, never the foreign host;
    // the session ends all the same.
    for (query, redirect_header) in [
        ("?rd=https%3A%2F%2Fevil.test%2F", None),
        ("", Some("https://evil.test/")),
        ("", Some("//wiki.apps.test/")),
    ] {
        let cookie = signed_in().await;
        assert_eq!(page(cookie.clone()).await.unwrap().status().as_u16(), 200);
        let response = sign_out(query, &cookie, redirect_header).await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            303,
            "{query} {redirect_header:?}"
        );
        assert_eq!(
            location(&response).as_deref(),
            Some("https://portal.test/bye"),
            "{query} {redirect_header:?}"
        );
        assert_eq!(page(cookie).await.unwrap().status().as_u16(), 401);
    }

    // The proxy's header naming an allowed host.
    let cookie = signed_in().await;
    let response = sign_out("", &cookie, Some("https://apps.test/"))
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), location(&response).as_deref()),
        (303, Some("https://apps.test/"))
    );
    assert_eq!(page(cookie).await.unwrap().status().as_u16(), 401);
}
