//! `PushedRequestStore` clauses (RFC 9126 §2.2, §4: a pushed request is bound to its
//! client and used once), each on a fresh `MemoryStore` and a fresh database of every
//! configured backend.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::storage::{PushedRequest, PushedRequestStore, StorageError};

use super::{conformance, count_winners};

type Store = Arc<dyn PushedRequestStore>;

conformance!(PushedRequestStore, clauses:
    a_pushed_request_round_trips_and_is_taken_once,
    another_clients_take_finds_nothing_and_leaves_it,
    an_expired_request_is_not_taken,
    concurrent_takers_have_one_winner,
    a_key_is_pushed_once,
    expired_requests_are_deleted,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn request(client_id: &str, expires: i64) -> PushedRequest {
    PushedRequest {
        client_id: client_id.to_owned(),
        parameters: vec![
            ("client_id".into(), client_id.into()),
            ("audience".into(), "https://a.example".into()),
            ("audience".into(), "https://b.example".into()),
            ("claims".into(), r#"{"id_token":{"email":null}}"#.into()),
            ("state".into(), "ü ✓ \"quoted\"".into()),
        ],
        expires_at: at(expires),
    }
}

mod clauses {
    use super::*;

    pub async fn a_pushed_request_round_trips_and_is_taken_once(store: Store) {
        let pushed = request("c1", 60);
        store.push_request("k1", &pushed).await.unwrap();
        let taken = store.take_pushed_request("k1", "c1", at(0)).await.unwrap();
        assert_eq!(taken, Some(pushed), "every pair, in order");
        assert_eq!(
            store.take_pushed_request("k1", "c1", at(1)).await.unwrap(),
            None,
            "single use"
        );
        assert_eq!(
            store
                .take_pushed_request("unknown", "c1", at(1))
                .await
                .unwrap(),
            None
        );
    }

    pub async fn another_clients_take_finds_nothing_and_leaves_it(store: Store) {
        store.push_request("k1", &request("c1", 60)).await.unwrap();
        assert_eq!(
            store.take_pushed_request("k1", "c2", at(0)).await.unwrap(),
            None
        );
        assert!(
            store
                .take_pushed_request("k1", "c1", at(0))
                .await
                .unwrap()
                .is_some(),
            "the owner still takes it"
        );
    }

    pub async fn an_expired_request_is_not_taken(store: Store) {
        store.push_request("k1", &request("c1", 10)).await.unwrap();
        assert_eq!(
            store.take_pushed_request("k1", "c1", at(10)).await.unwrap(),
            None,
            "expired at its expiry"
        );
        store.push_request("k2", &request("c1", 10)).await.unwrap();
        assert!(
            store
                .take_pushed_request("k2", "c1", at(9))
                .await
                .unwrap()
                .is_some()
        );
    }

    pub async fn concurrent_takers_have_one_winner(store: Store) {
        store
            .push_request("race", &request("c1", 60))
            .await
            .unwrap();
        let winners = count_winners(8, |_| {
            let store = store.clone();
            async move {
                store
                    .take_pushed_request("race", "c1", at(0))
                    .await
                    .unwrap()
                    .is_some()
            }
        })
        .await;
        assert_eq!(winners, 1);
    }

    pub async fn a_key_is_pushed_once(store: Store) {
        store.push_request("k1", &request("c1", 60)).await.unwrap();
        let err = store
            .push_request("k1", &request("c2", 60))
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
        let taken = store.take_pushed_request("k1", "c1", at(0)).await.unwrap();
        assert!(taken.is_some(), "the first push stays");
    }

    pub async fn expired_requests_are_deleted(store: Store) {
        for (key, expires) in [("a", 10), ("b", 20), ("c", 30)] {
            store
                .push_request(key, &request("c1", expires))
                .await
                .unwrap();
        }
        assert_eq!(
            store.delete_expired_pushed_requests(at(20)).await.unwrap(),
            1
        );
        assert_eq!(
            store.delete_expired_pushed_requests(at(20)).await.unwrap(),
            0
        );
        assert_eq!(
            store.delete_expired_pushed_requests(at(31)).await.unwrap(),
            2
        );
        assert_eq!(
            store.take_pushed_request("c", "c1", at(0)).await.unwrap(),
            None
        );
    }
}
