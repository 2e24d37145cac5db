//! The admin operations on initial access tokens, independent of HTTP, and the
//! registration endpoint's view of them (RFC 7591 §3).

use chrono::{DateTime, Duration, SubsecRound, Utc};

use super::model::InitialAccessToken;
use super::store::{InitialAccessTokenListQuery, InitialAccessTokenStore};
use super::wire::CreateOAuth2InitialAccessToken;
use crate::client::secret;
use crate::clock::Clock;
use crate::error::{ErrorKind, OAuth2Error, StorageError};
use crate::pagination;

/// The most registrations one token may allow.
pub const MAX_USES: i64 = 1_000_000;
/// How long a token lives when the request names no expiry.
pub const DEFAULT_LIFESPAN: Duration = Duration::hours(24);
/// The latest expiry accepted, from now: a token that never expires is a standing
/// credential nobody remembers to revoke.
pub const MAX_LIFESPAN: Duration = Duration::days(366);

const PAGE_TOKEN_KIND: &str = "iat1";

/// One page of tokens and the token of the next page, if there is one.
#[derive(Debug)]
pub struct InitialAccessTokenPage {
    pub tokens: Vec<InitialAccessToken>,
    pub page_size: usize,
    pub next_page_token: Option<String>,
}

fn invalid(field: &str, why: impl std::fmt::Display) -> OAuth2Error {
    OAuth2Error::invalid_request(format!("Field {field} is invalid: {why}."))
}

fn not_found(id: &str) -> OAuth2Error {
    OAuth2Error::not_found(format!("No initial access token with id {id:?} exists."))
}

/// Validates the request, generates the token (256 random bits) and stores its hash.
/// Returns the stored token and the token itself, which only this answer shows.
pub async fn create(
    store: &dyn InitialAccessTokenStore,
    clock: &dyn Clock,
    body: CreateOAuth2InitialAccessToken,
) -> Result<(InitialAccessToken, String), OAuth2Error> {
    let now = clock.now().trunc_subsecs(6);
    let max_uses = match body.max_uses {
        None => None,
        Some(n) if (1..=MAX_USES).contains(&n) => u64::try_from(n).ok(),
        Some(_) => {
            return Err(invalid(
                "max_uses",
                format!("it must be between 1 and {MAX_USES}"),
            ));
        }
    };
    let latest = now
        .checked_add_signed(MAX_LIFESPAN)
        .ok_or_else(|| OAuth2Error::server_error("the clock is past the representable range"))?;
    let expires_at = match body.expires_at {
        None => now.checked_add_signed(DEFAULT_LIFESPAN).ok_or_else(|| {
            OAuth2Error::server_error("the clock is past the representable range")
        })?,
        Some(at) if at <= now => return Err(invalid("expires_at", "it must lie in the future")),
        Some(at) if at > latest => {
            return Err(invalid(
                "expires_at",
                "it must lie at most 366 days in the future",
            ));
        }
        Some(at) => at.trunc_subsecs(6),
    };
    let token = secret::generate_secret();
    let stored = InitialAccessToken {
        id: uuid::Uuid::new_v4().to_string(),
        token_hash: secret::hash_generated(&token),
        created_at: now,
        expires_at,
        max_uses,
        uses: 0,
    };
    store
        .create_initial_access_token(&stored)
        .await
        .map_err(|e| match e {
            // 256 random bits and a v4 UUID do not collide; if they did, nothing was
            // written and the operator can simply ask again.
            StorageError::Conflict(_) => OAuth2Error::new(ErrorKind::Conflict)
                .with_hint("A token with this id or value exists; create it again."),
            other => other.into(),
        })?;
    Ok((stored, token))
}

/// The token with this id, or `404`.
pub async fn get(
    store: &dyn InitialAccessTokenStore,
    id: &str,
) -> Result<InitialAccessToken, OAuth2Error> {
    store
        .get_initial_access_token(id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Deletes (revokes) the token, or `404`. Clients registered with it stay.
pub async fn delete(store: &dyn InitialAccessTokenStore, id: &str) -> Result<(), OAuth2Error> {
    if store.delete_initial_access_token(id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One page of tokens, by id (Hydra's `page_size` and `page_token`).
pub async fn list(
    store: &dyn InitialAccessTokenStore,
    page_size: Option<i64>,
    page_token: Option<&str>,
) -> Result<InitialAccessTokenPage, OAuth2Error> {
    let page_size = pagination::page_size(page_size);
    let after = pagination::decode_token(PAGE_TOKEN_KIND, page_token)?;
    let mut tokens = store
        .list_initial_access_tokens(&InitialAccessTokenListQuery {
            after,
            limit: page_size + 1,
        })
        .await?;
    let next_page_token =
        pagination::split_page(&mut tokens, page_size, PAGE_TOKEN_KIND, |t| &t.id);
    Ok(InitialAccessTokenPage {
        tokens,
        page_size,
        next_page_token,
    })
}

/// The hash of `presented` if it is a usable admin-created token at `now`; `None`
/// when it is unknown, expired or used up. Only a value of the generated form is looked
/// up, so arbitrary bearer strings never reach the database.
pub async fn usable(
    store: &dyn InitialAccessTokenStore,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, OAuth2Error> {
    if !secret::looks_generated(presented) {
        return Ok(None);
    }
    let hash = secret::hash_generated(presented);
    let found = store.find_initial_access_token(&hash).await?;
    Ok(found.filter(|t| t.is_usable(now)).map(|t| t.token_hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::storage::memory::MemoryStore;

    fn clock() -> FixedClock {
        FixedClock::new(
            DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
        )
    }

    #[tokio::test]
    async fn a_token_allows_its_number_of_registrations_and_no_more() {
        let store = MemoryStore::new();
        let clock = clock();
        let body = CreateOAuth2InitialAccessToken {
            max_uses: Some(2),
            ..Default::default()
        };
        let (stored, token) = create(&store, &clock, body)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(stored.expires_at - stored.created_at, DEFAULT_LIFESPAN);
        let now = clock.now();
        let hash = usable(&store, &token, now).await.ok().flatten();
        assert_eq!(hash.as_deref(), Some(stored.token_hash.as_str()));
        for _ in 0..2 {
            assert!(matches!(
                store
                    .use_initial_access_token(&stored.token_hash, now)
                    .await,
                Ok(true)
            ));
        }
        assert!(matches!(
            store
                .use_initial_access_token(&stored.token_hash, now)
                .await,
            Ok(false)
        ));
        assert!(matches!(usable(&store, &token, now).await, Ok(None)));
        // A use given back (a refused registration) can be taken again.
        assert!(
            store
                .return_initial_access_token_use(&stored.token_hash)
                .await
                .is_ok()
        );
        assert!(matches!(usable(&store, &token, now).await, Ok(Some(_))));
    }

    #[tokio::test]
    async fn bounds_are_enforced() {
        let store = MemoryStore::new();
        let clock = clock();
        let now = clock.now();
        for body in [
            CreateOAuth2InitialAccessToken {
                max_uses: Some(0),
                expires_at: None,
            },
            CreateOAuth2InitialAccessToken {
                max_uses: Some(MAX_USES + 1),
                expires_at: None,
            },
            CreateOAuth2InitialAccessToken {
                max_uses: None,
                expires_at: Some(now),
            },
            CreateOAuth2InitialAccessToken {
                max_uses: None,
                expires_at: Some(now + MAX_LIFESPAN + Duration::seconds(1)),
            },
        ] {
            let err = create(&store, &clock, body.clone()).await.err();
            assert_eq!(
                err.map(|e| e.kind),
                Some(ErrorKind::InvalidRequest),
                "{body:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_expired_token_or_a_stranger_is_not_usable() {
        let store = MemoryStore::new();
        let clock = clock();
        let now = clock.now();
        let body = CreateOAuth2InitialAccessToken {
            expires_at: Some(now + Duration::seconds(10)),
            max_uses: None,
        };
        let (_, token) = create(&store, &clock, body)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(matches!(
            usable(&store, &token, now + Duration::seconds(10)).await,
            Ok(None)
        ));
        assert!(matches!(usable(&store, "not-a-token", now).await, Ok(None)));
        assert!(matches!(
            usable(&store, &secret::generate_secret(), now).await,
            Ok(None)
        ));
    }
}
