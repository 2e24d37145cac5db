//! Verifying an upstream ID token MACed with the client secret: HS256, HS384, HS512
//! (RFC 7518 §3.2), for a provider configured with `id_token_signed_response_alg` one
//! of them. OIDC Core §10.1: "the symmetric signing key used is computed from the
//! octets of the UTF-8 representation of the client_secret value".
//!
//! The MAC is computed and compared in constant time by `crate::jwk::mac_matches`
//! (which also refuses a key shorter than the hash output, RFC 7518 §3.2); this module
//! pins the algorithm and reads the parts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::jwk::{Algorithm, mac_matches};

/// A base64url JSON object of a compact JWS (its header or its payload, RFC 7515 §7.1).
pub(super) fn json_part(part: &str, what: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| format!("the ID token's {what} is not base64url"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| format!("the ID token's {what} is not a JSON object"))
}

/// The claims of `token` once its MAC verifies with `secret` as the `alg` key; else why
/// not.
pub fn verify(token: &str, alg: Algorithm, secret: &str) -> Result<Map<String, Value>, String> {
    if !alg.is_symmetric() {
        return Err(format!("{alg} is not a MAC algorithm"));
    }
    let short =
        || format!("the client secret is shorter than the key {alg} needs (RFC 7518 section 3.2)");
    let needed = crate::config::ID_TOKEN_ALGORITHMS
        .iter()
        .find(|(name, _)| *name == alg.name())
        .map_or(usize::MAX, |(_, needed)| *needed);
    if secret.len() < needed {
        return Err(short());
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the ID token is not a compact JWS (three parts)".into());
    };
    let header_members = json_part(header, "header")?;
    // RFC 8725 §3.1: the algorithm is the configured one, whatever else the header says.
    let named = header_members.get("alg").and_then(Value::as_str);
    if named != Some(alg.name()) {
        return Err(format!(
            "the ID token is signed with {}, not the configured {alg}",
            named.unwrap_or("no alg")
        ));
    }
    // RFC 7515 §4.1.11: extensions this verifier does not understand make it invalid.
    if header_members.contains_key("crit") {
        return Err(
            "the ID token's header names crit extensions, none of which is understood".into(),
        );
    }
    // RFC 7515 §5.2 step 8: the MAC covers `header.payload` exactly as received.
    let signing_input = token
        .get(..header.len() + 1 + payload.len())
        .ok_or("the ID token is not a compact JWS")?;
    let given = URL_SAFE_NO_PAD
        .decode(mac)
        .map_err(|_| "the ID token's MAC is not base64url".to_owned())?;
    let matches = mac_matches(alg, secret.as_bytes(), signing_input.as_bytes(), &given)
        .map_err(|_| short())?;
    if !matches {
        return Err(format!(
            "the ID token's {alg} MAC does not verify with the client secret"
        ));
    }
    json_part(payload, "payload")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "a-client-secret-of-at-least-64-bytes-for-hs512-0123456789abcdef-x";

    /// A compact JWS of `claims` MACed with `key` under `alg` and `header`, by aws-lc's
    /// HMAC (not the code under test).
    fn mac_token(alg: Algorithm, key: &str, header: Value, claims: Value) -> String {
        use aws_lc_rs::hmac;
        let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!("{}.{}", encode(&header), encode(&claims));
        let hash = match alg {
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        };
        let mac = hmac::sign(&hmac::Key::new(hash, key.as_bytes()), input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref()))
    }

    #[test]
    fn oidc_core_10_1_the_client_secret_octets_are_the_key() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let token = mac_token(
                alg,
                SECRET,
                json!({"alg": alg.name()}),
                json!({"sub": "u1"}),
            );
            let claims = verify(&token, alg, SECRET).unwrap();
            assert_eq!(claims["sub"], "u1");
            let wrong = verify(&token, alg, &SECRET.replace('a', "b")).unwrap_err();
            assert!(wrong.contains("does not verify"), "{wrong}");
        }
    }

    #[test]
    fn another_alg_a_short_secret_crit_or_a_changed_payload_is_refused() {
        let token = mac_token(
            Algorithm::HS256,
            SECRET,
            json!({"alg": "HS256"}),
            json!({"sub": "u1"}),
        );
        let why = verify(&token, Algorithm::HS384, SECRET).unwrap_err();
        assert!(
            why.contains("signed with HS256, not the configured HS384"),
            "{why}"
        );
        let why = verify(&token, Algorithm::RS256, SECRET).unwrap_err();
        assert!(why.contains("not a MAC algorithm"), "{why}");
        let why = verify(&token, Algorithm::HS512, &SECRET[..63]).unwrap_err();
        assert!(why.contains("shorter than the key HS512 needs"), "{why}");

        let crit = mac_token(
            Algorithm::HS256,
            SECRET,
            json!({"alg": "HS256", "crit": ["exp"], "exp": 1}),
            json!({"sub": "u1"}),
        );
        assert!(
            verify(&crit, Algorithm::HS256, SECRET)
                .unwrap_err()
                .contains("crit")
        );

        let parts: Vec<&str> = token.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(json!({"sub": "u2"}).to_string());
        let altered = format!("{}.{other}.{}", parts[0], parts[2]);
        assert!(
            verify(&altered, Algorithm::HS256, SECRET)
                .unwrap_err()
                .contains("does not verify")
        );
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            parts[1]
        );
        assert!(
            verify(&none, Algorithm::HS256, SECRET)
                .unwrap_err()
                .contains("signed with none")
        );
        assert!(
            verify("a.b", Algorithm::HS256, SECRET)
                .unwrap_err()
                .contains("three parts")
        );
    }
}
