//! Reading the JWTs clients send — client assertions (RFC 7523 §3), JWT bearer grant
//! assertions (RFC 7523 §2.1), request objects (RFC 9101) and DPoP proofs (RFC 9449) —
//! before and after their signature is verified: the compact JWS split (RFC 7515 §7.1),
//! its header and claims as JSON objects, NumericDate claims (RFC 7519 §2), `aud` as one
//! string or an array (RFC 7519 §4.1.3), and the "not in the future" window of `nbf`
//! and `iat`.
//!
//! Each RFC prescribes its own error code for a bad JWT (`invalid_client`,
//! `invalid_grant`, `invalid_request_object`, `invalid_dpop_proof`), so a [`JwtReader`]
//! carries the code and the name the messages use ("The client assertion").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::key::is_private;
use crate::jwk::{Algorithm, JsonWebKey, Verifier};

/// A JSON object: a JWS header or a JWT claims set.
pub type Claims = Map<String, Value>;

/// Reads one kind of JWT, reporting failures with `kind` and naming the JWT `what`.
#[derive(Debug, Clone, Copy)]
pub struct JwtReader {
    /// How messages name the JWT, capitalised: "The client assertion".
    pub what: &'static str,
    pub kind: ErrorKind,
}

/// The string claim `name`, if it is a string.
pub fn string<'a>(claims: &'a Claims, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// Every string of `aud` (RFC 7519 §4.1.3: one string or an array of strings).
pub fn audience(claims: &Claims) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl JwtReader {
    /// `self.kind` with `hint`.
    pub fn invalid(&self, hint: impl Into<String>) -> OAuth2Error {
        OAuth2Error::new(self.kind).with_hint(hint)
    }

    /// The three segments of a compact JWS (RFC 7515 §7.1).
    pub fn segments<'t>(&self, token: &'t str) -> Result<[&'t str; 3], OAuth2Error> {
        let mut parts = token.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(header), Some(payload), Some(signature), None) => {
                Ok([header, payload, signature])
            }
            _ => Err(self.invalid(format!(
                "{} is not a compact JWS (three dot-separated parts).",
                self.what
            ))),
        }
    }

    /// A base64url segment holding a JSON object; `part` names it ("header").
    pub fn json(&self, segment: &str, part: &str) -> Result<Claims, OAuth2Error> {
        let what = self.what;
        let bytes = URL_SAFE_NO_PAD
            .decode(segment)
            .map_err(|_| self.invalid(format!("{what}'s {part} is not base64url.")))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| self.invalid(format!("{what}'s {part} is not a JSON object.")))
    }

    /// Header and claims of a compact JWS, decoded but not verified.
    pub fn header_and_claims(&self, token: &str) -> Result<(Claims, Claims), OAuth2Error> {
        let [header, payload, _] = self.segments(token)?;
        Ok((self.json(header, "header")?, self.json(payload, "payload")?))
    }

    /// The NumericDate claim `name` (RFC 7519 §2: seconds, possibly fractional), if
    /// present; anything else, or a date out of range, is an error.
    pub fn numeric_date(
        &self,
        claims: &Claims,
        name: &str,
    ) -> Result<Option<DateTime<Utc>>, OAuth2Error> {
        let Some(value) = claims.get(name) else {
            return Ok(None);
        };
        value
            .as_i64()
            .or_else(|| {
                value
                    .as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e15)
                    .map(|f| f as i64)
            })
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(Some)
            .ok_or_else(|| {
                self.invalid(format!(
                    "{}'s claim '{name}' must be a NumericDate (RFC 7519 Section 2).",
                    self.what
                ))
            })
    }

    /// `nbf` and `iat`, where present, lie no further than `skew` after `now`.
    pub fn not_in_future(
        &self,
        claims: &Claims,
        now: DateTime<Utc>,
        skew: Duration,
    ) -> Result<(), OAuth2Error> {
        let latest = now.checked_add_signed(skew).unwrap_or(now);
        for name in ["nbf", "iat"] {
            if let Some(at) = self.numeric_date(claims, name)?
                && at > latest
            {
                return Err(self.invalid(format!(
                    "{}'s claim '{name}' ({at}) lies in the future.",
                    self.what
                )));
            }
        }
        Ok(())
    }
}

impl JwtReader {
    /// The proof-of-possession pattern (RFC 9449 §4.3 steps 7–8, OpenID Connect
    /// UserInfo VC proofs): the JWS names its own key in the `jwk` header, which must
    /// be a public key of `alg`'s type and verify the signature. Returns the key (its
    /// `kid` dropped: the header chooses nothing) and the verified claims.
    pub fn verify_with_embedded_key(
        &self,
        token: &str,
        header: &Claims,
        alg: Algorithm,
    ) -> Result<(JsonWebKey, Claims), OAuth2Error> {
        let what = self.what;
        let value = header
            .get("jwk")
            .ok_or_else(|| self.invalid(format!("{what} has no 'jwk' header.")))?;
        let mut key: JsonWebKey = serde_json::from_value(value.clone())
            .map_err(|_| self.invalid(format!("{what}'s 'jwk' header is not a JSON Web Key.")))?;
        if is_private(&key) {
            return Err(self.invalid(format!(
                "{what}'s 'jwk' header contains a private key; it must be the public key only."
            )));
        }
        if !alg.fits(&key.kty, key.crv.as_deref()) {
            return Err(self.invalid(format!("{what}'s 'jwk' is not a key for {alg}.")));
        }
        key.kid = None;
        let verified = Verifier::from_keys(vec![key.clone()])
            .verify(token)
            .map_err(|_| {
                self.invalid(format!(
                    "{what}'s signature does not verify with its 'jwk'."
                ))
            })?;
        Ok((key, verified.claims))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const READER: JwtReader = JwtReader {
        what: "The test JWT",
        kind: ErrorKind::InvalidGrant,
    };

    fn claims(value: Value) -> Claims {
        match value {
            Value::Object(map) => map,
            _ => Claims::new(),
        }
    }

    #[test]
    fn segments_need_exactly_three_parts() {
        assert!(READER.segments("a.b.c").is_ok());
        for bad in ["a.b", "a.b.c.d", "abc", "a.b.c.d.e"] {
            let err = READER
                .segments(bad)
                .err()
                .map(|e| e.hint.unwrap_or_default());
            assert!(
                err.is_some_and(|hint| hint.contains("compact JWS")),
                "{bad}"
            );
        }
    }

    #[test]
    fn json_parts_must_be_base64url_objects() {
        let object = URL_SAFE_NO_PAD.encode(br#"{"a":1}"#);
        let array = URL_SAFE_NO_PAD.encode(b"[1]");
        assert_eq!(
            READER.json(&object, "header").ok().map(|m| m.len()),
            Some(1)
        );
        assert!(READER.json(&array, "header").is_err());
        assert!(READER.json("not base64!", "header").is_err());
    }

    #[test]
    fn numeric_dates_accept_integers_and_fractions_only() {
        let c = claims(json!({"i": 5, "f": 5.9, "s": "5", "huge": 1e300, "neg": -1}));
        let at = |secs| DateTime::from_timestamp(secs, 0);
        assert_eq!(READER.numeric_date(&c, "i").ok().flatten(), at(5));
        assert_eq!(READER.numeric_date(&c, "f").ok().flatten(), at(5));
        assert_eq!(READER.numeric_date(&c, "neg").ok().flatten(), at(-1));
        assert_eq!(READER.numeric_date(&c, "absent").ok(), Some(None));
        assert!(READER.numeric_date(&c, "s").is_err());
        assert!(READER.numeric_date(&c, "huge").is_err());
    }

    #[test]
    fn audience_is_a_string_or_an_array_of_strings() {
        assert_eq!(audience(&claims(json!({"aud": "x"}))), vec!["x"]);
        assert_eq!(
            audience(&claims(json!({"aud": ["x", 1, "y"]}))),
            vec!["x", "y"]
        );
        assert!(audience(&claims(json!({"aud": 1}))).is_empty());
    }

    #[test]
    fn nbf_and_iat_may_not_lie_beyond_the_skew() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let skew = Duration::seconds(60);
        for name in ["nbf", "iat"] {
            let within = claims(json!({ name: 1_060 }));
            let beyond = claims(json!({ name: 1_061 }));
            assert!(READER.not_in_future(&within, now, skew).is_ok(), "{name}");
            assert!(READER.not_in_future(&beyond, now, skew).is_err(), "{name}");
        }
    }
}
