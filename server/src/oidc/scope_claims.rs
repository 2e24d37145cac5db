//! OIDC Core §5.4: the standard scopes that request sets of standard claims, and the
//! filter that keeps a token's claims within the scopes it was granted.
//!
//! Claims named by no standard scope (an operator's own `department`, say) are passed
//! through unfiltered, as Ory Hydra passes every `session.id_token` claim: the consent
//! app decided to grant them. Claims the server itself states about the token or the
//! authentication ([`RESERVED`], the ID token's list) are never taken from the consent
//! session.

use serde_json::{Map, Value};

/// §5.4 `profile`.
pub const PROFILE: [&str; 14] = [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];
/// §5.4 `email`.
pub const EMAIL: [&str; 2] = ["email", "email_verified"];
/// §5.4 `address`.
pub const ADDRESS: [&str; 1] = ["address"];
/// §5.4 `phone`.
pub const PHONE: [&str; 2] = ["phone_number", "phone_number_verified"];

/// Each standard scope with its claims.
pub const SCOPES: [(&str, &[&str]); 4] = [
    ("profile", &PROFILE),
    ("email", &EMAIL),
    ("address", &ADDRESS),
    ("phone", &PHONE),
];

/// Claims about the token and the authentication, which only the server sets.
pub use crate::oidc::id_token::RESERVED_CLAIMS as RESERVED;

/// The scope that governs `claim`, if a standard one does.
pub fn scope_of(claim: &str) -> Option<&'static str> {
    SCOPES
        .iter()
        .find(|(_, claims)| claims.contains(&claim))
        .map(|(scope, _)| *scope)
}

/// The claims of `claims` that `granted` scopes allow (OIDC Core §5.4): standard claims
/// only with their scope, others as they are, reserved ones never.
pub fn filter(claims: &Map<String, Value>, granted: &[&str]) -> Map<String, Value> {
    claims
        .iter()
        .filter(|(name, _)| !RESERVED.contains(&name.as_str()))
        .filter(|(name, _)| scope_of(name).is_none_or(|scope| granted.contains(&scope)))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn standard_claims_follow_their_scope_and_others_pass() {
        let claims = json!({
            "name": "Ada", "email": "ada@example.com", "email_verified": true,
            "address": {"country": "UK"}, "phone_number": "+44", "department": "math",
            "sub": "forged", "iss": "forged", "nonce": "n",
        });
        let claims = claims.as_object().unwrap();
        let only_email = filter(claims, &["openid", "email"]);
        assert_eq!(
            Value::Object(only_email),
            json!({"email": "ada@example.com", "email_verified": true, "department": "math"})
        );
        let all = filter(claims, &["openid", "profile", "email", "address", "phone"]);
        assert_eq!(all.len(), 6);
        assert!(filter(claims, &[]).keys().eq(["department"]));
        assert_eq!(scope_of("updated_at"), Some("profile"));
        assert_eq!(scope_of("department"), None);
    }
}
