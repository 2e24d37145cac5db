//! The authorization code grant from the client's side: obtain a code through the
//! login/consent flow (`support::flow`), then exchange it with the `oauth2` crate or,
//! to probe errors on the wire, with a raw form post.

use oauth2::basic::{BasicErrorResponseType, BasicTokenResponse};
use oauth2::{AuthType, AuthorizationCode, PkceCodeVerifier, RedirectUrl, RequestTokenError};
use serde_json::Value;

use super::TestApp;
use super::browser::{Browser, param};
use super::flow::{FlowClient, REDIRECT_URI, run_code_flow};
use super::oauth::{Registered, TokenClient};

/// Runs the whole flow for `subject` granting `scopes`, and returns the code.
pub async fn obtain_code(
    app: &TestApp,
    client: &FlowClient,
    params: &[(&str, &str)],
    subject: &str,
    scopes: &[&str],
) -> String {
    let browser = Browser::new();
    let callback = run_code_flow(app, &browser, &client.id, params, subject, scopes).await;
    param(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"))
}

/// A `(verifier, S256 challenge)` pair made by the `oauth2` crate.
pub fn pkce_pair() -> (String, String) {
    let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    (verifier.secret().clone(), challenge.as_str().to_owned())
}

impl TestApp {
    /// An `oauth2` client for a flow client: Basic auth with a secret, the form's
    /// `client_id` for public clients; `redirect_uri` sent with every exchange.
    pub fn code_client(&self, client: &FlowClient) -> TokenClient {
        let registered = Registered {
            id: client.id.clone(),
            secret: client.secret.clone(),
        };
        let auth = if client.secret.is_some() {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        };
        self.token_client(&registered, auth)
            .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap())
    }

    /// Exchanges `code` through the `oauth2` crate, with an optional PKCE verifier.
    pub async fn exchange_code(
        &self,
        client: &FlowClient,
        code: &str,
        verifier: Option<&str>,
    ) -> Result<BasicTokenResponse, BasicErrorResponseType> {
        let oauth = self.code_client(client);
        let mut request = oauth.exchange_code(AuthorizationCode::new(code.to_owned()));
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        }
        match request.request_async(&self.oauth_http()).await {
            Ok(token) => Ok(token),
            Err(RequestTokenError::ServerResponse(err)) => Err(err.error().clone()),
            Err(other) => panic!("token request failed: {other:?}"),
        }
    }

    /// POSTs a token request for `client` (Basic auth when it has a secret, else
    /// `client_id` in the form); returns status and JSON body.
    pub async fn token_request(&self, client: &FlowClient, form: &[(&str, &str)]) -> (u16, Value) {
        let mut form: Vec<(&str, &str)> = form.to_vec();
        let basic = match &client.secret {
            Some(secret) => Some((client.id.as_str(), secret.as_str())),
            None => {
                form.push(("client_id", client.id.as_str()));
                None
            }
        };
        let (status, headers, body) = self.post_form("/oauth2/token", basic, &form).await;
        assert_eq!(headers["cache-control"], "no-store", "RFC 6749 §5.1");
        (status, body)
    }

    /// A refresh through the raw form (for errors and concurrency probes).
    pub async fn refresh_raw(
        &self,
        client: &FlowClient,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token_request(client, &form).await
    }
}
