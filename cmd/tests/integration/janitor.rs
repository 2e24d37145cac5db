//! `portunus janitor`: deletes expired tokens, flow steps, authentication sessions and
//! client-assertion ids, in batches, and keeps every row that has not expired.

use std::process::Command;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use portunus_server::client::model::Client;
use portunus_server::clock::{Clock, SystemClock};
use portunus_server::storage::flows::{FlowStep, FlowStepStore, LoginSession, LoginSessionStore};
use portunus_server::storage::sql::SqlStore;
use portunus_server::storage::{ClientStore, JtiStore, StoredToken, TokenKind, TokenStore};

use crate::support::TestBackend;
use crate::support::per_backend;
use crate::support::test_db::TestDatabase;

fn token(n: u32, now: DateTime<Utc>, expires_in: Duration) -> StoredToken {
    StoredToken {
        signature_hash: format!("{n:064x}"),
        kind: TokenKind::AccessToken,
        family_id: format!("family-{n}"),
        client_id: "janitor-client".to_owned(),
        subject: "subject".to_owned(),
        granted_scope: Vec::new(),
        granted_audience: Vec::new(),
        session: "sealed".to_owned(),
        request_data: None,
        issued_at: now - Duration::hours(2),
        expires_at: now + expires_in,
        active: true,
        used_at: None,
    }
}

fn session(id: &str, now: DateTime<Utc>, expires_in: Duration) -> LoginSession {
    LoginSession {
        id: id.to_owned(),
        subject: "subject".to_owned(),
        authenticated_at: now - Duration::hours(2),
        remember: true,
        expires_at: (now + expires_in).trunc_subsecs(6),
    }
}

async fn janitor_deletes_expired_rows_and_keeps_live_ones(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let dsn = db.dsn.clone();
    let store = tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .unwrap()
        .unwrap();
    store.migrate_up().await.unwrap();
    let client = Client {
        client_id: "janitor-client".to_owned(),
        ..Client::default()
    };
    store.create_client(&client).await.unwrap();
    // The janitor reads the system clock: the rows are placed around the real now.
    let now = SystemClock.now();

    // 7 expired tokens (more than a batch of 3), 2 live ones.
    let expired: Vec<StoredToken> = (0..7)
        .map(|n| token(n, now, -Duration::minutes(5)))
        .collect();
    let live: Vec<StoredToken> = (100..102)
        .map(|n| token(n, now, Duration::hours(1)))
        .collect();
    store.insert_tokens(&expired).await.unwrap();
    store.insert_tokens(&live).await.unwrap();

    let past = now - Duration::minutes(5);
    let future = now + Duration::hours(1);
    for (flow, expires) in [("flow-old", past), ("flow-new", future)] {
        for step in [FlowStep::LoginHandled, FlowStep::LoginVerified] {
            store
                .record_step(flow, step, "http://127.0.0.1/next", expires)
                .await
                .unwrap();
        }
    }
    store
        .upsert_login_session(&session("sid-old", now, -Duration::minutes(5)))
        .await
        .unwrap();
    store
        .upsert_login_session(&session("sid-new", now, Duration::hours(1)))
        .await
        .unwrap();
    let an_hour_ago = now - Duration::hours(1);
    assert!(
        store
            .record_jti("jti-old", "janitor-client", past, an_hour_ago)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_jti("jti-new", "janitor-client", future, an_hour_ago)
            .await
            .unwrap()
    );

    let dsn = db.dsn.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(["janitor", &dsn, "--batch-size", "3"])
            .env_remove("DSN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "janitor failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Deleted 7 expired tokens"),
        "unexpected output: {stdout}"
    );
    assert!(
        stdout.contains("Deleted 2 expired flow steps"),
        "unexpected output: {stdout}"
    );
    assert!(
        stdout.contains("Deleted 1 expired authentication sessions"),
        "unexpected output: {stdout}"
    );
    assert!(
        stdout.contains("Deleted 1 expired client assertion ids"),
        "unexpected output: {stdout}"
    );

    for t in &expired {
        let got = store
            .get_token(TokenKind::AccessToken, &t.signature_hash)
            .await
            .unwrap();
        assert!(got.is_none(), "expired token {} survived", t.signature_hash);
    }
    for t in &live {
        let got = store
            .get_token(TokenKind::AccessToken, &t.signature_hash)
            .await
            .unwrap();
        assert!(got.is_some(), "live token {} was deleted", t.signature_hash);
    }
    assert!(
        store
            .get_step("flow-old", FlowStep::LoginHandled)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_step("flow-new", FlowStep::LoginVerified)
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.get_login_session("sid-old").await.unwrap().is_none());
    assert!(store.get_login_session("sid-new").await.unwrap().is_some());
    // A live assertion id is still recorded: recording it again is refused.
    assert!(
        !store
            .record_jti("jti-new", "janitor-client", future, SystemClock.now())
            .await
            .unwrap()
    );

    // A second run finds nothing.
    let dsn = db.dsn.clone();
    let again = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(["janitor", &dsn])
            .env_remove("DSN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        again.status.success(),
        "second janitor run: {:?}\n{}",
        again.status,
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("Deleted 0 row(s)"));
}

per_backend!(janitor_deletes_expired_rows_and_keeps_live_ones);
