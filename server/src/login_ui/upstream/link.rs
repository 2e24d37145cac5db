//! From an upstream identity to a local user (issue 22 §1). The link table
//! (`users::UserIdentityStore`, keyed by provider id and upstream subject) decides who
//! a returning identity is; a new identity becomes a new local user without a password
//! (`on_first_login: create`), or is linked to the one existing enabled user with the
//! same verified email (`require_existing`) — only when the provider verified that
//! address too, so an unverified upstream address can never take over an account.

use chrono::{DateTime, Utc};

use crate::config::{FirstLogin, UpstreamProvider};
use crate::error::StorageError;
use crate::users::{User, UserIdentity, UserIdentityStore, validate};

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUser {
    /// `sub` (GitHub: the numeric user id).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider says the address is verified (OIDC Core §5.1).
    pub email_verified: bool,
    pub name: Option<String>,
    /// A name to derive the local username from (GitHub login, `preferred_username`).
    pub preferred_username: Option<String>,
}

/// Why an upstream identity signs no one in (shown on the 403 page).
pub const DISABLED: &str = "The account linked to this sign-in is disabled.";
pub const NO_ACCOUNT: &str = "There is no account here for this sign-in. Ask an administrator to create one with your verified email address, or sign in with your password.";

/// The local user of `upstream` at `provider`: `Ok(Err(reason))` when the identity
/// signs no one in.
pub async fn local_user(
    store: &dyn UserIdentityStore,
    provider: &UpstreamProvider,
    upstream: &UpstreamUser,
    now: DateTime<Utc>,
) -> Result<Result<User, &'static str>, StorageError> {
    if let Some(user) = linked(store, provider, &upstream.subject).await? {
        return Ok(enabled(user));
    }
    let user = match provider.on_first_login {
        FirstLogin::Create => create(store, new_user(provider, upstream, now)).await?,
        FirstLogin::RequireExisting => match existing(store, upstream).await? {
            Some(user) => user,
            None => return Ok(Err(NO_ACCOUNT)),
        },
    };
    let link = UserIdentity {
        provider: provider.id.clone(),
        upstream_subject: upstream.subject.clone(),
        user_id: user.id.clone(),
        created_at: now,
    };
    match store.link_identity(&link).await {
        Ok(()) => Ok(enabled(user)),
        // A concurrent first sign-in of the same identity linked it first: its user wins,
        // and the one created here is removed again.
        Err(StorageError::Conflict(_)) => {
            if provider.on_first_login == FirstLogin::Create {
                store.delete_user(&user.id).await?;
            }
            match linked(store, provider, &upstream.subject).await? {
                Some(user) => Ok(enabled(user)),
                None => Ok(Err(NO_ACCOUNT)),
            }
        }
        Err(err) => Err(err),
    }
}

fn enabled(user: User) -> Result<User, &'static str> {
    if user.disabled {
        Err(DISABLED)
    } else {
        Ok(user)
    }
}

async fn linked(
    store: &dyn UserIdentityStore,
    provider: &UpstreamProvider,
    subject: &str,
) -> Result<Option<User>, StorageError> {
    match store.get_identity(&provider.id, subject).await? {
        Some(link) => store.get_user(&link.user_id).await,
        None => Ok(None),
    }
}

/// The one enabled user whose verified email is the provider's verified email.
async fn existing(
    store: &dyn UserIdentityStore,
    upstream: &UpstreamUser,
) -> Result<Option<User>, StorageError> {
    let Some(email) = upstream
        .email
        .as_deref()
        .filter(|_| upstream.email_verified)
    else {
        return Ok(None);
    };
    let found = store.find_users_by_email(email, 2).await?;
    let mut candidates = found
        .into_iter()
        .filter(|u| u.email_verified && !u.disabled);
    match (candidates.next(), candidates.next()) {
        (Some(user), None) => Ok(Some(user)),
        _ => Ok(None),
    }
}

/// A username for a new user: `<provider>.<login or subject>` in the characters
/// usernames allow, else (or when taken) `<provider>.<uuid>`.
fn username(provider: &UpstreamProvider, upstream: &UpstreamUser) -> String {
    let base = upstream
        .preferred_username
        .as_deref()
        .unwrap_or(&upstream.subject);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(validate::MAX_USERNAME_LEN.saturating_sub(provider.id.len() + 1))
        .collect();
    format!("{}.{cleaned}", provider.id).to_ascii_lowercase()
}

fn new_user(provider: &UpstreamProvider, upstream: &UpstreamUser, now: DateTime<Utc>) -> User {
    let email = upstream
        .email
        .clone()
        .filter(|e| validate::email(e).is_ok());
    User {
        id: uuid::Uuid::new_v4().to_string(),
        username: username(provider, upstream),
        email_verified: upstream.email_verified && email.is_some(),
        email: email.unwrap_or_default(),
        name: validate::name(upstream.name.clone()).ok().flatten(),
        password_hash: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    }
}

/// Creates `user`; when its username is taken, under a `<provider>.<uuid>` one.
async fn create(store: &dyn UserIdentityStore, mut user: User) -> Result<User, StorageError> {
    match store.create_user(&user).await {
        Ok(()) => Ok(user),
        Err(StorageError::Conflict(_)) => {
            let prefix = user.username.split('.').next().unwrap_or_default();
            user.username = format!("{prefix}.{}", user.id);
            store.create_user(&user).await?;
            Ok(user)
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_keep_only_allowed_characters() {
        let provider = UpstreamProvider {
            id: "gh".into(),
            ..UpstreamProvider::default()
        };
        let upstream = UpstreamUser {
            subject: "12 3".into(),
            email: None,
            email_verified: false,
            name: None,
            preferred_username: Some("Ada Lovelace!".into()),
        };
        let name = username(&provider, &upstream);
        assert_eq!(name, "gh.ada-lovelace-");
        assert!(validate::username(&name).is_ok());
    }
}
