//! `DeviceCodeStore` clauses (RFC 8628: a device code is redeemed once, a user code is
//! accepted once, a device challenge gets `max_attempts` tries), each on a fresh
//! `MemoryStore` and a fresh database of every configured backend.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::storage::memory::MemoryStore;
use portunus_server::storage::{
    DeviceAuthorization, DeviceCodeState, DeviceCodeStore, StorageError,
};

use super::migrated;
use crate::support::test_db::{catch_failure, for_each_backend};

type Store = Arc<dyn DeviceCodeStore>;

async fn on_every_device_store<F, Fut>(clause: F)
where
    F: Fn(Store) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Err(message) = catch_failure(clause(Arc::new(MemoryStore::new()))).await {
        panic!("[memory] {message}");
    }
    for_each_backend(move |db| async move {
        let store: Store = Arc::new(migrated(&db).await);
        clause(store).await;
    })
    .await;
}

macro_rules! device_conformance {
    ($($clause:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                on_every_device_store(clauses::$clause).await;
            }
        )+
    };
}

device_conformance!(
    an_authorization_round_trips_by_either_key,
    user_code_keys_are_unique,
    transitions_are_compare_and_set,
    concurrent_claims_have_one_winner,
    polls_are_recorded_once_per_version,
    attempts_stop_at_max_also_concurrently,
    expired_rows_are_deleted,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
        + Duration::seconds(seconds)
        + Duration::microseconds(123_456)
}

fn authorization(key: &str, user_key: &str, expires: i64) -> DeviceAuthorization {
    DeviceAuthorization {
        device_code_key: key.to_owned(),
        user_code_key: user_key.to_owned(),
        client_id: "device-client".to_owned(),
        requested_scope: vec!["openid".into(), "offline".into()],
        requested_audience: vec!["https://api.example/ü".into()],
        requested_authorization_details: vec![serde_json::json!({
            "type": "payment_initiation",
            "creditorName": "Müller",
            "instructedAmount": {"currency": "EUR", "amount": "1.00"},
        })],
        state: DeviceCodeState::Pending,
        approval: None,
        interval_secs: 5,
        next_poll_at: at(0),
        polls: 0,
        requested_at: at(0),
        expires_at: at(expires),
    }
}

mod clauses {
    use super::*;

    pub async fn an_authorization_round_trips_by_either_key(store: Store) {
        let a = authorization("d1", "u1", 600);
        store.insert_device_authorization(&a).await.unwrap();
        assert_eq!(
            store.get_device_authorization("d1").await.unwrap(),
            Some(a.clone())
        );
        let keys = ["other".to_owned(), "u1".to_owned()];
        assert_eq!(
            store
                .find_device_authorization_by_user_code(&keys)
                .await
                .unwrap(),
            Some(a),
            "found under any of the keys"
        );
        assert_eq!(store.get_device_authorization("d2").await.unwrap(), None);
        assert_eq!(
            store
                .find_device_authorization_by_user_code(&["u2".to_owned()])
                .await
                .unwrap(),
            None
        );
    }

    pub async fn user_code_keys_are_unique(store: Store) {
        store
            .insert_device_authorization(&authorization("d1", "u1", 600))
            .await
            .unwrap();
        let clash = store
            .insert_device_authorization(&authorization("d2", "u1", 600))
            .await;
        assert!(matches!(clash, Err(StorageError::Conflict(_))), "{clash:?}");
        let same_key = store
            .insert_device_authorization(&authorization("d1", "u3", 600))
            .await;
        assert!(
            matches!(same_key, Err(StorageError::Conflict(_))),
            "{same_key:?}"
        );
        assert_eq!(store.get_device_authorization("d2").await.unwrap(), None);
    }

    pub async fn transitions_are_compare_and_set(store: Store) {
        use DeviceCodeState::*;
        store
            .insert_device_authorization(&authorization("d1", "u1", 600))
            .await
            .unwrap();
        assert!(
            !store
                .transition_device_authorization("d1", Verifying, Approved, Some("x"))
                .await
                .unwrap()
        );
        assert!(
            store
                .transition_device_authorization("d1", Pending, Verifying, None)
                .await
                .unwrap()
        );
        assert!(
            !store
                .transition_device_authorization("d1", Pending, Verifying, None)
                .await
                .unwrap()
        );
        assert!(
            store
                .transition_device_authorization("d1", Verifying, Approved, Some("sealed ✓"))
                .await
                .unwrap()
        );
        let approved = store.get_device_authorization("d1").await.unwrap().unwrap();
        assert_eq!(approved.state, Approved);
        assert_eq!(approved.approval.as_deref(), Some("sealed ✓"));
        assert!(
            store
                .transition_device_authorization("d1", Approved, Used, None)
                .await
                .unwrap()
        );
        let used = store.get_device_authorization("d1").await.unwrap().unwrap();
        assert_eq!(used.state, Used);
        assert_eq!(
            used.approval.as_deref(),
            Some("sealed ✓"),
            "kept without a new one"
        );
        assert!(
            !store
                .transition_device_authorization("missing", Pending, Verifying, None)
                .await
                .unwrap()
        );
    }

    pub async fn concurrent_claims_have_one_winner(store: Store) {
        use DeviceCodeState::*;
        let mut a = authorization("d1", "u1", 600);
        a.state = Approved;
        a.approval = Some("sealed".into());
        store.insert_device_authorization(&a).await.unwrap();
        let claims = (0..8).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .transition_device_authorization("d1", Approved, Used, None)
                    .await
                    .unwrap()
            })
        });
        let won = futures::future::join_all(claims)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        assert_eq!(won, 1, "exactly one claim wins");
    }

    pub async fn polls_are_recorded_once_per_version(store: Store) {
        store
            .insert_device_authorization(&authorization("d1", "u1", 600))
            .await
            .unwrap();
        assert!(store.record_poll("d1", 0, 10, at(10)).await.unwrap());
        assert!(
            !store.record_poll("d1", 0, 15, at(15)).await.unwrap(),
            "stale version"
        );
        let polled = store.get_device_authorization("d1").await.unwrap().unwrap();
        assert_eq!(
            (polled.polls, polled.interval_secs, polled.next_poll_at),
            (1, 10, at(10))
        );
        let polls = (0..8).map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.record_poll("d1", 1, 5 + i, at(20)).await.unwrap() })
        });
        let recorded = futures::future::join_all(polls)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        assert_eq!(recorded, 1, "one of concurrent polls is recorded");
        assert!(!store.record_poll("missing", 0, 5, at(1)).await.unwrap());
    }

    pub async fn attempts_stop_at_max_also_concurrently(store: Store) {
        for _ in 0..3 {
            assert!(
                store
                    .take_user_code_attempt("c1", 3, at(600))
                    .await
                    .unwrap()
            );
        }
        assert!(
            !store
                .take_user_code_attempt("c1", 3, at(600))
                .await
                .unwrap()
        );
        assert!(
            store
                .take_user_code_attempt("c2", 3, at(600))
                .await
                .unwrap(),
            "per challenge"
        );
        let takes = (0..12).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .take_user_code_attempt("c3", 5, at(600))
                    .await
                    .unwrap()
            })
        });
        let taken = futures::future::join_all(takes)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        assert_eq!(taken, 5, "never more than max, however concurrent");
    }

    pub async fn expired_rows_are_deleted(store: Store) {
        store
            .insert_device_authorization(&authorization("old", "u1", 10))
            .await
            .unwrap();
        store
            .insert_device_authorization(&authorization("new", "u2", 600))
            .await
            .unwrap();
        assert!(
            store
                .take_user_code_attempt("c-old", 5, at(10))
                .await
                .unwrap()
        );
        assert!(
            store
                .take_user_code_attempt("c-new", 5, at(600))
                .await
                .unwrap()
        );
        let deleted = store.delete_expired_device_codes(at(11)).await.unwrap();
        assert_eq!(deleted, 2, "one authorization, one attempt count");
        assert_eq!(store.get_device_authorization("old").await.unwrap(), None);
        assert!(
            store
                .get_device_authorization("new")
                .await
                .unwrap()
                .is_some()
        );
        // The unexpired count is kept: its one attempt used, a limit of 1 is reached.
        assert!(
            !store
                .take_user_code_attempt("c-new", 1, at(600))
                .await
                .unwrap()
        );
        // The expired one is gone: its challenge starts from zero again.
        assert!(
            store
                .take_user_code_attempt("c-old", 1, at(10))
                .await
                .unwrap()
        );
    }
}
