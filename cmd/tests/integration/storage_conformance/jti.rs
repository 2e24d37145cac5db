//! `JtiStore` clauses (RFC 7523 §3 replay protection), each on a fresh `MemoryStore`
//! and a fresh database of every configured backend.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::storage::JtiStore;

use super::{conformance, count_winners};

type Store = Arc<dyn JtiStore>;

conformance!(JtiStore, clauses:
    a_pair_is_recorded_once_per_client,
    an_expired_record_is_replaced_once,
    concurrent_recorders_have_one_winner,
    expired_records_are_deleted,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
}

/// Exactly one of eight concurrent `record_jti` calls for one pair returns `true`.
async fn race(store: &Store, jti: &'static str, expires: i64, now: i64) -> usize {
    count_winners(8, |_| {
        let store = store.clone();
        async move {
            store
                .record_jti(jti, "c1", at(expires), at(now))
                .await
                .unwrap()
        }
    })
    .await
}

mod clauses {
    use super::*;

    pub async fn a_pair_is_recorded_once_per_client(store: Store) {
        assert!(store.record_jti("j1", "c1", at(60), at(0)).await.unwrap());
        assert!(
            !store.record_jti("j1", "c1", at(120), at(1)).await.unwrap(),
            "a replay is refused"
        );
        assert!(
            store.record_jti("j1", "c2", at(60), at(1)).await.unwrap(),
            "another client's jti is its own"
        );
        assert!(store.record_jti("j2", "c1", at(60), at(1)).await.unwrap());
        let long = "ü".repeat(2000);
        assert!(store.record_jti(&long, "c1", at(60), at(1)).await.unwrap());
        assert!(!store.record_jti(&long, "c1", at(60), at(2)).await.unwrap());
        // Length-prefixed keys: ("ab", "c") and ("a", "bc") are different pairs.
        assert!(store.record_jti("c", "ab", at(60), at(1)).await.unwrap());
        assert!(store.record_jti("bc", "a", at(60), at(1)).await.unwrap());
    }

    pub async fn an_expired_record_is_replaced_once(store: Store) {
        assert!(store.record_jti("j", "c1", at(10), at(0)).await.unwrap());
        assert!(!store.record_jti("j", "c1", at(100), at(9)).await.unwrap());
        assert!(
            store.record_jti("j", "c1", at(100), at(10)).await.unwrap(),
            "a record whose expiry has come is replaced"
        );
        assert!(
            !store.record_jti("j", "c1", at(200), at(50)).await.unwrap(),
            "the replacement holds until its own expiry"
        );
    }

    pub async fn concurrent_recorders_have_one_winner(store: Store) {
        assert_eq!(race(&store, "fresh", 60, 0).await, 1, "on a fresh pair");
        assert!(store.record_jti("old", "c1", at(5), at(0)).await.unwrap());
        assert_eq!(race(&store, "old", 60, 10).await, 1, "on an expired record");
    }

    pub async fn expired_records_are_deleted(store: Store) {
        for (jti, expires) in [("a", 10), ("b", 20), ("c", 30)] {
            assert!(
                store
                    .record_jti(jti, "c1", at(expires), at(0))
                    .await
                    .unwrap()
            );
        }
        assert_eq!(store.delete_expired_jtis(at(20)).await.unwrap(), 1);
        assert_eq!(store.delete_expired_jtis(at(20)).await.unwrap(), 0);
        assert_eq!(store.delete_expired_jtis(at(31)).await.unwrap(), 2);
        assert!(
            store.record_jti("c", "c1", at(90), at(0)).await.unwrap(),
            "a deleted record no longer blocks"
        );
    }
}
