//! The credential hook of the password grant (`oauth2.grant.password.hook`): Portunus
//! stores no passwords for this grant, so an operator's service checks each pair.
//!
//! Request: `POST {"username", "password", "client_id", "scope": [...]}` (the scope as
//! requested and allowed for the client), plus `"authorization_details": [...]` when
//! the request carries RFC 9396 details (of types the client may use; the tokens carry
//! them as asked, so a hook that must not grant them refuses the pair). Answers:
//! - 200 `{"subject": "…", "access_token": {…}?, "id_token": {…}?}`: the credentials
//!   are right; `subject` (1 to 255 characters, no control characters) is the token's
//!   subject, the two objects the access token's and the ID token's extra claims;
//! - 401 or 403: they are not (`invalid_grant`, counted as a failure);
//! - anything else, an unreadable body, a timeout: the check failed, and nothing is
//!   issued (`temporarily_unavailable`, not counted against the user).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::WebhookConfig;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::webhook::Webhook;

/// The longest `subject` a hook may name: the column every token row keeps it in.
pub const MAX_SUBJECT_LEN: usize = 255;

/// The body sent to the hook. Never logged: it carries the password.
#[derive(Serialize)]
struct CheckRequest<'a> {
    username: &'a str,
    password: &'a str,
    client_id: &'a str,
    scope: &'a [String],
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    authorization_details: &'a [Value],
}

/// What a 200 answer carries.
#[derive(Debug, Deserialize)]
struct CheckAnswer {
    subject: String,
    #[serde(default)]
    access_token: Option<Map<String, Value>>,
    #[serde(default)]
    id_token: Option<Map<String, Value>>,
}

/// A resource owner the hook vouched for.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub subject: String,
    pub access_token_claims: Map<String, Value>,
    pub id_token_claims: Map<String, Value>,
}

/// The hook's verdict on one pair.
#[derive(Debug)]
pub enum Verdict {
    Verified(Verified),
    Refused,
}

/// The configured credential hook.
#[derive(Debug, Clone)]
pub struct CredentialHook {
    webhook: Webhook,
}

impl CredentialHook {
    pub fn new(config: WebhookConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            webhook: Webhook::new("oauth2.grant.password.hook", config)?,
        })
    }

    /// Asks the hook about `username` and `password`.
    pub async fn check(
        &self,
        username: &str,
        password: &str,
        client_id: &str,
        scope: &[String],
        authorization_details: &[Value],
    ) -> Result<Verdict, OAuth2Error> {
        let request = CheckRequest {
            username,
            password,
            client_id,
            scope,
            authorization_details,
        };
        let answer = self
            .webhook
            .post(&request)
            .await
            .map_err(|reason| self.unavailable(reason))?;
        match answer.status {
            200 => {}
            401 | 403 => return Ok(Verdict::Refused),
            status => return Err(self.unavailable(format!("it answered HTTP {status}"))),
        }
        let answer: CheckAnswer = serde_json::from_slice(&answer.body).map_err(|e| {
            self.unavailable(format!(
                "its answer is not {{\"subject\": \"...\", \"access_token\": {{...}}, \"id_token\": {{...}}}}: {e}"
            ))
        })?;
        let subject = answer.subject;
        if subject.is_empty()
            || subject.chars().count() > MAX_SUBJECT_LEN
            || subject.chars().any(char::is_control)
        {
            return Err(self.unavailable(format!(
                "its subject must be 1 to {MAX_SUBJECT_LEN} characters without control characters"
            )));
        }
        Ok(Verdict::Verified(Verified {
            subject,
            access_token_claims: answer.access_token.unwrap_or_default(),
            id_token_claims: answer.id_token.unwrap_or_default(),
        }))
    }

    /// Fails closed: the reason goes to the log and `error_debug`, never to the
    /// client's description (it may name internal hosts).
    fn unavailable(&self, reason: String) -> OAuth2Error {
        let key = self.webhook.key;
        tracing::warn!(hook = key, %reason, "password grant hook failed; no tokens issued");
        OAuth2Error::new(ErrorKind::TemporarilyUnavailable)
            .with_hint("The credential check did not answer as expected; try again later.")
            .with_debug(format!("{key}: {reason}"))
    }
}
