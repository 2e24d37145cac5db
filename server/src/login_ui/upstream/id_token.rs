//! Verifying an upstream provider's ID token (OIDC Core §3.1.3.7): the signature with a
//! key of the provider's JWK Set (asymmetric algorithms only: the set is public, RFC
//! 8725 §3.1), `iss` the provider's issuer, `aud` naming our client (and `azp` it when
//! there are several audiences), `exp` in the future, `nonce` this browser's.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::jwk::Verifier;
use crate::jwk::alg::Algorithm;

/// Longest accepted `sub` (OIDC Core §2: at most 255 ASCII characters).
pub const MAX_SUBJECT_LEN: usize = 255;

/// What the ID token must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The discovery document's issuer (Microsoft: `{tenantid}` is the token's `tid`).
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: DateTime<Utc>,
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// The claims of `token` once verified with `jwks` (a JWK Set document) against
/// `expected`; else why not.
pub fn verify(
    token: &str,
    jwks: &Value,
    expected: Expected<'_>,
) -> Result<Map<String, Value>, String> {
    let verifier = Verifier::from_json(&jwks.to_string()).map_err(|e| e.to_string())?;
    let verified = verifier.verify(token).map_err(|e| e.to_string())?;
    if matches!(
        verified.alg,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err("the ID token is signed with a symmetric algorithm".into());
    }
    let claims = verified.claims;
    // Step 2: iss exactly the provider's issuer.
    let issuer = match text(&claims, "tid") {
        Some(tid) if expected.issuer.contains("{tenantid}") => {
            expected.issuer.replace("{tenantid}", tid)
        }
        _ => expected.issuer.to_owned(),
    };
    if text(&claims, "iss") != Some(issuer.as_str()) {
        return Err("the ID token's iss is not the provider's issuer".into());
    }
    // Steps 3-5: aud contains our client id; with several audiences, azp is ours.
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err("the ID token is not for this client (aud)".into());
    }
    let azp = text(&claims, "azp");
    if (audiences.len() > 1 || azp.is_some()) && azp != Some(expected.client_id) {
        return Err("the ID token's azp is not this client".into());
    }
    // Step 9: not expired.
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MIN);
    if exp <= expected.now.timestamp() {
        return Err("the ID token has expired".into());
    }
    // Step 11: the nonce of this browser's request.
    let nonce = text(&claims, "nonce").unwrap_or_default();
    if !bool::from(nonce.as_bytes().ct_eq(expected.nonce.as_bytes())) {
        return Err("the ID token's nonce is not this sign-in's".into());
    }
    match text(&claims, "sub") {
        Some(sub) if !sub.is_empty() && sub.len() <= MAX_SUBJECT_LEN => Ok(claims),
        _ => Err("the ID token has no usable sub".into()),
    }
}
