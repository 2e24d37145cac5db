//! Arguments of the JSON Web Key commands (`create|get|delete|rotate jwk`).

use clap::Args;

use crate::cli::Remote;

#[derive(Debug, Args)]
pub struct CreateJwkArgs {
    /// The JSON Web Key Set to add the key to (created when missing).
    pub set: String,
    /// Algorithm: RS256, RS512, ES256, ES512, EdDSA, HS256, HS512 (also RS384, PS256,
    /// PS384, PS512, ES384, HS384).
    #[arg(long = "alg", default_value = "RS256")]
    pub alg: String,
    /// Key id; a random UUID when omitted.
    #[arg(long = "kid", default_value = "")]
    pub kid: String,
    /// Key use: sig or enc.
    #[arg(long = "use", default_value = "sig")]
    pub use_: String,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct JwkTargetArgs {
    /// The JSON Web Key Set.
    pub set: String,
    /// One key of the set; the whole set when omitted.
    pub kid: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct RotateJwkArgs {
    /// The JSON Web Key Set to rotate.
    pub set: String,
    /// Algorithm of the new key; default: the algorithm of the set's newest signing key.
    #[arg(long = "alg")]
    pub alg: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}
