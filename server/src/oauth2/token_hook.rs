//! Hydra's token hooks (`oauth2.token_hook`, `oauth2.refresh_token_hook`): before the
//! token endpoint issues tokens, the server POSTs the grant's session and request to an
//! operator's URL, which may keep the tokens' extra claims (204), replace them (200 with
//! `{"session": {"access_token": {…}, "id_token": {…}}}`) or deny the grant (403 →
//! `access_denied`). Anything else — another status, a body that is not that JSON, a
//! timeout, a refused connection — fails closed: nothing is issued and the client gets
//! `temporarily_unavailable` (503), never a token without the hook's say (Hydra answers
//! `server_error` here; docs/hydra-differences.md).
//!
//! The HTTP calls are `oauth2::webhook`'s: pooled, bounded in time and size, no
//! redirects.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::model::GrantType;
use crate::config::{OAuth2Config, WebhookConfig};
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::issue::Grant;
use crate::oauth2::webhook::Webhook;

/// The configured hooks, each with its pooled HTTP client.
#[derive(Debug, Clone, Default)]
pub struct TokenHooks {
    token: Option<Hook>,
    refresh: Option<Hook>,
}

#[derive(Debug, Clone)]
struct Hook {
    webhook: Webhook,
}

/// The body POSTed to a hook (Hydra's `TokenHookRequest`).
#[derive(Debug, Serialize)]
struct HookRequest<'a> {
    session: HookSession<'a>,
    request: HookGrantRequest<'a>,
}

/// The parts of Hydra's `oauth2.Session` a hook reads.
#[derive(Debug, Serialize)]
struct HookSession<'a> {
    id_token: HookIdToken<'a>,
    /// The access token's extra claims.
    extra: &'a Map<String, Value>,
    client_id: &'a str,
}

#[derive(Debug, Serialize)]
struct HookIdToken<'a> {
    id_token_claims: HookIdTokenClaims<'a>,
    subject: &'a str,
}

#[derive(Debug, Serialize)]
struct HookIdTokenClaims<'a> {
    /// The `sub` the client sees (pairwise where configured).
    sub: &'a str,
    /// The ID token's extra claims (empty when the grant issues no ID token).
    ext: &'a Map<String, Value>,
}

/// Hydra's `TokenHookRequest.request`.
#[derive(Debug, Serialize)]
struct HookGrantRequest<'a> {
    client_id: &'a str,
    granted_scopes: &'a [String],
    granted_audience: &'a [String],
    grant_types: [&'static str; 1],
    /// RFC 9396: the details the tokens will carry (absent when there are none, so a
    /// hook written for Hydra sees Hydra's body).
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    granted_authorization_details: &'a [Value],
    /// Hydra passes some request parameters here; Portunus passes none (credentials
    /// such as assertions never leave the server).
    payload: Map<String, Value>,
}

/// A 200 answer (Hydra's `TokenHookResponse`): the new extra claims of each token.
#[derive(Debug, Deserialize)]
struct HookResponse {
    session: HookResponseSession,
}

#[derive(Debug, Deserialize)]
struct HookResponseSession {
    #[serde(default)]
    access_token: Option<Map<String, Value>>,
    #[serde(default)]
    id_token: Option<Map<String, Value>>,
}

impl TokenHooks {
    /// The hooks of `config`, each with an HTTP client bounded by its timeout.
    pub fn from_config(config: &OAuth2Config) -> Result<Self, reqwest::Error> {
        let hook = |key, config: &Option<WebhookConfig>| {
            config
                .as_ref()
                .map(|config| Webhook::new(key, config.clone()).map(|webhook| Hook { webhook }))
                .transpose()
        };
        Ok(Self {
            token: hook("oauth2.token_hook", &config.token_hook)?,
            refresh: hook("oauth2.refresh_token_hook", &config.refresh_token_hook)?,
        })
    }

    /// The hooks a grant of `grant_type` passes through, in order: the refresh hook
    /// first for refreshes (as Hydra), then the token hook.
    fn for_grant(&self, grant_type: GrantType) -> impl Iterator<Item = &Hook> {
        let refresh = match grant_type {
            GrantType::RefreshToken => self.refresh.as_ref(),
            _ => None,
        };
        refresh.into_iter().chain(self.token.as_ref())
    }

    /// Whether any hook runs for `grant_type`.
    pub fn applies(&self, grant_type: GrantType) -> bool {
        self.for_grant(grant_type).next().is_some()
    }

    /// Runs the hooks of `grant_type` over `grant` and the ID token's extra claims
    /// (`None` when no ID token is issued), replacing the claims a hook answers with.
    pub async fn run(
        &self,
        grant_type: GrantType,
        grant: &mut Grant,
        mut id_token_claims: Option<&mut Map<String, Value>>,
    ) -> Result<(), OAuth2Error> {
        for hook in self.for_grant(grant_type) {
            let empty = Map::new();
            let request = HookRequest {
                session: HookSession {
                    id_token: HookIdToken {
                        id_token_claims: HookIdTokenClaims {
                            sub: grant.session.client_subject(&grant.subject),
                            ext: id_token_claims.as_deref().unwrap_or(&empty),
                        },
                        subject: &grant.subject,
                    },
                    extra: &grant.session.ext,
                    client_id: &grant.client_id,
                },
                request: HookGrantRequest {
                    client_id: &grant.client_id,
                    granted_scopes: &grant.scope,
                    granted_audience: &grant.audience,
                    grant_types: [grant_type.as_str()],
                    granted_authorization_details: &grant.session.authorization_details,
                    payload: Map::new(),
                },
            };
            if let Some(answer) = hook.call(&request).await? {
                // Hydra overwrites both sets of extra claims with the answer's.
                grant.session.ext = answer.access_token.unwrap_or_default();
                if let Some(claims) = id_token_claims.as_deref_mut() {
                    *claims = answer.id_token.unwrap_or_default();
                }
            }
        }
        Ok(())
    }
}

impl Hook {
    /// One call: `Some` new claims (200), `None` to keep them (204), or the error the
    /// token endpoint answers with.
    async fn call(
        &self,
        request: &HookRequest<'_>,
    ) -> Result<Option<HookResponseSession>, OAuth2Error> {
        let answer = self
            .webhook
            .post(request)
            .await
            .map_err(|reason| self.unavailable(reason))?;
        match answer.status {
            204 => return Ok(None),
            200 => {}
            403 => {
                return Err(OAuth2Error::new(ErrorKind::AccessDenied)
                    .with_hint("The token hook denied the request."));
            }
            status => return Err(self.unavailable(format!("it answered HTTP {status}"))),
        }
        let answer: HookResponse = serde_json::from_slice(&answer.body).map_err(|e| {
            self.unavailable(format!(
                "its answer is not {{\"session\": {{\"access_token\": {{...}}, \"id_token\": {{...}}}}}}: {e}"
            ))
        })?;
        Ok(Some(answer.session))
    }

    /// Fails closed: the reason goes to the log and `error_debug`, never to the client's
    /// description (it may name internal hosts).
    fn unavailable(&self, reason: String) -> OAuth2Error {
        let key = self.webhook.key;
        tracing::warn!(hook = key, %reason, "token hook failed; no tokens issued");
        OAuth2Error::new(ErrorKind::TemporarilyUnavailable)
            .with_hint("The token hook did not answer as expected; try again later.")
            .with_debug(format!("{key}: {reason}"))
    }
}
