//! Shutting down without dropping work, and clients that hold connections (issue 23):
//! SIGTERM turns readiness 503 first and keeps serving for
//! `serve.shutdown_drain_delay`, then stops; a SIGTERM during startup (a database that
//! accepts connections but never answers) stops the process at once; a client that
//! sends its headers too slowly gets 408 after `serve.*.timeout.read`; a listener full
//! at `serve.*.max_connections` does not stop the other from answering. Outcomes and
//! generous upper bounds only, never timings.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portunus_server::duration::GoDuration;

use crate::cli::{dev_server, exit_within, free_port, http_get, http_get_body, sigterm};
use crate::support::{TestApp, TestBackend};

fn stderr_of(child: &mut Child) -> String {
    let mut log = String::new();
    child
        .stderr
        .as_mut()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    log
}

#[test]
fn sigterm_turns_readiness_503_while_serving_then_stops() {
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let mut child = dev_server(dir.path(), public, admin)
        // Long enough that a loaded machine still observes the drain.
        .env("SERVE_SHUTDOWN_DRAIN_DELAY", "6s")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        TcpStream::connect(("127.0.0.1", admin)).is_ok()
            && TcpStream::connect(("127.0.0.1", public)).is_ok()
    });
    assert!(ready, "dev server did not start");
    assert!(http_get(public, "/health/ready").starts_with("HTTP/1.1 200"));

    sigterm(&child);
    // Readiness goes first, on both listeners ...
    let draining = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        http_get(public, "/health/ready").starts_with("HTTP/1.1 503")
    });
    assert!(draining, "readiness turns 503 after SIGTERM");
    assert!(http_get_body(admin, "/admin/health/ready").contains("shutting down"));
    assert!(http_get_body(public, "/health").contains("\"unhealthy\""));
    // ... while new connections are still accepted and served.
    assert!(http_get(public, "/health/alive").starts_with("HTTP/1.1 200"));
    assert!(http_get_body(public, "/.well-known/openid-configuration").contains("\"issuer\""));

    let status = exit_within(&mut child, Duration::from_secs(40), "portunus did not exit");
    assert!(status.success(), "clean exit: {status:?}");
    assert!(
        TcpStream::connect(("127.0.0.1", public)).is_err(),
        "no longer listening"
    );
    let log = stderr_of(&mut child);
    assert!(log.contains("serve.shutdown_drain_delay"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

/// A token request still running when SIGTERM arrives is answered, not dropped: its
/// token hook (a local server that answers after a pause) holds it in flight, the
/// signal comes while the hook has it, and the client still gets its token before the
/// process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_sigterm_is_answered() {
    let hook = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_port = hook.local_addr().unwrap().port();
    let (called, hook_called) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in hook.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let _ = called.send(());
            std::thread::sleep(Duration::from_millis(1500));
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let mut child = dev_server(dir.path(), public, admin)
        .env(
            "OAUTH2_TOKEN_HOOK",
            format!("http://127.0.0.1:{hook_port}/hook"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        TcpStream::connect(("127.0.0.1", admin)).is_ok()
            && TcpStream::connect(("127.0.0.1", public)).is_ok()
    });
    assert!(ready, "dev server did not start");
    let http = reqwest::Client::new();
    let created: serde_json::Value = http
        .post(format!("http://127.0.0.1:{admin}/admin/clients"))
        .json(&serde_json::json!({"grant_types": ["client_credentials"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let token = tokio::spawn(async move {
        let response = http
            .post(format!("http://127.0.0.1:{public}/oauth2/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().await.unwrap())
    });
    tokio::task::spawn_blocking(move || hook_called.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("the token request reached the hook");
    sigterm(&child);
    let (status, body) = token.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].as_str().is_some(), "{body}");
    let status = exit_within(&mut child, Duration::from_secs(40), "portunus did not exit");
    assert!(status.success(), "clean exit: {status:?}");
    let log = stderr_of(&mut child);
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn sigterm_during_a_hanging_database_connect_stops_at_once() {
    // A "database" that accepts TCP connections and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    silent.set_nonblocking(true).unwrap();
    let port = silent.local_addr().unwrap().port();
    let (public, admin) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_portunus"))
        .args(["serve", "all"])
        .env(
            "DSN",
            format!("postgres://postgres@127.0.0.1:{port}/portunus"),
        )
        .env("SECRETS_SYSTEM", "a-system-secret-of-enough-length")
        .env("URLS_SELF_ISSUER", format!("http://127.0.0.1:{public}/"))
        .env("SERVE_PUBLIC_PORT", public.to_string())
        .env("SERVE_ADMIN_PORT", admin.to_string())
        .env("SERVE_PUBLIC_HOST", "127.0.0.1")
        .env("SERVE_ADMIN_HOST", "127.0.0.1")
        // Without the signal, startup would wait this long.
        .env("DATABASE_CONNECT_TIMEOUT", "1m")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the server is inside the connect (it reached the silent socket).
    let start = Instant::now();
    let _held = loop {
        match silent.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "portunus never connected"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    sigterm(&child);
    let status = exit_within(&mut child, Duration::from_secs(15), "portunus did not exit");
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");
    let log = stderr_of(&mut child);
    assert!(log.contains("stopped during startup"), "{log}");
}

/// Sends `head` on a fresh connection to `addr` and reads until the server answers or
/// closes (at most `within`); what it sent back.
fn send_and_read(addr: &str, head: &[u8], within: Duration) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(within)).unwrap();
    stream.write_all(head).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                panic!(
                    "no answer within {within:?}: {}",
                    String::from_utf8_lossy(&answer)
                )
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read: {e}"),
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_gets_408_after_the_read_timeout() {
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.serve.public.timeout.read = GoDuration(Duration::from_millis(1500)))
        .build()
        .await;
    let public = host_port(&app.public_url);
    let answer = tokio::task::spawn_blocking(move || {
        // Headers begun, never finished.
        send_and_read(
            &public,
            b"GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
            // The default read timeout is 5 s: an answer within 4 s is the setting's.
            Duration::from_secs(4),
        )
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    // A complete request on time is served as ever.
    let public = host_port(&app.public_url);
    let answer = tokio::task::spawn_blocking(move || {
        send_and_read(
            &public,
            b"GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            Duration::from_secs(30),
        )
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_listener_does_not_starve_the_other() {
    // One connection at a time on the public listener (the test app runs one worker).
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.serve.public.max_connections = 1)
        .build()
        .await;
    let public = host_port(&app.public_url);
    let held = TcpStream::connect(&public).unwrap();
    // The held connection is taken in once it has been served a request.
    let mut held_clone = held.try_clone().unwrap();
    held_clone
        .write_all(b"GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = held_clone.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    // The public listener is full; the admin listener answers regardless.
    let waiting = tokio::task::spawn_blocking({
        let public = public.clone();
        move || {
            send_and_read(
                &public,
                b"GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                Duration::from_secs(30),
            )
        }
    });
    let admin = app
        .http
        .get(app.admin_path("/admin/health/alive"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(admin.as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "the public listener takes no second connection"
    );
    // Once the held connection goes, the waiting one is served.
    drop(held_clone);
    drop(held);
    let answer = waiting.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
}
