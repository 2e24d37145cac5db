//! RFC 6749 §4.3: the resource owner password credentials grant
//! (`grant_type=password`), a legacy grant (RFC 9700 §2.4: it "MUST NOT be used"),
//! served only when `oauth2.grant.password.enabled`, for clients an operator
//! registered with it (dynamic registration refuses it). Portunus keeps no passwords
//! for it: the operator's hook checks each pair (`hook.rs`).
//!
//! The steps:
//! 1. `username` and `password` are required (`invalid_request`), and bounded;
//! 2. scope and audience as for the client credentials grant (`invalid_scope`,
//!    `invalid_request`, `invalid_target`);
//! 3. a username or client that has used up its failed attempts of the window
//!    (`oauth2.grant.password.failed_attempts`) is refused before the hook is asked
//!    (§4.3.2: "the authorization server MUST protect the endpoint against brute force
//!    attacks (e.g., using rate-limitation or generating alerts)");
//! 4. the hook says yes (tokens for its subject) or no (`invalid_grant`, one failure
//!    for the username and one for the client);
//! 5. an access token, a refresh token when `offline`/`offline_access` is granted and
//!    the client may refresh, an ID token when `openid` is (OIDC Core §2 `amr: pwd`).

mod hook;

use async_trait::async_trait;

use super::{GrantHandler, TokenRequest};
use crate::client::model::{Client, GrantType};
use crate::config::PasswordGrantConfig;
use crate::error::{ErrorKind, OAuth2Error};
use crate::failed_attempts::{Budget, DEFAULT_CAPACITY};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::{self, Grant, Plan, RefreshPlan, TokenResponse};
use crate::oauth2::session::TokenSession;
use crate::oidc::id_token::{IdTokenContext, IdTokenPlan};
use crate::oidc::subject;
use crate::redis_client::SharedCounters;

use hook::{CredentialHook, Verdict};

/// The longest `username` accepted, in bytes (Keycloak's limit is 255 characters).
pub const MAX_USERNAME_LEN: usize = 1024;
/// The longest `password` accepted, in bytes: enough for any passphrase, short enough
/// that a hook's hashing cannot be made expensive by the request.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// `grant_type=password`, with its hook and failure budgets.
#[derive(Debug)]
pub struct Password {
    hook: CredentialHook,
    usernames: Budget,
    clients: Budget,
}

impl Password {
    /// The grant as `config` sets it up; `None` when it is off or has no hook (which
    /// configuration validation refuses when it is on). With `shared` (a Redis
    /// `rate_limit.store`), every node spends from one failure budget per key.
    pub fn from_config(
        config: &PasswordGrantConfig,
        shared: Option<&SharedCounters>,
    ) -> Result<Option<Self>, reqwest::Error> {
        let (true, Some(hook)) = (config.enabled, &config.hook) else {
            return Ok(None);
        };
        let limits = &config.failed_attempts;
        let window = limits.window.as_chrono();
        let budget = |name, max| Budget::new(name, max, window, DEFAULT_CAPACITY, shared);
        Ok(Some(Self {
            hook: CredentialHook::new(hook.clone())?,
            usernames: budget("password_grant_username", limits.per_username),
            clients: budget("password_grant_client", limits.per_client),
        }))
    }
}

fn bounded<'a>(
    form: &'a crate::oauth2::form::FormParams,
    name: &str,
    max: usize,
) -> Result<&'a str, OAuth2Error> {
    let value = form.require(name)?;
    if value.is_empty() {
        return Err(OAuth2Error::invalid_request(format!(
            "The request parameter {name} must not be empty."
        )));
    }
    if value.len() > max {
        return Err(OAuth2Error::invalid_request(format!(
            "The request parameter {name} is longer than {max} bytes."
        )));
    }
    Ok(value)
}

/// The key failures of `username` are counted under: case and surrounding space do
/// not make a new budget, whatever the hook's own rules for usernames.
fn username_key(username: &str) -> String {
    username.trim().to_lowercase()
}

fn too_many_failures(
    ends: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> OAuth2Error {
    let seconds = ends.signed_duration_since(now).num_seconds().max(1);
    OAuth2Error::new(ErrorKind::InvalidGrant).with_hint(format!(
        "Too many failed attempts for this username or client; try again in {seconds} seconds."
    ))
}

#[async_trait]
impl GrantHandler for Password {
    fn grant_type(&self) -> GrantType {
        GrantType::Password
    }

    /// RFC 6749 §4.3.2: a confidential client must authenticate; a public one (a
    /// first-party native app) may use the grant, as Keycloak's "direct access grants".
    fn allows_public_clients(&self) -> bool {
        true
    }

    async fn handle(
        &self,
        ctx: &OAuth2Context,
        client: &Client,
        request: TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuth2Error> {
        let form = request.form;
        let username = bounded(form, "username", MAX_USERNAME_LEN)?;
        let password = bounded(form, "password", MAX_PASSWORD_LEN)?;
        let (scope, audience) = super::self_requested(ctx, client, form)?;

        let now = ctx.clock.now();
        let user_key = username_key(username);
        let blocked = [
            self.usernames.blocked_until(&user_key, now).await,
            self.clients.blocked_until(&client.client_id, now).await,
        ];
        if let Some(ends) = blocked.into_iter().flatten().max() {
            return Err(too_many_failures(ends, now));
        }
        // RFC 9396 §6: like client credentials, the token request names its details
        // (of types the client may use); the hook sees them with the credentials.
        let authorization_details =
            crate::oauth2::authorization_details::from_form(form, &ctx.config, client)?;
        let verified = match self
            .hook
            .check(
                username,
                password,
                &client.client_id,
                &scope,
                &authorization_details,
            )
            .await?
        {
            Verdict::Verified(verified) => verified,
            Verdict::Refused => {
                self.usernames.record_failure(&user_key, now).await;
                self.clients.record_failure(&client.client_id, now).await;
                return Err(OAuth2Error::new(ErrorKind::InvalidGrant).with_hint(
                    "The resource owner's username or password is not right (RFC 6749 Section 4.3.2).",
                ));
            }
        };

        let granted = |name: &str| scope.iter().any(|s| s == name);
        let ttl = &ctx.config.ttl;
        let id_context = IdTokenContext {
            auth_time: Some(now),
            amr: vec!["pwd".to_owned()],
            claims: verified.id_token_claims,
            ..IdTokenContext::default()
        };
        let id_token = if granted("openid") {
            Some(IdTokenPlan::for_client(
                client,
                id_context.clone(),
                false,
                ttl.id_token.as_chrono(),
            )?)
        } else {
            None
        };
        let offline = granted("offline") || granted("offline_access");
        let refresh = (offline && client.has_grant(GrantType::RefreshToken)).then(|| {
            RefreshPlan::new(
                ttl.refresh_token.as_chrono(),
                scope.clone(),
                client,
                &request.token_type,
            )
        });
        let client_subject = subject::for_client(&ctx.config, client, &verified.subject);
        let session = TokenSession {
            ext: verified.access_token_claims,
            // Kept with the family so a refresh issues the same ID token claims.
            id_token: Some(
                serde_json::to_value(&id_context)
                    .map_err(|e| OAuth2Error::server_error(e.to_string()))?,
            ),
            obfuscated_subject: (client_subject != verified.subject).then_some(client_subject),
            authorization_details,
            ..TokenSession::default()
        };
        let grant = Grant::new(
            &client.client_id,
            &verified.subject,
            scope.clone(),
            audience,
            session,
            now,
        );
        let plan = Plan {
            grant_type: GrantType::Password,
            access_format: issue::access_format(ctx, client),
            access_lifespan: ttl.access_token.as_chrono(),
            refresh,
            id_token,
            token_type: request.token_type,
        };
        issue::issue_plan(ctx, &grant, &plan).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_counted_regardless_of_case_and_spaces() {
        assert_eq!(username_key(" Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn the_lockout_description_says_when_to_retry_in_rfc_characters() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ends = now + chrono::Duration::seconds(90);
        let err = too_many_failures(ends, now);
        assert_eq!(err.kind, ErrorKind::InvalidGrant);
        let hint = err.hint.unwrap_or_default();
        assert!(hint.contains("90 seconds"), "{hint}");
        assert!(
            hint.bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
        );
    }
}
