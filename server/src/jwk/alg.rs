//! JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) and key uses (RFC 7517 §4.2), parsed
//! at the edge, and the josekit signers and verifiers they make.

use std::fmt;

use josekit::jwk::Jwk;
use josekit::jws::{self, JwsSigner, JwsVerifier};

use super::JwkError;
use super::mac::ConstantTimeMac;

/// A JWS `alg` Portunus signs or verifies with. `none` is not one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-2.
    RS256,
    RS384,
    RS512,
    /// RFC 7518 §3.5: RSASSA-PSS with SHA-2.
    PS256,
    PS384,
    PS512,
    /// RFC 7518 §3.4: ECDSA on P-256, P-384, P-521.
    ES256,
    ES384,
    ES512,
    /// RFC 8037 §3.1: EdDSA (Ed25519 when generated).
    EdDSA,
    /// RFC 7518 §3.2: HMAC with SHA-2 (symmetric `oct` keys; never published).
    HS256,
    HS384,
    HS512,
}

/// The key family of an algorithm: RFC 7518 §6.1 `kty` and, for EC and OKP, `crv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa,
    Ec(&'static str),
    Okp,
    Oct,
}

impl Algorithm {
    pub const ALL: [Algorithm; 13] = [
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::ES512,
        Self::EdDSA,
        Self::HS256,
        Self::HS384,
        Self::HS512,
    ];

    /// The registered name (RFC 7518 §7.1.2), case-sensitive.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn name(self) -> &'static str {
        self.josekit().name()
    }

    pub fn family(self) -> KeyFamily {
        match self {
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                KeyFamily::Rsa
            }
            Self::ES256 => KeyFamily::Ec("P-256"),
            Self::ES384 => KeyFamily::Ec("P-384"),
            Self::ES512 => KeyFamily::Ec("P-521"),
            Self::EdDSA => KeyFamily::Okp,
            Self::HS256 | Self::HS384 | Self::HS512 => KeyFamily::Oct,
        }
    }

    /// Whether a key with this `kty` (and `crv`) can be used with the algorithm; this
    /// check is what keeps an RSA public key from ever being used as an HMAC secret.
    pub fn fits(self, kty: &str, crv: Option<&str>) -> bool {
        match self.family() {
            KeyFamily::Rsa => kty == "RSA",
            KeyFamily::Ec(curve) => kty == "EC" && crv == Some(curve),
            KeyFamily::Okp => kty == "OKP" && matches!(crv, Some("Ed25519" | "Ed448")),
            KeyFamily::Oct => kty == "oct",
        }
    }

    /// Symmetric algorithms have no public key to publish.
    pub fn is_symmetric(self) -> bool {
        self.family() == KeyFamily::Oct
    }

    fn josekit(self) -> &'static dyn jws::JwsAlgorithm {
        match self {
            Self::RS256 => &jws::RS256,
            Self::RS384 => &jws::RS384,
            Self::RS512 => &jws::RS512,
            Self::PS256 => &jws::PS256,
            Self::PS384 => &jws::PS384,
            Self::PS512 => &jws::PS512,
            Self::ES256 => &jws::ES256,
            Self::ES384 => &jws::ES384,
            Self::ES512 => &jws::ES512,
            Self::EdDSA => &jws::EdDSA,
            Self::HS256 => &jws::HS256,
            Self::HS384 => &jws::HS384,
            Self::HS512 => &jws::HS512,
        }
    }

    /// A signer from a private JWK (parsed once; cache the result).
    pub(super) fn signer(self, jwk: &Jwk) -> Result<Box<dyn JwsSigner>, JwkError> {
        let crypto = |e: josekit::JoseError| JwkError::Crypto(e.to_string());
        Ok(match self {
            Self::RS256 => Box::new(jws::RS256.signer_from_jwk(jwk).map_err(crypto)?),
            Self::RS384 => Box::new(jws::RS384.signer_from_jwk(jwk).map_err(crypto)?),
            Self::RS512 => Box::new(jws::RS512.signer_from_jwk(jwk).map_err(crypto)?),
            Self::PS256 => Box::new(jws::PS256.signer_from_jwk(jwk).map_err(crypto)?),
            Self::PS384 => Box::new(jws::PS384.signer_from_jwk(jwk).map_err(crypto)?),
            Self::PS512 => Box::new(jws::PS512.signer_from_jwk(jwk).map_err(crypto)?),
            Self::ES256 => Box::new(jws::ES256.signer_from_jwk(jwk).map_err(crypto)?),
            Self::ES384 => Box::new(jws::ES384.signer_from_jwk(jwk).map_err(crypto)?),
            Self::ES512 => Box::new(jws::ES512.signer_from_jwk(jwk).map_err(crypto)?),
            Self::EdDSA => Box::new(jws::EdDSA.signer_from_jwk(jwk).map_err(crypto)?),
            Self::HS256 => Box::new(jws::HS256.signer_from_jwk(jwk).map_err(crypto)?),
            Self::HS384 => Box::new(jws::HS384.signer_from_jwk(jwk).map_err(crypto)?),
            Self::HS512 => Box::new(jws::HS512.signer_from_jwk(jwk).map_err(crypto)?),
        })
    }

    /// A verifier from a public (or, for HMAC, secret) JWK.
    pub(super) fn verifier(self, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, JwkError> {
        let crypto = |e: josekit::JoseError| JwkError::Crypto(e.to_string());
        Ok(match self {
            Self::RS256 => Box::new(jws::RS256.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::RS384 => Box::new(jws::RS384.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::RS512 => Box::new(jws::RS512.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::PS256 => Box::new(jws::PS256.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::PS384 => Box::new(jws::PS384.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::PS512 => Box::new(jws::PS512.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::ES256 => Box::new(jws::ES256.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::ES384 => Box::new(jws::ES384.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::ES512 => Box::new(jws::ES512.verifier_from_jwk(jwk).map_err(crypto)?),
            Self::EdDSA => Box::new(jws::EdDSA.verifier_from_jwk(jwk).map_err(crypto)?),
            // MACs are compared in constant time (`mac.rs`), not by josekit's verifier.
            Self::HS256 => Box::new(ConstantTimeMac::new(
                jws::HS256.signer_from_jwk(jwk).map_err(crypto)?,
            )),
            Self::HS384 => Box::new(ConstantTimeMac::new(
                jws::HS384.signer_from_jwk(jwk).map_err(crypto)?,
            )),
            Self::HS512 => Box::new(ConstantTimeMac::new(
                jws::HS512.signer_from_jwk(jwk).map_err(crypto)?,
            )),
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// RFC 7517 §4.2 `use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    Sig,
    Enc,
}

impl KeyUse {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "sig" => Some(Self::Sig),
            "enc" => Some(Self::Enc),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sig => "sig",
            Self::Enc => "enc",
        }
    }
}

/// Parses `alg`, naming `field` when it is missing or unsupported.
pub fn parse_alg(field: &str, value: Option<&str>) -> Result<Algorithm, JwkError> {
    let value = value.filter(|v| !v.is_empty()).ok_or_else(|| {
        JwkError::invalid(field, "it is required (e.g. RS256, ES256, EdDSA, HS256)")
    })?;
    Algorithm::parse(value).ok_or_else(|| {
        let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
        JwkError::invalid(
            field,
            format!(
                "{value:?} is not supported; use one of {}",
                names.join(", ")
            ),
        )
    })
}

/// Parses `use`, naming `field` when it is missing or neither `sig` nor `enc`.
pub fn parse_use(field: &str, value: Option<&str>) -> Result<KeyUse, JwkError> {
    match value {
        None | Some("") => Err(JwkError::invalid(field, "it is required: sig or enc")),
        Some(v) => KeyUse::parse(v)
            .ok_or_else(|| JwkError::invalid(field, format!("{v:?} must be sig or enc"))),
    }
}
