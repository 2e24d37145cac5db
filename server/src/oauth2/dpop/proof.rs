//! Checking one DPoP proof JWT (RFC 9449 §4.3), without storage: the caller records
//! the `jti` (replay, §11.1) and checks the nonce (§8), which need state.
//!
//! In the order of §4.3: one well-formed JWT (at most [`MAX_PROOF_LEN`] bytes) with
//! `typ: dpop+jwt`, an asymmetric `alg` the server accepts, a public `jwk` (no private
//! member) whose key verifies the signature; claims `jti`, `htm` (the request's
//! method), `htu` (the endpoint's published URL, without query and fragment, compared
//! after RFC 3986 §6.2.2 normalisation), `iat` within the window, and `ath` (the
//! base64url SHA-256 of the access token) when a token is presented with the proof.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{signature, thumbprint};
use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::Algorithm;
use crate::oauth2::jwt_claims::JwtReader;

/// RFC 9449 §4.2: the `typ` header of a proof.
pub const TYP: &str = "dpop+jwt";
/// The longest proof accepted: an RSA-4096 `jwk` and the claims fit with room to spare.
pub const MAX_PROOF_LEN: usize = 8192;
/// The longest `jti` accepted (RFC 9449 §4.2 does not bound it; a bound keeps what is
/// hashed and logged small).
pub const MAX_JTI_LEN: usize = 256;

/// What the request the proof came with must match.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The HTTP method (`htm`).
    pub method: &'a str,
    /// The endpoint's published URL (`htu`).
    pub url: &'a str,
    /// The access token presented with the proof, whose hash `ath` must be.
    pub access_token: Option<&'a str>,
    /// The `alg` values accepted (`oauth2.dpop.signing_algorithms`).
    pub algorithms: &'a [Algorithm],
    pub now: DateTime<Utc>,
    /// How old `iat` may be.
    pub max_age: Duration,
    /// How far ahead of `now` `iat` may be.
    pub skew: Duration,
}

/// A proof whose signature and claims are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 thumbprint of the proof's key: what tokens are bound to.
    pub jkt: String,
    /// The proof's JWS algorithm (the FAPI 2.0 profile narrows the accepted ones).
    pub alg: Algorithm,
    pub jti: String,
    pub iat: DateTime<Utc>,
    /// The `nonce` claim, if any (checked by the caller, §8).
    pub nonce: Option<String>,
}

/// Proofs are `invalid_dpop_proof` (RFC 9449 §5: at the token endpoint; a resource
/// server re-maps it to 401).
const READER: JwtReader = JwtReader {
    what: "The DPoP proof",
    kind: ErrorKind::InvalidDpopProof,
};

/// `invalid_dpop_proof` with `hint`.
pub fn invalid(hint: impl Into<String>) -> OAuth2Error {
    READER.invalid(hint)
}

fn string<'m>(map: &'m Map<String, Value>, name: &str, what: &str) -> Result<&'m str, OAuth2Error> {
    match map.get(name) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(invalid(format!(
            "The DPoP proof's {what} '{name}' must be a string."
        ))),
        None => Err(invalid(format!(
            "The DPoP proof has no '{name}' {what} (RFC 9449 Section 4.2)."
        ))),
    }
}

/// `htu` and the endpoint's URL, each without query and fragment, are the same URL
/// after normalisation (scheme and host case, default port).
fn same_uri(htu: &str, expected: &str) -> bool {
    // Clients copy the published URL as it is: then there is nothing to normalise
    // (`expected` is the published URL, a valid URL without query or fragment), and
    // the two parses are skipped on the token endpoint's hot path.
    if htu == expected {
        return true;
    }
    let strip = |text: &str| {
        url::Url::parse(text).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url
        })
    };
    match (strip(htu), strip(expected)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `ath` (§4.2): base64url SHA-256 of the ASCII access token.
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Checks `proof` against `expected`: every step of RFC 9449 §4.3 but the nonce and
/// the replay check.
pub fn verify(proof: &str, expected: &Expected<'_>) -> Result<Proof, OAuth2Error> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(invalid(format!(
            "The DPoP proof is longer than {MAX_PROOF_LEN} bytes."
        )));
    }
    let [header, _, _] = READER.segments(proof)?;
    let header = READER.json(header, "header")?;
    if string(&header, "typ", "header")? != TYP {
        return Err(invalid("The DPoP proof's 'typ' header must be 'dpop+jwt'."));
    }
    let alg_name = string(&header, "alg", "header")?;
    let alg = Algorithm::parse(alg_name)
        .filter(|alg| expected.algorithms.contains(alg))
        .ok_or_else(|| {
            invalid(format!(
                "The DPoP proof's 'alg' {} is not one of dpop_signing_alg_values_supported.",
                crate::error::quoted(alg_name)
            ))
        })?;
    // §4.3 steps 7–8: a public key of the algorithm's type that verifies the proof.
    let (key, claims) = signature::verify(&READER, proof, &header, alg)?;
    let jkt = thumbprint::jkt(&key)
        .ok_or_else(|| invalid("The DPoP proof's 'jwk' lacks a required public member."))?;
    let jti = string(&claims, "jti", "claim")?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(invalid(format!(
            "The DPoP proof's 'jti' must be 1 to {MAX_JTI_LEN} characters."
        )));
    }
    if string(&claims, "htm", "claim")? != expected.method {
        return Err(invalid(format!(
            "The DPoP proof's 'htm' does not match the request's method {}.",
            expected.method
        )));
    }
    if !same_uri(string(&claims, "htu", "claim")?, expected.url) {
        return Err(invalid(format!(
            "The DPoP proof's 'htu' does not match the endpoint's URL {}.",
            expected.url
        )));
    }
    let iat = check_iat(&claims, expected)?;
    check_ath(&claims, expected.access_token)?;
    let nonce = match claims.get("nonce") {
        None => None,
        Some(_) => Some(string(&claims, "nonce", "claim")?.to_owned()),
    };
    Ok(Proof {
        jkt,
        alg,
        jti: jti.to_owned(),
        iat,
        nonce,
    })
}

/// §4.3 step 11: `iat` no older than `max_age` and no further ahead than `skew`.
fn check_iat(
    claims: &Map<String, Value>,
    expected: &Expected<'_>,
) -> Result<DateTime<Utc>, OAuth2Error> {
    let iat = claims
        .get("iat")
        .ok_or_else(|| invalid("The DPoP proof has no 'iat' claim (RFC 9449 Section 4.2)."))?
        .as_i64()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| invalid("The DPoP proof's 'iat' must be an integer time."))?;
    let oldest = expected.now.checked_sub_signed(expected.max_age);
    let newest = expected.now.checked_add_signed(expected.skew);
    if oldest.is_none_or(|oldest| iat < oldest) {
        return Err(invalid(
            "The DPoP proof was issued too long ago ('iat'); make a new one for each request.",
        ));
    }
    if newest.is_none_or(|newest| iat > newest) {
        return Err(invalid(
            "The DPoP proof's 'iat' is in the future; check the client's clock.",
        ));
    }
    Ok(iat)
}

/// §4.3 step 12: with an access token, `ath` is required and must be its hash; without
/// one (the token endpoint), `ath` is ignored.
fn check_ath(claims: &Map<String, Value>, token: Option<&str>) -> Result<(), OAuth2Error> {
    let Some(token) = token else {
        return Ok(());
    };
    let ath = string(claims, "ath", "claim")?;
    let expected = access_token_hash(token);
    if bool::from(ath.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(invalid(
            "The DPoP proof's 'ath' is not the hash of the access token presented.",
        ))
    }
}
