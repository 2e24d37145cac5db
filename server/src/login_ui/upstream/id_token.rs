//! Verifying an upstream provider's ID token (OIDC Core §3.1.3.7): the signature, then
//! `iss` the provider's issuer, `aud` naming our client (and `azp` it when there are
//! several audiences), `exp` in the future, `nonce` this browser's.
//!
//! The signature (steps 6-8), by the provider's `id_token_signed_response_alg`:
//! - unset: an asymmetric algorithm, with a key of the provider's JWK Set. The set is
//!   public, so a MAC "keyed" with anything in it proves nothing (RFC 8725 §3.1);
//! - an asymmetric algorithm: that one only, with a key of the JWK Set;
//! - `HS256`/`HS384`/`HS512`: that one only, MACed with the client secret (OIDC Core
//!   §10.1, `mac.rs`); the JWK Set is not read.
//!
//! The header's `alg` is compared with what is configured before any key is looked at,
//! so a refusal says which algorithm came and which was expected.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::mac;
use crate::jwk::Algorithm;
use crate::jwk::Verifier;

/// Longest accepted `sub` (OIDC Core §2: at most 255 ASCII characters).
pub const MAX_SUBJECT_LEN: usize = 255;

/// What verifies the signature: the provider's JWK Set document, or the client secret.
/// (No `Debug`: it would print the secret.)
#[derive(Clone, Copy)]
pub enum Keys<'a> {
    JwkSet(&'a Value),
    ClientSecret(&'a str),
}

/// What the ID token must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The discovery document's issuer (Microsoft: `{tenantid}` is the token's `tid`).
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: DateTime<Utc>,
    /// The provider's `id_token_signed_response_alg`: the one algorithm accepted;
    /// `None`: any asymmetric one.
    pub alg: Option<Algorithm>,
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// The `alg` of `token`'s header if the provider's configuration accepts it (RFC 8725
/// §3.1: the expected algorithm is pinned, never taken from the token alone).
pub fn accepted_alg(token: &str, pinned: Option<Algorithm>) -> Result<Algorithm, String> {
    let header = token.split('.').next().unwrap_or_default();
    let header = mac::json_part(header, "header")?;
    let name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg = Algorithm::parse(name)
        .ok_or_else(|| format!("the ID token's algorithm {name:?} is not accepted"))?;
    match pinned {
        Some(expected) if expected != alg => Err(format!(
            "the ID token is signed with {alg}, but the provider's id_token_signed_response_alg is {expected}"
        )),
        None if alg.is_symmetric() => Err(format!(
            "the ID token is MACed with the client secret ({alg}), which this provider is not configured for (set id_token_signed_response_alg: {alg} to accept it)"
        )),
        _ => Ok(alg),
    }
}

/// The claims of `token` once its signature verifies with `keys` and they match
/// `expected`; else why not.
pub fn verify(
    token: &str,
    keys: Keys<'_>,
    expected: Expected<'_>,
) -> Result<Map<String, Value>, String> {
    let alg = accepted_alg(token, expected.alg)?;
    let claims = match keys {
        Keys::ClientSecret(secret) if alg.is_symmetric() => mac::verify(token, alg, secret)?,
        Keys::JwkSet(jwks) if !alg.is_symmetric() => {
            let verifier = Verifier::from_json(&jwks.to_string()).map_err(|e| e.to_string())?;
            // The verifier keys on the header's alg, checked above to be asymmetric:
            // an `oct` key in the public set never verifies anything here.
            verifier.verify(token).map_err(|e| e.to_string())?.claims
        }
        Keys::ClientSecret(_) => {
            return Err(format!(
                "{alg} is verified with the provider's JWK Set, not the client secret"
            ));
        }
        Keys::JwkSet(_) => {
            return Err(format!(
                "{alg} is verified with the client secret, not a JWK Set"
            ));
        }
    };
    check_claims(claims, expected)
}

/// OIDC Core §3.1.3.7 steps 2-5, 9 and 11 on verified `claims`.
fn check_claims(
    claims: Map<String, Value>,
    expected: Expected<'_>,
) -> Result<Map<String, Value>, String> {
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

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::jwk::generate::generate;
    use crate::jwk::key::public_part;
    use crate::jwk::test_support::sign_with_header;
    use crate::jwk::{JsonWebKeySet, KeyUse};

    const SECRET: &str = "an-upstream-client-secret-of-32-bytes-or-more";

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_900_000_000, 0).unwrap()
    }

    fn expected(alg: Option<Algorithm>) -> Expected<'static> {
        Expected {
            issuer: "https://idp.example",
            client_id: "rp",
            nonce: "n-1",
            now: now(),
            alg,
        }
    }

    fn claims() -> Value {
        json!({
            "iss": "https://idp.example", "aud": "rp", "sub": "u-1", "nonce": "n-1",
            "exp": now().timestamp() + 60,
        })
    }

    /// `claims` MACed with the client secret under HS256 (an `oct` JWK of its octets).
    fn hs256(claims: &Value) -> String {
        let key = crate::jwk::JsonWebKey {
            kty: "oct".into(),
            k: Some(URL_SAFE_NO_PAD.encode(SECRET)),
            ..crate::jwk::JsonWebKey::default()
        };
        sign_with_header(&key, Algorithm::HS256, &Map::new(), claims)
    }

    /// An ES256 token of `claims` and the JWK Set document of its public key.
    fn es256(claims: &Value) -> (String, Value) {
        let key = generate(Algorithm::ES256, "k1", KeyUse::Sig, 0).unwrap();
        let header = json!({"kid": "k1"}).as_object().unwrap().clone();
        let token = sign_with_header(&key, Algorithm::ES256, &header, claims);
        let set = JsonWebKeySet {
            keys: vec![public_part(&key).unwrap()],
        };
        (token, serde_json::to_value(set).unwrap())
    }

    #[test]
    fn an_hs256_token_verifies_with_the_client_secret_when_configured() {
        let token = hs256(&claims());
        let verified = verify(
            &token,
            Keys::ClientSecret(SECRET),
            expected(Some(Algorithm::HS256)),
        )
        .unwrap();
        assert_eq!(verified["sub"], "u-1");
        let why = verify(
            &token,
            Keys::ClientSecret("another-client-secret-of-32-bytes-or-more"),
            expected(Some(Algorithm::HS256)),
        )
        .unwrap_err();
        assert!(
            why.contains("does not verify with the client secret"),
            "{why}"
        );
    }

    #[test]
    fn rfc8725_3_1_an_hs_token_is_refused_unless_configured_and_the_pin_holds() {
        let token = hs256(&claims());
        let (_, jwks) = es256(&claims());
        // Not configured: refused before any key is looked at, saying how to enable it.
        let why = verify(&token, Keys::JwkSet(&jwks), expected(None)).unwrap_err();
        assert!(
            why.contains("not configured for")
                && why.contains("id_token_signed_response_alg: HS256"),
            "{why}"
        );
        // Another HS* than the configured one.
        let why = verify(
            &token,
            Keys::ClientSecret(SECRET),
            expected(Some(Algorithm::HS512)),
        )
        .unwrap_err();
        assert!(why.contains("signed with HS256, but"), "{why}");
    }

    #[test]
    fn an_asymmetric_token_is_refused_when_hs_is_configured_and_verifies_otherwise() {
        let (token, jwks) = es256(&claims());
        let why = verify(
            &token,
            Keys::ClientSecret(SECRET),
            expected(Some(Algorithm::HS256)),
        )
        .unwrap_err();
        assert!(why.contains("signed with ES256, but"), "{why}");
        let verified = verify(&token, Keys::JwkSet(&jwks), expected(None)).unwrap();
        assert_eq!(verified["sub"], "u-1");
        let pinned = verify(
            &token,
            Keys::JwkSet(&jwks),
            expected(Some(Algorithm::ES256)),
        );
        assert!(pinned.is_ok(), "{pinned:?}");
        let why = verify(
            &token,
            Keys::JwkSet(&jwks),
            expected(Some(Algorithm::RS256)),
        )
        .unwrap_err();
        assert!(why.contains("signed with ES256, but"), "{why}");
    }

    #[test]
    fn a_jwk_set_oct_key_never_stands_in_for_the_client_secret() {
        // A set publishing an `oct` key whose bytes are the secret: still refused.
        let jwks = json!({"keys": [{
            "kty": "oct", "k": URL_SAFE_NO_PAD.encode(SECRET), "alg": "HS256"
        }]});
        let token = hs256(&claims());
        assert!(verify(&token, Keys::JwkSet(&jwks), expected(None)).is_err());
        let why = verify(
            &token,
            Keys::JwkSet(&jwks),
            expected(Some(Algorithm::HS256)),
        )
        .unwrap_err();
        assert!(why.contains("not a JWK Set"), "{why}");
    }

    #[test]
    fn oidc_core_3_1_3_7_the_claims_are_checked_after_the_mac() {
        let hs = Some(Algorithm::HS256);
        let cases = [
            ("iss", json!("https://evil.example"), "iss"),
            ("aud", json!("someone-else"), "aud"),
            ("azp", json!("someone-else"), "azp"),
            ("exp", json!(now().timestamp()), "expired"),
            ("nonce", json!("n-2"), "nonce"),
            ("sub", json!(""), "sub"),
        ];
        for (claim, value, said) in cases {
            let mut wrong = claims();
            wrong[claim] = value;
            let why = verify(&hs256(&wrong), Keys::ClientSecret(SECRET), expected(hs)).unwrap_err();
            assert!(why.contains(said), "{claim}: {why}");
        }
    }
}
