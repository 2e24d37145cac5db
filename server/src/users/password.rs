//! Passwords of local users: stored as Argon2id PHC strings (the parameters and the
//! one-computation-at-a-time memory discipline of `client::argon2id`), and the sign-in
//! check the built-in login UI calls in process.
//!
//! The check costs one Argon2id verification whatever the outcome: for an unknown
//! username, a user without a password, or a disabled user, the presented password is
//! verified against a stand-in hash that nothing matches, so the response time does not
//! tell whether an account exists (docs/security.md, "User enumeration by timing").

use rand::RngCore;

use super::model::User;
use super::store::UserStore;
use super::validate;
use crate::client::argon2id;
use crate::error::OAuth2Error;

/// The Argon2id PHC string of `password`, with a fresh random salt. CPU-bound for tens
/// of milliseconds, so it runs on the blocking pool.
pub async fn hash(password: &str) -> Result<String, OAuth2Error> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        argon2id::hash(password.as_bytes(), &salt).map_err(OAuth2Error::server_error)
    })
    .await
    .map_err(|e| OAuth2Error::server_error(format!("password hashing task failed: {e}")))?
}

/// A hash with the parameters of [`hash`] that no password matches, made fresh for each
/// use (random salt and output, no computation).
fn stand_in() -> String {
    let mut salt = [0u8; 16];
    let mut output = [0u8; 32];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut output);
    argon2id::unmatchable(&salt, &output)
}

/// Whether `password` matches `stored`, constant-time in the password, on the blocking
/// pool.
async fn verify(password: &str, stored: String) -> Result<bool, OAuth2Error> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || argon2id::verify(password.as_bytes(), &stored))
        .await
        .map_err(|e| OAuth2Error::server_error(format!("password check task failed: {e}")))
}

/// The user that `username` and `password` sign in, or `None` — for a wrong password,
/// an unknown or malformed username, an account without a password, or a disabled
/// account alike, so a caller cannot tell them apart and neither can its users. The
/// username matches regardless of case. `Err` only when storage fails.
pub async fn check(
    store: &dyn UserStore,
    username: &str,
    password: &str,
) -> Result<Option<User>, OAuth2Error> {
    let user = match validate::username(username) {
        Ok(username) => store.get_user_by_username(&username).await?,
        Err(_) => None,
    };
    // An over-long password is not hashed as given (it cannot match: none is stored);
    // an empty one costs the same verification.
    let presented = if password.chars().count() > validate::MAX_PASSWORD_LEN {
        ""
    } else {
        password
    };
    let stored = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(stand_in);
    let matches = verify(presented, stored).await?;
    Ok(user.filter(|u| matches && !u.disabled && !presented.is_empty()))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::storage::memory::MemoryStore;

    async fn store_with(username: &str, password: Option<&str>, disabled: bool) -> MemoryStore {
        let store = MemoryStore::new();
        let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let password_hash = match password {
            Some(p) => Some(hash(p).await.unwrap()),
            None => None,
        };
        let user = User {
            id: "u1".into(),
            username: username.into(),
            email: "a@example.com".into(),
            email_verified: false,
            name: None,
            password_hash,
            disabled,
            created_at: at,
            updated_at: at,
        };
        store.create_user(&user).await.unwrap();
        store
    }

    #[tokio::test]
    async fn the_right_password_signs_in_regardless_of_username_case() {
        let store = store_with("alice", Some("correct horse"), false).await;
        let user = check(&store, "Alice", "correct horse").await.unwrap();
        assert_eq!(user.map(|u| u.id).as_deref(), Some("u1"));
        assert!(
            check(&store, "alice", "correct horsf")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            check(&store, "bob", "correct horse")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            check(&store, " alice", "correct horse")
                .await
                .unwrap()
                .is_none()
        );
        let long = "x".repeat(validate::MAX_PASSWORD_LEN + 1);
        assert!(check(&store, "alice", &long).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn disabled_or_passwordless_users_cannot_sign_in() {
        let disabled = store_with("alice", Some("correct horse"), true).await;
        assert!(
            check(&disabled, "alice", "correct horse")
                .await
                .unwrap()
                .is_none()
        );
        let passwordless = store_with("alice", None, false).await;
        assert!(check(&passwordless, "alice", "").await.unwrap().is_none());
        assert!(
            check(&passwordless, "alice", "anything")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn stand_ins_have_real_parameters_and_differ() {
        let (a, b) = (stand_in(), stand_in());
        assert!(a.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{a}");
        assert_ne!(a, b);
    }
}
