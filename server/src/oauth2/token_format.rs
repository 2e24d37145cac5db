//! Opaque tokens (docs/architecture.md, "Storage"): `<prefix><body>.<mac>`, both base64url without padding.
//! `body` is an 8-byte time-ordered id (the issue time in Unix milliseconds, 48 bits
//! big-endian, then 16 random bits) followed by 32 bytes from the OS RNG; `mac` is the
//! HMAC-SHA256 of `<prefix><body>` under the current system secret's token key. The
//! prefix names the kind (`ptn_at_`, `ptn_rt_`, `ptn_ac_`), so a token of one kind
//! never passes as another.
//!
//! The storage key (`StoredToken::signature_hash`, 64 hex characters) is the hex id
//! followed by the first 24 bytes of the MAC's SHA-256, in hex. A copy of the database
//! therefore yields no usable token (it holds neither the random bytes nor the MAC),
//! and a forged token is refused by its MAC before any query. The id leads the key so
//! that new rows append to the primary-key index instead of dirtying a random page per
//! insert (docs/benchmarks.md, "Optimisation log"); it tells the holder of a token when
//! it was issued, which the token's introspection tells them anyway.
//!
//! Tokens of the first format (32 random bytes, key = the full SHA-256 of the MAC)
//! still verify. Tokens made under an older secret still verify while it is listed in
//! `secrets.system`. Tokens are secrets: never log them (`OpaqueToken`'s `Debug` hides
//! the value).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::OAuth2Error;
use crate::secrets::{KeyRing, Purpose};
use crate::storage::TokenKind;

pub(crate) const ID_LEN: usize = 8;
const RANDOM_LEN: usize = 32;
const MAC_LEN: usize = 32;
/// Bytes of the MAC's SHA-256 in the storage key: 192 bits, beyond any search.
const KEY_HASH_LEN: usize = 24;
/// The body of the first format: random bytes only.
const FIRST_FORMAT_BODY_LEN: usize = RANDOM_LEN;

/// The prefix of each kind's tokens.
pub fn prefix(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::AccessToken => "ptn_at_",
        TokenKind::RefreshToken => "ptn_rt_",
        TokenKind::AuthorizationCode => "ptn_ac_",
    }
}

/// A freshly minted token and its storage key.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueToken {
    /// The token handed to the client.
    pub value: String,
    /// The storage key: `StoredToken::signature_hash`.
    pub signature_hash: String,
}

impl std::fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpaqueToken")
            .field("signature_hash", &self.signature_hash)
            .finish_non_exhaustive()
    }
}

/// A presented token whose MAC checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub kind: TokenKind,
    pub signature_hash: String,
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

/// The storage key of a token whose body is `body` (without prefix) and MAC `mac`.
fn storage_key(body: &[u8], mac: &[u8]) -> String {
    let digest = Sha256::digest(mac);
    match body.first_chunk::<ID_LEN>() {
        Some(id) if body.len() != FIRST_FORMAT_BODY_LEN => time_ordered_key(id, &digest),
        _ => full_hash_key(&digest),
    }
}

/// A storage key that leads with a time-ordered id: the id's 8 bytes, then the first
/// 24 bytes of `digest` (a SHA-256 binding the key to the token), both in hex.
pub(crate) fn time_ordered_key(id: &[u8; ID_LEN], digest: &[u8]) -> String {
    let mut key = String::with_capacity(64);
    push_hex(&mut key, id);
    push_hex(&mut key, &digest[..KEY_HASH_LEN.min(digest.len())]);
    key
}

/// The storage key of the first token formats: the whole SHA-256 `digest` in hex.
pub(crate) fn full_hash_key(digest: &[u8]) -> String {
    let mut key = String::with_capacity(64);
    push_hex(&mut key, digest);
    key
}

/// The time-ordered id: issue time in Unix milliseconds (48 bits, big-endian), then
/// 16 random bits so that ids of one millisecond rarely share a prefix.
fn time_ordered_id(now_ms: u64, random: u16) -> [u8; ID_LEN] {
    let mut id = [0u8; ID_LEN];
    id[..6].copy_from_slice(&now_ms.to_be_bytes()[2..]);
    id[6..].copy_from_slice(&random.to_be_bytes());
    id
}

/// Mints a token of `kind`, issued at `issued_at`, under the current secret.
pub fn generate(
    keys: &KeyRing,
    kind: TokenKind,
    issued_at: DateTime<Utc>,
) -> Result<OpaqueToken, OAuth2Error> {
    let mut rng = rand::rng();
    let mut raw = [0u8; ID_LEN + RANDOM_LEN];
    let millis = u64::try_from(issued_at.timestamp_millis()).unwrap_or(0);
    raw[..ID_LEN].copy_from_slice(&time_ordered_id(millis, rng.next_u32() as u16));
    rng.fill_bytes(&mut raw[ID_LEN..]);
    mint(keys, kind, &raw)
}

fn mint(keys: &KeyRing, kind: TokenKind, raw: &[u8]) -> Result<OpaqueToken, OAuth2Error> {
    let body = format!("{}{}", prefix(kind), URL_SAFE_NO_PAD.encode(raw));
    let mac = keys
        .sign(Purpose::OpaqueToken, body.as_bytes())
        .ok_or_else(|| OAuth2Error::server_error("no system secret to sign tokens with"))?;
    Ok(OpaqueToken {
        value: format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac)),
        signature_hash: storage_key(raw, &mac),
    })
}

/// Checks a presented token's shape and MAC (under any configured secret, in constant
/// time); `None` for anything that is not a token this server made.
pub fn verify(keys: &KeyRing, token: &str) -> Option<VerifiedToken> {
    let kind = TokenKind::ALL
        .into_iter()
        .find(|k| token.starts_with(prefix(*k)))?;
    let (body, mac) = token.split_once('.')?;
    let raw = URL_SAFE_NO_PAD
        .decode(body.strip_prefix(prefix(kind))?)
        .ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    let body_len_ok = raw.len() == ID_LEN + RANDOM_LEN || raw.len() == FIRST_FORMAT_BODY_LEN;
    if !body_len_ok || mac.len() != MAC_LEN {
        return None;
    }
    keys.verify(Purpose::OpaqueToken, body.as_bytes(), &mac)
        .then(|| VerifiedToken {
            kind,
            signature_hash: storage_key(&raw, &mac),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
    }

    fn ring(secrets: &[&str]) -> KeyRing {
        KeyRing::new(&secrets.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn tokens_have_the_documented_shape_and_verify() {
        let keys = ring(&["current-secret-0123456789"]);
        for kind in TokenKind::ALL {
            let token = generate(&keys, kind, at()).unwrap();
            let (body, mac) = token.value.split_once('.').unwrap();
            assert!(body.starts_with(prefix(kind)));
            assert_eq!(body.len(), prefix(kind).len() + 54);
            assert_eq!(mac.len(), 43);
            assert_eq!(token.signature_hash.len(), 64);
            assert!(!format!("{token:?}").contains(&token.value));
            let verified = verify(&keys, &token.value).unwrap();
            assert_eq!(verified.kind, kind);
            assert_eq!(verified.signature_hash, token.signature_hash);
        }
        let a = generate(&keys, TokenKind::AccessToken, at()).unwrap();
        let b = generate(&keys, TokenKind::AccessToken, at()).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn tampered_relabelled_and_foreign_tokens_fail() {
        let keys = ring(&["current-secret-0123456789"]);
        let token = generate(&keys, TokenKind::AccessToken, at()).unwrap().value;
        let relabelled = token.replacen("ptn_at_", "ptn_rt_", 1);
        assert_eq!(verify(&keys, &relabelled), None);
        let mut tampered = token.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(verify(&keys, &String::from_utf8(tampered).unwrap()), None);
        assert_eq!(verify(&ring(&["another-secret-0123456789"]), &token), None);
        for garbage in [
            "",
            "ptn_at_",
            "ptn_at_.",
            "ptn_at_abc.def",
            "nonsense",
            "ptn_at_é.x",
        ] {
            assert_eq!(verify(&keys, garbage), None, "{garbage:?}");
        }
        assert_eq!(verify(&keys, &format!("{token}x")), None);
    }

    #[test]
    fn tokens_survive_secret_rotation() {
        let old = ring(&["old-secret-0123456789"]);
        let token = generate(&old, TokenKind::RefreshToken, at()).unwrap();
        let rotated = ring(&["new-secret-0123456789", "old-secret-0123456789"]);
        let verified = verify(&rotated, &token.value).unwrap();
        assert_eq!(verified.signature_hash, token.signature_hash);
    }

    #[test]
    fn storage_keys_follow_issue_order() {
        let keys = ring(&["current-secret-0123456789"]);
        let mut earlier = None;
        for ms in [1_700_000_000_000u64, 1_700_000_000_001, 1_800_000_000_000] {
            let mut raw = [7u8; ID_LEN + RANDOM_LEN];
            raw[..ID_LEN].copy_from_slice(&time_ordered_id(ms, u16::MAX));
            let token = mint(&keys, TokenKind::AccessToken, &raw).unwrap();
            assert_eq!(token.signature_hash.len(), 64);
            assert!(token.signature_hash.starts_with(&format!("{ms:012x}ffff")));
            if let Some(earlier) = earlier.replace(token.signature_hash.clone()) {
                assert!(earlier < token.signature_hash);
            }
        }
    }

    #[test]
    fn first_format_tokens_still_verify_under_their_old_key() {
        let keys = ring(&["current-secret-0123456789"]);
        let token = mint(&keys, TokenKind::RefreshToken, &[9u8; RANDOM_LEN]).unwrap();
        let (_, mac) = token.value.split_once('.').unwrap();
        let mac = URL_SAFE_NO_PAD.decode(mac).unwrap();
        let old_key: String = Sha256::digest(&mac)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(token.signature_hash, old_key);
        let verified = verify(&keys, &token.value).unwrap();
        assert_eq!(verified.signature_hash, old_key);
    }
}
