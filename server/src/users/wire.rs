//! The admin API's JSON shapes of users. None of them carries a password hash: a
//! password goes in (`userBody.password`, `setUserPasswordBody`) and never comes out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::User;

/// `userBody`: a new user (`POST /admin/users`) or the whole of an existing one
/// (`PUT /admin/users/{id}`: omitted fields get their defaults, the password is kept).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = userBody)]
pub struct UserBody {
    /// 1 to 128 characters: ASCII letters, digits and `.`, `_`, `-`, `@`, `+`, starting
    /// with a letter or digit. Stored in lower case; unique regardless of case.
    #[schema(example = "alice")]
    pub username: String,
    /// The user's e-mail address (at most 254 characters).
    #[schema(example = "alice@example.com")]
    pub email: String,
    /// Whether the address is known to reach the user. Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Display name, at most 255 characters. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Alice Liddell")]
    pub name: Option<String>,
    /// The password, 8 to 1024 characters; only its Argon2id hash is stored. Without
    /// it a new user cannot sign in locally, and a replaced user keeps its password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A disabled user cannot sign in. Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// `setUserPasswordBody`: the new password of `PUT /admin/users/{id}/password`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = setUserPasswordBody)]
pub struct SetUserPasswordBody {
    /// The new password, 8 to 1024 characters; only its Argon2id hash is stored.
    pub password: String,
}

/// `user`: a stored user as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = user)]
pub struct UserResponse {
    /// A UUID assigned at creation: the subject of the user's sessions.
    #[schema(example = "9edc811f-4e28-453c-9b46-4de65f00217f")]
    pub id: String,
    #[schema(example = "alice")]
    pub username: String,
    #[schema(example = "alice@example.com")]
    pub email: String,
    pub email_verified: bool,
    /// Display name, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether a password is set (the password and its hash are never shown).
    pub has_password: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for UserResponse {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            name: user.name.clone(),
            has_password: user.password_hash.is_some(),
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// `userIdentity`: an upstream identity linked to a user (issue 22 §1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = userIdentity)]
pub struct UserIdentityResponse {
    /// The provider's `id` in `login_ui.providers`.
    #[schema(example = "google")]
    pub provider: String,
    /// The provider's subject for the person (its `sub`; GitHub: the numeric user id).
    #[schema(example = "110169484474386276334")]
    pub upstream_subject: String,
    /// The local user it signs in as.
    pub user_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<&crate::users::UserIdentity> for UserIdentityResponse {
    fn from(link: &crate::users::UserIdentity) -> Self {
        Self {
            provider: link.provider.clone(),
            upstream_subject: link.upstream_subject.clone(),
            user_id: link.user_id.clone(),
            created_at: link.created_at,
        }
    }
}
