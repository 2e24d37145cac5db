//! `portunus janitor`: deletes expired tokens, flow steps, authentication sessions,
//! client-assertion ids and the consents nothing needs any more, in batches, and keeps
//! every row that has not expired or is still needed (docs/architecture.md, "Retention").

use std::process::Command;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use portunus_server::client::model::Client;
use portunus_server::clock::{Clock, SystemClock};
use portunus_server::storage::flows::{
    ConsentGrant, ConsentListQuery, ConsentStore, FlowStep, FlowStepStore, LoginSession,
    LoginSessionStore,
};
use portunus_server::storage::sql::SqlStore;
use portunus_server::storage::{ClientStore, JtiStore, StoredToken, TokenKind, TokenStore};

use crate::support::TestBackend;
use crate::support::per_backend;
use crate::support::test_db::TestDatabase;

/// A store on `dsn` (its pool made on a blocking thread, as the server does).
pub(crate) async fn open(dsn: &str) -> SqlStore {
    let dsn = dsn.to_owned();
    tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .unwrap()
        .unwrap()
}

/// `db` migrated, with the client every janitor test's tokens belong to.
pub(crate) async fn store_with_client(db: &TestDatabase) -> SqlStore {
    let store = open(&db.dsn).await;
    store.migrate_up().await.unwrap();
    let client = Client {
        client_id: "janitor-client".to_owned(),
        ..Client::default()
    };
    store.create_client(&client).await.unwrap();
    store
}

/// An access token of the janitor tests' client, expiring `expires_in` from `now`
/// (shared by janitor_flags.rs and janitor_in_server.rs).
pub(crate) fn token(n: u32, now: DateTime<Utc>, expires_in: Duration) -> StoredToken {
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
        issued_at: now - Duration::hours(4),
        expires_at: now + expires_in,
        active: true,
        used_at: None,
        parent_family_id: None,
    }
}

/// Whether [`token`] `n` is still stored.
pub(crate) async fn token_exists(store: &SqlStore, n: u32) -> bool {
    store
        .get_token(TokenKind::AccessToken, &format!("{n:064x}"))
        .await
        .unwrap()
        .is_some()
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
    let store = store_with_client(&db).await;
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

/// Runs `portunus janitor <dsn> <args…>` and returns its standard output.
async fn run_janitor(dsn: &str, args: &[&str]) -> String {
    let mut all = vec!["janitor".to_owned(), dsn.to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(&all)
            .env_remove("DSN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "janitor failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

struct ConsentCase {
    id: &'static str,
    subject: &'static str,
    session: Option<&'static str>,
    remember: bool,
    /// `remember_until` relative to now; `None`: forever (`remember_for` 0).
    remember_for: Option<Duration>,
    kept: bool,
}

async fn janitor_deletes_consents_nothing_needs(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let store = store_with_client(&db).await;
    let now = SystemClock.now();

    store
        .upsert_login_session(&session("sid-expired", now, -Duration::minutes(5)))
        .await
        .unwrap();
    store
        .upsert_login_session(&session("sid-live", now, Duration::hours(1)))
        .await
        .unwrap();
    // "token-holder" still holds a live refresh token of the client; "token-expired"
    // holds only an expired one (its row not yet deleted when the consents go).
    let mut live = token(200, now, Duration::days(30));
    live.kind = TokenKind::RefreshToken;
    live.subject = "token-holder".to_owned();
    let mut expired = token(201, now, -Duration::minutes(5));
    expired.subject = "token-expired".to_owned();
    store.insert_tokens(&[live, expired]).await.unwrap();

    let cases = [
        // Not remembered, its session expired, no live token: nothing needs it.
        ConsentCase {
            id: "plain-session-expired",
            subject: "alice",
            session: Some("sid-expired"),
            remember: false,
            remember_for: None,
            kept: false,
        },
        // Its session was deleted (logout) or never stored.
        ConsentCase {
            id: "plain-session-gone",
            subject: "alice",
            session: Some("sid-gone"),
            remember: false,
            remember_for: None,
            kept: false,
        },
        ConsentCase {
            id: "plain-no-session",
            subject: "alice",
            session: None,
            remember: false,
            remember_for: None,
            kept: false,
        },
        // Remembered until five minutes ago.
        ConsentCase {
            id: "remembered-expired",
            subject: "alice",
            session: Some("sid-expired"),
            remember: true,
            remember_for: Some(-Duration::minutes(5)),
            kept: false,
        },
        // Only an expired token of the subject and client.
        ConsentCase {
            id: "plain-token-expired",
            subject: "token-expired",
            session: None,
            remember: false,
            remember_for: None,
            kept: false,
        },
        // remember_for 0: skips the consent screen until revoked.
        ConsentCase {
            id: "remembered-forever",
            subject: "alice",
            session: Some("sid-expired"),
            remember: true,
            remember_for: None,
            kept: true,
        },
        ConsentCase {
            id: "remembered-live",
            subject: "alice",
            session: None,
            remember: true,
            remember_for: Some(Duration::hours(1)),
            kept: true,
        },
        // Logout finds the relying parties of a live session through its consents.
        ConsentCase {
            id: "plain-session-live",
            subject: "bob",
            session: Some("sid-live"),
            remember: false,
            remember_for: None,
            kept: true,
        },
        // Revoking the subject's consents revokes the tokens of the clients it finds.
        ConsentCase {
            id: "plain-token-live",
            subject: "token-holder",
            session: Some("sid-expired"),
            remember: false,
            remember_for: None,
            kept: true,
        },
        ConsentCase {
            id: "remembered-expired-token-live",
            subject: "token-holder",
            session: None,
            remember: true,
            remember_for: Some(-Duration::minutes(5)),
            kept: true,
        },
    ];
    for case in &cases {
        let handled_at = (now - Duration::hours(2)).trunc_subsecs(6);
        store
            .insert_consent(&ConsentGrant {
                id: case.id.to_owned(),
                subject: case.subject.to_owned(),
                client_id: "janitor-client".to_owned(),
                login_session_id: case.session.map(str::to_owned),
                granted_scope: vec!["openid".to_owned()],
                granted_audience: Vec::new(),
                remember: case.remember,
                remember_until: case.remember_for.map(|d| (now + d).trunc_subsecs(6)),
                handled_at,
                sealed_details: "sealed".to_owned(),
            })
            .await
            .unwrap();
    }

    // An earlier consent of "token-holder" to the client, superseded by the two above:
    // the subject's latest consents find the client's tokens to revoke.
    store
        .insert_consent(&ConsentGrant {
            id: "plain-token-live-superseded".to_owned(),
            subject: "token-holder".to_owned(),
            client_id: "janitor-client".to_owned(),
            login_session_id: Some("sid-expired".to_owned()),
            granted_scope: vec!["openid".to_owned()],
            granted_audience: Vec::new(),
            remember: false,
            remember_until: None,
            handled_at: (now - Duration::hours(3)).trunc_subsecs(6),
            sealed_details: "sealed".to_owned(),
        })
        .await
        .unwrap();

    // --requests (Hydra's flag) with batches of 3: the six deletable rows take two
    // batches; the expired token's row is still there and keeps nothing.
    let stdout = run_janitor(&db.dsn, &["--requests", "--batch-size", "3"]).await;
    assert!(
        stdout.contains("Deleted 6 expired consents") && !stdout.contains("tokens"),
        "unexpected output: {stdout}"
    );
    let left = consent_ids(&store).await;
    assert!(!left.contains(&"plain-token-live-superseded".to_owned()));
    for case in &cases {
        assert_eq!(
            left.contains(&case.id.to_owned()),
            case.kept,
            "consent {} kept: {left:?}",
            case.id
        );
    }
    // The remembered consent still skips the consent screen.
    assert!(
        store
            .find_remembered_consent("alice", "janitor-client", SystemClock.now())
            .await
            .unwrap()
            .is_some()
    );
    // --tokens leaves consents alone.
    let stdout = run_janitor(&db.dsn, &["--tokens"]).await;
    assert!(
        stdout.contains("Deleted 1 expired tokens") && !stdout.contains("consents"),
        "unexpected output: {stdout}"
    );
    assert_eq!(consent_ids(&store).await, left);
    let again = run_janitor(&db.dsn, &[]).await;
    assert!(
        again.contains("Deleted 0 expired consents"),
        "unexpected output: {again}"
    );
}

async fn consent_ids(store: &SqlStore) -> Vec<String> {
    let mut ids = Vec::new();
    for subject in ["alice", "bob", "token-holder", "token-expired"] {
        let page = store
            .list_consents(&ConsentListQuery {
                subject: subject.to_owned(),
                login_session_id: None,
                after: None,
                limit: 100,
            })
            .await
            .unwrap();
        ids.extend(page.into_iter().map(|g| g.id));
    }
    ids
}

per_backend!(janitor_deletes_consents_nothing_needs);

/// A batch larger than one write's slice (100 keys) goes on slice after slice: every
/// expired row goes, no call deletes more than its batch, and the live rows stay
/// (`SqlStore::delete_expired_batch`).
async fn a_batch_deletes_in_slices_and_stops_at_its_size(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let store = store_with_client(&db).await;
    let now = SystemClock.now();
    let expired: Vec<StoredToken> = (0..250)
        .map(|n| token(n, now, -Duration::minutes(5)))
        .collect();
    let live: Vec<StoredToken> = (1000..1003)
        .map(|n| token(n, now, Duration::hours(1)))
        .collect();
    store.insert_tokens(&expired).await.unwrap();
    store.insert_tokens(&live).await.unwrap();

    let delete = |batch| {
        store.delete_expired_batch(
            portunus_server::storage::sql::ExpiredKind::Tokens,
            now,
            std::time::Duration::ZERO,
            batch,
        )
    };
    // A batch of 150 (one slice and part of another), then the other 100 in a batch of
    // 1,000, and the call after the last finds nothing.
    assert_eq!(delete(150).await.unwrap(), 150);
    assert_eq!(delete(1000).await.unwrap(), 100);
    assert_eq!(delete(1000).await.unwrap(), 0);
    for n in 1000..1003 {
        assert!(token_exists(&store, n).await, "live token {n} deleted");
    }
    assert!(!token_exists(&store, 0).await);
    assert!(!token_exists(&store, 249).await);
}

per_backend!(a_batch_deletes_in_slices_and_stops_at_its_size);
