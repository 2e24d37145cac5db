//! `JsonWebKeyStore` clauses, each on a fresh `MemoryStore` and a fresh database of
//! every configured backend.

use std::future::Future;
use std::sync::Arc;

use portunus_server::storage::memory::MemoryStore;
use portunus_server::storage::{JsonWebKeyStore, StorageError, StoredJsonWebKey};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{count_winners, migrated};
use crate::support::test_db::{catch_failure, for_each_backend};

type Store = Arc<dyn JsonWebKeyStore>;

async fn on_every_key_store<F, Fut>(clause: F)
where
    F: Fn(Store) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Err(message) = catch_failure(clause(Arc::new(MemoryStore::new()))).await {
        panic!("[memory] {message}");
    }
    for_each_backend(move |db| async move {
        let store = migrated(&db).await;
        clause(Arc::new(store)).await;
    })
    .await;
}

macro_rules! key_conformance {
    ($($clause:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                on_every_key_store(super::$clause).await;
            }
        )+
    };
}

mod tests {
    use super::on_every_key_store;

    key_conformance!(
        add_then_get_round_trips_every_field,
        duplicate_kid_conflicts_and_writes_nothing,
        rotation_retires_keys_of_the_same_use_only,
        add_if_set_empty_lets_exactly_one_caller_in,
        replace_and_put_are_whole_and_atomic,
        deletes_report_whether_they_deleted,
        list_spans_sets_in_order_and_kids_are_case_sensitive,
    );
}

/// A timestamp from RFC 3339 (keeps chrono out of the test's direct dependencies).
fn at<T: DeserializeOwned>(rfc3339: &str) -> T {
    serde_json::from_value(json!(rfc3339)).expect("timestamp")
}

fn key(set: &str, kid: &str, created: &str) -> StoredJsonWebKey {
    StoredJsonWebKey {
        set_id: set.to_owned(),
        kid: kid.to_owned(),
        alg: "ES256".to_owned(),
        use_: "sig".to_owned(),
        public_jwk: format!(r#"{{"kty":"EC","kid":"{kid}","crv":"P-256","x":"x","y":"y"}}"#),
        private_jwk_sealed: Some(format!("sealed-{kid}")),
        created_at: at(created),
        not_before: at(created),
        retired_at: None,
    }
}

fn kids(keys: &[StoredJsonWebKey]) -> Vec<&str> {
    keys.iter().map(|k| k.kid.as_str()).collect()
}

pub async fn add_then_get_round_trips_every_field(store: Store) {
    let mut full = key("s", "full", "2026-11-21T10:00:00.123456Z");
    full.not_before = at("2026-11-21T10:05:00.654321Z");
    full.retired_at = Some(at("2027-01-01T00:00:00.000001Z"));
    full.use_ = "enc".to_owned();
    let mut public_only = key("s", "public", "2026-11-21T11:00:00Z");
    public_only.private_jwk_sealed = None;
    store
        .add_json_web_keys("s", &[full.clone(), public_only.clone()], None)
        .await
        .unwrap();
    assert_eq!(
        store.get_json_web_key("s", "full").await.unwrap(),
        Some(full.clone())
    );
    assert_eq!(
        store.get_json_web_key_set("s").await.unwrap(),
        vec![full, public_only]
    );
    assert_eq!(store.get_json_web_key("s", "nope").await.unwrap(), None);
    assert!(
        store
            .get_json_web_key_set("other")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn duplicate_kid_conflicts_and_writes_nothing(store: Store) {
    let first = key("s", "a", "2026-11-21T10:00:00Z");
    store
        .add_json_web_keys("s", std::slice::from_ref(&first), None)
        .await
        .unwrap();
    let batch = [
        key("s", "b", "2026-11-21T11:00:00Z"),
        key("s", "a", "2026-11-21T11:00:00Z"),
    ];
    let err = store
        .add_json_web_keys("s", &batch, Some(at("2026-11-21T11:00:00Z")))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
    assert_eq!(store.get_json_web_key_set("s").await.unwrap(), vec![first]);
}

pub async fn rotation_retires_keys_of_the_same_use_only(store: Store) {
    let mut enc = key("s", "enc", "2026-11-21T09:00:00Z");
    enc.use_ = "enc".to_owned();
    let mut already = key("s", "already", "2026-11-21T08:00:00Z");
    already.retired_at = Some(at("2026-11-21T08:30:00Z"));
    store
        .add_json_web_keys(
            "s",
            &[already, enc, key("s", "old", "2026-11-21T10:00:00Z")],
            None,
        )
        .await
        .unwrap();
    store
        .add_json_web_keys("other", &[key("other", "x", "2026-11-21T10:00:00Z")], None)
        .await
        .unwrap();
    let retire: chrono::DateTime<chrono::Utc> = at("2026-11-21T12:00:00Z");
    store
        .add_json_web_keys(
            "s",
            &[key("s", "new", "2026-11-21T11:00:00Z")],
            Some(retire),
        )
        .await
        .unwrap();
    let by_kid = |kid: &str, keys: &[StoredJsonWebKey]| {
        keys.iter().find(|k| k.kid == kid).unwrap().retired_at
    };
    let keys = store.get_json_web_key_set("s").await.unwrap();
    assert_eq!(by_kid("old", &keys), Some(retire));
    assert_eq!(by_kid("already", &keys), Some(at("2026-11-21T08:30:00Z")));
    assert_eq!(by_kid("enc", &keys), None);
    assert_eq!(by_kid("new", &keys), None);
    let other = store.get_json_web_key_set("other").await.unwrap();
    assert_eq!(other[0].retired_at, None);
}

/// Many concurrent bootstrappers (as on nodes starting together): one key gets in.
pub async fn add_if_set_empty_lets_exactly_one_caller_in(store: Store) {
    let winners = count_winners(8, |n| {
        let store = store.clone();
        async move {
            let candidate = key("boot", &format!("k{n}"), "2026-11-21T10:00:00Z");
            store
                .add_json_web_keys_if_set_empty("boot", &[candidate])
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(winners, 1);
    assert_eq!(store.get_json_web_key_set("boot").await.unwrap().len(), 1);
    let late = key("boot", "late", "2026-11-21T11:00:00Z");
    assert!(
        !store
            .add_json_web_keys_if_set_empty("boot", &[late])
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .list_json_web_keys(&["boot".to_owned()])
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn replace_and_put_are_whole_and_atomic(store: Store) {
    let t = "2026-11-21T10:00:00Z";
    store
        .add_json_web_keys("s", &[key("s", "a", t), key("s", "b", t)], None)
        .await
        .unwrap();
    store
        .replace_json_web_key_set("s", &[key("s", "c", t)])
        .await
        .unwrap();
    assert_eq!(kids(&store.get_json_web_key_set("s").await.unwrap()), ["c"]);
    let duplicate = store
        .replace_json_web_key_set("s", &[key("s", "d", t), key("s", "d", t)])
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, StorageError::Conflict(_)),
        "{duplicate:?}"
    );
    assert_eq!(kids(&store.get_json_web_key_set("s").await.unwrap()), ["c"]);

    let mut changed = key("s", "c", t);
    changed.alg = "RS256".to_owned();
    store.put_json_web_key(&changed).await.unwrap();
    store.put_json_web_key(&key("s", "e", t)).await.unwrap();
    let keys = store.get_json_web_key_set("s").await.unwrap();
    assert_eq!(kids(&keys), ["c", "e"]);
    assert_eq!(keys[0], changed);

    store.replace_json_web_key_set("s", &[]).await.unwrap();
    assert!(store.get_json_web_key_set("s").await.unwrap().is_empty());
}

pub async fn deletes_report_whether_they_deleted(store: Store) {
    let t = "2026-11-21T10:00:00Z";
    store
        .add_json_web_keys("s", &[key("s", "a", t), key("s", "b", t)], None)
        .await
        .unwrap();
    assert!(store.delete_json_web_key("s", "a").await.unwrap());
    assert!(!store.delete_json_web_key("s", "a").await.unwrap());
    assert!(!store.delete_json_web_key("other", "b").await.unwrap());
    assert!(store.delete_json_web_key_set("s").await.unwrap());
    assert!(!store.delete_json_web_key_set("s").await.unwrap());
    assert!(store.get_json_web_key_set("s").await.unwrap().is_empty());
}

pub async fn list_spans_sets_in_order_and_kids_are_case_sensitive(store: Store) {
    let early = "2026-11-21T09:00:00Z";
    let late = "2026-11-21T10:00:00Z";
    store
        .add_json_web_keys(
            "b",
            &[
                key("b", "K", late),
                key("b", "k", late),
                key("b", "z", early),
            ],
            None,
        )
        .await
        .unwrap();
    store
        .add_json_web_keys("a", &[key("a", "only", late)], None)
        .await
        .unwrap();
    store
        .add_json_web_keys("c", &[key("c", "unlisted", late)], None)
        .await
        .unwrap();
    let listed = store
        .list_json_web_keys(&["b".to_owned(), "a".to_owned()])
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = listed
        .iter()
        .map(|k| (k.set_id.as_str(), k.kid.as_str()))
        .collect();
    assert_eq!(pairs, [("a", "only"), ("b", "z"), ("b", "K"), ("b", "k")]);
    assert_eq!(
        store.get_json_web_key("b", "K").await.unwrap().unwrap().kid,
        "K"
    );
    assert!(store.list_json_web_keys(&[]).await.unwrap().is_empty());
}
