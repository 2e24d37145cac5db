//! The client assertion's JOSE header and claims (RFC 7523 §3, OIDC Core §9).
//!
//! [`Assertion::parse`] reads header and claims *without* verifying anything: only to
//! learn which client the assertion claims to be and which key signed it. Every claim
//! is checked again, after the signature verified, by [`check`].

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::Algorithm;
use crate::oauth2::jwt_claims::{JwtReader, audience, string};

/// Allowed clock difference for `iat` and `nbf` in the future.
pub const CLOCK_SKEW: Duration = Duration::seconds(60);

/// Client assertions are `401 invalid_client` (RFC 7521 §4.2.1: an invalid assertion).
const READER: JwtReader = JwtReader {
    what: "The client assertion",
    kind: ErrorKind::InvalidClient,
};

/// `401 invalid_client` with `hint`.
pub fn invalid(hint: impl Into<String>) -> OAuth2Error {
    READER.invalid(hint)
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

impl Assertion {
    /// Splits and decodes a compact JWS (RFC 7515 §7.1) of `private_key_jwt`. Refuses
    /// `none` and symmetric algorithms (OIDC Core §9: `private_key_jwt` signs with the
    /// client's private key), and claims whose `iss` and `sub` differ (RFC 7523 §3
    /// items 1–2: both are the client_id).
    pub fn parse(token: &str) -> Result<Self, OAuth2Error> {
        Self::parse_with(token, false)
    }

    /// [`Assertion::parse`] for `client_secret_jwt` (OIDC Core §9): HMAC algorithms only.
    pub fn parse_hmac(token: &str) -> Result<Self, OAuth2Error> {
        Self::parse_with(token, true)
    }

    fn parse_with(token: &str, symmetric: bool) -> Result<Self, OAuth2Error> {
        let (header, claims) = READER.header_and_claims(token)?;
        let alg_name = string(&header, "alg").unwrap_or_default();
        let alg = Algorithm::parse(alg_name)
            .filter(|alg| alg.is_symmetric() == symmetric)
            .ok_or_else(|| {
                invalid(if symmetric {
                    format!(
                        "The client assertion's algorithm {alg_name:?} is not accepted; client_secret_jwt needs HS256, HS384 or HS512."
                    )
                } else {
                    format!(
                        "The client assertion's algorithm {alg_name:?} is not accepted; private_key_jwt needs an asymmetric JWS algorithm such as RS256 or ES256."
                    )
                })
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
    let aud = audience(claims);
    if !aud.iter().any(|a| audiences.iter().any(|ours| ours == a)) {
        return Err(invalid(format!(
            "The client assertion's claim 'aud' must contain the token endpoint URL {:?} or the issuer {:?} (RFC 7523 §3).",
            audiences.first().map(String::as_str).unwrap_or_default(),
            audiences.get(1).map(String::as_str).unwrap_or_default()
        )));
    }
    let expires_at = READER.numeric_date(claims, "exp")?.ok_or_else(|| {
        invalid("The client assertion has no 'exp' claim (RFC 7523 §3: it is required).")
    })?;
    if expires_at <= now {
        return Err(invalid(format!(
            "The client assertion expired at {expires_at} (RFC 7523 §3)."
        )));
    }
    READER.not_in_future(claims, now, CLOCK_SKEW)?;
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
