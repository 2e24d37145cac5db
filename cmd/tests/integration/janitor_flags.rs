//! `portunus janitor`'s Hydra flags (issue 15 §2): `--grants` (trust relationships of
//! the JWT bearer grant, RFC 7523 §2.1, and initial access tokens, RFC 7591 §3),
//! `--limit`, `--keep-if-younger`, `--events` (delivered audit events and ingest
//! idempotency keys past `events.retention`), and the report of rows deleted per table.

use std::process::{Command, Output};

use chrono::{DateTime, Duration, Utc};
use portunus_server::client::initial_access::{InitialAccessToken, InitialAccessTokenStore};
use portunus_server::clock::{Clock, SystemClock};
use portunus_server::jwk::JsonWebKey;
use portunus_server::storage::sql::ExpiredKind;
use portunus_server::storage::{EventOutbox, OutboxEvent, StoredToken, TokenStore, TrustStore};
use portunus_server::trust::TrustRelationship;

use crate::janitor::{store_with_client, token, token_exists};
use crate::support::test_db::TestDatabase;
use crate::support::{TestBackend, per_backend};

per_backend!(
    janitor_grants_deletes_expired_trusts_and_spent_initial_access_tokens,
    janitor_limit_caps_the_rows_per_table_and_run,
    janitor_keep_if_younger_keeps_recently_expired_rows,
    janitor_reports_every_table,
    janitor_events_deletes_delivered_events_past_retention_only,
);

async fn janitor(dsn: &str, args: &[&str]) -> Output {
    let mut all = vec!["janitor".to_owned(), dsn.to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(&all)
            .env_remove("DSN")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Runs the janitor, which must succeed, and returns its standard output.
async fn janitor_ok(dsn: &str, args: &[&str]) -> String {
    let output = janitor(dsn, args).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "janitor {args:?} failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn trust(id: &str, now: DateTime<Utc>, expires_in: Duration) -> TrustRelationship {
    TrustRelationship {
        id: id.to_owned(),
        issuer: "https://issuer.test".to_owned(),
        subject: format!("subject-{id}"),
        allow_any_subject: false,
        scope: vec!["read".to_owned()],
        public_key: JsonWebKey {
            kty: "EC".to_owned(),
            kid: Some(format!("kid-{id}")),
            alg: Some("ES256".to_owned()),
            use_: Some("sig".to_owned()),
            crv: Some("P-256".to_owned()),
            x: Some("QpjUJzOp5Djz0xhg_BXyzrHIhTWnd2dbpnZdtzNeUhw".to_owned()),
            y: Some("uo-v9pgEsFnzxWBuGymkzZPQenXf1VcQRoRldHp7E1g".to_owned()),
            ..JsonWebKey::default()
        },
        kid: format!("kid-{id}"),
        created_at: now - Duration::hours(2),
        expires_at: now + expires_in,
    }
}

fn initial_access_token(
    id: &str,
    now: DateTime<Utc>,
    expires_in: Duration,
    max_uses: Option<u64>,
    uses: u64,
) -> InitialAccessToken {
    InitialAccessToken {
        id: id.to_owned(),
        token_hash: format!("hash-{id}"),
        created_at: now - Duration::hours(2),
        expires_at: now + expires_in,
        max_uses,
        uses,
    }
}

async fn janitor_grants_deletes_expired_trusts_and_spent_initial_access_tokens(
    backend: TestBackend,
) {
    let db = TestDatabase::create(backend);
    let store = store_with_client(&db).await;
    let now = SystemClock.now();
    for (id, expires_in) in [
        ("expired", -Duration::minutes(5)),
        ("live", Duration::hours(1)),
    ] {
        store
            .create_trust(&trust(id, now, expires_in))
            .await
            .unwrap();
    }
    let tokens = [
        ("iat-expired", -Duration::minutes(5), None, 0),
        ("iat-spent", Duration::hours(1), Some(1), 1),
        ("iat-one-left", Duration::hours(1), Some(2), 1),
        ("iat-unlimited", Duration::hours(1), None, 7),
    ];
    for (id, expires_in, max_uses, uses) in tokens {
        let iat = initial_access_token(id, now, expires_in, max_uses, uses);
        store.create_initial_access_token(&iat).await.unwrap();
    }
    // Token data is not --grants' business.
    store
        .insert_tokens(&[token(1, now, -Duration::minutes(5))])
        .await
        .unwrap();

    let out = janitor_ok(&db.dsn, &["--grants"]).await;
    assert!(
        out.contains("Deleted 1 expired trust relationships"),
        "{out}"
    );
    assert!(
        out.contains("Deleted 2 expired initial access tokens"),
        "{out}"
    );
    assert!(
        !out.contains("expired tokens") && !out.contains("expired consents"),
        "--grants cleaned other groups: {out}"
    );
    assert!(store.get_trust("expired").await.unwrap().is_none());
    assert!(store.get_trust("live").await.unwrap().is_some());
    for (id, kept) in [
        ("iat-expired", false),
        ("iat-spent", false),
        ("iat-one-left", true),
        ("iat-unlimited", true),
    ] {
        let found = store.get_initial_access_token(id).await.unwrap();
        assert_eq!(found.is_some(), kept, "{id}");
    }
    assert!(token_exists(&store, 1).await, "--grants deleted a token");
    // Without a selection, grants are cleaned with the rest.
    store
        .create_trust(&trust("expired-2", now, -Duration::minutes(1)))
        .await
        .unwrap();
    let out = janitor_ok(&db.dsn, &[]).await;
    assert!(
        out.contains("Deleted 1 expired trust relationships"),
        "{out}"
    );
    assert!(out.contains("Deleted 1 expired tokens"), "{out}");
}

async fn janitor_limit_caps_the_rows_per_table_and_run(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let store = store_with_client(&db).await;
    let now = SystemClock.now();
    let expired: Vec<StoredToken> = (0..5)
        .map(|n| token(n, now, -Duration::minutes(5)))
        .collect();
    store.insert_tokens(&expired).await.unwrap();

    let out = janitor_ok(&db.dsn, &["--tokens", "--limit", "2", "--batch-size", "1"]).await;
    assert!(
        out.contains("Deleted 2 expired tokens") && out.contains("--limit reached"),
        "{out}"
    );
    let mut left = 0;
    for n in 0..5 {
        left += usize::from(token_exists(&store, n).await);
    }
    assert_eq!(left, 3, "the limit bounds the run: {out}");

    let out = janitor_ok(&db.dsn, &["--tokens", "--limit", "10", "--batch-size", "2"]).await;
    assert!(out.contains("Deleted 3 expired tokens"), "{out}");
    assert!(!out.contains("--limit reached"), "{out}");

    let refused = janitor(&db.dsn, &["--limit", "0"]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--limit"));
}

async fn janitor_keep_if_younger_keeps_recently_expired_rows(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let store = store_with_client(&db).await;
    let now = SystemClock.now();
    store
        .insert_tokens(&[
            token(1, now, -Duration::minutes(10)),
            token(2, now, -Duration::hours(3)),
            token(3, now, Duration::hours(1)),
        ])
        .await
        .unwrap();
    store
        .create_trust(&trust("recent", now, -Duration::minutes(10)))
        .await
        .unwrap();

    // Hydra's duration format; rows must have expired more than an hour ago.
    let out = janitor_ok(&db.dsn, &["--keep-if-younger", "1h"]).await;
    assert!(out.contains("Deleted 1 expired tokens"), "{out}");
    assert!(
        out.contains("Deleted 0 expired trust relationships"),
        "{out}"
    );
    assert!(
        token_exists(&store, 1).await,
        "expired 10 minutes ago: kept"
    );
    assert!(
        !token_exists(&store, 2).await,
        "expired 3 hours ago: deleted"
    );
    assert!(token_exists(&store, 3).await, "live: kept");
    assert!(store.get_trust("recent").await.unwrap().is_some());

    let out = janitor_ok(&db.dsn, &["--keep-if-younger", "5m"]).await;
    assert!(out.contains("Deleted 1 expired tokens"), "{out}");
    assert!(!token_exists(&store, 1).await);

    let refused = janitor(&db.dsn, &["--keep-if-younger", "one hour"]).await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("invalid duration"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

async fn janitor_reports_every_table(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    drop(store_with_client(&db).await);
    let out = janitor_ok(&db.dsn, &[]).await;
    for kind in ExpiredKind::ALL {
        let line = format!("Deleted 0 expired {} in", kind.as_str());
        assert!(out.contains(&line), "no line for {}: {out}", kind.table());
    }
    assert!(out.contains("Deleted 0 row(s)"), "{out}");
}

/// `--events`: events delivered more than `events.retention` (168h by default) ago go
/// with their idempotency keys; an event delivered recently, and an old one never
/// delivered, stay.
async fn janitor_events_deletes_delivered_events_past_retention_only(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let store = store_with_client(&db).await;
    let now = SystemClock.now();
    let old = now - Duration::days(8);
    let event = |n: u32, created: DateTime<Utc>| OutboxEvent {
        id: format!("0190{n:028x}"),
        aggregate_key: format!("aggregate-{n}"),
        event_type: "test.event".to_owned(),
        envelope: format!("{{\"n\":{n}}}"),
        created_at: created,
    };
    for n in 1..=3 {
        store
            .enqueue_idempotent(&format!("key-{n}"), &event(n, old))
            .await
            .unwrap();
    }
    let claimed = store
        .claim_due("node", now, now + Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let id = |n: u32| event(n, old).id;
    // 1: delivered eight days ago; 2: delivered an hour ago; 3: never delivered.
    assert!(store.mark_delivered(&id(1), "node", old).await.unwrap());
    assert!(
        store
            .mark_delivered(&id(2), "node", now - Duration::hours(1))
            .await
            .unwrap()
    );

    let out = janitor_ok(&db.dsn, &["--events"]).await;
    assert!(out.contains("Deleted 1 expired delivered events"), "{out}");
    assert!(
        out.contains("Deleted 3 expired event idempotency keys"),
        "{out}"
    );
    assert!(!out.contains("expired tokens"), "--events alone: {out}");
    assert_eq!(
        store.pending_count().await.unwrap(),
        1,
        "the undelivered event stays"
    );
    // Event 2 (delivered an hour ago) is kept until its retention ends.
    let again = janitor_ok(&db.dsn, &["--events"]).await;
    assert!(
        again.contains("Deleted 0 expired delivered events"),
        "{again}"
    );
}
