//! `TokenStore` clauses of exchanged token families (RFC 8693, docs/architecture.md
//! "Storage"): a family whose tokens name a `parent_family_id` is revoked with its
//! parent, transitively, by `revoke_family` and `revoke_subject_tokens`; revoking a
//! child leaves its parent alone.

use portunus_server::storage::{StoredToken, TokenKind};

use super::tokens::{Stores, hash, is_active, on_every_token_store, token};

macro_rules! family_conformance {
    ($($clause:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                on_every_token_store(clauses::$clause).await;
            }
        )+
    };
}

family_conformance!(
    parent_family_round_trips,
    revoking_a_family_revokes_its_descendants,
    revoking_a_child_keeps_the_parent,
    revoking_a_subjects_tokens_revokes_their_descendants,
);

/// Token `n` of `family`, exchanged from `parent`.
fn child(n: u32, kind: TokenKind, family: &str, parent: Option<&str>) -> StoredToken {
    StoredToken {
        parent_family_id: parent.map(str::to_owned),
        ..token(n, kind, family, "c")
    }
}

mod clauses {
    use super::*;

    pub async fn parent_family_round_trips(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let linked = child(1, TokenKind::AccessToken, "child", Some("parent"));
        stores
            .tokens
            .insert_tokens(std::slice::from_ref(&linked))
            .await
            .unwrap();
        let got = stores
            .tokens
            .get_token(TokenKind::AccessToken, &hash(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.parent_family_id.as_deref(), Some("parent"));
        assert_eq!(got, linked);
    }

    /// root ← a ← b (a chain of exchanges) and root ← c; "other" is unrelated.
    async fn tree(stores: &Stores) {
        stores.with_clients(&["c"]).await;
        let rows = [
            child(1, TokenKind::AccessToken, "root", None),
            child(2, TokenKind::RefreshToken, "root", None),
            child(3, TokenKind::AccessToken, "a", Some("root")),
            child(4, TokenKind::RefreshToken, "a", Some("root")),
            child(5, TokenKind::AccessToken, "b", Some("a")),
            child(6, TokenKind::AccessToken, "c", Some("root")),
            child(7, TokenKind::AccessToken, "other", None),
        ];
        stores.tokens.insert_tokens(&rows).await.unwrap();
    }

    pub async fn revoking_a_family_revokes_its_descendants(stores: Stores) {
        tree(&stores).await;
        assert_eq!(stores.tokens.revoke_family("root").await.unwrap(), 6);
        for (n, kind) in [
            (1, TokenKind::AccessToken),
            (2, TokenKind::RefreshToken),
            (3, TokenKind::AccessToken),
            (4, TokenKind::RefreshToken),
            (5, TokenKind::AccessToken),
            (6, TokenKind::AccessToken),
        ] {
            assert_eq!(is_active(&stores, n, kind).await, Some(false), "token {n}");
        }
        assert_eq!(
            is_active(&stores, 7, TokenKind::AccessToken).await,
            Some(true)
        );
        assert_eq!(stores.tokens.revoke_family("root").await.unwrap(), 0);
    }

    pub async fn revoking_a_child_keeps_the_parent(stores: Stores) {
        tree(&stores).await;
        assert_eq!(stores.tokens.revoke_family("a").await.unwrap(), 3);
        assert_eq!(
            is_active(&stores, 5, TokenKind::AccessToken).await,
            Some(false),
            "the grandchild goes with its parent"
        );
        for (n, kind) in [
            (1, TokenKind::AccessToken),
            (2, TokenKind::RefreshToken),
            (6, TokenKind::AccessToken),
        ] {
            assert_eq!(is_active(&stores, n, kind).await, Some(true), "token {n}");
        }
    }

    pub async fn revoking_a_subjects_tokens_revokes_their_descendants(stores: Stores) {
        stores.with_clients(&["c", "d"]).await;
        let rows = [
            token(1, TokenKind::AccessToken, "root", "c"),
            StoredToken {
                parent_family_id: Some("root".to_owned()),
                subject: "someone acting".to_owned(),
                ..token(2, TokenKind::AccessToken, "exchanged", "d")
            },
            StoredToken {
                parent_family_id: Some("exchanged".to_owned()),
                ..token(3, TokenKind::AccessToken, "again", "d")
            },
            token(4, TokenKind::AccessToken, "unrelated", "d"),
        ];
        stores.tokens.insert_tokens(&rows).await.unwrap();
        assert_eq!(
            stores
                .tokens
                .revoke_subject_tokens("subject", "c")
                .await
                .unwrap(),
            3
        );
        for n in 1..=3 {
            assert_eq!(
                is_active(&stores, n, TokenKind::AccessToken).await,
                Some(false),
                "token {n}"
            );
        }
        assert_eq!(
            is_active(&stores, 4, TokenKind::AccessToken).await,
            Some(true)
        );
    }
}
