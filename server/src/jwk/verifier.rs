//! Verifying compact JWS/JWT (RFC 7515 §5.2) against a JWK Set (RFC 7517 §5): for
//! `private_key_jwt` client assertions, for our own tokens, and for tests.
//!
//! Only the signature is checked here; the caller checks the claims (`exp`, `aud`, …)
//! with its clock. The algorithm comes from the header but must fit the key's type
//! (RFC 8725 §3.1: no algorithm confusion, no `none`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::{self, JwsVerifier};
use serde_json::{Map, Value};

use super::alg::{Algorithm, KeyUse};
use super::key::{public_part, to_josekit};
use super::{JsonWebKey, JsonWebKeySet, JwkError};

/// A verified token: its claims and the header members that chose the key.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJwt {
    pub claims: Map<String, Value>,
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub typ: Option<String>,
}

#[derive(Debug)]
struct VerifyingKey {
    kid: Option<String>,
    alg: Algorithm,
    verifier: Box<dyn JwsVerifier>,
}

/// Verifiers for every signing key of a JWK Set, parsed once.
#[derive(Debug, Default)]
pub struct Verifier {
    keys: Vec<VerifyingKey>,
}

/// The JOSE header of a compact token (RFC 7515 §7.1), decoded without verification.
fn header_of(token: &str) -> Result<Map<String, Value>, JwkError> {
    let bad = |why: &str| JwkError::Unverifiable(format!("malformed token: {why}"));
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("a compact JWS has three parts"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| bad("the header is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| bad("the header is not a JSON object"))
}

/// The `kid` header member of a compact token, if it has one.
pub fn header_kid(token: &str) -> Option<String> {
    header_of(token)
        .ok()?
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

impl Verifier {
    /// Verifiers for the keys of `set`. Keys for encryption (`use: enc`), of unknown
    /// type or algorithm, or that do not parse are skipped (RFC 7517 §5: "SHOULD
    /// ignore JWKs … that use "kty" values that are not understood"). A key without
    /// `alg` verifies every algorithm its type fits. Private members are ignored
    /// except `k` of `oct` keys, which is the HMAC key itself.
    pub fn from_jwk_set(set: &JsonWebKeySet) -> Self {
        let mut keys = Vec::new();
        for key in &set.keys {
            if key.use_.as_deref().and_then(KeyUse::parse) == Some(KeyUse::Enc) {
                continue;
            }
            let Some(mut material) = (if key.kty == "oct" {
                Some(key.clone())
            } else {
                public_part(key)
            }) else {
                continue;
            };
            // We match kids ourselves; josekit would reject tokens without a kid.
            material.kid = None;
            material.use_ = None;
            let algs: Vec<Algorithm> = match key.alg.as_deref() {
                Some(name) => Algorithm::parse(name).into_iter().collect(),
                None => Algorithm::ALL.to_vec(),
            };
            let Ok(jwk) = to_josekit(&material) else {
                continue;
            };
            for alg in algs {
                if !alg.fits(&key.kty, key.crv.as_deref()) {
                    continue;
                }
                if let Ok(verifier) = alg.verifier(&jwk) {
                    keys.push(VerifyingKey {
                        kid: key.kid.clone(),
                        alg,
                        verifier,
                    });
                }
            }
        }
        Self { keys }
    }

    /// Parses a JWK Set document (RFC 7517 §5) and builds its verifiers.
    pub fn from_json(json: &str) -> Result<Self, JwkError> {
        let set: JsonWebKeySet = serde_json::from_str(json)
            .map_err(|e| JwkError::invalid("jwks", format!("not a JWK Set: {e}")))?;
        Ok(Self::from_jwk_set(&set))
    }

    /// Verifiers for single keys, e.g. the public parts of our own sets.
    pub fn from_keys(keys: Vec<JsonWebKey>) -> Self {
        Self::from_jwk_set(&JsonWebKeySet { keys })
    }

    /// Whether some key has this kid.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Verifies the signature of a compact JWT and returns its claims. The key is the
    /// one whose kid equals the header's `kid` (or any kid-less key), and whose
    /// algorithm equals the header's `alg`.
    pub fn verify(&self, token: &str) -> Result<VerifiedJwt, JwkError> {
        let header = header_of(token)?;
        let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
        let alg = Algorithm::parse(alg_name).ok_or_else(|| {
            JwkError::Unverifiable(format!("the algorithm {alg_name:?} is not accepted"))
        })?;
        let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
        let typ = header.get("typ").and_then(Value::as_str).map(str::to_owned);
        let candidates = self
            .keys
            .iter()
            .filter(|k| k.alg == alg && (kid.is_none() || k.kid.is_none() || k.kid == kid));
        let mut tried = false;
        for key in candidates {
            tried = true;
            if let Ok((payload, _)) = jws::deserialize_compact(token, key.verifier.as_ref()) {
                let claims: Map<String, Value> =
                    serde_json::from_slice(&payload).map_err(|_| {
                        JwkError::Unverifiable("the payload is not a JSON object".to_owned())
                    })?;
                return Ok(VerifiedJwt {
                    claims,
                    alg,
                    kid,
                    typ,
                });
            }
        }
        Err(JwkError::Unverifiable(if tried {
            "the signature does not verify".to_owned()
        } else {
            format!(
                "no {alg} key with kid {:?} in the key set",
                kid.as_deref().unwrap_or("")
            )
        }))
    }
}
