//! A local user as the server keeps it.

use chrono::{DateTime, Utc};

/// One local account. `username` is unique and stored in lower case (usernames compare
/// case-insensitively: `Alice` and `alice` are one account, so neither can pose as the
/// other).
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// A UUID assigned at creation; the subject (`sub`) of the user's sessions.
    pub id: String,
    pub username: String,
    pub email: String,
    /// Whether the address is known to reach the user (OIDC Core §5.1 `email_verified`).
    pub email_verified: bool,
    /// Display name (OIDC Core §5.1 `name`); `None` when not given.
    pub name: Option<String>,
    /// An Argon2id PHC string (`users::password`); `None`: the account has no password
    /// and cannot sign in locally.
    pub password_hash: Option<String>,
    /// A disabled account cannot sign in; it is kept with its id.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Never prints the password hash, so a `{:?}` in a log line or a test failure cannot
/// leak it.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("name", &self.name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}
