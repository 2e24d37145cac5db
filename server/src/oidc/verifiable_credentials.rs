//! What OpenID Connect UserInfo Verifiable Credentials (draft 00, as Hydra serves it)
//! fixes: the scope, format, proof type and credential types, shared by discovery
//! (`credentials_supported_draft_00`) and the endpoint (`oauth2::credentials`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::jwk::Algorithm;

/// The scope that lets a token obtain credentials (Hydra's `draftScope`).
pub const SCOPE: &str = "userinfo_credential_draft_00";
/// The one credential format issued.
pub const FORMAT: &str = "jwt_vc_json";
/// The one proof type accepted.
pub const PROOF_TYPE: &str = "jwt";
/// The credential types issued.
pub const TYPES: [&str; 2] = ["VerifiableCredential", "UserInfoCredential"];
/// How a credential binds its holder: the holder's public key (as `did:jwk`).
pub const BINDING_METHODS: [&str; 1] = ["jwk"];

/// Hydra's `credentialSupportedDraft00`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = credentialSupportedDraft00)]
pub struct CredentialSupportedDraft00 {
    /// The credential format: `jwt_vc_json`.
    pub format: String,
    /// The credential types issued.
    pub types: Vec<String>,
    /// How the holder is bound: `jwk`.
    pub cryptographic_binding_methods_supported: Vec<String>,
    /// The JWS algorithms a holder's proof may use.
    pub cryptographic_suites_supported: Vec<String>,
}

/// The one credential this server issues.
pub fn supported() -> CredentialSupportedDraft00 {
    let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    CredentialSupportedDraft00 {
        format: FORMAT.to_owned(),
        types: strings(&TYPES),
        cryptographic_binding_methods_supported: strings(&BINDING_METHODS),
        cryptographic_suites_supported: Algorithm::ALL
            .iter()
            .filter(|alg| !alg.is_symmetric())
            .map(|alg| alg.name().to_owned())
            .collect(),
    }
}
