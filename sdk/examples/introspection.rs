//! A resource server checking an access token with RFC 7662 token introspection through
//! the admin API: is the token active, who is it for, does it carry the scope the
//! endpoint needs.
//!
//! Run: `cargo run -p portunus-sdk --example introspection -- TOKEN [SCOPE]`.
//! Environment: `PORTUNUS_ADMIN_URL` (default http://127.0.0.1:4445),
//! `PORTUNUS_ADMIN_API_KEY` (when the admin API has one).
//!
//! Introspection is on the admin listener (as in Hydra), so the resource server needs
//! network access to it (and the API key); a resource server that cannot have that
//! verifies JWT access tokens (RFC 9068) against the public JWKS instead.

use portunus_sdk::types::IntrospectOAuth2TokenBody;
use portunus_sdk::{ApiError, Portunus};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let token = args.next().ok_or("usage: introspection TOKEN [SCOPE]")?;
    let required_scope = args.next();
    let mut builder = Portunus::builder();
    if let Ok(url) = std::env::var("PORTUNUS_ADMIN_URL") {
        builder = builder.admin_url(url);
    }
    if let Ok(key) = std::env::var("PORTUNUS_ADMIN_API_KEY") {
        builder = builder.admin_api_key(key);
    }
    let portunus = builder.build()?;

    // With `scope`, the server answers `active: false` unless the token was granted
    // every listed scope (Hydra's behaviour).
    let body = IntrospectOAuth2TokenBody {
        token,
        scope: required_scope.clone(),
    };
    let introspected = portunus
        .admin()
        .introspect_o_auth2_token()
        .body(body)
        .send()
        .await
        .map_err(ApiError::from)?
        .into_inner();

    if !introspected.active {
        // RFC 7662 §2.2: an inactive token says nothing more; answer 401 to the caller.
        println!("inactive: reject the request with 401 invalid_token");
        return Ok(());
    }
    println!(
        "active: subject {}, client {}, scope {:?}, expires at {}",
        introspected.sub.as_deref().unwrap_or("-"),
        introspected.client_id.as_deref().unwrap_or("-"),
        introspected.scope.as_deref().unwrap_or(""),
        introspected
            .exp
            .map_or("-".to_owned(), |exp| exp.to_string()),
    );
    if let Some(scope) = required_scope {
        println!("carries {scope:?}: serve the request");
    }
    Ok(())
}
