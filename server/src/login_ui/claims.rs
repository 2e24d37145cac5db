//! The user record's claims for the scopes a consent grants (OIDC Core §5.4):
//! `profile` → `name` (when the user has one) and `preferred_username`; `email` →
//! `email` and `email_verified`. They go into the consent's `session.id_token`, from
//! which the ID token and the UserInfo response take them, as in Hydra.

use serde_json::{Map, Value};

use crate::users::User;

/// The claims of `user` that `granted` scopes release.
pub fn for_scopes(user: &User, granted: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    let has = |scope: &str| granted.iter().any(|s| s == scope);
    if has("profile") {
        if let Some(name) = user.name.as_ref().filter(|n| !n.is_empty()) {
            claims.insert("name".into(), Value::String(name.clone()));
        }
        claims.insert(
            "preferred_username".into(),
            Value::String(user.username.clone()),
        );
    }
    if has("email") {
        claims.insert("email".into(), Value::String(user.email.clone()));
        claims.insert("email_verified".into(), Value::Bool(user.email_verified));
    }
    claims
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn each_scope_releases_its_own_claims_only() {
        let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let user = User {
            id: "u1".into(),
            username: "alice".into(),
            email: "alice@example.com".into(),
            email_verified: true,
            name: Some("Alice Example".into()),
            password_hash: None,
            disabled: false,
            created_at: at,
            updated_at: at,
        };
        let profile = for_scopes(&user, &["openid".into(), "profile".into()]);
        assert_eq!(profile["name"], "Alice Example");
        assert_eq!(profile["preferred_username"], "alice");
        assert!(!profile.contains_key("email"));
        let email = for_scopes(&user, &["email".into()]);
        assert_eq!(email["email"], "alice@example.com");
        assert_eq!(email["email_verified"], true);
        assert!(!email.contains_key("name"));
        assert!(for_scopes(&user, &["openid".into()]).is_empty());
    }
}
