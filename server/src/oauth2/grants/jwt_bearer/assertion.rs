//! The JWT of a JWT bearer grant (RFC 7523 §2.1, §3): its header and claims read
//! *without* verification (only to find the trusted key), then the §3 claim rules on the
//! verified claims. Every failure is `invalid_grant` (RFC 7521 §4.1.1), except the
//! missing `assertion` parameter (`invalid_request`).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::Algorithm;
use crate::oauth2::jwt_claims::{JwtReader, audience, string};
use crate::oauth2::limits::MAX_ASSERTION_LEN;
use crate::oauth2::private_key_jwt::CLOCK_SKEW;

/// Longest `iss`, `sub` and `kid`: what a trust relationship can hold.
const MAX_ID_LEN: usize = 255;

/// RFC 7521 §4.1.1: "The value of the "error" parameter MUST be the "invalid_grant"
/// error code" for an invalid assertion.
const READER: JwtReader = JwtReader {
    what: "The assertion",
    kind: ErrorKind::InvalidGrant,
};

/// `400 invalid_grant` with `hint`.
pub fn invalid(hint: impl Into<String>) -> OAuth2Error {
    READER.invalid(hint)
}

/// A compact JWS as presented, decoded but not verified.
#[derive(Debug, Clone)]
pub struct Unverified {
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub issuer: String,
    pub subject: String,
}

/// A non-empty string claim of at most [`MAX_ID_LEN`] characters.
fn identifier(claims: &Map<String, Value>, name: &str) -> Result<String, OAuth2Error> {
    match string(claims, name) {
        Some(value) if !value.is_empty() && value.chars().count() <= MAX_ID_LEN => {
            Ok(value.to_owned())
        }
        _ => Err(invalid(format!(
            "The assertion must contain the claim '{name}', a string of 1 to {MAX_ID_LEN} characters (RFC 7523 §3)."
        ))),
    }
}

impl Unverified {
    /// Splits and decodes a compact JWS (RFC 7515 §7.1). Refuses `none` and symmetric
    /// algorithms (RFC 8725 §3.1: a trusted issuer signs with its private key, whose
    /// public key we hold) and assertions without `iss` or `sub` (RFC 7523 §3 items 1–2).
    pub fn parse(token: &str) -> Result<Self, OAuth2Error> {
        if token.len() > MAX_ASSERTION_LEN {
            return Err(invalid(format!(
                "The assertion is longer than {MAX_ASSERTION_LEN} bytes."
            )));
        }
        let (header, claims) = READER.header_and_claims(token)?;
        let alg_name = string(&header, "alg").unwrap_or_default();
        let alg = Algorithm::parse(alg_name)
            .filter(|alg| !alg.is_symmetric())
            .ok_or_else(|| {
                invalid(format!(
                    "The assertion's algorithm '{alg_name}' is not accepted; use an asymmetric JWS algorithm such as RS256 or ES256."
                ))
            })?;
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) if !kid.is_empty() && kid.chars().count() <= MAX_ID_LEN => {
                Some(kid.clone())
            }
            Some(_) => {
                return Err(invalid(format!(
                    "The assertion's header 'kid' must be a string of 1 to {MAX_ID_LEN} characters."
                )));
            }
        };
        Ok(Self {
            alg,
            kid,
            issuer: identifier(&claims, "iss")?,
            subject: identifier(&claims, "sub")?,
        })
    }
}

/// What the server expects of the claims: who it is, and Hydra's `oauth2.grant.jwt.*`.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    /// Values `aud` may contain: the token endpoint URL, then the issuer.
    pub audiences: &'a [String],
    pub max_ttl: Duration,
    pub iat_optional: bool,
    pub jti_optional: bool,
}

/// What the checked claims yield.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `None` only with `jti_optional`.
    pub jti: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Every `aud` value.
    pub audience: Vec<String>,
}

/// RFC 7523 §3 on verified claims: `aud` names the token endpoint or the issuer (item
/// 3), `exp` present and in the future (item 4) and at most `max_ttl` after `iat` (or
/// now), `nbf` not in the future beyond [`CLOCK_SKEW`] (item 5), `iat` (item 6) and
/// `jti` (item 7) present unless configured optional, `iat` not in the future.
pub fn check(
    claims: &Map<String, Value>,
    rules: &Rules<'_>,
    now: DateTime<Utc>,
) -> Result<Checked, OAuth2Error> {
    let audience: Vec<String> = audience(claims).into_iter().map(str::to_owned).collect();
    if !audience.iter().any(|a| rules.audiences.contains(a)) {
        return Err(invalid(format!(
            "The assertion's claim 'aud' must contain the token endpoint URL {} or the issuer {} (RFC 7523 §3).",
            rules
                .audiences
                .first()
                .map(String::as_str)
                .unwrap_or_default(),
            rules
                .audiences
                .get(1)
                .map(String::as_str)
                .unwrap_or_default()
        )));
    }
    let expires_at = READER.numeric_date(claims, "exp")?.ok_or_else(|| {
        invalid("The assertion has no 'exp' claim (RFC 7523 §3: it is required).")
    })?;
    if expires_at <= now {
        return Err(invalid(format!(
            "The assertion expired at {expires_at} (RFC 7523 §3)."
        )));
    }
    let skewed = now.checked_add_signed(CLOCK_SKEW).unwrap_or(now);
    if let Some(nbf) = READER.numeric_date(claims, "nbf")?
        && nbf > skewed
    {
        return Err(invalid(format!(
            "The assertion may not be used before {nbf} (its 'nbf' claim)."
        )));
    }
    let issued_at = READER.numeric_date(claims, "iat")?;
    match issued_at {
        None if !rules.iat_optional => {
            return Err(invalid(
                "The assertion has no 'iat' claim; it is required (oauth2.grant.jwt.iat_optional is off).",
            ));
        }
        Some(iat) if iat > skewed => {
            return Err(invalid(format!(
                "The assertion's claim 'iat' ({iat}) lies in the future."
            )));
        }
        _ => {}
    }
    let from = issued_at.unwrap_or(now);
    if expires_at.signed_duration_since(from) > rules.max_ttl {
        return Err(invalid(format!(
            "The assertion's 'exp' ({expires_at}) lies too far after its issuance ({from}); it may be valid for at most oauth2.grant.jwt.max_ttl."
        )));
    }
    let jti = match string(claims, "jti").filter(|jti| !jti.is_empty()) {
        Some(jti) => Some(jti.to_owned()),
        None if rules.jti_optional => None,
        None => {
            return Err(invalid(
                "The assertion has no 'jti' claim; it is required (oauth2.grant.jwt.jti_optional is off).",
            ));
        }
    };
    Ok(Checked {
        jti,
        expires_at,
        audience,
    })
}
