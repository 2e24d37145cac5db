//! The Logout Token of Back-Channel Logout 1.0 §2.4: a JWT signed like ID tokens (the
//! `hydra.openid.id-token` set, the client's `id_token_signed_response_alg` or RS256),
//! with `typ` `logout+jwt` (§2.4: "explicitly typed"), and the claims `iss`, `aud`,
//! `iat`, `exp`, `jti`, `events`, `sub` and `sid`. §2.4: "A Logout Token MUST NOT
//! contain a nonce Claim."

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::client::model::Client;
use crate::error::OAuth2Error;
use crate::jwk::{Algorithm, ID_TOKEN_SET};
use crate::oidc::OidcContext;
use crate::oidc::subject;

/// The event member of §2.4.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The JOSE `typ` of §2.4.
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// How long a logout token is valid: it is delivered at once (§2.4 recommends "at most
/// two minutes" of lifetime for `exp`-checking receivers).
pub const LOGOUT_TOKEN_LIFESPAN: Duration = Duration::minutes(2);

/// Who is logged out of which session, for one client.
#[derive(Debug, Clone, Copy)]
pub struct LogoutOf<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    pub sid: &'a str,
    pub issued_at: DateTime<Utc>,
}

/// The claims of §2.4. `sid` is always sent (the client may need it even when it did not
/// register `backchannel_logout_session_required`, and §2.4 allows both `sub` and `sid`).
pub fn claims(of: LogoutOf<'_>) -> Value {
    json!({
        "iss": of.issuer,
        "aud": [of.client_id],
        "iat": of.issued_at.timestamp(),
        "exp": crate::duration::later(of.issued_at, LOGOUT_TOKEN_LIFESPAN).timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        "sub": of.subject,
        "sid": of.sid,
    })
}

/// Signs the logout token for `client`; `subject` is the local subject.
pub async fn sign(
    ctx: &OidcContext,
    client: &Client,
    subject: &str,
    sid: &str,
) -> Result<String, OAuth2Error> {
    let keys = &ctx.key_manager;
    let wanted = match client.id_token_signed_response_alg.as_str() {
        "" => Some(Algorithm::RS256),
        name => Some(Algorithm::parse(name).ok_or_else(|| {
            OAuth2Error::server_error(format!("the client's algorithm {name:?} cannot sign"))
        })?),
    };
    let alg = match keys.signing_alg(ID_TOKEN_SET, wanted).await? {
        Some(alg) => Some(alg),
        None => keys.signing_alg(ID_TOKEN_SET, None).await?,
    };
    let issuer = ctx.config.issuer();
    // §2.4: `sub` as in the client's ID tokens (pairwise for pairwise clients).
    let sub = subject::for_client(&ctx.config, client, subject);
    let claims = claims(LogoutOf {
        issuer: &issuer,
        client_id: &client.client_id,
        subject: &sub,
        sid,
        issued_at: ctx.clock.now(),
    });
    let signed = keys
        .sign_with(ID_TOKEN_SET, claims, LOGOUT_TOKEN_TYP, alg)
        .await?;
    Ok(signed.token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn claims_follow_backchannel_logout_2_4() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let claims = claims(LogoutOf {
            issuer: "https://issuer.test/",
            client_id: "rp-1",
            subject: "ada",
            sid: "sid-1",
            issued_at: now,
        });
        assert_eq!(claims["aud"], json!(["rp-1"]));
        assert_eq!(claims["exp"], now.timestamp() + 120);
        assert_eq!(claims["events"][BACKCHANNEL_LOGOUT_EVENT], json!({}));
        assert_eq!(claims["sid"], "sid-1");
        assert!(claims.get("nonce").is_none(), "§2.4: no nonce");
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    }
}
