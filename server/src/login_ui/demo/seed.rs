//! The demo client (issue 22 §3), created at startup in dev mode like the demo user: a
//! public client (`token_endpoint_auth_method: none`, so PKCE is what protects its
//! codes, RFC 7636 §1) whose only redirect URI is this server's `/ui/demo/callback`.

use super::{CLIENT_ID, SCOPE, callback_url, is_served};
use crate::client::admin;
use crate::client::wire::OAuth2Client;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;

/// The client's registration.
fn body(config: &crate::config::Config) -> OAuth2Client {
    OAuth2Client {
        client_id: Some(CLIENT_ID.to_owned()),
        client_name: Some("Portunus demo".to_owned()),
        redirect_uris: Some(vec![callback_url(config)]),
        grant_types: Some(vec![
            "authorization_code".to_owned(),
            "refresh_token".to_owned(),
        ]),
        response_types: Some(vec!["code".to_owned()]),
        scope: Some(SCOPE.to_owned()),
        token_endpoint_auth_method: Some("none".to_owned()),
        ..OAuth2Client::default()
    }
}

/// Creates the demo client when the demo is served and the client is absent; whether
/// this call created it. Outside dev mode (or without the login UI) it does nothing.
pub async fn demo_client(ctx: &OAuth2Context) -> Result<bool, OAuth2Error> {
    if !is_served(&ctx.config) || ctx.clients.get_client(CLIENT_ID).await?.is_some() {
        return Ok(false);
    }
    let created = admin::create(
        ctx.clients.as_ref(),
        ctx.clock.as_ref(),
        &ctx.keys,
        &ctx.config,
        body(&ctx.config),
    )
    .await;
    match created {
        Ok(_) => Ok(true),
        // Another process created it meanwhile.
        Err(err) if err.kind == ErrorKind::Conflict => Ok(false),
        Err(err) => Err(err),
    }
}
