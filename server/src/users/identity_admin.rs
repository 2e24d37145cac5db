//! The admin operations on a user's upstream identity links (issue 22 §1,
//! `/admin/users/{id}/identities`), independent of HTTP: list them, and unlink one so
//! that the upstream identity's next sign-in is a first one again (for instance after
//! it was linked to the wrong account by its verified email).

use super::admin;
use super::identity::{UserIdentity, UserIdentityStore};
use crate::error::{OAuth2Error, quoted};

/// The most links listed for one user: one per provider and upstream account, so a
/// handful in practice; the bound keeps one answer small whatever the table holds.
pub const MAX_LINKS_LISTED: usize = 100;

/// Longest provider id accepted (the configuration's ids are shorter).
const MAX_PROVIDER_LEN: usize = 64;
/// Longest upstream subject accepted (OIDC Core §2: `sub` is at most 255 characters).
const MAX_SUBJECT_LEN: usize = 255;

/// The user's links, or `404` when there is no such user.
pub async fn list(
    store: &dyn UserIdentityStore,
    user_id: &str,
) -> Result<Vec<UserIdentity>, OAuth2Error> {
    admin::get(store, user_id).await?;
    Ok(store.list_identities(user_id, MAX_LINKS_LISTED).await?)
}

/// Deletes the link of (`provider`, `upstream_subject`) of the user; `404` when the
/// user has no such link.
pub async fn unlink(
    store: &dyn UserIdentityStore,
    user_id: &str,
    provider: &str,
    upstream_subject: &str,
) -> Result<(), OAuth2Error> {
    if provider.is_empty() || provider.chars().count() > MAX_PROVIDER_LEN {
        return Err(OAuth2Error::invalid_request(format!(
            "The provider must be 1 to {MAX_PROVIDER_LEN} characters."
        )));
    }
    if upstream_subject.is_empty() || upstream_subject.chars().count() > MAX_SUBJECT_LEN {
        return Err(OAuth2Error::invalid_request(format!(
            "The upstream_subject must be 1 to {MAX_SUBJECT_LEN} characters."
        )));
    }
    if store
        .unlink_identity(user_id, provider, upstream_subject)
        .await?
    {
        Ok(())
    } else {
        Err(OAuth2Error::not_found(format!(
            "The user {} has no link to the identity {} of provider {}.",
            quoted(user_id),
            quoted(upstream_subject),
            quoted(provider)
        )))
    }
}
