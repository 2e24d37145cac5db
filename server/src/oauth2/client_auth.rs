//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3).
//!
//! A request uses exactly one method (RFC 6749 §2.3: "MUST NOT use more than one
//! authentication method in each request"), and it must be the method the client
//! registered as `token_endpoint_auth_method`. Failures are `401 invalid_client`, with
//! `WWW-Authenticate: Basic` when the request tried HTTP Basic (RFC 6749 §5.2).
//!
//! `private_key_jwt` and `client_secret_jwt` assertions are verified by
//! [`PrivateKeyJwt`] (RFC 7523), the latter with the client's secret opened from its
//! sealed form.
//!
//! Secrets are checked by [`SecretVerifier`]: one SHA-256 for secrets the server
//! generated; Argon2id for operator-chosen ones, on the blocking pool behind a bounded,
//! fair queue, with successes and recent failures cached (docs/security.md, `secret_check.rs`).
//!
//! Client enumeration: an unknown client, a client registered for another method, and
//! a wrong secret get one and the same answer, and a presented secret costs the same
//! work whether or not the client exists (`secret_check.rs`). The specific reason is
//! kept in the error's debug text (shown only with `oauth2.expose_internal_errors`),
//! and its class in the sampled `auth.client_failed` audit event
//! (`events::report_auth`), which goes to the operator, never to the client.

use std::sync::Arc;

use crate::client::metadata_document::ResolvingClients;
use crate::client::model::{Client, TokenEndpointAuthMethod};
use crate::client::secret;
use crate::config::SecurityProfile;
use crate::error::{ErrorKind, OAuth2Error};
use crate::events::SampledEvents;
use crate::events::report_auth::{ClientAuthFailure, client_failed};
use crate::oauth2::fapi2;
use crate::oauth2::form::FormParams;
use crate::oauth2::private_key_jwt::{Assertion, PrivateKeyJwt};
use crate::oauth2::request_context::RequestContext;
use crate::storage::ClientStore;

pub mod admission;
mod credentials;
mod failure;
pub mod in_flight;
pub mod secret_check;
#[cfg(test)]
mod tests;

pub use credentials::Credentials;
pub use failure::FailureReason;
use failure::{Refusal, refused};
pub use secret_check::{SecretVerifier, Settings as SecretSettings};

/// The one answer to a client that is unknown, registered for another method, or
/// presented a wrong secret (issue 12 item 8: nothing tells them apart).
pub const AUTHENTICATION_FAILED: &str = "The client is unknown, is registered for another authentication method, or the credentials did not match.";

/// The challenge sent with `invalid_client` after an HTTP Basic attempt.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"portunus\"";

/// Authenticates clients against the client store.
pub struct ClientAuthenticator {
    clients: Arc<dyn ClientStore>,
    /// Client ID Metadata Document clients, whose refusals say why; without it only
    /// `clients` is read.
    resolving: Option<Arc<ResolvingClients>>,
    secrets: SecretVerifier,
    /// `private_key_jwt`; without it such requests are refused as not enabled.
    private_key_jwt: Option<PrivateKeyJwt>,
    /// `oauth2.profile`: under FAPI 2.0 covered clients must use `private_key_jwt`.
    profile: SecurityProfile,
    /// Where refusals are reported (`auth.client_failed`); a no-op with events off.
    failures: SampledEvents,
}

impl std::fmt::Debug for ClientAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuthenticator")
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl ClientAuthenticator {
    pub fn new(clients: Arc<dyn ClientStore>, secrets: SecretVerifier) -> Self {
        Self {
            clients,
            resolving: None,
            secrets,
            private_key_jwt: None,
            profile: SecurityProfile::None,
            failures: SampledEvents::default(),
        }
    }

    /// Reports refusals to `events` (`auth.client_failed`, sampled).
    pub fn with_failure_events(mut self, events: SampledEvents) -> Self {
        self.failures = events;
        self
    }

    /// Holds clients to `profile` (`oauth2.profile`) besides their own `fapi_profile`.
    pub fn with_profile(mut self, profile: SecurityProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Reads clients through `resolving`: an unusable Client ID Metadata Document is
    /// refused with its reason (the document is public, so naming it leaks nothing).
    pub fn with_metadata_documents(mut self, resolving: Arc<ResolvingClients>) -> Self {
        self.resolving = Some(resolving);
        self
    }

    /// Enables `private_key_jwt` (OIDC Core §9) with `verifier`.
    pub fn with_private_key_jwt(mut self, verifier: PrivateKeyJwt) -> Self {
        self.private_key_jwt = Some(verifier);
        self
    }

    /// The secret verifier and its caches (for tests and metrics).
    pub fn secrets(&self) -> &SecretVerifier {
        &self.secrets
    }

    /// Authenticates the request's client (RFC 6749 §2.3) and returns it, recording it
    /// in `http` as the client the request acts for.
    pub async fn authenticate(
        &self,
        http: &RequestContext,
        form: &FormParams,
    ) -> Result<Client, OAuth2Error> {
        let credentials = match Credentials::extract(http.authorization()?, form) {
            Ok(credentials) => credentials,
            Err(err) => {
                if err.kind == ErrorKind::InvalidClient {
                    self.report(http, None, None, FailureReason::NoCredentials);
                }
                return Err(err);
            }
        };
        let method = credentials.method();
        let presented = credentials.client_id().map(str::to_owned);
        match self.authenticate_credentials(credentials).await {
            Ok(client) => {
                http.record_client(&client.client_id);
                Ok(client)
            }
            Err(Refusal {
                error,
                reason,
                client_id,
            }) => {
                if error.kind == ErrorKind::InvalidClient {
                    crate::prometheus::client_authentication_failed(method.as_str());
                    let named = client_id.as_deref().or(presented.as_deref());
                    self.report(http, named, Some(method.as_str()), reason);
                }
                Err(error)
            }
        }
    }

    /// Offers the refusal to the sampled `auth.client_failed` events.
    fn report(
        &self,
        http: &RequestContext,
        client_id: Option<&str>,
        method: Option<&str>,
        reason: FailureReason,
    ) {
        let endpoint = url::Url::parse(&http.url)
            .map(|url| url.path().to_owned())
            .unwrap_or_default();
        client_failed(
            &self.failures,
            &ClientAuthFailure {
                client_id,
                method,
                reason: reason.as_str(),
                endpoint: &endpoint,
            },
        );
    }

    async fn authenticate_credentials(&self, credentials: Credentials) -> Result<Client, Refusal> {
        let basic = matches!(credentials, Credentials::ClientSecretBasic { .. });
        let fail = |hint: String| {
            let err = OAuth2Error::new(ErrorKind::InvalidClient).with_hint(hint);
            if basic {
                err.with_www_authenticate(BASIC_CHALLENGE)
            } else {
                err
            }
        };
        let assertion = match &credentials {
            Credentials::PrivateKeyJwt {
                assertion,
                client_id,
            }
            | Credentials::ClientSecretJwt {
                assertion,
                client_id,
            } => {
                if self.private_key_jwt.is_none() {
                    return Err(refused(FailureReason::MethodNotAllowed)(fail(format!(
                        "{} authentication is not enabled on this server.",
                        credentials.method().as_str()
                    ))));
                }
                let parsed = if credentials.method() == TokenEndpointAuthMethod::ClientSecretJwt {
                    Assertion::parse_hmac(assertion)
                } else {
                    Assertion::parse(assertion)
                }
                .map_err(refused(FailureReason::BadAssertion))?;
                if client_id.as_ref().is_some_and(|id| *id != parsed.client_id) {
                    return Err(refused(FailureReason::BadAssertion)(fail(
                        "The client_id in the body differs from the client assertion's sub (RFC 7521 §4.2).".to_owned(),
                    )));
                }
                Some(parsed)
            }
            _ => None,
        };
        let client_id = match (&assertion, credentials.client_id()) {
            (Some(assertion), _) => assertion.client_id.as_str(),
            (None, Some(id)) => id,
            (None, None) => {
                return Err(refused(FailureReason::MissingClientId)(fail(
                    "The request carries no client_id.".to_owned(),
                )));
            }
        };
        self.check_client(&credentials, assertion.as_ref(), client_id)
            .await
            .map_err(|mut refusal| {
                refusal.client_id = Some(client_id.to_owned());
                refusal
            })
    }

    /// The checks once the request named its client: the client exists, uses this
    /// method, and the secret or assertion holds.
    async fn check_client(
        &self,
        credentials: &Credentials,
        assertion: Option<&Assertion>,
        client_id: &str,
    ) -> Result<Client, Refusal> {
        let basic = matches!(credentials, Credentials::ClientSecretBasic { .. });
        let fail = |hint: &str| {
            let err = OAuth2Error::new(ErrorKind::InvalidClient).with_hint(hint);
            if basic {
                err.with_www_authenticate(BASIC_CHALLENGE)
            } else {
                err
            }
        };
        let client = match &self.resolving {
            // An unusable metadata document: its reason, with the Basic challenge when
            // the request tried Basic (RFC 6749 §5.2).
            Some(resolving) => resolving.find(client_id).await.map_err(|err| {
                if basic && err.kind == ErrorKind::InvalidClient {
                    refused(FailureReason::UnknownClient)(
                        err.with_www_authenticate(BASIC_CHALLENGE),
                    )
                } else {
                    refused(FailureReason::UnknownClient)(err)
                }
            })?,
            None => self.clients.get_client(client_id).await?,
        };
        let method = credentials.method();
        let registered = client.as_ref().map(|c| c.token_endpoint_auth_method);
        // The secret is checked whatever else is wrong, and against a stand-in when
        // there is nothing to check it against, so every failure costs the same.
        let secret_matches = match credentials.secret() {
            Some(presented) => {
                let eligible = client.as_ref().filter(|_| registered == Some(method));
                let stored = eligible.and_then(|c| c.secret_hash.as_deref());
                let current = self.secrets.verify(client_id, stored, presented).await?;
                // During a rotation's grace period the replaced secret works too
                // (`client::admin::rotate_secret`).
                match eligible.and_then(|c| c.previous_secret_at(self.secrets.now())) {
                    Some(previous) if !current => {
                        self.secrets
                            .verify(client_id, Some(previous), presented)
                            .await?
                    }
                    _ => current,
                }
            }
            None => true,
        };
        let Some(client) = client else {
            return Err(refused(FailureReason::UnknownClient)(
                fail(AUTHENTICATION_FAILED).with_debug("unknown client"),
            ));
        };
        if client.token_endpoint_auth_method != method {
            return Err(refused(FailureReason::WrongMethod)(
                fail(AUTHENTICATION_FAILED).with_debug(format!(
                    "the client is registered for {}, the request used {}",
                    client.token_endpoint_auth_method.as_str(),
                    method.as_str()
                )),
            ));
        }
        if !secret_matches {
            return Err(refused(FailureReason::WrongSecret)(
                fail(AUTHENTICATION_FAILED).with_debug("the secret did not match"),
            ));
        }
        if let (Some(assertion), Some(verifier)) = (assertion, &self.private_key_jwt) {
            if method == TokenEndpointAuthMethod::ClientSecretJwt {
                // The secret was sealed when it was set (`client::secret::seal`); one
                // that does not open (sealed under a retired system secret) fails as a
                // wrong secret would.
                let secret = client
                    .secret_hash
                    .as_deref()
                    .and_then(|stored| secret::open(self.secrets.keys(), &client.client_id, stored))
                    .ok_or_else(|| {
                        refused(FailureReason::WrongSecret)(
                            fail(AUTHENTICATION_FAILED)
                                .with_debug("the client's secret cannot be opened"),
                        )
                    })?;
                verifier
                    .authenticate_with_secret(&client, assertion, &secret)
                    .await
                    .map_err(refused(FailureReason::BadAssertion))?;
            } else {
                verifier
                    .authenticate(&client, assertion)
                    .await
                    .map_err(refused(FailureReason::BadAssertion))?;
            }
        }
        // Only an authenticated client learns that its method is not allowed here.
        if fapi2::applies(self.profile, &client) {
            fapi2::client_authentication(method)
                .map_err(refused(FailureReason::MethodNotAllowed))?;
        }
        Ok(client)
    }
}
