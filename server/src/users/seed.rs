//! The demo user of `serve all --dev` (issue 22 §1): one account to sign in with
//! before any has been created, with a generated password shown once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::admin;
use super::store::UserStore;
use super::wire::UserBody;
use crate::clock::Clock;
use crate::error::{ErrorKind, OAuth2Error};

/// The demo user's username.
pub const DEMO_USERNAME: &str = "demo";

/// The credentials of a demo user this call created.
pub struct DemoUser {
    pub id: String,
    pub username: String,
    /// Shown once, by the caller; only its hash is stored.
    pub password: String,
}

/// 96 random bits, base64url: 16 characters.
fn generate_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Creates the demo user when there is none and returns its credentials; `None` when it
/// exists already (its password was shown when it was created), also when another
/// process created it meanwhile.
pub async fn demo_user(
    store: &dyn UserStore,
    clock: &dyn Clock,
) -> Result<Option<DemoUser>, OAuth2Error> {
    if store.get_user_by_username(DEMO_USERNAME).await?.is_some() {
        return Ok(None);
    }
    let password = generate_password();
    let body = UserBody {
        username: DEMO_USERNAME.to_owned(),
        email: "demo@example.com".to_owned(),
        email_verified: Some(true),
        name: Some("Demo User".to_owned()),
        password: Some(password.clone()),
        disabled: None,
    };
    match admin::create(store, clock, body).await {
        Ok(user) => Ok(Some(DemoUser {
            id: user.id,
            username: user.username,
            password,
        })),
        Err(err) if err.kind == ErrorKind::Conflict => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::FixedClock;
    use crate::storage::memory::MemoryStore;
    use crate::users::password;

    #[tokio::test]
    async fn seeds_once_with_a_password_that_signs_in() {
        let store = MemoryStore::new();
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2030, 1, 1, 0, 0, 0).unwrap();
        let clock = Arc::new(FixedClock::new(at));
        let demo = demo_user(&store, clock.as_ref()).await.unwrap().unwrap();
        assert_eq!(demo.username, DEMO_USERNAME);
        assert_eq!(demo.password.len(), 16);
        let signed_in = password::check(&store, DEMO_USERNAME, &demo.password)
            .await
            .unwrap();
        assert_eq!(signed_in.map(|u| u.id), Some(demo.id));
        assert!(demo_user(&store, clock.as_ref()).await.unwrap().is_none());
    }
}
