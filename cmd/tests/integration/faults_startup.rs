//! Startup against a database that cannot be reached yet (issue 23): `serve` keeps
//! trying for `database.startup_timeout`, saying so in the log, and then either starts —
//! the database came up meanwhile — or fails with one clear error naming the setting.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{dev_server, free_port};
use crate::support::TestBackend;
use crate::support::test_db::TestDatabase;

fn serve(dsn: &str, startup_timeout: &str, dir: &std::path::Path) -> (Child, u16) {
    let (public, admin) = (free_port(), free_port());
    let child = dev_server(dir, public, admin)
        .env("DSN", dsn)
        .env("DATABASE_STARTUP_TIMEOUT", startup_timeout)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start portunus");
    (child, admin)
}

fn stderr_of(child: &mut Child) -> String {
    let mut log = String::new();
    if let Some(stderr) = child.stderr.as_mut() {
        let _ = stderr.read_to_string(&mut log);
    }
    log
}

#[test]
fn startup_gives_up_after_database_startup_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there.
    let dsn = format!("postgres://postgres@127.0.0.1:{}/portunus", free_port());
    let (mut child, _) = serve(&dsn, "2s", dir.path());
    let status =
        crate::cli::exit_within(&mut child, Duration::from_secs(60), "startup never gave up");
    assert!(!status.success());
    let log = stderr_of(&mut child);
    assert!(
        log.contains("retrying until database.startup_timeout"),
        "{log}"
    );
    assert!(log.contains("gave up after"), "{log}");
}

/// Forwards every connection to `listener` to `upstream`, both ways, for good.
fn forward(listener: TcpListener, upstream: String) {
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut client_r, mut server_w) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut server_r, mut client_w) = (server, client);
            std::thread::spawn(move || std::io::copy(&mut client_r, &mut server_w));
            std::thread::spawn(move || std::io::copy(&mut server_r, &mut client_w));
        }
    });
}

async fn startup_waits_for_a_database_that_comes_up(backend: TestBackend) {
    if backend.server_url().is_none() {
        eprintln!("not run: no {backend} server configured");
        return;
    }
    let db = TestDatabase::create(backend);
    let mut url = reqwest::Url::parse(&db.dsn).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    // The database is reached through a port nobody listens on yet.
    let late = free_port();
    url.set_port(Some(late)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, admin) = serve(url.as_str(), "1m", dir.path());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still waiting, not failed"
    );
    forward(TcpListener::bind(("127.0.0.1", late)).unwrap(), upstream);

    let http = reqwest::Client::new();
    let ready_url = format!("http://127.0.0.1:{admin}/admin/health/ready");
    let started = Instant::now();
    loop {
        if let Ok(response) = http.get(&ready_url).send().await
            && response.status() == 200
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "portunus did not start once the database came up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = stderr_of(&mut child);
    assert!(
        log.contains("retrying until database.startup_timeout"),
        "{log}"
    );
}

mod startup_waits_for_a_database_that_comes_up {
    use crate::support::TestBackend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::startup_waits_for_a_database_that_comes_up(TestBackend::Postgres).await;
    }
}
