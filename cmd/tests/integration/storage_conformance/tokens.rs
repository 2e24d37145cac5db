//! `TokenStore` clauses, each on a fresh `MemoryStore` and a fresh database of every
//! configured backend. Tokens hang off clients (foreign key), so each clause gets both
//! ports of one store.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::client::model::Client;
use portunus_server::storage::memory::MemoryStore;
use portunus_server::storage::{ClientStore, StorageError, StoredToken, TokenKind, TokenStore};

use super::migrated;
use crate::support::test_db::{catch_failure, for_each_backend};

#[derive(Clone)]
pub struct Stores {
    pub(super) clients: Arc<dyn ClientStore>,
    pub(super) tokens: Arc<dyn TokenStore>,
}

impl Stores {
    fn of<S: ClientStore + TokenStore + 'static>(store: S) -> Self {
        let store = Arc::new(store);
        Self {
            clients: store.clone(),
            tokens: store,
        }
    }

    pub(super) async fn with_clients(&self, ids: &[&str]) {
        for id in ids {
            let client = Client {
                client_id: (*id).to_owned(),
                ..Client::default()
            };
            self.clients.create_client(&client).await.unwrap();
        }
    }
}

pub(super) async fn on_every_token_store<F, Fut>(clause: F)
where
    F: Fn(Stores) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Err(message) = catch_failure(clause(Stores::of(MemoryStore::new()))).await {
        panic!("[memory] {message}");
    }
    for_each_backend(move |db| async move {
        let store = migrated(&db).await;
        clause(Stores::of(store)).await;
    })
    .await;
}

macro_rules! token_conformance {
    ($($clause:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                on_every_token_store(clauses::$clause).await;
            }
        )+
    };
}

token_conformance!(
    insert_then_get_round_trips_every_field,
    get_needs_the_right_kind,
    insert_is_all_or_nothing,
    insert_for_an_unknown_client_writes_nothing,
    revoke_family_deactivates_only_that_family,
    revoke_subject_tokens_hits_only_that_subject_and_client,
    delete_client_access_tokens_keeps_other_kinds_and_clients,
    mark_used_is_a_compare_and_set,
    concurrent_mark_used_has_one_winner,
    concurrent_inserts_fail_alone,
    concurrent_single_inserts_fail_alone,
    delete_expired_is_strictly_before,
    deleting_a_client_deletes_its_tokens,
);

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
}

pub(super) fn hash(n: u32) -> String {
    format!("{n:064x}")
}

pub(super) fn token(n: u32, kind: TokenKind, family: &str, client: &str) -> StoredToken {
    StoredToken {
        signature_hash: hash(n),
        kind,
        family_id: family.to_owned(),
        client_id: client.to_owned(),
        subject: "subject".to_owned(),
        granted_scope: Vec::new(),
        granted_audience: Vec::new(),
        session: "sealed".to_owned(),
        request_data: None,
        issued_at: at(0),
        expires_at: at(3600),
        active: true,
        used_at: None,
        parent_family_id: None,
    }
}

pub(super) async fn is_active(stores: &Stores, n: u32, kind: TokenKind) -> Option<bool> {
    stores
        .tokens
        .get_token(kind, &hash(n))
        .await
        .unwrap()
        .map(|t| t.active)
}

/// Client `c` and the access token `hash(0)` of family `taken`, which later inserts of
/// the same key must not replace.
async fn insert_taken_token(stores: &Stores) {
    stores.with_clients(&["c"]).await;
    stores
        .tokens
        .insert_tokens(&[token(0, TokenKind::AccessToken, "taken", "c")])
        .await
        .unwrap();
}

async fn assert_taken_token_kept(stores: &Stores) {
    let first = stores
        .tokens
        .get_token(TokenKind::AccessToken, &hash(0))
        .await
        .unwrap();
    assert_eq!(first.unwrap().family_id, "taken");
}

mod clauses {
    use super::*;

    pub async fn insert_then_get_round_trips_every_field(stores: Stores) {
        stores.with_clients(&["client-ü"]).await;
        let mut full = token(1, TokenKind::AuthorizationCode, "family-1", "client-ü");
        full.subject = "user ✓ 42".to_owned();
        full.granted_scope = vec!["openid".into(), "offline_access".into(), "foo.*".into()];
        full.granted_audience = vec!["https://api.example.com".into(), "urn:x".into()];
        full.session = "AQIDBA==".repeat(500);
        full.request_data = Some("c2VhbGVk".to_owned());
        full.issued_at = at(0) + Duration::microseconds(123_456);
        full.expires_at = at(600) + Duration::nanoseconds(987_654_321);
        full.active = false;
        full.used_at = Some(at(30) + Duration::microseconds(1));
        let empty = token(2, TokenKind::AccessToken, "family-2", "client-ü");
        stores
            .tokens
            .insert_tokens(&[full.clone(), empty.clone()])
            .await
            .unwrap();

        let got = stores
            .tokens
            .get_token(full.kind, &full.signature_hash)
            .await
            .unwrap();
        let mut expected = full.clone();
        expected.expires_at = at(600) + Duration::microseconds(987_654);
        assert_eq!(got, Some(expected), "microsecond precision everywhere");
        let got = stores
            .tokens
            .get_token(empty.kind, &empty.signature_hash)
            .await
            .unwrap();
        assert_eq!(got, Some(empty));
        assert_eq!(
            stores
                .tokens
                .get_token(TokenKind::AccessToken, &hash(9))
                .await
                .unwrap(),
            None
        );
    }

    pub async fn get_needs_the_right_kind(stores: Stores) {
        stores.with_clients(&["c"]).await;
        stores
            .tokens
            .insert_tokens(&[token(1, TokenKind::RefreshToken, "f", "c")])
            .await
            .unwrap();
        assert_eq!(
            is_active(&stores, 1, TokenKind::RefreshToken).await,
            Some(true)
        );
        assert_eq!(is_active(&stores, 1, TokenKind::AccessToken).await, None);
        assert_eq!(
            is_active(&stores, 1, TokenKind::AuthorizationCode).await,
            None
        );
    }

    pub async fn insert_is_all_or_nothing(stores: Stores) {
        stores.with_clients(&["c"]).await;
        stores
            .tokens
            .insert_tokens(&[token(1, TokenKind::AccessToken, "f1", "c")])
            .await
            .unwrap();
        let batch = [
            token(2, TokenKind::AccessToken, "f2", "c"),
            token(3, TokenKind::RefreshToken, "f2", "c"),
            token(1, TokenKind::AccessToken, "f2", "c"),
        ];
        let err = stores.tokens.insert_tokens(&batch).await.unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
        assert_eq!(is_active(&stores, 2, TokenKind::AccessToken).await, None);
        assert_eq!(is_active(&stores, 3, TokenKind::RefreshToken).await, None);
        let original = stores
            .tokens
            .get_token(TokenKind::AccessToken, &hash(1))
            .await
            .unwrap();
        assert_eq!(original.unwrap().family_id, "f1");
        stores.tokens.insert_tokens(&[]).await.unwrap();
    }

    pub async fn insert_for_an_unknown_client_writes_nothing(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let batch = [
            token(1, TokenKind::AccessToken, "f", "c"),
            token(2, TokenKind::RefreshToken, "f", "no-such-client"),
        ];
        assert!(stores.tokens.insert_tokens(&batch).await.is_err());
        assert_eq!(is_active(&stores, 1, TokenKind::AccessToken).await, None);
    }

    pub async fn revoke_family_deactivates_only_that_family(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let mut used = token(3, TokenKind::AuthorizationCode, "f1", "c");
        used.active = false;
        let batch = [
            token(1, TokenKind::AccessToken, "f1", "c"),
            token(2, TokenKind::RefreshToken, "f1", "c"),
            used,
            token(4, TokenKind::AccessToken, "f2", "c"),
        ];
        stores.tokens.insert_tokens(&batch).await.unwrap();
        assert_eq!(stores.tokens.revoke_family("f1").await.unwrap(), 2);
        assert_eq!(
            is_active(&stores, 1, TokenKind::AccessToken).await,
            Some(false)
        );
        assert_eq!(
            is_active(&stores, 2, TokenKind::RefreshToken).await,
            Some(false)
        );
        assert_eq!(
            is_active(&stores, 4, TokenKind::AccessToken).await,
            Some(true)
        );
        assert_eq!(stores.tokens.revoke_family("f1").await.unwrap(), 0);
        assert_eq!(stores.tokens.revoke_family("unknown").await.unwrap(), 0);
    }

    pub async fn revoke_subject_tokens_hits_only_that_subject_and_client(stores: Stores) {
        stores.with_clients(&["a", "b"]).await;
        let mut other_subject = token(3, TokenKind::AccessToken, "f3", "a");
        other_subject.subject = "someone else".to_owned();
        let batch = [
            token(1, TokenKind::AccessToken, "f1", "a"),
            token(2, TokenKind::RefreshToken, "f1", "a"),
            other_subject,
            token(4, TokenKind::AccessToken, "f4", "b"),
        ];
        stores.tokens.insert_tokens(&batch).await.unwrap();
        assert_eq!(
            stores
                .tokens
                .revoke_subject_tokens("subject", "a")
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            is_active(&stores, 1, TokenKind::AccessToken).await,
            Some(false)
        );
        assert_eq!(
            is_active(&stores, 2, TokenKind::RefreshToken).await,
            Some(false)
        );
        assert_eq!(
            is_active(&stores, 3, TokenKind::AccessToken).await,
            Some(true)
        );
        assert_eq!(
            is_active(&stores, 4, TokenKind::AccessToken).await,
            Some(true)
        );
        assert_eq!(
            stores
                .tokens
                .revoke_subject_tokens("subject", "a")
                .await
                .unwrap(),
            0
        );
    }

    pub async fn delete_client_access_tokens_keeps_other_kinds_and_clients(stores: Stores) {
        stores.with_clients(&["a", "b"]).await;
        let batch = [
            token(1, TokenKind::AccessToken, "f1", "a"),
            token(2, TokenKind::AccessToken, "f2", "a"),
            token(3, TokenKind::RefreshToken, "f2", "a"),
            token(4, TokenKind::AuthorizationCode, "f3", "a"),
            token(5, TokenKind::AccessToken, "f4", "b"),
        ];
        stores.tokens.insert_tokens(&batch).await.unwrap();
        assert_eq!(
            stores
                .tokens
                .delete_client_access_tokens("a")
                .await
                .unwrap(),
            2
        );
        assert_eq!(is_active(&stores, 1, TokenKind::AccessToken).await, None);
        assert_eq!(is_active(&stores, 2, TokenKind::AccessToken).await, None);
        assert_eq!(
            is_active(&stores, 3, TokenKind::RefreshToken).await,
            Some(true)
        );
        assert_eq!(
            is_active(&stores, 4, TokenKind::AuthorizationCode).await,
            Some(true)
        );
        assert_eq!(
            is_active(&stores, 5, TokenKind::AccessToken).await,
            Some(true)
        );
        assert_eq!(
            stores
                .tokens
                .delete_client_access_tokens("a")
                .await
                .unwrap(),
            0
        );
    }

    pub async fn mark_used_is_a_compare_and_set(stores: Stores) {
        stores.with_clients(&["c"]).await;
        stores
            .tokens
            .insert_tokens(&[token(1, TokenKind::AuthorizationCode, "f", "c")])
            .await
            .unwrap();
        let tokens = &stores.tokens;
        assert!(
            !tokens
                .mark_used(TokenKind::AccessToken, &hash(1), at(5))
                .await
                .unwrap()
        );
        assert!(
            !tokens
                .mark_used(TokenKind::AuthorizationCode, &hash(2), at(5))
                .await
                .unwrap()
        );
        assert!(
            tokens
                .mark_used(TokenKind::AuthorizationCode, &hash(1), at(5))
                .await
                .unwrap()
        );
        assert!(
            !tokens
                .mark_used(TokenKind::AuthorizationCode, &hash(1), at(9))
                .await
                .unwrap()
        );
        let used = tokens
            .get_token(TokenKind::AuthorizationCode, &hash(1))
            .await
            .unwrap()
            .unwrap();
        assert!(!used.active);
        assert_eq!(
            used.used_at,
            Some(at(5)),
            "the loser does not overwrite used_at"
        );
    }

    pub async fn concurrent_mark_used_has_one_winner(stores: Stores) {
        stores.with_clients(&["c"]).await;
        for round in 0..5 {
            let family = format!("f{round}");
            let token = token(round, TokenKind::RefreshToken, &family, "c");
            stores.tokens.insert_tokens(&[token]).await.unwrap();
            let attempts = (0..8).map(|_| {
                let tokens = stores.tokens.clone();
                tokio::spawn(async move {
                    tokens
                        .mark_used(TokenKind::RefreshToken, &hash(round), at(1))
                        .await
                        .unwrap()
                })
            });
            let wins = futures::future::join_all(attempts)
                .await
                .into_iter()
                .filter(|won| *won.as_ref().unwrap())
                .count();
            assert_eq!(wins, 1, "round {round}");
        }
    }

    /// Many writers at once (on SQLite they share commits, `storage/sql/writer.rs`): each
    /// insert that conflicts fails whole and alone; every other one is stored whole.
    pub async fn concurrent_inserts_fail_alone(stores: Stores) {
        insert_taken_token(&stores).await;
        let writers = (1..=48u32).map(|i| {
            let tokens = stores.tokens.clone();
            tokio::spawn(async move {
                let family = format!("f{i}");
                let mut batch = vec![
                    token(i * 2, TokenKind::AccessToken, &family, "c"),
                    token(i * 2 + 1, TokenKind::RefreshToken, &family, "c"),
                ];
                if i % 6 == 0 {
                    batch.push(token(0, TokenKind::AccessToken, &family, "c"));
                }
                tokens.insert_tokens(&batch).await
            })
        });
        let outcomes = futures::future::join_all(writers).await;
        for (i, outcome) in (1..=48u32).zip(outcomes) {
            let outcome = outcome.unwrap();
            let stored = (
                is_active(&stores, i * 2, TokenKind::AccessToken).await,
                is_active(&stores, i * 2 + 1, TokenKind::RefreshToken).await,
            );
            if i % 6 == 0 {
                assert!(
                    matches!(outcome, Err(StorageError::Conflict(_))),
                    "writer {i}: {outcome:?}"
                );
                assert_eq!(stored, (None, None), "writer {i} left rows behind");
            } else {
                assert!(outcome.is_ok(), "writer {i}: {outcome:?}");
                assert_eq!(stored, (Some(true), Some(true)), "writer {i}");
            }
        }
        assert_taken_token_kept(&stores).await;
    }

    /// Many single-token inserts at once (on PostgreSQL and MySQL they share one
    /// statement, `storage/sql/token_batch.rs`; on SQLite one commit): a duplicate key
    /// or an unknown client fails that insert alone; every other row is stored.
    pub async fn concurrent_single_inserts_fail_alone(stores: Stores) {
        insert_taken_token(&stores).await;
        let writers = (1..=60u32).map(|i| {
            let tokens = stores.tokens.clone();
            tokio::spawn(async move {
                let family = format!("f{i}");
                let row = match i % 10 {
                    0 => token(0, TokenKind::AccessToken, &family, "c"),
                    5 => token(i, TokenKind::AccessToken, &family, "no-such-client"),
                    _ => token(i, TokenKind::AccessToken, &family, "c"),
                };
                tokens.insert_tokens(&[row]).await
            })
        });
        let outcomes = futures::future::join_all(writers).await;
        for (i, outcome) in (1..=60u32).zip(outcomes) {
            let outcome = outcome.unwrap();
            match i % 10 {
                0 | 5 => assert!(
                    matches!(outcome, Err(StorageError::Conflict(_))),
                    "writer {i}: {outcome:?}"
                ),
                _ => {
                    assert!(outcome.is_ok(), "writer {i}: {outcome:?}");
                    assert_eq!(
                        is_active(&stores, i, TokenKind::AccessToken).await,
                        Some(true),
                        "writer {i}"
                    );
                }
            }
            if i % 10 == 5 {
                assert_eq!(
                    is_active(&stores, i, TokenKind::AccessToken).await,
                    None,
                    "writer {i} left a row for an unknown client"
                );
            }
        }
        assert_taken_token_kept(&stores).await;
    }

    pub async fn delete_expired_is_strictly_before(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let mut early = token(1, TokenKind::AccessToken, "f", "c");
        early.expires_at = at(10);
        let mut boundary = token(2, TokenKind::RefreshToken, "f", "c");
        boundary.expires_at = at(20);
        let mut late = token(3, TokenKind::AuthorizationCode, "f", "c");
        late.expires_at = at(30);
        stores
            .tokens
            .insert_tokens(&[early, boundary, late])
            .await
            .unwrap();
        assert_eq!(stores.tokens.delete_expired(at(20)).await.unwrap(), 1);
        assert_eq!(is_active(&stores, 1, TokenKind::AccessToken).await, None);
        assert_eq!(
            is_active(&stores, 2, TokenKind::RefreshToken).await,
            Some(true)
        );
        assert_eq!(stores.tokens.delete_expired(at(31)).await.unwrap(), 2);
    }

    pub async fn deleting_a_client_deletes_its_tokens(stores: Stores) {
        stores.with_clients(&["a", "b"]).await;
        let batch = [
            token(1, TokenKind::AccessToken, "f1", "a"),
            token(2, TokenKind::RefreshToken, "f1", "a"),
            token(3, TokenKind::AccessToken, "f2", "b"),
        ];
        stores.tokens.insert_tokens(&batch).await.unwrap();
        assert!(stores.clients.delete_client("a").await.unwrap());
        assert_eq!(is_active(&stores, 1, TokenKind::AccessToken).await, None);
        assert_eq!(is_active(&stores, 2, TokenKind::RefreshToken).await, None);
        assert_eq!(
            is_active(&stores, 3, TokenKind::AccessToken).await,
            Some(true)
        );
    }
}
