//! The single-use token a grant consumes (an authorization code, a refresh token),
//! checked the same way by both grants; every failure is `invalid_grant` (RFC 6749
//! §5.2: "invalid, expired, revoked, … or was issued to another client").

use crate::client::model::Client;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::token_format;
use crate::storage::{StoredToken, TokenKind};

fn invalid_grant(hint: String) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidGrant).with_hint(hint)
}

/// What the token is called in hints.
fn name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::AuthorizationCode => "authorization code",
        TokenKind::RefreshToken => "refresh token",
        TokenKind::AccessToken => "access token",
    }
}

/// The stored token of `value`: made by this server (its MAC verifies) as a token of
/// `kind`, stored, issued to `client` and not expired by the server's clock. Whether it
/// is still active is the caller's question: an inactive one means reuse.
pub async fn load(
    ctx: &OAuth2Context,
    client: &Client,
    kind: TokenKind,
    value: &str,
) -> Result<StoredToken, OAuth2Error> {
    let what = name(kind);
    let verified = token_format::verify(&ctx.keys, value)
        .filter(|verified| verified.kind == kind)
        .ok_or_else(|| {
            invalid_grant(format!(
                "The {what} is malformed or was not issued by this server."
            ))
        })?;
    let stored = ctx
        .tokens
        .get_token(kind, &verified.signature_hash)
        .await?
        .ok_or_else(|| invalid_grant(format!("The {what} has not been found.")))?;
    if stored.client_id != client.client_id {
        return Err(invalid_grant(format!(
            "The OAuth 2.0 Client ID from this request does not match the one the {what} was issued to."
        )));
    }
    if stored.expires_at <= ctx.clock.now() {
        return Err(invalid_grant(format!(
            "The {what} expired at {}.",
            stored.expires_at.to_rfc3339()
        )));
    }
    Ok(stored)
}

/// A consumed (or revoked) token presented again. RFC 6749 §4.1.2: "If an authorization
/// code is used more than once, the authorization server MUST deny the request and
/// SHOULD revoke (when possible) all tokens previously issued based on that
/// authorization code"; RFC 6749 §10.4 and RFC 9700 §4.14.2 ask the same for a rotated
/// refresh token. Revokes the token's whole family, then returns the error to send.
pub async fn reused(ctx: &OAuth2Context, stored: &StoredToken) -> OAuth2Error {
    let what = name(stored.kind);
    crate::prometheus::token_reused(&what.replace(' ', "_"));
    let why = match stored.kind {
        TokenKind::RefreshToken => crate::events::Revocation::RefreshReuse,
        _ => crate::events::Revocation::CodeReuse,
    };
    let events = match crate::events::family_revoked(
        &ctx.config,
        ctx.clock.now(),
        &stored.client_id,
        &stored.family_id,
        why,
    ) {
        Ok(events) => events,
        Err(err) => return err.into(),
    };
    match ctx
        .tokens
        .revoke_family_reporting(&stored.family_id, &events)
        .await
    {
        Ok(revoked) => {
            tracing::warn!(
                family = %stored.family_id,
                client_id = %stored.client_id,
                revoked,
                "{what} reused: revoked every token of its grant"
            );
            invalid_grant(format!(
                "The {what} has already been used or was revoked; every token issued with it has been revoked."
            ))
        }
        Err(err) => err.into(),
    }
}
