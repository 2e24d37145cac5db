//! Keys at rest (docs/security.md, "A stolen copy of the database"): the private JWK is sealed with the key ring's
//! `Purpose::JsonWebKey` key (XChaCha20-Poly1305 from `secrets.system`), bound to
//! `"<set>/<kid>"` as associated data so a sealed key cannot be moved to another row.
//! Only the public part (or, for `oct`, the metadata) is stored in the clear.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

use super::key::{is_private, metadata_part, public_part};
use super::store::StoredJsonWebKey;
use super::{JsonWebKey, JwkError};
use crate::secrets::{KeyRing, Purpose};

/// The associated data of a sealed key. Set names cannot contain `/`
/// (`key::validate_set_id`), so the first `/` separates the two unambiguously.
fn aad(set: &str, kid: &str) -> Vec<u8> {
    format!("{set}/{kid}").into_bytes()
}

/// When a stored key is published and may sign.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub created_at: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
}

/// The row for `key` (whose `kid`, `alg` and `use` are set) in `set`.
pub fn to_stored(
    ring: &KeyRing,
    set: &str,
    key: &JsonWebKey,
    schedule: Schedule,
) -> Result<StoredJsonWebKey, JwkError> {
    let kid = key.kid.clone().unwrap_or_default();
    let encode = |k: &JsonWebKey| {
        serde_json::to_string(k).map_err(|e| JwkError::Crypto(format!("encoding a JWK: {e}")))
    };
    let private_jwk_sealed = if is_private(key) {
        let sealed = ring
            .seal(
                Purpose::JsonWebKey,
                encode(key)?.as_bytes(),
                &aad(set, &kid),
            )
            .ok_or_else(|| JwkError::Crypto("no system secret to seal the key with".to_owned()))?;
        Some(STANDARD.encode(sealed))
    } else {
        None
    };
    Ok(StoredJsonWebKey {
        set_id: set.to_owned(),
        kid,
        alg: key.alg.clone().unwrap_or_default(),
        use_: key.use_.clone().unwrap_or_default(),
        public_jwk: encode(&metadata_part(key))?,
        private_jwk_sealed,
        created_at: schedule.created_at,
        not_before: schedule.not_before,
        retired_at: None,
    })
}

/// The stored public part; `None` for `oct` keys.
pub fn public_of(stored: &StoredJsonWebKey) -> Result<Option<JsonWebKey>, JwkError> {
    let key: JsonWebKey = serde_json::from_str(&stored.public_jwk).map_err(|e| {
        JwkError::Corrupt(format!(
            "{}/{}: public JWK is not valid: {e}",
            stored.set_id, stored.kid
        ))
    })?;
    Ok(public_part(&key))
}

/// The whole key: the opened private JWK when one is stored, else the public part.
pub fn open(ring: &KeyRing, stored: &StoredJsonWebKey) -> Result<JsonWebKey, JwkError> {
    let corrupt =
        |why: String| JwkError::Corrupt(format!("{}/{}: {why}", stored.set_id, stored.kid));
    let Some(sealed) = &stored.private_jwk_sealed else {
        return serde_json::from_str(&stored.public_jwk)
            .map_err(|e| corrupt(format!("public JWK is not valid: {e}")));
    };
    let sealed = STANDARD
        .decode(sealed)
        .map_err(|e| corrupt(format!("sealed JWK is not base64: {e}")))?;
    let plain = ring
        .open(
            Purpose::JsonWebKey,
            &sealed,
            &aad(&stored.set_id, &stored.kid),
        )
        .map_err(|e| corrupt(format!("private JWK cannot be opened: {e}")))?;
    serde_json::from_slice(&plain).map_err(|e| corrupt(format!("private JWK is not valid: {e}")))
}
