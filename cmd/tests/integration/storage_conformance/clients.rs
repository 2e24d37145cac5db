//! `ClientStore` clauses; each gets a fresh, empty store.

use std::collections::BTreeSet;
use std::sync::Arc;

use portunus_server::client::model::Client;
use portunus_server::storage::{ClientListQuery, ClientStore, StorageError};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

type Store = Arc<dyn ClientStore>;

/// A timestamp (or anything else) from its JSON form; keeps chrono out of the test deps.
fn at<T: DeserializeOwned>(rfc3339: &str) -> T {
    serde_json::from_value(json!(rfc3339)).expect("timestamp")
}

/// A client with every field away from its default (checked in the first clause), so a
/// column or document field that does not round-trip shows up.
fn full_client(id: &str) -> Client {
    let mut client: Client =
        serde_json::from_str(include_str!("full_client.json")).expect("full client");
    client.client_id = id.to_owned();
    client.secret_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned());
    client.previous_secret_hash = Some("sha256$cHJldmlvdXM".to_owned());
    client.previous_secret_expires_at = Some(at("2026-12-24T18:30:00.123456Z"));
    client
}

/// A minimal client: defaults everywhere, owner and name for filtering.
fn client(id: &str, name: &str, owner: &str) -> Client {
    Client {
        client_id: id.to_owned(),
        client_name: name.to_owned(),
        owner: owner.to_owned(),
        ..Client::default()
    }
}

fn query(limit: usize) -> ClientListQuery {
    ClientListQuery {
        limit,
        ..ClientListQuery::default()
    }
}

fn ids(clients: &[Client]) -> Vec<String> {
    clients.iter().map(|c| c.client_id.clone()).collect()
}

async fn create_all(store: &Store, clients: &[Client]) {
    for c in clients {
        store.create_client(c).await.expect("create");
    }
}

/// Every page of `query`, following the keyset cursor until an empty page.
async fn walk(store: &Store, mut query: ClientListQuery) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    loop {
        let page = ids(&store.list_clients(&query).await.expect("list"));
        let Some(last) = page.last().cloned() else {
            return pages;
        };
        assert!(
            page.len() <= query.limit,
            "page longer than the limit: {page:?}"
        );
        pages.push(page);
        query.after = Some(last);
        assert!(pages.len() < 100, "paging does not end");
    }
}

pub async fn create_then_get_round_trips_every_field(store: Store) {
    let full = full_client("rt-full");
    let defaults = serde_json::to_value(Client::default()).unwrap();
    for (field, value) in serde_json::to_value(&full).unwrap().as_object().unwrap() {
        assert_ne!(
            Some(value),
            defaults.get(field),
            "the sample leaves {field} at its default"
        );
    }
    let public = client("rt-public", "", "");
    create_all(&store, &[full.clone(), public.clone()]).await;

    assert_eq!(store.get_client("rt-full").await.unwrap(), Some(full));
    let got = store.get_client("rt-public").await.unwrap().unwrap();
    assert_eq!(got, public);
    assert_eq!(got.secret_hash, None);
    assert_eq!(got.jwks, None);
    assert_eq!(got.metadata, json!({}));
}

pub async fn get_unknown_is_none(store: Store) {
    create_all(&store, &[client("known", "n", "o")]).await;
    assert_eq!(store.get_client("unknown").await.unwrap(), None);
    assert_eq!(store.get_client("").await.unwrap(), None);
}

pub async fn duplicate_create_conflicts_and_keeps_the_original(store: Store) {
    let original = full_client("dup");
    store.create_client(&original).await.unwrap();
    let mut second = client("dup", "impostor", "someone-else");
    second.secret_hash = Some("other-hash".to_owned());

    let err = store.create_client(&second).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Conflict(_)),
        "expected Conflict, got {err:?}"
    );
    assert!(
        !err.to_string().contains("other-hash"),
        "secret hash in error: {err}"
    );
    assert_eq!(store.get_client("dup").await.unwrap(), Some(original));
    assert_eq!(ids(&store.list_clients(&query(10)).await.unwrap()), ["dup"]);
}

pub async fn update_of_unknown_id_writes_nothing(store: Store) {
    create_all(&store, &[client("present", "n", "o")]).await;
    assert!(!store.update_client(&full_client("ghost")).await.unwrap());
    assert_eq!(store.get_client("ghost").await.unwrap(), None);
    assert_eq!(
        ids(&store.list_clients(&query(10)).await.unwrap()),
        ["present"]
    );
}

pub async fn update_replaces_every_field(store: Store) {
    let before = full_client("upd");
    store.create_client(&before).await.unwrap();
    let mut after = client("upd", "renamed", "owner-2");
    after.created_at = at("2027-01-01T00:00:00.000001Z");
    after.updated_at = at("2027-01-02T00:00:00Z");

    assert!(store.update_client(&after).await.unwrap());
    assert_eq!(store.get_client("upd").await.unwrap(), Some(after.clone()));
    // Identical values still count as an existing client (MySQL would report 0 changed rows).
    assert!(store.update_client(&after).await.unwrap());

    let mut with_secret = before;
    with_secret.secret_hash = Some("rotated".to_owned());
    assert!(store.update_client(&with_secret).await.unwrap());
    assert_eq!(store.get_client("upd").await.unwrap(), Some(with_secret));
}

pub async fn delete_reports_whether_it_deleted(store: Store) {
    create_all(
        &store,
        &[client("del-1", "n", "o"), client("del-2", "n", "o")],
    )
    .await;
    assert!(store.delete_client("del-1").await.unwrap());
    assert_eq!(store.get_client("del-1").await.unwrap(), None);
    assert!(!store.delete_client("del-1").await.unwrap());
    assert!(!store.delete_client("never").await.unwrap());
    assert!(store.get_client("del-2").await.unwrap().is_some());
}

pub async fn list_orders_by_id_bytewise(store: Store) {
    let unsorted = ["b", "B", "a-1", "é", "z", "a", "Z", "10", "9", "ä"];
    let clients: Vec<Client> = unsorted.iter().map(|id| client(id, "n", "o")).collect();
    create_all(&store, &clients).await;
    let mut expected: Vec<String> = unsorted.iter().map(|s| (*s).to_owned()).collect();
    expected.sort(); // byte order of the UTF-8 encoding
    assert_eq!(
        ids(&store.list_clients(&query(100)).await.unwrap()),
        expected
    );
    assert_eq!(
        ids(&store.list_clients(&query(3)).await.unwrap()),
        expected[..3]
    );
    assert!(store.list_clients(&query(0)).await.unwrap().is_empty());
}

pub async fn keyset_pages_cover_everything_exactly_once(store: Store) {
    let mut expected: Vec<String> = (0..10).rev().map(|i| format!("client-{i:02}")).collect();
    let clients: Vec<Client> = expected.iter().map(|id| client(id, "n", "o")).collect();
    create_all(&store, &clients).await;
    expected.sort();

    let pages = walk(&store, query(3)).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3, 1]);
    assert_eq!(pages.concat(), expected);

    // Inserts between pages: one behind the cursor is not seen, one ahead is, nothing twice.
    let first = ids(&store.list_clients(&query(3)).await.unwrap());
    create_all(
        &store,
        &[
            client("client-00a", "n", "o"),
            client("client-99", "n", "o"),
        ],
    )
    .await;
    let rest = walk(
        &store,
        ClientListQuery {
            after: first.last().cloned(),
            ..query(3)
        },
    )
    .await;
    let seen = [first, rest.concat()].concat();
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a client was listed twice: {seen:?}"
    );
    expected.push("client-99".to_owned());
    assert_eq!(seen, expected);
}

pub async fn filters_match_exactly(store: Store) {
    create_all(
        &store,
        &[
            client("f1", "alpha", "alice"),
            client("f2", "Alpha", "alice"),
            client("f3", "alphabet", "alice"),
            client("f4", "alpha", "Alice"),
            client("f5", "alpha", "alice2"),
            client("f6", "beta", "alice"),
            client("f7", "alpha", "alice"),
        ],
    )
    .await;
    let by = |name: Option<&str>, owner: Option<&str>, limit| ClientListQuery {
        client_name: name.map(str::to_owned),
        owner: owner.map(str::to_owned),
        ..query(limit)
    };
    let list = |q: ClientListQuery| {
        let store = store.clone();
        async move { ids(&store.list_clients(&q).await.unwrap()) }
    };
    assert_eq!(
        list(by(Some("alpha"), None, 10)).await,
        ["f1", "f4", "f5", "f7"]
    );
    assert_eq!(
        list(by(None, Some("alice"), 10)).await,
        ["f1", "f2", "f3", "f6", "f7"]
    );
    assert_eq!(
        list(by(Some("alpha"), Some("alice"), 10)).await,
        ["f1", "f7"]
    );
    assert_eq!(
        list(by(Some("ALPHA"), None, 10)).await,
        Vec::<String>::new()
    );
    let pages = walk(&store, by(None, Some("alice"), 2)).await;
    assert_eq!(pages, [vec!["f1", "f2"], vec!["f3", "f6"], vec!["f7"]]);
}

pub async fn long_unicode_strings_round_trip(store: Store) {
    let column = |seed: &str| seed.chars().cycle().take(255).collect::<String>();
    let id = column("🦀é漢ß-");
    let mut long = client(&id, &column("名前 ñ 🚀"), &column("Ωwner ☃"));
    long.secret_hash = Some("h".repeat(1000));
    long.redirect_uris = vec![format!("https://例え.jp/{}", column("パス"))];
    long.metadata = json!({ "text": "𝄞 ünïcödé ".repeat(10_000) });
    store.create_client(&long).await.unwrap();

    assert_eq!(store.get_client(&id).await.unwrap(), Some(long.clone()));
    let found = store
        .list_clients(&ClientListQuery {
            client_name: Some(long.client_name.clone()),
            owner: Some(long.owner.clone()),
            ..query(10)
        })
        .await
        .unwrap();
    assert_eq!(found, [long]);
    let text = found[0].metadata["text"].as_str().map(str::len);
    assert_eq!(text, Some("𝄞 ünïcödé ".len() * 10_000));
    assert!(matches!(found[0].metadata, Value::Object(_)));
}

pub async fn timestamps_keep_microseconds(store: Store) {
    let mut c = client("ts", "n", "o");
    c.created_at = at("2026-11-21T10:00:00.123456789Z");
    c.updated_at = at("1999-12-31T23:59:59.999999999Z");
    store.create_client(&c).await.unwrap();
    let mut expected = c.clone();
    expected.created_at = at("2026-11-21T10:00:00.123456Z");
    expected.updated_at = at("1999-12-31T23:59:59.999999Z");
    assert_eq!(store.get_client("ts").await.unwrap(), Some(expected));
}

pub async fn ids_differing_in_case_are_distinct(store: Store) {
    create_all(
        &store,
        &[
            client("Client", "upper", "o"),
            client("client", "lower", "o"),
        ],
    )
    .await;
    let upper = store.get_client("Client").await.unwrap().unwrap();
    let lower = store.get_client("client").await.unwrap().unwrap();
    assert_eq!(
        (upper.client_name.as_str(), lower.client_name.as_str()),
        ("upper", "lower")
    );
    assert!(!store.delete_client("CLIENT").await.unwrap());
    assert_eq!(
        ids(&store.list_clients(&query(10)).await.unwrap()),
        ["Client", "client"]
    );
}
