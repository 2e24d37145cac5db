//! One JWK: the public part (what may be published), and the checks a key given by an
//! admin passes before it is stored.

use josekit::jwk::Jwk;
use serde_json::Value;

use super::alg::{Algorithm, KeyUse, parse_alg, parse_use};
use super::{JsonWebKey, JwkError};

/// Longest accepted set name or kid: the database columns are `VARCHAR(255)`.
pub const MAX_ID_LEN: usize = 255;

/// The public part of a key: only the members RFC 7517 §4 (`kty`, `use`, `alg`, `kid`,
/// `x5c`), RFC 7518 §6.2.1 (`crv`, `x`, `y`), §6.3.1 (`n`, `e`) and RFC 8037 §2 define
/// as public. An allow-list, so no private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`)
/// can slip through. Symmetric (`oct`) keys have no public part: `None`.
pub fn public_part(key: &JsonWebKey) -> Option<JsonWebKey> {
    if key.kty == "oct" {
        return None;
    }
    Some(JsonWebKey {
        kty: key.kty.clone(),
        kid: key.kid.clone(),
        alg: key.alg.clone(),
        use_: key.use_.clone(),
        crv: key.crv.clone(),
        x: key.x.clone(),
        y: key.y.clone(),
        n: key.n.clone(),
        e: key.e.clone(),
        x5c: key.x5c.clone(),
        ..JsonWebKey::default()
    })
}

/// What is stored in the clear about a key: its public part, or for `oct` keys only
/// `kty`, `kid`, `alg` and `use`.
pub fn metadata_part(key: &JsonWebKey) -> JsonWebKey {
    public_part(key).unwrap_or_else(|| JsonWebKey {
        kty: key.kty.clone(),
        kid: key.kid.clone(),
        alg: key.alg.clone(),
        use_: key.use_.clone(),
        ..JsonWebKey::default()
    })
}

/// Whether the key carries private (or secret) material.
pub fn is_private(key: &JsonWebKey) -> bool {
    [&key.d, &key.p, &key.q, &key.dp, &key.dq, &key.qi, &key.k]
        .iter()
        .any(|member| member.is_some())
}

pub(super) fn to_josekit(key: &JsonWebKey) -> Result<Jwk, JwkError> {
    match serde_json::to_value(key) {
        Ok(Value::Object(map)) => Jwk::from_map(map).map_err(|e| JwkError::Crypto(e.to_string())),
        Ok(_) => Err(JwkError::Crypto("a JWK must be a JSON object".to_owned())),
        Err(e) => Err(JwkError::Crypto(e.to_string())),
    }
}

pub(super) fn from_josekit(jwk: Jwk) -> Result<JsonWebKey, JwkError> {
    let map: serde_json::Map<String, Value> = jwk.into();
    serde_json::from_value(Value::Object(map)).map_err(|e| JwkError::Crypto(e.to_string()))
}

/// Checks a set name from a URL: non-empty, at most 255 characters, no `/` (the set
/// and kid are joined with `/` as the key's associated data at rest).
pub fn validate_set_id(set: &str) -> Result<(), JwkError> {
    if set.is_empty() || set.chars().count() > MAX_ID_LEN || set.contains('/') {
        return Err(JwkError::invalid(
            "set",
            format!("a set name has 1 to {MAX_ID_LEN} characters and no slash (/)"),
        ));
    }
    Ok(())
}

pub(super) fn validate_kid(field: &str, kid: &str) -> Result<(), JwkError> {
    if kid.is_empty() || kid.chars().count() > MAX_ID_LEN {
        return Err(JwkError::invalid(
            field,
            format!("a kid has 1 to {MAX_ID_LEN} characters"),
        ));
    }
    Ok(())
}

/// A key an admin gave, checked: its algorithm, use, and that josekit can use it.
#[derive(Debug, Clone)]
pub struct ValidKey {
    pub key: JsonWebKey,
    pub kid: String,
    pub alg: Algorithm,
    pub use_: KeyUse,
}

/// Checks a JWK given to `PUT /admin/keys/...`. `field` prefixes the names of bad
/// members in errors (`keys[1].alg`). Requires `kid`, `alg` (RFC 7517 §4.4) and `use`
/// (§4.2), as Hydra's `jsonWebKey` schema does; the key type must fit the algorithm
/// (RFC 7518 §6.1) and the material must parse: private keys must make a signer,
/// public ones a verifier (RSA keys need at least 2048 bits, RFC 7518 §3.3).
pub fn validate(field: &str, key: JsonWebKey) -> Result<ValidKey, JwkError> {
    let at = |member: &str| format!("{field}{member}");
    let kid = key.kid.clone().unwrap_or_default();
    validate_kid(&at("kid"), &kid)?;
    let alg = parse_alg(&at("alg"), key.alg.as_deref())?;
    let use_ = parse_use(&at("use"), key.use_.as_deref())?;
    if !alg.fits(&key.kty, key.crv.as_deref()) {
        return Err(JwkError::invalid(
            at("kty"),
            format!(
                "a key of type {:?} (crv {:?}) cannot be used with {alg}",
                key.kty,
                key.crv.as_deref().unwrap_or("")
            ),
        ));
    }
    // josekit refuses `use: enc` for JWS; the material check does not depend on use.
    let mut probe = key.clone();
    probe.use_ = None;
    let jwk =
        to_josekit(&probe).map_err(|e| JwkError::invalid(field_or_key(field), e.to_string()))?;
    let parsed = if is_private(&key) {
        signs_for_its_public_part(alg, &jwk, &probe)
    } else if alg.is_symmetric() {
        Err(JwkError::Crypto("an oct key needs its k member".to_owned()))
    } else {
        alg.verifier(&jwk).map(|_| ())
    };
    parsed.map_err(|e| {
        let why = match e {
            JwkError::Crypto(why) => why,
            other => other.to_string(),
        };
        JwkError::invalid(
            field_or_key(field),
            format!("the key material is unusable: {why}"),
        )
    })?;
    Ok(ValidKey {
        key,
        kid,
        alg,
        use_,
    })
}

/// A private key must make a signer whose signatures its own public part verifies; this
/// catches private members that do not belong to the public ones (OpenSSL does not
/// check that when it builds an EC key from `d`, `x` and `y`).
fn signs_for_its_public_part(alg: Algorithm, jwk: &Jwk, key: &JsonWebKey) -> Result<(), JwkError> {
    let signer = alg.signer(jwk)?;
    let Some(public) = public_part(key) else {
        return Ok(());
    };
    let verifier = alg.verifier(&to_josekit(&public)?)?;
    let probe = b"portunus key check";
    let signature = signer
        .sign(probe)
        .map_err(|e| JwkError::Crypto(e.to_string()))?;
    verifier
        .verify(probe, &signature)
        .map_err(|_| JwkError::Crypto("the private key does not match the public key".to_owned()))
}

/// `keys[1].` → `keys[1]`; `` → `key`.
fn field_or_key(prefix: &str) -> String {
    match prefix.strip_suffix('.') {
        Some(name) => name.to_owned(),
        None if prefix.is_empty() => "key".to_owned(),
        None => prefix.to_owned(),
    }
}
