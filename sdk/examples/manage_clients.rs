//! Managing OAuth 2.0 clients through the admin API: create one with the common fields,
//! walk every page of the list, rename it with a JSON Patch, rotate its secret, delete
//! it, and read the server's error for the deleted id.
//!
//! Run against a server (`cargo run -p portunus -- serve all --dev`):
//! `cargo run -p portunus-sdk --example manage_clients`. Environment:
//! `PORTUNUS_ADMIN_URL` (default http://127.0.0.1:4445), `PORTUNUS_ADMIN_API_KEY` (when
//! the admin API has one).

use futures::TryStreamExt;
use portunus_sdk::types::{JsonPatch, OAuth2Client};
use portunus_sdk::{ApiError, OAuth2ErrorExt, Portunus};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Portunus::builder();
    if let Ok(url) = std::env::var("PORTUNUS_ADMIN_URL") {
        builder = builder.admin_url(url);
    }
    if let Ok(key) = std::env::var("PORTUNUS_ADMIN_API_KEY") {
        builder = builder.admin_api_key(key);
    }
    let portunus = builder.build()?;
    let admin = portunus.admin();

    // A confidential web application using the authorization code flow with refresh
    // tokens. Unset fields take the server's defaults; the server generates the id and
    // the secret when they are not given.
    let body = OAuth2Client {
        client_name: Some("billing dashboard".into()),
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        response_types: Some(vec!["code".into()]),
        scope: Some("openid offline_access invoices.read".into()),
        redirect_uris: Some(vec!["https://billing.example.com/callback".into()]),
        post_logout_redirect_uris: Some(vec!["https://billing.example.com/".into()]),
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        audience: Some(vec!["https://api.example.com/invoices".into()]),
        owner: Some("billing-team".into()),
        contacts: Some(vec!["billing-team@example.com".into()]),
        metadata: Some(serde_json::json!({"cost_center": "42"})),
        ..Default::default()
    };
    let created = admin
        .create_o_auth2_client()
        .body(body)
        .send()
        .await
        .map_err(ApiError::from)?
        .into_inner();
    let id = created.client_id.clone().unwrap_or_default();
    // The response to the create call is the only place a generated secret is shown.
    println!(
        "created {id} (secret {} characters)",
        created.client_secret.as_deref().unwrap_or_default().len()
    );

    // Every client of the owner, page after page: `stream()` follows the RFC 8288
    // `Link: <…>; rel="next"` header.
    let mut clients = admin
        .list_o_auth2_clients()
        .owner("billing-team")
        .page_size(50u64)
        .stream();
    while let Some(client) = clients.try_next().await? {
        println!(
            "  {} {}",
            client.client_id.unwrap_or_default(),
            client.client_name.unwrap_or_default()
        );
    }

    // RFC 6902 JSON Patch: change one field, keep the others.
    let patch = vec![JsonPatch {
        op: "replace".into(),
        path: "/client_name".into(),
        from: None,
        value: Some(serde_json::json!("billing dashboard v2")),
    }];
    let patched = admin
        .patch_o_auth2_client()
        .id(&id)
        .body(patch)
        .send()
        .await
        .map_err(ApiError::from)?;
    println!("renamed to {:?}", patched.client_name);

    // Secret rotation: PUT the client with a new secret (the stored client minus
    // the fields the server manages). The old secret stops working at once.
    let new_secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut replacement = patched.into_inner();
    replacement.client_secret = Some(new_secret);
    replacement.created_at = None;
    replacement.updated_at = None;
    replacement.registration_access_token = None;
    replacement.registration_client_uri = None;
    admin
        .set_o_auth2_client()
        .id(&id)
        .body(replacement)
        .send()
        .await
        .map_err(ApiError::from)?;
    println!("rotated the secret of {id}");

    admin
        .delete_o_auth2_client()
        .id(&id)
        .send()
        .await
        .map_err(ApiError::from)?;
    match admin.get_o_auth2_client().id(&id).send().await {
        Ok(_) => println!("{id} still exists?"),
        // The server's RFC 6749 style error: `error` and `error_description`.
        Err(err) if err.oauth2().is_some_and(|e| e.error == "not_found") => {
            println!("deleted: {}", ApiError::from(err));
        }
        Err(err) => return Err(ApiError::from(err).into()),
    }
    Ok(())
}
