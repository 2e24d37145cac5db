//! RFC 7517 wire shapes with Hydra's schema names (`jsonWebKey`, `jsonWebKeySet`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A JSON Web Key (RFC 7517 §4), members as Hydra's `jsonWebKey` lists them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = jsonWebKey)]
pub struct JsonWebKey {
    /// Key type (RFC 7517 §4.1): `RSA`, `EC`, `OKP`, `oct`.
    pub kty: String,
    /// Key ID (RFC 7517 §4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Algorithm (RFC 7517 §4.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Public key use (RFC 7517 §4.2): `sig` or `enc`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
}

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = jsonWebKeySet)]
pub struct JsonWebKeySet {
    /// The keys (RFC 7517 §5.1).
    pub keys: Vec<JsonWebKey>,
}

/// Hydra's `createJsonWebKeySet` body: which key to generate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = createJsonWebKeySet)]
pub struct CreateJsonWebKeySet {
    /// JSON Web Key Algorithm (RFC 7518 §3.1): `RS256`, `RS512`, `ES256`, `ES512`,
    /// `EdDSA`, `HS256`, `HS512` (and `RS384`, `PS256`…`PS512`, `ES384`, `HS384`).
    pub alg: String,
    /// JSON Web Key ID (RFC 7517 §4.5) of the new key; empty: a random UUID.
    pub kid: String,
    /// JSON Web Key Use (RFC 7517 §4.2): `sig` or `enc`.
    #[serde(rename = "use")]
    pub use_: String,
}
