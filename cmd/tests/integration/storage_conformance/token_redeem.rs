//! `TokenStore::redeem` clauses: consuming a code or refresh token and storing what it
//! is exchanged for is one atomic step, a compare-and-set with exactly one winner, and
//! the refresh rotation grace period keeps the token usable only inside its window.

use chrono::Duration;
use portunus_server::storage::{StorageError, TokenKind};

use super::tokens::{Stores, at, hash, is_active, on_every_token_store, token};

macro_rules! redeem_conformance {
    ($($clause:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                on_every_token_store(clauses::$clause).await;
            }
        )+
    };
}

redeem_conformance!(
    redeem_consumes_and_inserts_together,
    redeem_refuses_unknown_wrong_kind_and_inactive_tokens,
    a_failed_insert_leaves_the_token_unredeemed,
    concurrent_redeems_have_one_winner,
    grace_keeps_the_token_usable_inside_its_window,
    redeeming_can_revoke_the_family_access_tokens,
);

/// The family a code (n) is exchanged for: access (n+1) and refresh (n+2) tokens.
fn issued(n: u32, family: &str) -> Vec<portunus_server::storage::StoredToken> {
    vec![
        token(n + 1, TokenKind::AccessToken, family, "c"),
        token(n + 2, TokenKind::RefreshToken, family, "c"),
    ]
}

mod clauses {
    use super::*;

    pub async fn redeem_consumes_and_inserts_together(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let code = token(10, TokenKind::AuthorizationCode, "f", "c");
        stores.tokens.insert_tokens(&[code]).await.unwrap();
        let zero = Duration::zero();
        let tokens = &stores.tokens;
        assert!(
            tokens
                .redeem(
                    TokenKind::AuthorizationCode,
                    &hash(10),
                    at(5),
                    zero,
                    None,
                    &issued(10, "f")
                )
                .await
                .unwrap()
        );
        let used = tokens
            .get_token(TokenKind::AuthorizationCode, &hash(10))
            .await
            .unwrap()
            .unwrap();
        assert!(!used.active);
        assert_eq!(used.used_at, Some(at(5)));
        assert_eq!(
            is_active(&stores, 11, TokenKind::AccessToken).await,
            Some(true)
        );
        assert_eq!(
            is_active(&stores, 12, TokenKind::RefreshToken).await,
            Some(true)
        );

        let again = tokens
            .redeem(
                TokenKind::AuthorizationCode,
                &hash(10),
                at(6),
                zero,
                None,
                &issued(20, "f"),
            )
            .await
            .unwrap();
        assert!(!again, "a code is redeemed once");
        assert_eq!(is_active(&stores, 21, TokenKind::AccessToken).await, None);
        let used = tokens
            .get_token(TokenKind::AuthorizationCode, &hash(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            used.used_at,
            Some(at(5)),
            "the loser does not overwrite used_at"
        );
    }

    pub async fn redeem_refuses_unknown_wrong_kind_and_inactive_tokens(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let mut revoked = token(30, TokenKind::RefreshToken, "g", "c");
        revoked.active = false;
        let code = token(10, TokenKind::AuthorizationCode, "f", "c");
        stores.tokens.insert_tokens(&[code, revoked]).await.unwrap();
        let cases = [
            (TokenKind::RefreshToken, hash(10)),
            (TokenKind::AuthorizationCode, hash(99)),
            (TokenKind::RefreshToken, hash(30)),
        ];
        for (kind, presented) in cases {
            for grace in [Duration::zero(), Duration::seconds(30)] {
                let redeemed = stores
                    .tokens
                    .redeem(kind, &presented, at(5), grace, None, &issued(40, "f"))
                    .await
                    .unwrap();
                assert!(!redeemed, "{kind:?} {presented} grace {grace}");
                assert_eq!(is_active(&stores, 41, TokenKind::AccessToken).await, None);
            }
        }
        assert_eq!(
            is_active(&stores, 10, TokenKind::AuthorizationCode).await,
            Some(true)
        );
    }

    pub async fn a_failed_insert_leaves_the_token_unredeemed(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let code = token(10, TokenKind::AuthorizationCode, "f", "c");
        let existing = token(11, TokenKind::AccessToken, "other", "c");
        stores
            .tokens
            .insert_tokens(&[code, existing])
            .await
            .unwrap();
        let mut unknown_client = issued(50, "f");
        unknown_client[1].client_id = "nobody".to_owned();
        for batch in [issued(10, "f"), unknown_client] {
            let result = stores
                .tokens
                .redeem(
                    TokenKind::AuthorizationCode,
                    &hash(10),
                    at(5),
                    Duration::zero(),
                    None,
                    &batch,
                )
                .await;
            assert!(
                matches!(result, Err(StorageError::Conflict(_))),
                "{result:?}"
            );
        }
        let code = stores
            .tokens
            .get_token(TokenKind::AuthorizationCode, &hash(10))
            .await
            .unwrap()
            .unwrap();
        assert!(code.active && code.used_at.is_none(), "rolled back");
        assert_eq!(is_active(&stores, 12, TokenKind::RefreshToken).await, None);
        assert_eq!(is_active(&stores, 51, TokenKind::AccessToken).await, None);
    }

    pub async fn concurrent_redeems_have_one_winner(stores: Stores) {
        stores.with_clients(&["c"]).await;
        for round in 0..4u32 {
            let family = format!("f{round}");
            let base = 1000 * (round + 1);
            let refresh = token(base, TokenKind::RefreshToken, &family, "c");
            stores.tokens.insert_tokens(&[refresh]).await.unwrap();
            let attempts = (1..=6u32).map(|attempt| {
                let tokens = stores.tokens.clone();
                let batch = issued(base + 10 * attempt, &family);
                tokio::spawn(async move {
                    let won = tokens
                        .redeem(
                            TokenKind::RefreshToken,
                            &hash(base),
                            at(1),
                            Duration::zero(),
                            None,
                            &batch,
                        )
                        .await
                        .unwrap();
                    (attempt, won)
                })
            });
            let results: Vec<(u32, bool)> = futures::future::join_all(attempts)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            let winners: Vec<u32> = results
                .iter()
                .filter(|(_, won)| *won)
                .map(|(a, _)| *a)
                .collect();
            assert_eq!(winners.len(), 1, "round {round}: {results:?}");
            for (attempt, won) in results {
                let stored =
                    is_active(&stores, base + 10 * attempt + 1, TokenKind::AccessToken).await;
                assert_eq!(stored.is_some(), won, "round {round}, attempt {attempt}");
            }
        }
    }

    pub async fn grace_keeps_the_token_usable_inside_its_window(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let refresh = token(10, TokenKind::RefreshToken, "f", "c");
        stores.tokens.insert_tokens(&[refresh]).await.unwrap();
        let grace = Duration::seconds(10);
        let tokens = &stores.tokens;
        let redeem = |seconds: i64, n: u32| {
            let tokens = tokens.clone();
            async move {
                tokens
                    .redeem(
                        TokenKind::RefreshToken,
                        &hash(10),
                        at(seconds),
                        grace,
                        None,
                        &issued(n, "f"),
                    )
                    .await
                    .unwrap()
            }
        };
        assert!(redeem(0, 100).await, "first use");
        let used = tokens
            .get_token(TokenKind::RefreshToken, &hash(10))
            .await
            .unwrap()
            .unwrap();
        assert!(used.active, "stays active during the grace period");
        assert_eq!(used.used_at, Some(at(0)));
        assert!(redeem(10, 200).await, "inside the window (inclusive)");
        let used = tokens
            .get_token(TokenKind::RefreshToken, &hash(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(used.used_at, Some(at(0)), "the first use is kept");
        assert!(!redeem(11, 300).await, "after the window");
        assert_eq!(is_active(&stores, 301, TokenKind::AccessToken).await, None);

        let other = token(20, TokenKind::RefreshToken, "g", "c");
        tokens.insert_tokens(&[other]).await.unwrap();
        let first = tokens
            .redeem(
                TokenKind::RefreshToken,
                &hash(20),
                at(0),
                grace,
                None,
                &issued(400, "g"),
            )
            .await
            .unwrap();
        assert!(first);
        tokens.revoke_family("g").await.unwrap();
        let after_revocation = tokens
            .redeem(
                TokenKind::RefreshToken,
                &hash(20),
                at(1),
                grace,
                None,
                &issued(500, "g"),
            )
            .await
            .unwrap();
        assert!(!after_revocation, "revoking the family ends the window");
    }

    pub async fn redeeming_can_revoke_the_family_access_tokens(stores: Stores) {
        stores.with_clients(&["c"]).await;
        let tokens = &stores.tokens;
        tokens
            .insert_tokens(&[
                token(10, TokenKind::RefreshToken, "f", "c"),
                token(11, TokenKind::AccessToken, "f", "c"),
                token(12, TokenKind::AccessToken, "f", "c"),
                token(13, TokenKind::RefreshToken, "f", "c"),
                token(20, TokenKind::AccessToken, "g", "c"),
            ])
            .await
            .unwrap();
        let redeemed = tokens
            .redeem(
                TokenKind::RefreshToken,
                &hash(10),
                at(1),
                Duration::zero(),
                Some("f"),
                &issued(30, "f"),
            )
            .await
            .unwrap();
        assert!(redeemed);
        for earlier in [11, 12] {
            assert_eq!(
                is_active(&stores, earlier, TokenKind::AccessToken).await,
                Some(false),
                "access token {earlier} of the refreshed family"
            );
        }
        assert_eq!(
            is_active(&stores, 31, TokenKind::AccessToken).await,
            Some(true),
            "the new access token"
        );
        assert_eq!(
            is_active(&stores, 32, TokenKind::RefreshToken).await,
            Some(true)
        );
        assert_eq!(
            is_active(&stores, 13, TokenKind::RefreshToken).await,
            Some(true),
            "only access tokens are revoked"
        );
        assert_eq!(
            is_active(&stores, 20, TokenKind::AccessToken).await,
            Some(true),
            "another family"
        );

        // A refused redemption revokes nothing.
        let again = tokens
            .redeem(
                TokenKind::RefreshToken,
                &hash(10),
                at(2),
                Duration::zero(),
                Some("g"),
                &issued(40, "g"),
            )
            .await
            .unwrap();
        assert!(!again);
        assert_eq!(
            is_active(&stores, 20, TokenKind::AccessToken).await,
            Some(true)
        );
    }
}
