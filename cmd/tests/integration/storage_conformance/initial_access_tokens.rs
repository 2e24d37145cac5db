//! `InitialAccessTokenStore` clauses (admin-created initial access tokens, RFC 7591
//! §3), each on a fresh `MemoryStore` and a fresh database of every configured backend.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::client::initial_access::{
    InitialAccessToken, InitialAccessTokenListQuery, InitialAccessTokenStore,
};
use portunus_server::storage::StorageError;

use super::{conformance, count_winners};

type Store = Arc<dyn InitialAccessTokenStore>;

conformance!(InitialAccessTokenStore, clauses:
    create_then_get_and_find_round_trip_every_field,
    a_duplicate_id_or_hash_conflicts_and_keeps_the_original,
    uses_are_counted_up_to_max_uses_and_given_back,
    expired_tokens_are_not_used,
    racing_uses_of_the_last_use_have_one_winner,
    delete_reports_whether_it_deleted,
    keyset_pages_cover_everything_exactly_once,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn token(id: &str, hash: &str, max_uses: Option<u64>) -> InitialAccessToken {
    InitialAccessToken {
        id: id.to_owned(),
        token_hash: hash.to_owned(),
        created_at: at(0),
        expires_at: at(3600),
        max_uses,
        uses: 0,
    }
}

mod clauses {
    use super::*;

    pub async fn create_then_get_and_find_round_trip_every_field(store: Store) {
        let mut full = token("t1", "sha256$h1", Some(1_000_000));
        full.created_at = at(0) + Duration::microseconds(123_456);
        full.expires_at = at(7200) + Duration::microseconds(654_321);
        store.create_initial_access_token(&full).await.unwrap();
        assert_eq!(
            store.get_initial_access_token("t1").await.unwrap(),
            Some(full.clone())
        );
        assert_eq!(
            store.find_initial_access_token("sha256$h1").await.unwrap(),
            Some(full)
        );
        let unlimited = token("t2", "sha256$h2", None);
        store.create_initial_access_token(&unlimited).await.unwrap();
        assert_eq!(
            store.get_initial_access_token("t2").await.unwrap(),
            Some(unlimited)
        );
        assert_eq!(store.get_initial_access_token("nope").await.unwrap(), None);
        assert_eq!(store.find_initial_access_token("nope").await.unwrap(), None);
    }

    pub async fn a_duplicate_id_or_hash_conflicts_and_keeps_the_original(store: Store) {
        let original = token("t1", "h1", Some(1));
        store.create_initial_access_token(&original).await.unwrap();
        for duplicate in [token("t1", "h2", None), token("t2", "h1", None)] {
            assert!(matches!(
                store.create_initial_access_token(&duplicate).await,
                Err(StorageError::Conflict(_))
            ));
        }
        assert_eq!(
            store.get_initial_access_token("t1").await.unwrap(),
            Some(original)
        );
        assert_eq!(store.get_initial_access_token("t2").await.unwrap(), None);
    }

    pub async fn uses_are_counted_up_to_max_uses_and_given_back(store: Store) {
        store
            .create_initial_access_token(&token("t1", "h1", Some(2)))
            .await
            .unwrap();
        store
            .create_initial_access_token(&token("t2", "h2", None))
            .await
            .unwrap();
        let now = at(10);
        assert!(store.use_initial_access_token("h1", now).await.unwrap());
        assert!(store.use_initial_access_token("h1", now).await.unwrap());
        assert!(!store.use_initial_access_token("h1", now).await.unwrap());
        let used = store.get_initial_access_token("t1").await.unwrap().unwrap();
        assert_eq!(used.uses, 2);
        store.return_initial_access_token_use("h1").await.unwrap();
        assert!(store.use_initial_access_token("h1", now).await.unwrap());
        // Given back no further than zero.
        for _ in 0..3 {
            store.return_initial_access_token_use("h2").await.unwrap();
        }
        assert_eq!(
            store
                .get_initial_access_token("t2")
                .await
                .unwrap()
                .unwrap()
                .uses,
            0
        );
        for _ in 0..5 {
            assert!(store.use_initial_access_token("h2", now).await.unwrap());
        }
        assert_eq!(
            store
                .get_initial_access_token("t2")
                .await
                .unwrap()
                .unwrap()
                .uses,
            5
        );
        assert!(
            !store
                .use_initial_access_token("unknown", now)
                .await
                .unwrap()
        );
    }

    pub async fn expired_tokens_are_not_used(store: Store) {
        store
            .create_initial_access_token(&token("t1", "h1", None))
            .await
            .unwrap();
        assert!(
            !store
                .use_initial_access_token("h1", at(3600))
                .await
                .unwrap()
        );
        assert!(
            store
                .use_initial_access_token("h1", at(3599))
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .get_initial_access_token("t1")
                .await
                .unwrap()
                .unwrap()
                .uses,
            1
        );
    }

    pub async fn racing_uses_of_the_last_use_have_one_winner(store: Store) {
        store
            .create_initial_access_token(&token("t1", "h1", Some(1)))
            .await
            .unwrap();
        let winners = count_winners(8, |_| {
            let store = store.clone();
            async move { store.use_initial_access_token("h1", at(10)).await.unwrap() }
        })
        .await;
        assert_eq!(winners, 1);
        assert_eq!(
            store
                .get_initial_access_token("t1")
                .await
                .unwrap()
                .unwrap()
                .uses,
            1
        );
    }

    pub async fn delete_reports_whether_it_deleted(store: Store) {
        store
            .create_initial_access_token(&token("t1", "h1", None))
            .await
            .unwrap();
        assert!(store.delete_initial_access_token("t1").await.unwrap());
        assert!(!store.delete_initial_access_token("t1").await.unwrap());
        assert_eq!(store.find_initial_access_token("h1").await.unwrap(), None);
        assert!(!store.use_initial_access_token("h1", at(10)).await.unwrap());
    }

    pub async fn keyset_pages_cover_everything_exactly_once(store: Store) {
        let ids = ["a", "B", "c", "d-1", "é"];
        for (i, id) in ids.iter().enumerate() {
            store
                .create_initial_access_token(&token(id, &format!("h{i}"), None))
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_initial_access_tokens(&InitialAccessTokenListQuery {
                    after: after.clone(),
                    limit: 2,
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|t| t.id.clone());
            seen.extend(page.into_iter().map(|t| t.id));
        }
        let mut expected: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(seen, expected, "byte-wise order, each once");
    }
}
