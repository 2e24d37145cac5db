//! `id_token_hint` of RP-Initiated Logout 1.0 §2: "ID Token previously issued by the OP
//! to the RP". The OP verifies it was issued by itself: its signature against the
//! `hydra.openid.id-token` set and its `iss`. §2 also says "The OP need not be
//! concerned with the expiration of the ID Token", so `exp` is not checked.

use serde_json::Value;

use crate::error::OAuth2Error;
use crate::oidc::OidcContext;
use crate::oidc::id_token_hint::verify_id_token_hint;

/// What logout needs of a verified hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenHint {
    pub subject: String,
    /// Every audience; the first is the client the token was issued to.
    pub audience: Vec<String>,
    pub sid: Option<String>,
}

impl IdTokenHint {
    /// The client the hint was issued to: the first audience (our ID tokens have one).
    pub fn client_id(&self) -> Option<&str> {
        self.audience.first().map(String::as_str)
    }
}

fn invalid(why: &str) -> OAuth2Error {
    OAuth2Error::invalid_request(format!("The id_token_hint is not valid: {why}."))
}

/// Verifies `token` as an ID token this server issued (signature, `iss`, `sub`: the
/// same check as the authorization endpoint's hint) and that it names its client.
pub async fn verify(ctx: &OidcContext, token: &str) -> Result<IdTokenHint, OAuth2Error> {
    let claims = verify_id_token_hint(ctx, token).await?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let subject = text("sub").unwrap_or_default();
    let audience: Vec<String> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if audience.is_empty() {
        return Err(invalid("it has no audience"));
    }
    Ok(IdTokenHint {
        subject,
        audience,
        sid: text("sid"),
    })
}
