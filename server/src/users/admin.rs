//! The admin operations on users, independent of HTTP: create, get, replace, patch
//! (RFC 6902), set password, delete, list (keyset pages). Handlers in `http/admin`
//! only extract, call and respond.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Deserialize;

use super::model::User;
use super::password;
use super::store::{UserListQuery, UserStore};
use super::validate;
use super::wire::{UserBody, UserResponse};
use crate::clock::Clock;
use crate::error::{ErrorKind, OAuth2Error, StorageError};
use crate::pagination;

const PAGE_TOKEN_KIND: &str = "user1";

/// One page of users and the token of the next page, if there is one.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub page_size: usize,
    pub next_page_token: Option<String>,
}

/// Filters and position of a list request as the caller sent them.
#[derive(Debug, Default, Clone)]
pub struct ListRequest {
    pub page_size: Option<i64>,
    pub page_token: Option<String>,
    pub username: Option<String>,
}

/// Now, at the microsecond precision every backend stores, so a response equals what a
/// later read returns.
fn stored_now(clock: &dyn Clock) -> DateTime<Utc> {
    clock.now().trunc_subsecs(6)
}

fn not_found(id: &str) -> OAuth2Error {
    OAuth2Error::not_found(format!(
        "No user with id {} exists.",
        crate::error::quoted(id)
    ))
}

/// `Conflict` from the store means the username is taken (ids are fresh UUIDs).
fn conflict_or(username: &str) -> impl FnOnce(StorageError) -> OAuth2Error + '_ {
    move |err| match err {
        StorageError::Conflict(_) => OAuth2Error::new(ErrorKind::Conflict).with_hint(format!(
            "A user with username {} already exists.",
            crate::error::quoted(username)
        )),
        other => other.into(),
    }
}

/// The validated fields of a body; the password is checked, not yet hashed.
struct Fields {
    username: String,
    email: String,
    email_verified: bool,
    name: Option<String>,
    password: Option<String>,
    disabled: bool,
}

fn check(body: UserBody) -> Result<Fields, OAuth2Error> {
    let username = validate::username(&body.username)?;
    validate::email(&body.email)?;
    let name = validate::name(body.name)?;
    if let Some(password) = &body.password {
        validate::password("password", password)?;
    }
    Ok(Fields {
        username,
        email: body.email,
        email_verified: body.email_verified.unwrap_or(false),
        name,
        password: body.password,
        disabled: body.disabled.unwrap_or(false),
    })
}

async fn hash_of(password: Option<&str>) -> Result<Option<String>, OAuth2Error> {
    match password {
        Some(p) => Ok(Some(password::hash(p).await?)),
        None => Ok(None),
    }
}

/// Creates a user with a fresh UUID (`createUser`); `409 conflict` when the username
/// is taken.
pub async fn create(
    store: &dyn UserStore,
    clock: &dyn Clock,
    body: UserBody,
) -> Result<User, OAuth2Error> {
    let fields = check(body)?;
    let password_hash = hash_of(fields.password.as_deref()).await?;
    let now = stored_now(clock);
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        username: fields.username,
        email: fields.email,
        email_verified: fields.email_verified,
        name: fields.name,
        password_hash,
        disabled: fields.disabled,
        created_at: now,
        updated_at: now,
    };
    store
        .create_user(&user)
        .await
        .map_err(conflict_or(&user.username))?;
    Ok(user)
}

/// The user with this id, or `404`.
pub async fn get(store: &dyn UserStore, id: &str) -> Result<User, OAuth2Error> {
    store.get_user(id).await?.ok_or_else(|| not_found(id))
}

/// Stores `fields` over `existing`: `created_at` kept, the password replaced only when
/// given.
async fn store_replacement(
    store: &dyn UserStore,
    clock: &dyn Clock,
    existing: User,
    fields: Fields,
) -> Result<User, OAuth2Error> {
    let password_hash = match hash_of(fields.password.as_deref()).await? {
        Some(hash) => Some(hash),
        None => existing.password_hash,
    };
    let user = User {
        id: existing.id,
        username: fields.username,
        email: fields.email,
        email_verified: fields.email_verified,
        name: fields.name,
        password_hash,
        disabled: fields.disabled,
        created_at: existing.created_at,
        updated_at: stored_now(clock),
    };
    if store
        .update_user(&user)
        .await
        .map_err(conflict_or(&user.username))?
    {
        Ok(user)
    } else {
        Err(not_found(&user.id))
    }
}

/// Replaces the user (`setUser`): omitted fields get their defaults; the password is
/// kept unless the body sets one.
pub async fn replace(
    store: &dyn UserStore,
    clock: &dyn Clock,
    id: &str,
    body: UserBody,
) -> Result<User, OAuth2Error> {
    let existing = get(store, id).await?;
    let fields = check(body)?;
    store_replacement(store, clock, existing, fields).await
}

/// The user's wire form after a patch: the fields a patch may change, and the id it
/// must not. `created_at`, `updated_at` and `has_password` are read-only and ignored.
#[derive(Deserialize)]
struct Patched {
    id: String,
    username: String,
    email: String,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    disabled: bool,
}

/// Applies an RFC 6902 JSON Patch to the user's wire form (`patchUser`), then validates
/// and stores the result. `add /password` sets a new password.
pub async fn patch(
    store: &dyn UserStore,
    clock: &dyn Clock,
    id: &str,
    operations: json_patch::Patch,
) -> Result<User, OAuth2Error> {
    let existing = get(store, id).await?;
    let mut document = serde_json::to_value(UserResponse::from(&existing))
        .map_err(|e| OAuth2Error::server_error(format!("serialize user: {e}")))?;
    // RFC 6902 §5: whole or not at all; the document is a copy an error discards.
    json_patch::patch_unsafe(&mut document, &operations).map_err(|e| {
        OAuth2Error::invalid_request(format!("The JSON Patch could not be applied: {e}."))
    })?;
    let patched: Patched = serde_json::from_value(document).map_err(|e| {
        OAuth2Error::invalid_request(format!("The patched user is not a valid user: {e}."))
    })?;
    if patched.id != existing.id {
        return Err(OAuth2Error::invalid_request(
            "The id of a user cannot be changed by a patch.",
        ));
    }
    let fields = check(UserBody {
        username: patched.username,
        email: patched.email,
        email_verified: Some(patched.email_verified),
        name: patched.name,
        password: patched.password,
        disabled: Some(patched.disabled),
    })?;
    store_replacement(store, clock, existing, fields).await
}

/// Sets a new password (`setUserPassword`), changing nothing else.
pub async fn set_password(
    store: &dyn UserStore,
    clock: &dyn Clock,
    id: &str,
    new_password: &str,
) -> Result<User, OAuth2Error> {
    validate::password("password", new_password)?;
    // 404 before spending a hash on an unknown id.
    let mut user = get(store, id).await?;
    let hash = password::hash(new_password).await?;
    let now = stored_now(clock);
    if !store.set_user_password(id, &hash, now).await? {
        return Err(not_found(id));
    }
    user.password_hash = Some(hash);
    user.updated_at = now;
    Ok(user)
}

/// Deletes the user, or `404`.
pub async fn delete(store: &dyn UserStore, id: &str) -> Result<(), OAuth2Error> {
    if store.delete_user(id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One page of users, by id (Hydra's `page_size` and `page_token`), optionally only the
/// one with a username (matched regardless of case).
pub async fn list(store: &dyn UserStore, request: ListRequest) -> Result<UserPage, OAuth2Error> {
    let page_size = pagination::page_size(request.page_size);
    let after = pagination::decode_token(PAGE_TOKEN_KIND, request.page_token.as_deref())?;
    let username = request
        .username
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase());
    let mut users = store
        .list_users(&UserListQuery {
            after,
            limit: page_size.saturating_add(1),
            username,
        })
        .await?;
    let next_page_token = pagination::split_page(&mut users, page_size, PAGE_TOKEN_KIND, |u| &u.id);
    Ok(UserPage {
        users,
        page_size,
        next_page_token,
    })
}
