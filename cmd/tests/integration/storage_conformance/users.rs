//! `UserStore` clauses (local users of the built-in login UI), each on a fresh
//! `MemoryStore` and a fresh database of every configured backend.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::storage::{StorageError, UserListQuery, UserStore};
use portunus_server::users::User;

use super::{conformance, count_winners};

type Store = Arc<dyn UserStore>;

conformance!(UserStore, clauses:
    create_then_get_round_trips_every_field,
    lookup_by_username_is_exact,
    duplicate_username_or_id_conflicts_and_keeps_the_original,
    racing_creates_of_one_username_have_one_winner,
    update_replaces_every_field,
    update_of_unknown_id_writes_nothing,
    update_to_a_taken_username_conflicts_and_writes_nothing,
    racing_renames_to_one_username_have_one_winner,
    set_password_changes_only_the_hash_and_updated_at,
    delete_reports_whether_it_deleted,
    keyset_pages_cover_everything_exactly_once,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn user(id: &str, username: &str) -> User {
    User {
        id: id.to_owned(),
        username: username.to_owned(),
        email: format!("{username}@example.com"),
        email_verified: false,
        name: None,
        password_hash: None,
        disabled: false,
        created_at: at(0),
        updated_at: at(0),
    }
}

fn ids(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.id.as_str()).collect()
}

mod clauses {
    use super::*;

    pub async fn create_then_get_round_trips_every_field(store: Store) {
        let full = User {
            id: "0b8f2b8e-6c1a-4d4e-9f7e-3f1d2c4b5a69".to_owned(),
            username: "alice.b-1@x+y_z".to_owned(),
            email: "älice@例え.jp".to_owned(),
            email_verified: true,
            name: Some(format!("Ålice 🦀 {}", "n".repeat(240))),
            password_hash: Some("$argon2id$v=19$m=7168,t=5,p=1$c2FsdA$aGFzaA".to_owned()),
            disabled: true,
            created_at: at(0) + Duration::microseconds(123_456),
            updated_at: at(60) + Duration::microseconds(654_321),
        };
        store.create_user(&full).await.unwrap();
        assert_eq!(store.get_user(&full.id).await.unwrap(), Some(full.clone()));
        let bare = user("u2", "bob");
        store.create_user(&bare).await.unwrap();
        assert_eq!(store.get_user("u2").await.unwrap(), Some(bare));
        assert_eq!(store.get_user("nope").await.unwrap(), None);
    }

    pub async fn lookup_by_username_is_exact(store: Store) {
        store.create_user(&user("u1", "alice")).await.unwrap();
        let found = store.get_user_by_username("alice").await.unwrap();
        assert_eq!(found.map(|u| u.id).as_deref(), Some("u1"));
        // Case folding is the domain's (`users::validate`); the store compares bytes.
        for other in ["Alice", "alice ", "alic", ""] {
            assert_eq!(
                store.get_user_by_username(other).await.unwrap(),
                None,
                "{other:?}"
            );
        }
    }

    pub async fn duplicate_username_or_id_conflicts_and_keeps_the_original(store: Store) {
        let original = user("u1", "alice");
        store.create_user(&original).await.unwrap();
        let mut same_name = user("u2", "alice");
        same_name.email = "other@example.com".to_owned();
        assert!(matches!(
            store.create_user(&same_name).await,
            Err(StorageError::Conflict(_))
        ));
        assert!(matches!(
            store.create_user(&user("u1", "bob")).await,
            Err(StorageError::Conflict(_))
        ));
        assert_eq!(store.get_user("u1").await.unwrap(), Some(original));
        assert_eq!(store.get_user("u2").await.unwrap(), None);
        assert_eq!(store.get_user_by_username("bob").await.unwrap(), None);
    }

    pub async fn racing_creates_of_one_username_have_one_winner(store: Store) {
        let winners = count_winners(8, |i| {
            let store = store.clone();
            async move {
                match store.create_user(&user(&format!("u{i}"), "alice")).await {
                    Ok(()) => true,
                    Err(StorageError::Conflict(_)) => false,
                    Err(other) => panic!("racer {i}: {other}"),
                }
            }
        })
        .await;
        assert_eq!(winners, 1, "exactly one concurrent create wins");
        let all = store
            .list_users(&UserListQuery {
                limit: 100,
                ..UserListQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{all:?}");
    }

    pub async fn update_replaces_every_field(store: Store) {
        store.create_user(&user("u1", "alice")).await.unwrap();
        let replaced = User {
            id: "u1".to_owned(),
            username: "alice2".to_owned(),
            email: "new@example.com".to_owned(),
            email_verified: true,
            name: Some("Alice Two".to_owned()),
            password_hash: Some("$argon2id$new".to_owned()),
            disabled: true,
            created_at: at(-5) + Duration::microseconds(1),
            updated_at: at(90) + Duration::microseconds(999_999),
        };
        assert!(store.update_user(&replaced).await.unwrap());
        assert_eq!(store.get_user("u1").await.unwrap(), Some(replaced.clone()));
        // Back to none: optional fields are cleared, not kept.
        let cleared = User {
            name: None,
            password_hash: None,
            ..replaced
        };
        assert!(store.update_user(&cleared).await.unwrap());
        assert_eq!(store.get_user("u1").await.unwrap(), Some(cleared));
        assert_eq!(store.get_user_by_username("alice").await.unwrap(), None);
    }

    pub async fn update_of_unknown_id_writes_nothing(store: Store) {
        assert!(!store.update_user(&user("ghost", "ghost")).await.unwrap());
        assert_eq!(store.get_user("ghost").await.unwrap(), None);
        assert_eq!(store.get_user_by_username("ghost").await.unwrap(), None);
    }

    pub async fn update_to_a_taken_username_conflicts_and_writes_nothing(store: Store) {
        store.create_user(&user("u1", "alice")).await.unwrap();
        let bob = user("u2", "bob");
        store.create_user(&bob).await.unwrap();
        let mut rename = user("u2", "alice");
        rename.email = "changed@example.com".to_owned();
        assert!(matches!(
            store.update_user(&rename).await,
            Err(StorageError::Conflict(_))
        ));
        assert_eq!(store.get_user("u2").await.unwrap(), Some(bob));
        // Keeping one's own username is no conflict.
        let mut same = user("u1", "alice");
        same.email_verified = true;
        assert!(store.update_user(&same).await.unwrap());
    }

    pub async fn racing_renames_to_one_username_have_one_winner(store: Store) {
        for i in 0..6 {
            store
                .create_user(&user(&format!("u{i}"), &format!("user{i}")))
                .await
                .unwrap();
        }
        let winners = count_winners(6, |i| {
            let store = store.clone();
            async move {
                match store.update_user(&user(&format!("u{i}"), "taken")).await {
                    Ok(updated) => updated,
                    Err(StorageError::Conflict(_)) => false,
                    Err(other) => panic!("racer {i}: {other}"),
                }
            }
        })
        .await;
        assert_eq!(winners, 1, "exactly one concurrent rename wins");
        assert!(store.get_user_by_username("taken").await.unwrap().is_some());
    }

    pub async fn set_password_changes_only_the_hash_and_updated_at(store: Store) {
        let mut original = user("u1", "alice");
        original.name = Some("Alice".to_owned());
        original.password_hash = Some("$argon2id$old".to_owned());
        store.create_user(&original).await.unwrap();
        let later = at(300) + Duration::microseconds(42);
        assert!(
            store
                .set_user_password("u1", "$argon2id$new", later)
                .await
                .unwrap()
        );
        let expected = User {
            password_hash: Some("$argon2id$new".to_owned()),
            updated_at: later,
            ..original
        };
        assert_eq!(store.get_user("u1").await.unwrap(), Some(expected));
        assert!(
            !store
                .set_user_password("ghost", "$argon2id$x", later)
                .await
                .unwrap()
        );
        assert_eq!(store.get_user("ghost").await.unwrap(), None);
    }

    pub async fn delete_reports_whether_it_deleted(store: Store) {
        store.create_user(&user("u1", "alice")).await.unwrap();
        assert!(store.delete_user("u1").await.unwrap());
        assert!(!store.delete_user("u1").await.unwrap());
        assert_eq!(store.get_user("u1").await.unwrap(), None);
        // The username is free again.
        store.create_user(&user("u3", "alice")).await.unwrap();
    }

    pub async fn keyset_pages_cover_everything_exactly_once(store: Store) {
        // Byte-wise order: upper case sorts before lower case.
        let made = ["b", "A", "a", "c", "B", "d2", "d1"];
        for (i, id) in made.iter().enumerate() {
            store
                .create_user(&user(id, &format!("user{i}")))
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_users(&UserListQuery {
                    after: after.clone(),
                    limit: 3,
                    username: None,
                })
                .await
                .unwrap();
            assert!(page.len() <= 3);
            if page.is_empty() {
                break;
            }
            after = page.last().map(|u| u.id.clone());
            seen.extend(page.into_iter().map(|u| u.id));
        }
        assert_eq!(seen, ["A", "B", "a", "b", "c", "d1", "d2"]);
        let only = store
            .list_users(&UserListQuery {
                after: None,
                limit: 10,
                username: Some("user3".to_owned()),
            })
            .await
            .unwrap();
        assert_eq!(ids(&only), ["c"]);
        for other in ["user3 ", "USER3"] {
            let none = store
                .list_users(&UserListQuery {
                    after: None,
                    limit: 10,
                    username: Some(other.to_owned()),
                })
                .await
                .unwrap();
            assert!(none.is_empty(), "{other:?}: {none:?}");
        }
        let none_after = store
            .list_users(&UserListQuery {
                after: Some("c".to_owned()),
                limit: 10,
                username: Some("user3".to_owned()),
            })
            .await
            .unwrap();
        assert!(none_after.is_empty());
    }
}
