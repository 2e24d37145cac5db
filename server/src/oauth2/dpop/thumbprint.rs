//! JWK SHA-256 thumbprints (RFC 7638), the `jkt` a DPoP-bound token is bound to (RFC
//! 9449 §6.1): SHA-256 over the key's required public members, in lexicographic order,
//! as JSON without white space, base64url without padding.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::jwk::JsonWebKey;

/// The length of a base64url SHA-256 thumbprint.
pub const JKT_LEN: usize = 43;

/// RFC 7638 §3.2: the required members of the key's type (RFC 7518 §6.2.1, §6.3.1;
/// RFC 8037 §2), in lexicographic order. `None` for a key type DPoP does not use or a
/// key missing one of them.
fn canonical(key: &JsonWebKey) -> Option<String> {
    let text = |value: &Option<String>| value.as_deref().map(serde_json::Value::from);
    let json = |members: &[(&str, serde_json::Value)]| {
        let body: Vec<String> = members
            .iter()
            .map(|(name, value)| format!("\"{name}\":{value}"))
            .collect();
        format!("{{{}}}", body.join(","))
    };
    let kty = serde_json::Value::from(key.kty.as_str());
    match key.kty.as_str() {
        "EC" => Some(json(&[
            ("crv", text(&key.crv)?),
            ("kty", kty),
            ("x", text(&key.x)?),
            ("y", text(&key.y)?),
        ])),
        "RSA" => Some(json(&[
            ("e", text(&key.e)?),
            ("kty", kty),
            ("n", text(&key.n)?),
        ])),
        "OKP" => Some(json(&[
            ("crv", text(&key.crv)?),
            ("kty", kty),
            ("x", text(&key.x)?),
        ])),
        _ => None,
    }
}

/// The RFC 7638 SHA-256 thumbprint of `key`, base64url.
pub fn jkt(key: &JsonWebKey) -> Option<String> {
    canonical(key).map(|json| URL_SAFE_NO_PAD.encode(Sha256::digest(json.as_bytes())))
}

/// Whether `value` can be a thumbprint (`dpop_jkt`, RFC 9449 §10): 43 base64url
/// characters.
pub fn is_well_formed(value: &str) -> bool {
    value.len() == JKT_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1's example key and thumbprint.
    #[test]
    fn rfc7638_3_1_example() {
        let key = JsonWebKey {
            kty: "RSA".into(),
            n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into()),
            e: Some("AQAB".into()),
            alg: Some("RS256".into()),
            kid: Some("2011-04-29".into()),
            ..JsonWebKey::default()
        };
        assert_eq!(
            jkt(&key).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn rfc7638_3_2_only_required_members_count() {
        let key = JsonWebKey {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: Some("x".into()),
            y: Some("y".into()),
            ..JsonWebKey::default()
        };
        let with_extras = JsonWebKey {
            kid: Some("k".into()),
            alg: Some("ES256".into()),
            use_: Some("sig".into()),
            ..key.clone()
        };
        assert_eq!(jkt(&key), jkt(&with_extras));
        assert_eq!(
            canonical(&key).unwrap(),
            r#"{"crv":"P-256","kty":"EC","x":"x","y":"y"}"#
        );
        assert_eq!(jkt(&JsonWebKey { y: None, ..key }), None);
        let oct = JsonWebKey {
            kty: "oct".into(),
            k: Some("c2VjcmV0".into()),
            ..JsonWebKey::default()
        };
        assert_eq!(jkt(&oct), None);
    }

    #[test]
    fn rfc9449_10_dpop_jkt_shape() {
        assert!(is_well_formed(
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        ));
        assert!(!is_well_formed(
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9X"
        ));
        assert!(!is_well_formed(
            "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs"
        ));
    }
}
