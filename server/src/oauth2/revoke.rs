//! RFC 7009 token revocation, and the admin deletion of a client's access tokens.
//!
//! Revoking any token of a family revokes the whole family — the access and refresh
//! tokens one grant issued — as Hydra does (fosite revokes the refresh and the access
//! tokens of the token's request), which RFC 7009 §2.1 allows for access tokens and
//! asks for refresh tokens. `token_type_hint` is not needed: the prefix of our tokens
//! names their kind, and RFC 7009 §2.1 lets the server search beyond the hint anyway.
//! RFC 9068 JWT access tokens are revoked through their stored row, like opaque ones.

use crate::client::model::Client;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::jwt_access_token;
use crate::storage::TokenKind;

/// Revokes `token` for the authenticated `client`. Unknown, malformed and already
/// revoked tokens succeed without effect (RFC 7009 §2.2: "invalid tokens do not cause
/// an error response"). A token issued to another client is `unauthorized_client`
/// (RFC 7009 §2.1: the server "verifies whether the token was issued to the client
/// making the revocation request. If this validation fails, the request is refused").
pub async fn revoke(ctx: &OAuth2Context, client: &Client, token: &str) -> Result<(), OAuth2Error> {
    let Some(verified) = jwt_access_token::identify(ctx, token).await else {
        return Ok(());
    };
    if verified.kind == TokenKind::AuthorizationCode {
        return Ok(());
    }
    let Some(stored) = ctx
        .tokens
        .get_token(verified.kind, &verified.signature_hash)
        .await?
    else {
        return Ok(());
    };
    if stored.client_id != client.client_id {
        return Err(OAuth2Error::new(ErrorKind::UnauthorizedClient)
            .with_hint("The token was not issued to the client making the revocation request."));
    }
    let events = crate::events::family_revoked(
        &ctx.config,
        ctx.clock.now(),
        &client.client_id,
        &stored.family_id,
        crate::events::Revocation::Requested,
    )?;
    let revoked = ctx
        .tokens
        .revoke_family_reporting(&stored.family_id, &events)
        .await?;
    tracing::debug!(family = %stored.family_id, revoked, "revoked token family");
    Ok(())
}

/// Deletes every access token issued to `client_id` (Hydra's `deleteOAuth2Token`).
pub async fn delete_client_access_tokens(
    ctx: &OAuth2Context,
    client_id: &str,
) -> Result<(), OAuth2Error> {
    if client_id.is_empty() {
        return Err(OAuth2Error::invalid_request(
            "The query parameter 'client_id' is missing.",
        ));
    }
    let deleted = ctx.tokens.delete_client_access_tokens(client_id).await?;
    tracing::debug!(client_id, deleted, "deleted access tokens");
    Ok(())
}
