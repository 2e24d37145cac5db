//! The NATS sink of the audit events against a secured NATS (issue 15 §1;
//! docs/operations.md, "Events"; docs/security.md, "An audit-event receiver"): with
//! `user`/`password` or `token` the events reach the stream; with a wrong password the
//! server refuses the client, nothing is delivered, `GET /events/health` shows `nats`
//! unhealthy and the events wait in the outbox until the server accepts the password,
//! then arrive in order. Over TLS with `tls_ca_path` (a private CA) the events arrive;
//! without it (the system's roots), towards a server whose certificate another CA signed
//! (an impostor), or towards a server that offers no TLS although a CA is configured,
//! the client never connects and nothing is sent. An unreadable `tls_ca_path` stops
//! `serve` at startup.
//!
//! Each `jetstream_*` test starts a nats-server of its own (Debian's, with JetStream, a
//! configuration file and a store in a temporary directory; killed when the test ends),
//! because the shared one of PORTUNUS_TEST_NATS_URL has neither authentication nor TLS.
//! They run whenever PORTUNUS_TEST_NATS_URL is set (`.ci/run` sets it and installs
//! nats-server), as `events_nats.rs`'s do, and fail when nats-server cannot be started
//! then. Evidence that the sink tried and was refused is the server's own log line.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::ConnectOptions;
use async_nats::jetstream::{self, message::StreamMessage, stream};
use portunus_server::config::NatsSinkConfig;
use portunus_server::duration::GoDuration;
use serde_json::Value;

use crate::cli::free_port;
use crate::support::TestApp;
use crate::support::nats::{
    NATS_URL_VAR, app_with, ingest, pending, serve_refuses, stored_messages, unique_names,
    wait_delivered, wait_for_messages, wait_health,
};

/// Debian's nats-server (package `nats-server`).
const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// How long any wait below may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// Whether the NATS tests run: PORTUNUS_TEST_NATS_URL set means nats-server is
/// installed (the shared server itself is not used here).
fn enabled() -> bool {
    let set = std::env::var_os(NATS_URL_VAR).is_some();
    if !set {
        eprintln!("not run: {NATS_URL_VAR} is not set");
    }
    set
}

/// A nats-server of this test's own on a free loopback port; killed when dropped.
struct NatsServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// Starts nats-server with JetStream, `listen` on a free port and `extra`
    /// (configuration file text: `authorization`, `tls`), and waits until it is ready.
    fn start(extra: &str) -> NatsServer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        std::fs::write(config_path(dir.path()), config(dir.path(), port, extra)).unwrap();
        let log = std::fs::File::create(log_path(dir.path())).unwrap();
        let child = Command::new(NATS_SERVER)
            .arg("-c")
            .arg(config_path(dir.path()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{NATS_URL_VAR} is set but {NATS_SERVER} fails: {e}"));
        let mut server = NatsServer { child, port, dir };
        server.wait_log("Server is ready");
        server
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(log_path(self.dir.path())).unwrap_or_default()
    }

    /// Waits (bounded) until the server's log holds `line`; fails at once if the server
    /// exited.
    fn wait_log(&mut self, line: &str) {
        let began = Instant::now();
        while !self.log().contains(line) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("nats-server exited ({status}):\n{}", self.log());
            }
            assert!(
                began.elapsed() < PATIENCE,
                "no {line:?} in the nats-server log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Rewrites the configuration with `extra` and reloads it (SIGHUP, nats-server's
    /// `--signal reload`): clients stay connected, the store is kept.
    fn reload(&mut self, extra: &str) {
        let reloads = self.log().matches("Reloaded server configuration").count();
        std::fs::write(
            config_path(self.dir.path()),
            config(self.dir.path(), self.port, extra),
        )
        .unwrap();
        let hup = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(hup.success());
        let began = Instant::now();
        while self.log().matches("Reloaded server configuration").count() == reloads {
            assert!(
                began.elapsed() < PATIENCE,
                "nats-server did not reload:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_path(dir: &Path) -> PathBuf {
    dir.join("nats.conf")
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join("nats.log")
}

fn config(dir: &Path, port: u16, extra: &str) -> String {
    let store = dir.join("jetstream");
    format!(
        "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: {:?} }}\n{extra}\n",
        store.display().to_string()
    )
}

/// `authorization` with a reader for the test and `portunus` with `password`.
fn users(password: &str) -> String {
    format!(
        "authorization {{ users = [\n  {{ user: \"reader\", password: \"reader-password\" }}\n  {{ user: \"portunus\", password: {password:?} }}\n] }}"
    )
}

fn tls_block(tls: &ServerTls) -> String {
    format!(
        "tls {{ cert_file: {:?}, key_file: {:?} }}",
        tls.cert.display().to_string(),
        tls.key.display().to_string()
    )
}

/// A CA of its own and a server certificate it signed for 127.0.0.1 and localhost,
/// written as PEM files to `dir`.
struct ServerTls {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn server_tls(dir: &Path, name: &str) -> ServerTls {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("{name} CA"));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    // Strings that parse as an IP address become an IP SAN: the sink checks 127.0.0.1.
    let mut leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, format!("{name} NATS"));
    let leaf = leaf.signed_by(&key, &ca, &ca_key).unwrap();
    let tls = ServerTls {
        ca: dir.join(format!("{name}-ca.pem")),
        cert: dir.join(format!("{name}-cert.pem")),
        key: dir.join(format!("{name}-key.pem")),
    };
    std::fs::write(&tls.ca, ca.pem()).unwrap();
    std::fs::write(&tls.cert, leaf.pem()).unwrap();
    std::fs::write(&tls.key, key.serialize_pem()).unwrap();
    tls
}

/// A stream of the test's own capturing `<prefix>.>`, read with the test's client (the
/// server goes away with the test, so nothing is deleted).
struct Stream {
    context: jetstream::Context,
    name: String,
    prefix: String,
}

impl Stream {
    async fn create(url: &str, options: ConnectOptions) -> Stream {
        let client = options
            .connect(url)
            .await
            .expect("the test connects to NATS");
        let context = jetstream::new(client);
        let (name, prefix) = unique_names();
        context
            .create_stream(stream::Config {
                name: name.clone(),
                subjects: vec![format!("{prefix}.>")],
                ..Default::default()
            })
            .await
            .expect("create the test stream");
        Stream {
            context,
            name,
            prefix,
        }
    }

    async fn messages(&self) -> Vec<StreamMessage> {
        stored_messages(&self.context, &self.name).await
    }

    async fn wait_for(&self, n: usize) -> Vec<StreamMessage> {
        wait_for_messages(&self.context, &self.name, n).await
    }

    fn sink(&self, url: String) -> NatsSinkConfig {
        NatsSinkConfig {
            url,
            subject_prefix: self.prefix.clone(),
            stream: Some(self.name.clone()),
            timeout: GoDuration(Duration::from_secs(2)),
            user: None,
            password: None,
            token: None,
            tls_ca_path: None,
        }
    }
}

fn message_ids(messages: &[StreamMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            m.headers
                .get("Nats-Msg-Id")
                .map(|id| id.as_str().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Refused by the server (its log says so): unhealthy, nothing stored, all pending.
async fn assert_nothing_delivered(app: &TestApp, stream: &Stream, queued: u64) {
    wait_health(app, false).await;
    assert!(stream.messages().await.is_empty(), "an event was stored");
    assert_eq!(pending(app).await, queued);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_a_wrong_password_holds_the_events_until_the_server_accepts_it() {
    if !enabled() {
        return;
    }
    let mut server = NatsServer::start(&users("rotated-password"));
    let reader = ConnectOptions::new().user_and_password("reader".into(), "reader-password".into());
    let stream = Stream::create(&server.url("nats"), reader).await;
    let app = app_with(NatsSinkConfig {
        user: Some("portunus".into()),
        password: Some("new-password".into()),
        ..stream.sink(server.url("nats"))
    })
    .await;
    let mut ids = Vec::new();
    for seq in 0..3 {
        ids.push(ingest(&app, seq).await);
    }
    server.wait_log("authentication error - User \"portunus\"");
    assert_nothing_delivered(&app, &stream, 3).await;
    // The operator rolls the new password out to NATS: the client, retrying by itself,
    // gets in and the waiting events arrive in order, each once.
    server.reload(&users("new-password"));
    let messages = stream.wait_for(3).await;
    wait_delivered(&app).await;
    wait_health(&app, true).await;
    assert_eq!(message_ids(&messages), ids);
    assert_eq!(stream.messages().await.len(), 3, "none stored twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_token_authentication_delivers() {
    if !enabled() {
        return;
    }
    let server = NatsServer::start("authorization { token: \"s3cret-token-value\" }");
    let reader = ConnectOptions::new().token("s3cret-token-value".into());
    let stream = Stream::create(&server.url("nats"), reader).await;
    let app = app_with(NatsSinkConfig {
        token: Some("s3cret-token-value".into()),
        ..stream.sink(server.url("nats"))
    })
    .await;
    let id = ingest(&app, 0).await;
    let messages = stream.wait_for(1).await;
    assert_eq!(message_ids(&messages), [id]);
    wait_delivered(&app).await;
    wait_health(&app, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_tls_with_the_private_ca_delivers() {
    if !enabled() {
        return;
    }
    let pki = tempfile::tempdir().unwrap();
    let tls = server_tls(pki.path(), "private");
    let server = NatsServer::start(&tls_block(&tls));
    let reader = ConnectOptions::new()
        .add_root_certificates(tls.ca.clone())
        .require_tls(true);
    let stream = Stream::create(&server.url("tls"), reader).await;
    let app = app_with(NatsSinkConfig {
        tls_ca_path: Some(tls.ca.display().to_string()),
        ..stream.sink(server.url("tls"))
    })
    .await;
    let id = ingest(&app, 0).await;
    let messages = stream.wait_for(1).await;
    assert_eq!(message_ids(&messages), [id]);
    assert_eq!(
        serde_json::from_slice::<Value>(&messages[0].payload).unwrap()["data"]["seq"],
        0
    );
    wait_delivered(&app).await;
    wait_health(&app, true).await;
    assert!(
        !server.log().contains("TLS handshake error"),
        "{}",
        server.log()
    );
}

/// Without `tls_ca_path` the sink trusts the system's roots only, which did not sign
/// the private CA's server certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_tls_without_the_ca_never_connects() {
    if !enabled() {
        return;
    }
    let pki = tempfile::tempdir().unwrap();
    let tls = server_tls(pki.path(), "private");
    let mut server = NatsServer::start(&tls_block(&tls));
    let reader = ConnectOptions::new()
        .add_root_certificates(tls.ca.clone())
        .require_tls(true);
    let stream = Stream::create(&server.url("tls"), reader).await;
    let app = app_with(stream.sink(server.url("tls"))).await;
    ingest(&app, 0).await;
    server.wait_log("TLS handshake error");
    assert_nothing_delivered(&app, &stream, 1).await;
}

/// A server whose certificate another CA signed (someone posing as the NATS server)
/// gets no event: the sink trusts only the configured CA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_tls_an_impostor_server_gets_no_event() {
    if !enabled() {
        return;
    }
    let pki = tempfile::tempdir().unwrap();
    let trusted = server_tls(pki.path(), "private");
    let impostor = server_tls(pki.path(), "impostor");
    let mut server = NatsServer::start(&tls_block(&impostor));
    let reader = ConnectOptions::new()
        .add_root_certificates(impostor.ca.clone())
        .require_tls(true);
    let stream = Stream::create(&server.url("tls"), reader).await;
    let app = app_with(NatsSinkConfig {
        tls_ca_path: Some(trusted.ca.display().to_string()),
        ..stream.sink(server.url("tls"))
    })
    .await;
    ingest(&app, 0).await;
    server.wait_log("TLS handshake error");
    assert_nothing_delivered(&app, &stream, 1).await;
}

/// With `tls_ca_path` TLS is required: a server that offers none (behind a `nats://`
/// URL) never gets an event in clear text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_a_configured_ca_refuses_a_server_without_tls() {
    if !enabled() {
        return;
    }
    let pki = tempfile::tempdir().unwrap();
    let tls = server_tls(pki.path(), "private");
    let mut server = NatsServer::start("");
    let stream = Stream::create(&server.url("nats"), ConnectOptions::new()).await;
    let app = app_with(NatsSinkConfig {
        tls_ca_path: Some(tls.ca.display().to_string()),
        ..stream.sink(server.url("nats"))
    })
    .await;
    ingest(&app, 0).await;
    // The client opened TLS where NATS expected its protocol: the server cannot parse a
    // TLS record (0x16 0x03 …) and drops the connection; no CONNECT, no PUB in clear.
    server.wait_log("Client parser ERROR");
    assert!(
        server.log().contains(r#"proto='"\x16\x03"#),
        "{}",
        server.log()
    );
    assert_nothing_delivered(&app, &stream, 1).await;
}

/// Needs no NATS: the configuration is refused before anything connects.
#[test]
fn a_missing_tls_ca_file_stops_serve_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("events.yaml");
    let missing = dir.path().join("no-such-ca.pem");
    std::fs::write(
        &config,
        format!(
            "events:\n  enabled: true\n  sinks:\n    - type: nats\n      url: tls://127.0.0.1:4222\n      tls_ca_path: {:?}\n",
            missing.display().to_string()
        ),
    )
    .unwrap();
    let stderr = serve_refuses(dir.path(), &config, "a missing tls_ca_path");
    assert!(stderr.contains("events.sinks[0].tls_ca_path"), "{stderr}");
    assert!(stderr.contains("no-such-ca.pem"), "{stderr}");
}
