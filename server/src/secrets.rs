//! The key ring derived from `secrets.system` (docs/security.md): one independent 256-bit key per
//! purpose and per secret (HKDF-SHA256, RFC 5869), so a MAC made for tokens can never pass
//! as a flow-state MAC. The first secret signs and encrypts; every secret verifies and
//! decrypts, so the system secret can rotate without downtime.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a derived key is for. The label is part of the key derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// HMAC of opaque tokens (access, refresh, authorization code).
    OpaqueToken,
    /// AEAD of login/consent/logout challenges and verifiers.
    FlowState,
    /// AEAD of session data stored with tokens and consent.
    SessionData,
    /// AEAD of private JSON Web Keys at rest.
    JsonWebKey,
    /// AEAD of cookies.
    Cookie,
    /// HMAC of presented client secrets in the in-process cache of verified secrets.
    ClientSecretCache,
    /// HMAC of the time slot a DPoP server nonce is valid in (RFC 9449 §8).
    DpopNonce,
    /// HMAC of a verifiable-credential `c_nonce`: access token hash and expiry.
    CredentialNonce,
    /// HMAC of device-flow user codes, the key they are stored and looked up under
    /// (RFC 8628 §6.1: a copy of the database must not give the short codes away).
    DeviceUserCode,
    /// AEAD of the secrets of `client_secret_jwt` clients at rest (RFC 7523 §2.2: the
    /// server MACs with the secret itself, so it cannot keep only a hash).
    ClientSecretJwt,
    /// HMAC of the built-in login UI's CSRF tokens: challenge and browser nonce
    /// (`login_ui/csrf.rs`).
    LoginUiCsrf,
}

impl Purpose {
    const ALL: [Purpose; 11] = [
        Self::OpaqueToken,
        Self::FlowState,
        Self::SessionData,
        Self::JsonWebKey,
        Self::Cookie,
        Self::ClientSecretCache,
        Self::DpopNonce,
        Self::CredentialNonce,
        Self::DeviceUserCode,
        Self::ClientSecretJwt,
        Self::LoginUiCsrf,
    ];

    fn label(self) -> &'static [u8] {
        match self {
            Self::OpaqueToken => b"portunus/v1/opaque-token-hmac",
            Self::FlowState => b"portunus/v1/flow-state-aead",
            Self::SessionData => b"portunus/v1/session-data-aead",
            Self::JsonWebKey => b"portunus/v1/jwk-at-rest-aead",
            Self::Cookie => b"portunus/v1/cookie-aead",
            Self::ClientSecretCache => b"portunus/v1/client-secret-cache-hmac",
            Self::DpopNonce => b"portunus/v1/dpop-nonce-hmac",
            Self::CredentialNonce => b"portunus/v1/credential-nonce-hmac",
            Self::DeviceUserCode => b"portunus/v1/device-user-code-hmac",
            Self::ClientSecretJwt => b"portunus/v1/client-secret-jwt-aead",
            Self::LoginUiCsrf => b"portunus/v1/login-ui-csrf-hmac",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealed data is malformed")]
    Malformed,
    #[error("sealed data was made with a key that is not configured")]
    UnknownKey,
    #[error("sealed data failed authentication")]
    Forged,
}

/// Format byte of sealed data, so the layout can change later.
const SEAL_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;

struct SecretKeys {
    /// Fingerprint of the secret, stored in sealed data to pick the key without trying all.
    id: [u8; KEY_ID_LEN],
    keys: [[u8; 32]; Purpose::ALL.len()],
}

/// Keys derived from an ordered list of secrets; the first is current.
pub struct KeyRing {
    secrets: Vec<SecretKeys>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyRing({} secrets)", self.secrets.len())
    }
}

impl KeyRing {
    /// Derives the keys. `secrets` must not be empty (config validation guarantees it);
    /// an empty list yields a ring that can neither sign nor verify.
    pub fn new(secrets: &[String]) -> Self {
        let secrets = secrets
            .iter()
            .map(|secret| {
                let hkdf = Hkdf::<Sha256>::new(Some(b"portunus"), secret.as_bytes());
                let mut keys = [[0u8; 32]; Purpose::ALL.len()];
                for purpose in Purpose::ALL {
                    // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
                    let _ = hkdf.expand(purpose.label(), &mut keys[purpose.index()]);
                }
                let digest = Sha256::digest(secret.as_bytes());
                let mut id = [0u8; KEY_ID_LEN];
                id.copy_from_slice(&digest[..KEY_ID_LEN]);
                SecretKeys { id, keys }
            })
            .collect();
        Self { secrets }
    }

    fn key(secret: &SecretKeys, purpose: Purpose) -> &[u8; 32] {
        &secret.keys[purpose.index()]
    }

    /// `None` only if HMAC rejected the key length, which it never does for HMAC-SHA256.
    fn mac_with(key: &[u8; 32], data: &[u8]) -> Option<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
        mac.update(data);
        Some(mac.finalize().into_bytes().into())
    }

    /// HMAC-SHA256 of `data` with the current secret's key for `purpose`.
    pub fn sign(&self, purpose: Purpose, data: &[u8]) -> Option<[u8; 32]> {
        self.secrets
            .first()
            .and_then(|s| Self::mac_with(Self::key(s, purpose), data))
    }

    /// HMAC-SHA256 of `data` under every configured secret's key for `purpose`, the
    /// current one first: the keys a value stored under any of them may be found by.
    pub fn sign_each(&self, purpose: Purpose, data: &[u8]) -> Vec<[u8; 32]> {
        self.secrets
            .iter()
            .filter_map(|s| Self::mac_with(Self::key(s, purpose), data))
            .collect()
    }

    /// Whether `mac` is the HMAC of `data` under any configured secret; constant-time.
    pub fn verify(&self, purpose: Purpose, data: &[u8], mac: &[u8]) -> bool {
        let mut ok = subtle::Choice::from(0);
        for secret in &self.secrets {
            if let Some(expected) = Self::mac_with(Self::key(secret, purpose), data) {
                ok |= expected.as_slice().ct_eq(mac);
            }
        }
        ok.into()
    }

    /// Encrypts and authenticates `plaintext` (XChaCha20-Poly1305) bound to `aad`.
    /// Layout: version ‖ key id ‖ 24-byte random nonce ‖ ciphertext+tag.
    pub fn seal(&self, purpose: Purpose, plaintext: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let secret = self.secrets.first()?;
        let cipher = XChaCha20Poly1305::new(Self::key(secret, purpose).into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .ok()?;
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + ciphertext.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&secret.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Some(out)
    }

    /// Decrypts data made by `seal` with any configured secret.
    pub fn open(&self, purpose: Purpose, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let header = 1 + KEY_ID_LEN + NONCE_LEN;
        if sealed.len() < header + 16 || sealed[0] != SEAL_VERSION {
            return Err(SealError::Malformed);
        }
        let id = &sealed[1..1 + KEY_ID_LEN];
        let nonce = &sealed[1 + KEY_ID_LEN..header];
        let secret = self
            .secrets
            .iter()
            .find(|s| s.id.as_slice() == id)
            .ok_or(SealError::UnknownKey)?;
        let cipher = XChaCha20Poly1305::new(Self::key(secret, purpose).into());
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: &sealed[header..],
                    aad,
                },
            )
            .map_err(|_| SealError::Forged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(secrets: &[&str]) -> KeyRing {
        KeyRing::new(&secrets.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn macs_verify_across_rotation_and_are_purpose_bound() {
        let old = ring(&["old-secret-0123456789"]);
        let mac = old.sign(Purpose::OpaqueToken, b"data").unwrap();
        let rotated = ring(&["new-secret-0123456789", "old-secret-0123456789"]);
        assert!(rotated.verify(Purpose::OpaqueToken, b"data", &mac));
        assert!(!rotated.verify(Purpose::FlowState, b"data", &mac));
        assert!(!rotated.verify(Purpose::OpaqueToken, b"datb", &mac));
        assert!(!ring(&["new-secret-0123456789"]).verify(Purpose::OpaqueToken, b"data", &mac));
    }

    #[test]
    fn sealed_data_opens_after_rotation_and_rejects_tampering() {
        let old = ring(&["old-secret-0123456789"]);
        let sealed = old.seal(Purpose::SessionData, b"claims", b"aad").unwrap();
        let rotated = ring(&["new-secret-0123456789", "old-secret-0123456789"]);
        assert_eq!(
            rotated.open(Purpose::SessionData, &sealed, b"aad").unwrap(),
            b"claims"
        );
        assert_eq!(
            rotated.open(Purpose::SessionData, &sealed, b"other"),
            Err(SealError::Forged)
        );
        assert_eq!(
            rotated.open(Purpose::FlowState, &sealed, b"aad"),
            Err(SealError::Forged)
        );
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            rotated.open(Purpose::SessionData, &tampered, b"aad"),
            Err(SealError::Forged)
        );
        assert_eq!(
            ring(&["new-secret-0123456789"]).open(Purpose::SessionData, &sealed, b"aad"),
            Err(SealError::UnknownKey)
        );
        assert_eq!(
            rotated.open(Purpose::SessionData, b"short", b"aad"),
            Err(SealError::Malformed)
        );
    }
}
