//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1):
//! parsed into types at the edge and validated in the order RFC 6749 §4.1.2.1 demands —
//! client and redirect URI first (their errors are shown, never redirected), then the
//! rest (sent back to the validated redirect URI).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::oidc_params;
use super::redirect_uri;
use super::response_type::ResponseType;
use crate::client::model::Client;
use crate::client::validate::UriPolicy;
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::oauth2::form::FormParams;
use crate::oauth2::limits;
use crate::oauth2::pkce::{self, PkceMethod};
use crate::oauth2::scope;
use crate::state::AppState;

/// How the response parameters travel (OAuth 2.0 Multiple Response Type Encoding
/// Practices §2.1, Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "query" => Some(Self::Query),
            "fragment" => Some(Self::Fragment),
            "form_post" => Some(Self::FormPost),
            _ => None,
        }
    }
}

/// OIDC Core §3.1.2.1 `prompt` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prompt {
    None,
    Login,
    Consent,
    SelectAccount,
}

/// Where the response (and errors after redirect-URI validation) go, and who answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectTarget {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub response_mode: ResponseMode,
    /// RFC 9207 §2: the issuer identifier every authorization response carries as
    /// `iss`, fixed when the request is validated. Empty only in a request sealed by a
    /// version without it (a flow in progress during an upgrade).
    #[serde(default)]
    pub issuer: String,
}

/// A validated authorization request; travels sealed inside challenges and verifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    /// What the response carries (code, access token, ID token).
    #[serde(default)]
    pub response_type: ResponseType,
    pub target: RedirectTarget,
    /// Whether `redirect_uri` was in the request: then the token request must repeat it
    /// (RFC 6749 §4.1.3).
    pub redirect_uri_given: bool,
    pub scope: Vec<String>,
    pub audience: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<PkceMethod>,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub acr_values: Vec<String>,
    pub ui_locales: Vec<String>,
    pub display: Option<String>,
    pub id_token_hint: Option<String>,
    /// The verified claims of `id_token_hint` (OIDC Core §3.1.2.1).
    #[serde(default)]
    pub id_token_hint_claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// The `claims` request parameter (OIDC Core §5.5), a JSON object.
    #[serde(default)]
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// The URL the user agent asked for, for the login and consent apps.
    pub request_url: String,
    pub requested_at: DateTime<Utc>,
}

/// Why an authorization request failed, and where the user agent learns of it.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI is not trustworthy: show the error, never redirect.
    Page(OAuth2Error),
    /// Sent to the validated redirect URI (RFC 6749 §4.1.2.1).
    Redirect(OAuth2Error, RedirectTarget),
}

impl AuthorizeRequest {
    pub fn has_prompt(&self, prompt: Prompt) -> bool {
        self.prompt.contains(&prompt)
    }
}

/// Parses and validates; returns the request and its client.
pub async fn parse(
    state: &AppState,
    params: &FormParams,
    request_url: &str,
) -> Result<(AuthorizeRequest, Client), AuthorizeError> {
    let page = AuthorizeError::Page;
    let client_id = params.require("client_id").map_err(page)?;
    let client = state
        .clients
        .get_client(client_id)
        .await
        .map_err(|e| page(e.into()))?
        .ok_or_else(|| {
            page(
                OAuth2Error::new(ErrorKind::InvalidClient).with_hint(format!(
                    "No client with id {} is registered.",
                    quoted(client_id)
                )),
            )
        })?;
    let given_redirect = params.get("redirect_uri").map_err(page)?;
    let policy = UriPolicy::from_config(&state.config);
    let redirect_uri = redirect_uri::resolve(&client, given_redirect, policy).map_err(page)?;

    let mut target = RedirectTarget {
        redirect_uri,
        state: None,
        response_mode: ResponseMode::Query,
        issuer: state.config.issuer(),
    };
    // From here on, errors go back to the client.
    let fail =
        |err: OAuth2Error, target: &RedirectTarget| AuthorizeError::Redirect(err, target.clone());
    target.state = params
        .get("state")
        .map_err(|e| fail(e, &target))?
        .map(str::to_owned);
    let given_mode = match params.get("response_mode").map_err(|e| fail(e, &target))? {
        None => None,
        Some(mode) => Some(ResponseMode::parse(mode).ok_or_else(|| {
            fail(
                OAuth2Error::invalid_request(format!(
                    "The response_mode {} is not supported; use query, fragment or form_post.",
                    quoted(mode)
                )),
                &target,
            )
        })?),
    };
    if let Some(mode) = given_mode {
        target.response_mode = mode;
    }
    for unsupported in ["request", "request_uri"] {
        if params.has(unsupported) {
            return Err(fail(
                OAuth2Error::invalid_request(format!(
                    "The {unsupported} parameter (OIDC Core Section 6) is not supported."
                )),
                &target,
            ));
        }
    }

    let response_type = params
        .get("response_type")
        .map_err(|e| fail(e, &target))?
        .ok_or_else(|| {
            fail(
                OAuth2Error::invalid_request("The request parameter 'response_type' is missing."),
                &target,
            )
        })?;
    let response_type = ResponseType::parse(response_type).ok_or_else(|| {
        fail(
            OAuth2Error::new(ErrorKind::UnsupportedResponseType).with_hint(format!(
                "The response_type {} is not supported; use code, or a combination of code, id_token and token.",
                quoted(response_type)
            )),
            &target,
        )
    })?;
    target.response_mode = given_mode.unwrap_or(response_type.default_mode());
    response_type
        .check_mode(target.response_mode)
        .and_then(|()| response_type.check_supported(state.config.oauth2.allow_token_response_type))
        .and_then(|()| response_type.check_client(&client))
        .map_err(|e| fail(e, &target))?;

    let strategy = state.config.strategies.scope;
    let client_scopes: Vec<&str> = client.scope.split(' ').filter(|s| !s.is_empty()).collect();
    let requested_scope = scope::parse_scope(params.get("scope").map_err(|e| fail(e, &target))?)
        .map_err(|e| fail(e, &target))?;
    if let Some(denied) = scope::first_not_allowed(strategy, &client_scopes, &requested_scope) {
        return Err(fail(
            OAuth2Error::new(ErrorKind::InvalidScope).with_hint(format!(
                "The client is not allowed to request scope {}.",
                quoted(denied)
            )),
            &target,
        ));
    }
    let audience = params
        .all("audience")
        .and_then(|values| scope::parse_audience(&values))
        .map_err(|e| fail(e, &target))?;
    if let Some(denied) = audience.iter().find(|a| !client.audience.contains(a)) {
        return Err(fail(
            OAuth2Error::invalid_request(format!(
                "The client is not allowed to request audience {}.",
                quoted(denied)
            )),
            &target,
        ));
    }

    // RFC 7636 protects the code: a response without one needs no challenge.
    let (code_challenge, code_challenge_method) = if response_type.code {
        parse_pkce(state, &client, params).map_err(|e| fail(e, &target))?
    } else {
        (None, None)
    };
    let prompt = oidc_params::parse_prompt(params.get("prompt").map_err(|e| fail(e, &target))?)
        .map_err(|e| fail(e, &target))?;
    let max_age =
        match params.get("max_age").map_err(|e| fail(e, &target))? {
            None => None,
            Some(value) => Some(value.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(
                || {
                    fail(
                        OAuth2Error::invalid_request(format!(
                            "The max_age {} is not a non-negative number of seconds.",
                            quoted(value)
                        )),
                        &target,
                    )
                },
            )?),
        };
    let get = |name: &str| params.get(name).map(|v| v.map(str::to_owned));
    let list = |name: &str, limit| scope::parse_list(params.get(name)?, limit);
    let nonce = get("nonce").map_err(|e| fail(e, &target))?;
    oidc_params::check_id_token_response(response_type, &requested_scope, nonce.as_deref())
        .map_err(|e| fail(e, &target))?;
    let claims = oidc_params::parse_claims(params.get("claims").map_err(|e| fail(e, &target))?)
        .map_err(|e| fail(e, &target))?;
    let id_token_hint = get("id_token_hint").map_err(|e| fail(e, &target))?;
    let id_token_hint_claims = match &id_token_hint {
        Some(hint) => Some(
            crate::oidc::id_token_hint::verify_id_token_hint(state, hint)
                .await
                .map_err(|e| fail(e, &target))?,
        ),
        None => None,
    };
    let request = AuthorizeRequest {
        client_id: client.client_id.clone(),
        response_type,
        target: target.clone(),
        redirect_uri_given: given_redirect.is_some(),
        scope: requested_scope,
        audience,
        nonce,
        code_challenge,
        code_challenge_method,
        prompt,
        max_age,
        login_hint: get("login_hint").map_err(|e| fail(e, &target))?,
        acr_values: list("acr_values", &limits::ACR_VALUES).map_err(|e| fail(e, &target))?,
        ui_locales: list("ui_locales", &limits::UI_LOCALES).map_err(|e| fail(e, &target))?,
        display: get("display").map_err(|e| fail(e, &target))?,
        id_token_hint,
        id_token_hint_claims,
        claims,
        request_url: request_url.to_owned(),
        requested_at: state.clock.now(),
    };
    Ok((request, client))
}

/// RFC 7636 §4.3/§4.4.1 and RFC 9700 §2.1.1: required of public clients (and of all
/// when `oauth2.pkce.enforced`); `plain` only when configured.
fn parse_pkce(
    state: &AppState,
    client: &Client,
    params: &FormParams,
) -> Result<(Option<String>, Option<PkceMethod>), OAuth2Error> {
    let pkce = &state.config.oauth2.pkce;
    let challenge = params.get("code_challenge")?;
    let method = params.get("code_challenge_method")?;
    let Some(challenge) = challenge else {
        if method.is_some() {
            return Err(OAuth2Error::invalid_request(
                "code_challenge_method was given without code_challenge.",
            ));
        }
        if pkce.enforced || (client.is_public() && pkce.enforced_for_public_clients) {
            return Err(OAuth2Error::invalid_request(
                "Clients must include a code_challenge when performing the authorize code flow (PKCE, RFC 7636).",
            ));
        }
        return Ok((None, None));
    };
    // RFC 7636 §4.3: "Defaults to "plain" if not present in the request."
    let method = match method {
        None => PkceMethod::Plain,
        Some(value) => PkceMethod::parse(value).ok_or_else(|| {
            OAuth2Error::invalid_request(format!(
                "The code_challenge_method {} is not supported; use S256.",
                quoted(value)
            ))
        })?,
    };
    if method == PkceMethod::Plain && !pkce.allow_plain {
        return Err(OAuth2Error::invalid_request(
            "The code_challenge_method plain is not allowed on this server; use S256.",
        ));
    }
    if !pkce::is_well_formed(challenge) {
        return Err(OAuth2Error::invalid_request(
            "The code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 Section 4.2).",
        ));
    }
    Ok((Some(challenge.to_owned()), Some(method)))
}
