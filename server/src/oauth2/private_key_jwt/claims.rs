//! The client assertion's JOSE header and claims (RFC 7523 §3, OIDC Core §9).
//!
//! [`Assertion::parse`] reads header and claims *without* verifying anything: only to
//! learn which client the assertion claims to be and which key signed it. Every claim
//! is checked again, after the signature verified, by [`check`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::Algorithm;

/// Allowed clock difference for `iat` and `nbf` in the future.
pub const CLOCK_SKEW: Duration = Duration::seconds(60);

/// `401 invalid_client` with `hint` (RFC 7521 §4.2.1: an invalid assertion).
pub fn invalid(hint: impl Into<String>) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidClient).with_hint(hint)
}

/// A compact JWS as presented, decoded but not verified.
#[derive(Debug, Clone)]
pub struct Assertion {
    pub token: String,
    pub alg: Algorithm,
    pub kid: Option<String>,
    /// `sub`, equal to `iss`: the client the assertion claims to authenticate.
    pub client_id: String,
}

fn part(segment: &str, what: &str) -> Result<Map<String, Value>, OAuth2Error> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| {
        invalid(format!(
            "The client assertion is not a JWT: its {what} is not base64url."
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|_| {
        invalid(format!(
            "The client assertion is not a JWT: its {what} is not a JSON object."
        ))
    })
}

fn string<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

impl Assertion {
    /// Splits and decodes a compact JWS (RFC 7515 §7.1). Refuses `none` and symmetric
    /// algorithms (OIDC Core §9: `private_key_jwt` signs with the client's private key;
    /// `client_secret_jwt` is not offered), and claims whose `iss` and `sub` differ
    /// (RFC 7523 §3 items 1–2: both are the client_id).
    pub fn parse(token: &str) -> Result<Self, OAuth2Error> {
        let segments: Vec<&str> = token.split('.').collect();
        let [header, payload, _signature] = segments.as_slice() else {
            return Err(invalid(
                "The client assertion is not a compact JWS (three dot-separated parts).",
            ));
        };
        let header = part(header, "header")?;
        let claims = part(payload, "payload")?;
        let alg_name = string(&header, "alg").unwrap_or_default();
        let alg = Algorithm::parse(alg_name)
            .filter(|alg| !alg.is_symmetric())
            .ok_or_else(|| {
                invalid(format!(
                    "The client assertion's algorithm {alg_name:?} is not accepted; private_key_jwt needs an asymmetric JWS algorithm such as RS256 or ES256."
                ))
            })?;
        let (iss, sub) = (string(&claims, "iss"), string(&claims, "sub"));
        let client_id = match (iss, sub) {
            (Some(iss), Some(sub)) if iss == sub && !sub.is_empty() => sub.to_owned(),
            _ => {
                return Err(invalid(
                    "The client assertion's claims 'iss' and 'sub' must both be present and equal the client_id (RFC 7523 §3).",
                ));
            }
        };
        Ok(Self {
            token: token.to_owned(),
            alg,
            kid: string(&header, "kid").map(str::to_owned),
            client_id,
        })
    }
}

/// What the checked claims yield: the replay key and how long to remember it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub jti: String,
    pub expires_at: DateTime<Utc>,
}

fn timestamp(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, OAuth2Error> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_f64().map(|f| f as i64))
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(Some)
            .ok_or_else(|| {
                invalid(format!(
                    "The client assertion's claim '{name}' must be a NumericDate (RFC 7519 §2)."
                ))
            }),
    }
}

/// RFC 7523 §3 on verified claims: `iss` = `sub` = `client_id` (items 1–2), `aud`
/// names one of `audiences` (item 3), `exp` present and in the future (item 4), `nbf`
/// and `iat` not in the future beyond [`CLOCK_SKEW`] (items 5–6), `jti` present
/// (OIDC Core §9: REQUIRED).
pub fn check(
    claims: &Map<String, Value>,
    client_id: &str,
    audiences: &[String],
    now: DateTime<Utc>,
) -> Result<Checked, OAuth2Error> {
    if string(claims, "iss") != Some(client_id) || string(claims, "sub") != Some(client_id) {
        return Err(invalid(
            "The client assertion's claims 'iss' and 'sub' must both equal the client_id (RFC 7523 §3).",
        ));
    }
    let aud: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !aud.iter().any(|a| audiences.iter().any(|ours| ours == a)) {
        return Err(invalid(format!(
            "The client assertion's claim 'aud' must contain the token endpoint URL {:?} or the issuer {:?} (RFC 7523 §3).",
            audiences.first().map(String::as_str).unwrap_or_default(),
            audiences.get(1).map(String::as_str).unwrap_or_default()
        )));
    }
    let expires_at = timestamp(claims, "exp")?.ok_or_else(|| {
        invalid("The client assertion has no 'exp' claim (RFC 7523 §3: it is required).")
    })?;
    if expires_at <= now {
        return Err(invalid(format!(
            "The client assertion expired at {expires_at} (RFC 7523 §3)."
        )));
    }
    for name in ["nbf", "iat"] {
        if let Some(at) = timestamp(claims, name)?
            && at > now + CLOCK_SKEW
        {
            return Err(invalid(format!(
                "The client assertion's claim '{name}' ({at}) lies in the future."
            )));
        }
    }
    let jti = string(claims, "jti")
        .filter(|jti| !jti.is_empty())
        .ok_or_else(|| {
            invalid("The client assertion has no 'jti' claim (OIDC Core §9: it is required).")
        })?;
    Ok(Checked {
        jti: jti.to_owned(),
        expires_at,
    })
}
