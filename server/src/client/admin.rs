//! The admin operations on clients, independent of HTTP: create, read, replace, patch
//! (RFC 6902), delete, set lifespans, list (keyset pages). Handlers in `http/admin`
//! only extract, call and respond.

use super::store::{ClientListQuery, ClientStore};
use crate::client::model::{Client, TokenEndpointAuthMethod};
use crate::client::secret;
use crate::client::sector;
use crate::client::validate::{self, ValidatedClient, validate_client_id};
use crate::client::wire::{OAuth2Client, OAuth2ClientTokenLifespans};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::OAuth2Error;
use crate::error::StorageError;
use crate::pagination;
use crate::secrets::KeyRing;

/// A client together with the plaintext secret, present only when this call set it.
#[derive(Debug)]
pub struct ClientWithSecret {
    pub client: Client,
    pub secret: Option<String>,
}

/// One page of clients and the token of the next page, if there is one.
#[derive(Debug)]
pub struct ClientPage {
    pub clients: Vec<Client>,
    pub page_size: usize,
    pub next_page_token: Option<String>,
}

/// Filters and position of a list request as the caller sent them.
#[derive(Debug, Default, Clone)]
pub struct ListRequest {
    pub page_size: Option<i64>,
    pub page_token: Option<String>,
    pub client_name: Option<String>,
    pub owner: Option<String>,
}

/// Now, at the microsecond precision every backend stores, so a response equals what a
/// later read returns.
fn stored_now(clock: &dyn Clock) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    clock.now().trunc_subsecs(6)
}

fn not_found(id: &str) -> OAuth2Error {
    OAuth2Error::not_found(format!("No OAuth 2.0 client with id {id:?} exists."))
}

/// Creates a client: generated id and secret unless given (Hydra `createOAuth2Client`).
pub async fn create(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    config: &Config,
    body: OAuth2Client,
) -> Result<ClientWithSecret, OAuth2Error> {
    create_with(store, clock, keys, config, body, None).await
}

/// [`create`], storing `registration_access_token_hash` with the client (dynamic
/// registration, `client::registration`).
pub(crate) async fn create_with(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    config: &Config,
    body: OAuth2Client,
    registration_access_token_hash: Option<String>,
) -> Result<ClientWithSecret, OAuth2Error> {
    let ValidatedClient { mut client, secret } =
        validate::validate(body, validate::UriPolicy::from_config(config))?;
    client.registration_access_token_hash = registration_access_token_hash;
    validate::fapi2::check(config.oauth2.profile, &client)?;
    crate::client::authorization_details_types::check_supported(config, &client)?;
    sector::check(config, &client).await?;
    if client.client_id.is_empty() {
        client.client_id = uuid::Uuid::new_v4().to_string();
    } else {
        validate_client_id(&client.client_id)?;
    }
    let secret = assign_secret(keys, &mut client, secret, None).await?;
    let now = stored_now(clock);
    client.created_at = now;
    client.updated_at = now;
    store
        .create_client(&client)
        .await
        .map_err(|err| match err {
            StorageError::Conflict(_) => OAuth2Error::new(crate::error::ErrorKind::Conflict)
                .with_hint(format!(
                    "An OAuth 2.0 client with id {:?} already exists.",
                    client.client_id
                )),
            other => other.into(),
        })?;
    Ok(ClientWithSecret { client, secret })
}

pub async fn get(store: &dyn ClientStore, id: &str) -> Result<Client, OAuth2Error> {
    store.get_client(id).await?.ok_or_else(|| not_found(id))
}

/// Replaces a client (Hydra `setOAuth2Client`): the existing secret is kept unless the
/// body sets a new one; `created_at` is kept.
pub async fn replace(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    config: &Config,
    id: &str,
    body: OAuth2Client,
) -> Result<ClientWithSecret, OAuth2Error> {
    let existing = get(store, id).await?;
    replace_existing(store, clock, keys, config, existing, body, None).await
}

/// [`replace`] of a client already loaded (dynamic registration loads it to check the
/// registration access token first). A registered client's management token hash is
/// kept, or replaced by `rotated_token_hash` in the same write (RFC 7592 §2.2).
pub(crate) async fn replace_existing(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    config: &Config,
    existing: Client,
    body: OAuth2Client,
    rotated_token_hash: Option<String>,
) -> Result<ClientWithSecret, OAuth2Error> {
    let id = existing.client_id.clone();
    let id = id.as_str();
    if let Some(body_id) = body
        .client_id
        .as_deref()
        .filter(|b| !b.is_empty() && *b != id)
    {
        return Err(OAuth2Error::invalid_request(format!(
            "The client_id in the body ({body_id:?}) differs from the one in the path ({id:?}); client ids cannot be changed."
        )));
    }
    let validated = validate::validate(body, validate::UriPolicy::from_config(config))?;
    validate::fapi2::check(config.oauth2.profile, &validated.client)?;
    crate::client::authorization_details_types::check_supported(config, &validated.client)?;
    sector::check(config, &validated.client).await?;
    store_replacement(store, clock, keys, existing, validated, rotated_token_hash).await
}

/// Applies an RFC 6902 JSON Patch to the client's wire form, then validates and stores
/// the result (Hydra `patchOAuth2Client`). A patched `client_secret` becomes the new secret.
pub async fn patch(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    config: &Config,
    id: &str,
    operations: json_patch::Patch,
) -> Result<ClientWithSecret, OAuth2Error> {
    let existing = get(store, id).await?;
    let mut document = serde_json::to_value(OAuth2Client::from_model(&existing, None))
        .map_err(|e| OAuth2Error::server_error(format!("serialize client: {e}")))?;
    apply_patch(&mut document, &operations)?;
    let body: OAuth2Client = serde_json::from_value(document).map_err(|e| {
        OAuth2Error::invalid_client_metadata(format!(
            "The patched client is not a valid client: {e}."
        ))
    })?;
    if body.client_id.as_deref() != Some(id) {
        return Err(OAuth2Error::invalid_request(
            "The client_id cannot be changed by a patch.",
        ));
    }
    let validated = validate::validate(body, validate::UriPolicy::from_config(config))?;
    validate::fapi2::check(config.oauth2.profile, &validated.client)?;
    crate::client::authorization_details_types::check_supported(config, &validated.client)?;
    sector::check(config, &validated.client).await?;
    store_replacement(store, clock, keys, existing, validated, None).await
}

/// RFC 6902 §5: the patch applies whole or not at all. The document is a copy that an
/// error discards, so the operations run without json-patch's undo log: undoing a
/// `move` to the root panics in json-patch 4.2 ("unable to undo applied patches"),
/// which a patch like `move /metadata → ""` then a failing operation reached.
pub(crate) fn apply_patch(
    document: &mut serde_json::Value,
    operations: &json_patch::Patch,
) -> Result<(), OAuth2Error> {
    json_patch::patch_unsafe(document, operations).map_err(|e| {
        OAuth2Error::invalid_request(format!("The JSON Patch could not be applied: {e}."))
    })
}

/// Sets only the 13 lifespans (Hydra `setOAuth2ClientLifespans`).
pub async fn set_lifespans(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    id: &str,
    body: &OAuth2ClientTokenLifespans,
) -> Result<Client, OAuth2Error> {
    let mut client = get(store, id).await?;
    client.lifespans = validate::validate_lifespans(body)?;
    client.updated_at = stored_now(clock);
    if !store.update_client(&client).await? {
        return Err(not_found(id));
    }
    Ok(client)
}

pub async fn delete(store: &dyn ClientStore, id: &str) -> Result<(), OAuth2Error> {
    if store.delete_client(id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One page of clients ordered by id; `page_size` is clamped to 1..=1000 as Hydra does.
pub async fn list(
    store: &dyn ClientStore,
    request: ListRequest,
) -> Result<ClientPage, OAuth2Error> {
    let page_size = pagination::page_size(request.page_size);
    let after = pagination::decode_token(PAGE_TOKEN_KIND, request.page_token.as_deref())?;
    let mut clients = store
        .list_clients(&ClientListQuery {
            after,
            limit: page_size + 1,
            client_name: request.client_name.filter(|s| !s.is_empty()),
            owner: request.owner.filter(|s| !s.is_empty()),
        })
        .await?;
    let next_page_token =
        pagination::split_page(&mut clients, page_size, PAGE_TOKEN_KIND, |c| &c.client_id);
    Ok(ClientPage {
        clients,
        page_size,
        next_page_token,
    })
}

async fn store_replacement(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    keys: &KeyRing,
    existing: Client,
    validated: ValidatedClient,
    rotated_token_hash: Option<String>,
) -> Result<ClientWithSecret, OAuth2Error> {
    let ValidatedClient { mut client, secret } = validated;
    client.client_id = existing.client_id.clone();
    client.created_at = existing.created_at;
    client.updated_at = stored_now(clock);
    // An admin replacement keeps a registered client's RFC 7592 management token.
    client.registration_access_token_hash =
        rotated_token_hash.or_else(|| existing.registration_access_token_hash.clone());
    let secret = assign_secret(keys, &mut client, secret, existing.secret_hash).await?;
    // A rotated-out secret stays valid through its grace period while the current one
    // is kept; a replacement that sets a new secret ends it, as does leaving Basic/post.
    if secret.is_none() && client.token_endpoint_auth_method == existing.token_endpoint_auth_method
    {
        client.previous_secret_hash = existing.previous_secret_hash;
        client.previous_secret_expires_at = existing.previous_secret_expires_at;
    }
    if !store.update_client(&client).await? {
        return Err(not_found(&existing.client_id));
    }
    Ok(ClientWithSecret { client, secret })
}

/// The outcome of a secret rotation: the new secret (shown once) and when the replaced
/// one stops working. (No `Debug`: it holds the secret.)
pub struct RotatedSecret {
    pub client: Client,
    pub secret: String,
    pub previous_secret_expires_at: chrono::DateTime<chrono::Utc>,
}

/// Rotates a `client_secret_basic`/`client_secret_post` client's secret without
/// downtime: a new secret (generated, or `chosen`) authenticates from now on, and the
/// current one keeps working for `grace_period` (else
/// `oauth2.client_secret_rotation.grace_period`). Only one replaced secret is kept: a
/// second rotation within the period ends the first one's.
pub async fn rotate_secret(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    config: &Config,
    id: &str,
    chosen: Option<String>,
    grace_period: Option<&str>,
) -> Result<RotatedSecret, OAuth2Error> {
    let grace = match grace_period {
        Some(text) => {
            let parsed = crate::duration::GoDuration::parse(text).map_err(|e| {
                OAuth2Error::invalid_request(format!("Field grace_period is invalid: {e}."))
            })?;
            if parsed.as_std().as_secs() > crate::config::MAX_SECRET_GRACE_PERIOD_SECS {
                return Err(OAuth2Error::invalid_request(
                    "Field grace_period must not exceed 720h.",
                ));
            }
            parsed
        }
        None => config.oauth2.client_secret_rotation.grace_period,
    };
    let mut client = get(store, id).await?;
    if !matches!(
        client.token_endpoint_auth_method,
        TokenEndpointAuthMethod::ClientSecretBasic | TokenEndpointAuthMethod::ClientSecretPost
    ) {
        return Err(OAuth2Error::invalid_request(format!(
            "Only clients that authenticate with client_secret_basic or client_secret_post can rotate their secret; this client uses {}.",
            client.token_endpoint_auth_method.as_str()
        )));
    }
    if let Some(chosen) = &chosen
        && chosen.chars().count() < secret::MIN_CHOSEN_SECRET_LEN
    {
        return Err(OAuth2Error::invalid_request(format!(
            "Field client_secret must contain a secret that is at least {} characters long.",
            secret::MIN_CHOSEN_SECRET_LEN
        )));
    }
    let now = stored_now(clock);
    let expires_at = now
        .checked_add_signed(grace.as_chrono())
        .ok_or_else(|| OAuth2Error::invalid_request("Field grace_period is out of range."))?;
    let (new_secret, new_hash) = match chosen {
        Some(chosen) => {
            let hash = hash_off_the_workers(chosen.clone()).await?;
            (chosen, hash)
        }
        None => {
            let generated = secret::generate_secret();
            let hash = secret::hash_generated(&generated);
            (generated, hash)
        }
    };
    client.previous_secret_hash = client.secret_hash.replace(new_hash);
    client.previous_secret_expires_at = Some(expires_at);
    client.updated_at = now;
    if !store.update_client(&client).await? {
        return Err(not_found(id));
    }
    Ok(RotatedSecret {
        client,
        secret: new_secret,
        previous_secret_expires_at: expires_at,
    })
}

/// Ends a rotation's grace period now: only the current secret authenticates.
pub async fn delete_previous_secret(
    store: &dyn ClientStore,
    clock: &dyn Clock,
    id: &str,
) -> Result<(), OAuth2Error> {
    let mut client = get(store, id).await?;
    client.previous_secret_hash = None;
    client.previous_secret_expires_at = None;
    client.updated_at = stored_now(clock);
    if !store.update_client(&client).await? {
        return Err(not_found(id));
    }
    Ok(())
}

/// Decides the stored secret: a given secret is hashed (Argon2id, off the async workers),
/// or sealed for `client_secret_jwt`; a secret-based client without one keeps its old
/// stored form, or gets a generated secret; other clients hold none. Returns the
/// plaintext when this call set it.
///
/// A client moving from `client_secret_jwt` to Basic/post keeps its secret (opened,
/// then hashed); one moving the other way gets a new secret, because a hash cannot be
/// turned back into the MAC key.
async fn assign_secret(
    keys: &KeyRing,
    client: &mut Client,
    given: Option<String>,
    existing: Option<String>,
) -> Result<Option<String>, OAuth2Error> {
    let method = client.token_endpoint_auth_method;
    if !method.uses_secret() {
        client.secret_hash = None;
        return Ok(None);
    }
    let jwt = method == TokenEndpointAuthMethod::ClientSecretJwt;
    if let Some(chosen) = given {
        client.secret_hash = Some(if jwt {
            secret::seal(keys, &client.client_id, &chosen)?
        } else {
            hash_off_the_workers(chosen.clone()).await?
        });
        return Ok(Some(chosen));
    }
    if let Some(stored) = existing {
        if secret::is_sealed(&stored) == jwt {
            client.secret_hash = Some(stored);
            return Ok(None);
        }
        if let Some(plain) = secret::open(keys, &client.client_id, &stored) {
            client.secret_hash = Some(hash_off_the_workers(plain).await?);
            return Ok(None);
        }
    }
    if jwt {
        let generated = secret::generate_jwt_secret();
        client.secret_hash = Some(secret::seal(keys, &client.client_id, &generated)?);
        return Ok(Some(generated));
    }
    let generated = secret::generate_secret();
    client.secret_hash = Some(secret::hash_generated(&generated));
    Ok(Some(generated))
}

/// Argon2id of a chosen secret, on the blocking pool (tens of milliseconds).
async fn hash_off_the_workers(secret: String) -> Result<String, OAuth2Error> {
    tokio::task::spawn_blocking(move || secret::hash_chosen(&secret))
        .await
        .map_err(|e| OAuth2Error::server_error(format!("hashing task failed: {e}")))?
}

/// Page tokens of the client list.
const PAGE_TOKEN_KIND: &str = "c1";

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz_client_json_patch`: json-patch's own undo panicked.
    #[test]
    fn a_patch_that_fails_after_moving_to_the_root_is_a_400() {
        let mut document = serde_json::json!({"client_id": "app", "metadata": {"a": 1}});
        let operations: json_patch::Patch = serde_json::from_value(serde_json::json!([
            {"op": "move", "from": "/metadata", "path": ""},
            {"op": "remove", "path": "/missing"}
        ]))
        .unwrap();
        let err = apply_patch(&mut document, &operations).unwrap_err();
        assert_eq!(err.status(), 400);
    }
}
