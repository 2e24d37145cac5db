//! Rotating the ID token signing key through the admin API: add a key of the newest
//! signing key's algorithm to the set. The server publishes the new key at once,
//! signs with it after `oidc.jwks.publish_before_use`, and keeps the previous keys
//! published so that tokens they signed still verify (what `portunus rotate jwk`
//! does).
//!
//! Run: `cargo run -p portunus-sdk --example key_rotation [SET]` (default
//! `hydra.openid.id-token`). Environment: `PORTUNUS_ADMIN_URL`,
//! `PORTUNUS_ADMIN_API_KEY`, `PORTUNUS_PUBLIC_URL` (default http://127.0.0.1:4444).

use portunus_sdk::types::CreateJsonWebKeySet;
use portunus_sdk::{ApiError, Portunus};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let set = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "hydra.openid.id-token".to_owned());
    let mut builder = Portunus::builder();
    if let Ok(url) = std::env::var("PORTUNUS_ADMIN_URL") {
        builder = builder.admin_url(url);
    }
    if let Ok(url) = std::env::var("PORTUNUS_PUBLIC_URL") {
        builder = builder.public_url(url);
    }
    if let Ok(key) = std::env::var("PORTUNUS_ADMIN_API_KEY") {
        builder = builder.admin_api_key(key);
    }
    let portunus = builder.build()?;
    let admin = portunus.admin();

    let current = admin
        .get_json_web_key_set()
        .set(&set)
        .send()
        .await
        .map_err(ApiError::from)?
        .into_inner();
    // The newest signing key is last.
    let alg = current
        .keys
        .iter()
        .rev()
        .find(|key| key.use_.as_deref() == Some("sig"))
        .and_then(|key| key.alg.clone())
        .ok_or("the set has no signing key to take the algorithm from")?;

    // An empty kid lets the server choose one.
    let body = CreateJsonWebKeySet {
        alg,
        kid: String::new(),
        use_: "sig".to_owned(),
    };
    let created = admin
        .create_json_web_key_set()
        .set(&set)
        .body(body)
        .send()
        .await
        .map_err(ApiError::from)?
        .into_inner();
    for key in &created.keys {
        println!("added {} ({})", key.kid.as_deref().unwrap_or("?"), key.kty);
    }

    // What relying parties see: the public listener's JWKS, public parts only.
    let published = portunus
        .public()
        .discover_json_web_keys()
        .send()
        .await
        .map_err(ApiError::from)?
        .into_inner();
    println!("published kids:");
    for key in published.keys {
        println!("  {}", key.kid.unwrap_or_default());
    }
    Ok(())
}
