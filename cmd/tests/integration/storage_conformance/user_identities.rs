//! `UserIdentityStore` clauses (upstream identities linked to local users, issue 22
//! §1), each on a fresh `MemoryStore` and a fresh database of every configured backend.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use portunus_server::storage::StorageError;
use portunus_server::users::{User, UserIdentity, UserIdentityStore};

use super::{conformance, count_winners};

type Store = Arc<dyn UserIdentityStore>;

conformance!(UserIdentityStore, clauses:
    a_link_round_trips_and_is_found_by_provider_and_subject_exactly,
    a_second_link_of_one_identity_conflicts_and_keeps_the_first,
    racing_links_of_one_identity_have_one_winner,
    deleting_the_user_deletes_its_links,
    users_are_found_by_exact_email,
    links_are_listed_per_user_and_unlinked_only_by_their_user,
);

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::microseconds(123_456)
}

async fn user(store: &Store, id: &str, email: &str) -> User {
    let user = User {
        id: id.to_owned(),
        username: format!("user-{id}"),
        email: email.to_owned(),
        email_verified: true,
        name: None,
        password_hash: None,
        disabled: false,
        created_at: at(),
        updated_at: at(),
    };
    store.create_user(&user).await.unwrap();
    user
}

fn link(provider: &str, subject: &str, user_id: &str) -> UserIdentity {
    UserIdentity {
        provider: provider.to_owned(),
        upstream_subject: subject.to_owned(),
        user_id: user_id.to_owned(),
        created_at: at(),
    }
}

mod clauses {
    use super::*;

    pub async fn a_link_round_trips_and_is_found_by_provider_and_subject_exactly(store: Store) {
        user(&store, "u1", "a@example.com").await;
        let subject = format!("Sub-ä-{}", "x".repeat(240));
        store
            .link_identity(&link("google", &subject, "u1"))
            .await
            .unwrap();
        let found = store.get_identity("google", &subject).await.unwrap();
        assert_eq!(found, Some(link("google", &subject, "u1")));
        assert_eq!(store.get_identity("github", &subject).await.unwrap(), None);
        let upper = subject.to_uppercase();
        assert_eq!(store.get_identity("google", &upper).await.unwrap(), None);
        let padded = format!("{subject} ");
        assert_eq!(store.get_identity("google", &padded).await.unwrap(), None);
    }

    pub async fn a_second_link_of_one_identity_conflicts_and_keeps_the_first(store: Store) {
        user(&store, "u1", "a@example.com").await;
        user(&store, "u2", "b@example.com").await;
        store.link_identity(&link("idp", "s", "u1")).await.unwrap();
        let err = store
            .link_identity(&link("idp", "s", "u2"))
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
        let kept = store.get_identity("idp", "s").await.unwrap().unwrap();
        assert_eq!(kept.user_id, "u1");
        // The same subject at another provider is another identity.
        store
            .link_identity(&link("other", "s", "u2"))
            .await
            .unwrap();
    }

    pub async fn racing_links_of_one_identity_have_one_winner(store: Store) {
        for i in 0..4 {
            user(&store, &format!("r{i}"), "r@example.com").await;
        }
        let winners = count_winners(4, |i| {
            let store = store.clone();
            async move {
                store
                    .link_identity(&link("idp", "raced", &format!("r{i}")))
                    .await
                    .is_ok()
            }
        })
        .await;
        assert_eq!(winners, 1);
    }

    pub async fn deleting_the_user_deletes_its_links(store: Store) {
        user(&store, "u1", "a@example.com").await;
        store.link_identity(&link("idp", "s", "u1")).await.unwrap();
        assert!(store.delete_user("u1").await.unwrap());
        assert_eq!(store.get_identity("idp", "s").await.unwrap(), None);
        user(&store, "u2", "b@example.com").await;
        store.link_identity(&link("idp", "s", "u2")).await.unwrap();
    }

    pub async fn users_are_found_by_exact_email(store: Store) {
        user(&store, "u1", "ada@example.com").await;
        user(&store, "u2", "ada@example.com").await;
        user(&store, "u3", "ADA@example.com").await;
        let found = store
            .find_users_by_email("ada@example.com", 5)
            .await
            .unwrap();
        let ids: Vec<&str> = found.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["u1", "u2"]);
        assert_eq!(
            store
                .find_users_by_email("ada@example.com", 1)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store
                .find_users_by_email("nobody@example.com", 5)
                .await
                .unwrap()
                .is_empty()
        );
    }

    pub async fn links_are_listed_per_user_and_unlinked_only_by_their_user(store: Store) {
        user(&store, "u1", "a@example.com").await;
        user(&store, "u2", "b@example.com").await;
        for (provider, subject, owner) in [
            ("idp", "s2", "u1"),
            ("github", "42", "u1"),
            ("idp", "s1", "u1"),
            ("idp", "S1", "u2"),
        ] {
            store
                .link_identity(&link(provider, subject, owner))
                .await
                .unwrap();
        }
        let listed = store.list_identities("u1", 10).await.unwrap();
        let keys: Vec<(&str, &str)> = listed
            .iter()
            .map(|l| (l.provider.as_str(), l.upstream_subject.as_str()))
            .collect();
        assert_eq!(keys, [("github", "42"), ("idp", "s1"), ("idp", "s2")]);
        assert_eq!(listed[0], link("github", "42", "u1"), "round trip");
        assert_eq!(store.list_identities("u1", 2).await.unwrap().len(), 2);
        assert!(
            store
                .list_identities("nobody", 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Another user's link, or one that differs only in case, is not u1's to delete.
        assert!(!store.unlink_identity("u1", "idp", "S1").await.unwrap());
        assert!(!store.unlink_identity("u2", "idp", "s1").await.unwrap());
        assert!(!store.unlink_identity("u1", "idp", "missing").await.unwrap());
        assert!(store.unlink_identity("u1", "idp", "s1").await.unwrap());
        assert!(
            !store.unlink_identity("u1", "idp", "s1").await.unwrap(),
            "once"
        );
        assert_eq!(store.get_identity("idp", "s1").await.unwrap(), None);
        assert!(store.get_identity("idp", "S1").await.unwrap().is_some());
        assert_eq!(store.list_identities("u1", 10).await.unwrap().len(), 2);
        // The identity may be linked again, to anyone.
        store.link_identity(&link("idp", "s1", "u2")).await.unwrap();
    }
}
