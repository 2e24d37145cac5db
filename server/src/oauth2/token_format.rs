//! Opaque tokens (DESIGN §4): `<prefix><random>.<mac>`, where `random` is 32 bytes from
//! the OS RNG and `mac` the HMAC-SHA256 of `<prefix><random>` under the current system
//! secret's token key, both base64url without padding. The prefix names the kind
//! (`ptn_at_`, `ptn_rt_`, `ptn_ac_`), so a token of one kind never passes as another.
//!
//! Only the hex SHA-256 of the MAC is stored (the lookup key): a copy of the database
//! yields no usable token, and a forged token is refused by its MAC before any query.
//! Tokens made under an older secret still verify while it is listed in
//! `secrets.system`. Tokens are secrets: never log them (`OpaqueToken`'s `Debug` hides
//! the value).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::OAuth2Error;
use crate::secrets::{KeyRing, Purpose};
use crate::storage::TokenKind;

const RANDOM_LEN: usize = 32;
const MAC_LEN: usize = 32;

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
    /// Hex SHA-256 of the MAC: `StoredToken::signature_hash`.
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

fn hash_of(mac: &[u8]) -> String {
    Sha256::digest(mac)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Mints a token of `kind` under the current secret.
pub fn generate(keys: &KeyRing, kind: TokenKind) -> Result<OpaqueToken, OAuth2Error> {
    let mut random = [0u8; RANDOM_LEN];
    rand::rng().fill_bytes(&mut random);
    let body = format!("{}{}", prefix(kind), URL_SAFE_NO_PAD.encode(random));
    let mac = keys
        .sign(Purpose::OpaqueToken, body.as_bytes())
        .ok_or_else(|| OAuth2Error::server_error("no system secret to sign tokens with"))?;
    Ok(OpaqueToken {
        value: format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac)),
        signature_hash: hash_of(&mac),
    })
}

/// Checks a presented token's shape and MAC (under any configured secret, in constant
/// time); `None` for anything that is not a token this server made.
pub fn verify(keys: &KeyRing, token: &str) -> Option<VerifiedToken> {
    let kind = TokenKind::ALL
        .into_iter()
        .find(|k| token.starts_with(prefix(*k)))?;
    let (body, mac) = token.split_once('.')?;
    let random = URL_SAFE_NO_PAD
        .decode(body.strip_prefix(prefix(kind))?)
        .ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    if random.len() != RANDOM_LEN || mac.len() != MAC_LEN {
        return None;
    }
    keys.verify(Purpose::OpaqueToken, body.as_bytes(), &mac)
        .then(|| VerifiedToken {
            kind,
            signature_hash: hash_of(&mac),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(secrets: &[&str]) -> KeyRing {
        KeyRing::new(&secrets.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn tokens_have_the_documented_shape_and_verify() {
        let keys = ring(&["current-secret-0123456789"]);
        for kind in TokenKind::ALL {
            let token = generate(&keys, kind).unwrap();
            let (body, mac) = token.value.split_once('.').unwrap();
            assert!(body.starts_with(prefix(kind)));
            assert_eq!(body.len(), prefix(kind).len() + 43);
            assert_eq!(mac.len(), 43);
            assert_eq!(token.signature_hash.len(), 64);
            assert!(!format!("{token:?}").contains(&token.value));
            let verified = verify(&keys, &token.value).unwrap();
            assert_eq!(verified.kind, kind);
            assert_eq!(verified.signature_hash, token.signature_hash);
        }
        let a = generate(&keys, TokenKind::AccessToken).unwrap();
        let b = generate(&keys, TokenKind::AccessToken).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn tampered_relabelled_and_foreign_tokens_fail() {
        let keys = ring(&["current-secret-0123456789"]);
        let token = generate(&keys, TokenKind::AccessToken).unwrap().value;
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
        let token = generate(&old, TokenKind::RefreshToken).unwrap();
        let rotated = ring(&["new-secret-0123456789", "old-secret-0123456789"]);
        let verified = verify(&rotated, &token.value).unwrap();
        assert_eq!(verified.signature_hash, token.signature_hash);
    }
}
