//! `TrustStore` clauses (trusted JWT grant issuers, RFC 7523 §2.1), each on a fresh
//! `MemoryStore` and a fresh database of every configured backend.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::jwk::JsonWebKey;
use portunus_server::storage::{StorageError, TrustListQuery, TrustStore};
use portunus_server::trust::TrustRelationship;

use super::conformance;

type Store = Arc<dyn TrustStore>;

conformance!(TrustStore, clauses:
    create_then_get_round_trips_every_field,
    duplicate_issuer_subject_kid_conflicts_and_keeps_the_original,
    delete_reports_whether_it_deleted,
    keyset_pages_cover_everything_exactly_once,
    lookup_matches_issuer_subject_and_kid,
    expired_relationships_are_not_trusted,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn key(kid: &str) -> JsonWebKey {
    JsonWebKey {
        kty: "EC".to_owned(),
        kid: Some(kid.to_owned()),
        alg: Some("ES256".to_owned()),
        use_: Some("sig".to_owned()),
        crv: Some("P-256".to_owned()),
        x: Some("QpjUJzOp5Djz0xhg_BXyzrHIhTWnd2dbpnZdtzNeUhw".to_owned()),
        y: Some("uo-v9pgEsFnzxWBuGymkzZPQenXf1VcQRoRldHp7E1g".to_owned()),
        ..JsonWebKey::default()
    }
}

/// A relationship of `issuer` about `subject` (empty: any subject) with key `kid`.
fn trust(id: &str, issuer: &str, subject: &str, kid: &str) -> TrustRelationship {
    TrustRelationship {
        id: id.to_owned(),
        issuer: issuer.to_owned(),
        subject: subject.to_owned(),
        allow_any_subject: subject.is_empty(),
        scope: vec!["read".to_owned(), "write:all".to_owned()],
        public_key: key(kid),
        kid: kid.to_owned(),
        created_at: at(0),
        expires_at: at(3600),
    }
}

fn ids(trusts: &[TrustRelationship]) -> Vec<&str> {
    trusts.iter().map(|t| t.id.as_str()).collect()
}

mod clauses {
    use super::*;

    pub async fn create_then_get_round_trips_every_field(store: Store) {
        let mut full = trust("t1", "https://idp.example/ü", "alice@example.com", "k1");
        full.created_at = at(0) + Duration::microseconds(123_456);
        full.expires_at = at(7200) + Duration::microseconds(654_321);
        store.create_trust(&full).await.unwrap();
        assert_eq!(store.get_trust("t1").await.unwrap(), Some(full));
        let any = trust("t2", "https://idp.example", "", "k1");
        store.create_trust(&any).await.unwrap();
        let got = store.get_trust("t2").await.unwrap().unwrap();
        assert!(got.allow_any_subject && got.subject.is_empty());
        assert_eq!(store.get_trust("nope").await.unwrap(), None);
    }

    pub async fn duplicate_issuer_subject_kid_conflicts_and_keeps_the_original(store: Store) {
        let original = trust("t1", "iss", "alice", "k1");
        store.create_trust(&original).await.unwrap();
        let mut again = trust("t2", "iss", "alice", "k1");
        again.scope = vec!["other".to_owned()];
        assert!(matches!(
            store.create_trust(&again).await,
            Err(StorageError::Conflict(_))
        ));
        assert!(
            matches!(
                store.create_trust(&trust("t1", "iss", "bob", "k9")).await,
                Err(StorageError::Conflict(_))
            ),
            "the same id"
        );
        assert_eq!(store.get_trust("t2").await.unwrap(), None);
        assert_eq!(store.get_trust("t1").await.unwrap(), Some(original));
        // Case matters: "Alice" is another subject, "K1" another kid.
        store
            .create_trust(&trust("t3", "iss", "Alice", "k1"))
            .await
            .unwrap();
        store
            .create_trust(&trust("t4", "iss", "alice", "K1"))
            .await
            .unwrap();
        // Any-subject relationships are unique per (issuer, kid) too.
        store
            .create_trust(&trust("t5", "iss", "", "k1"))
            .await
            .unwrap();
        assert!(matches!(
            store.create_trust(&trust("t6", "iss", "", "k1")).await,
            Err(StorageError::Conflict(_))
        ));
    }

    pub async fn delete_reports_whether_it_deleted(store: Store) {
        store
            .create_trust(&trust("t1", "iss", "alice", "k1"))
            .await
            .unwrap();
        assert!(store.delete_trust("t1").await.unwrap());
        assert!(!store.delete_trust("t1").await.unwrap());
        assert_eq!(store.get_trust("t1").await.unwrap(), None);
        // The key is free again.
        store
            .create_trust(&trust("t2", "iss", "alice", "k1"))
            .await
            .unwrap();
    }

    pub async fn keyset_pages_cover_everything_exactly_once(store: Store) {
        for i in 0..7 {
            let issuer = if i % 2 == 0 { "a" } else { "b" };
            let mut t = trust(&format!("t{i}"), issuer, &format!("s{i}"), "k");
            // Expired ones are listed too.
            t.expires_at = at(i - 3);
            store.create_trust(&t).await.unwrap();
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_trusts(&TrustListQuery {
                    after: after.clone(),
                    limit: 3,
                    issuer: None,
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|t| t.id.clone());
            seen.extend(page.into_iter().map(|t| t.id));
        }
        assert_eq!(seen, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
        let only_b = store
            .list_trusts(&TrustListQuery {
                after: Some("t1".to_owned()),
                limit: 10,
                issuer: Some("b".to_owned()),
            })
            .await
            .unwrap();
        assert_eq!(ids(&only_b), ["t3", "t5"]);
    }

    pub async fn lookup_matches_issuer_subject_and_kid(store: Store) {
        store
            .create_trust(&trust("t1", "iss", "alice", "k1"))
            .await
            .unwrap();
        store
            .create_trust(&trust("t2", "iss", "alice", "k2"))
            .await
            .unwrap();
        store
            .create_trust(&trust("t0", "iss", "", "k1"))
            .await
            .unwrap();
        store
            .create_trust(&trust("t3", "other", "alice", "k1"))
            .await
            .unwrap();
        let now = at(10);
        let found = store
            .trusted_keys("iss", "alice", Some("k1"), now)
            .await
            .unwrap();
        assert_eq!(ids(&found), ["t1", "t0"], "the subject's own first");
        let found = store.trusted_keys("iss", "alice", None, now).await.unwrap();
        assert_eq!(ids(&found), ["t1", "t2", "t0"]);
        let found = store.trusted_keys("iss", "bob", None, now).await.unwrap();
        assert_eq!(ids(&found), ["t0"], "any subject");
        let found = store
            .trusted_keys("iss", "bob", Some("k2"), now)
            .await
            .unwrap();
        assert!(found.is_empty());
        let found = store.trusted_keys("ISS", "alice", None, now).await.unwrap();
        assert!(found.is_empty(), "issuers compare exactly");
        let found = store
            .trusted_keys("other", "alice", Some("k1"), now)
            .await
            .unwrap();
        assert_eq!(ids(&found), ["t3"]);
    }

    pub async fn expired_relationships_are_not_trusted(store: Store) {
        let mut t = trust("t1", "iss", "alice", "k1");
        t.expires_at = at(100);
        store.create_trust(&t).await.unwrap();
        let found = store
            .trusted_keys("iss", "alice", Some("k1"), at(99))
            .await
            .unwrap();
        assert_eq!(ids(&found), ["t1"]);
        let found = store
            .trusted_keys("iss", "alice", Some("k1"), at(100))
            .await
            .unwrap();
        assert!(found.is_empty(), "expires_at itself is past the end");
        assert!(
            store.get_trust("t1").await.unwrap().is_some(),
            "an expired relationship is still readable by the admin"
        );
        // An expired relationship still holds its key: a new one conflicts.
        assert!(matches!(
            store.create_trust(&trust("t2", "iss", "alice", "k1")).await,
            Err(StorageError::Conflict(_))
        ));
    }
}
