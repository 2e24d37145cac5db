//! `id_token_hint` of RP-Initiated Logout 1.0 §2: "ID Token previously issued by the OP
//! to the RP". The OP verifies it was issued by itself: its signature against the
//! `hydra.openid.id-token` set and its `iss`. §2 also says "The OP need not be
//! concerned with the expiration of the ID Token", so `exp` is not checked.

use serde_json::Value;

use crate::error::OAuth2Error;
use crate::jwk::ID_TOKEN_SET;
use crate::state::AppState;

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
    OAuth2Error::invalid_request(format!("The id_token_hint is invalid: {why}."))
}

/// Verifies `token` as an ID token this server issued.
pub async fn verify(state: &AppState, token: &str) -> Result<IdTokenHint, OAuth2Error> {
    let verified = state
        .key_manager
        .verify(ID_TOKEN_SET, token)
        .await
        .map_err(|e| invalid(&format!("it was not signed by this server ({e})")))?;
    let claims = verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    if text("iss").as_deref() != Some(state.config.issuer().as_str()) {
        return Err(invalid("its issuer is not this server"));
    }
    let subject = text("sub")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("it has no subject"))?;
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
