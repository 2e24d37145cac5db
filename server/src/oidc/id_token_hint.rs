//! ID tokens this server issued, presented back as hints: the authorization request's
//! `id_token_hint` (OIDC Core §3.1.2.1) and RP-Initiated Logout's (§2, `logout/hint.rs`).

use serde_json::{Map, Value};

use crate::error::OAuth2Error;
use crate::jwk::ID_TOKEN_SET;
use crate::oidc::OidcContext;

/// OIDC Core §3.1.2.1 `id_token_hint`: "ID Token previously issued by the Authorization
/// Server". Its signature must verify with the ID-token key set and its `iss` be ours;
/// an expired hint is accepted ("the OP SHOULD accept it even if it has expired").
pub async fn verify_id_token_hint(
    ctx: &OidcContext,
    hint: &str,
) -> Result<Map<String, Value>, OAuth2Error> {
    let invalid = |why: String| {
        OAuth2Error::invalid_request(format!("The id_token_hint is not valid: {why}."))
    };
    let verified = ctx
        .key_manager
        .verify(ID_TOKEN_SET, hint)
        .await
        .map_err(|e| invalid(e.to_string()))?;
    let claims = verified.claims;
    let issuer = ctx.config.issuer();
    if claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
        return Err(invalid(format!("it was not issued by {issuer}")));
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(invalid("it has no sub claim".to_owned()));
    }
    Ok(claims)
}
