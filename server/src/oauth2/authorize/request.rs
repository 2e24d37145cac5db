//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1):
//! parsed into types at the edge and validated in the order RFC 6749 §4.1.2.1 demands —
//! client and redirect URI first (their errors are shown, never redirected), then the
//! rest (sent back to the validated redirect URI).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::redirect_uri;
use super::response_type::ResponseType;
use super::source::{RequestSource, SourceContext};
use super::validate;
use crate::client::model::Client;
use crate::client::validate::UriPolicy;
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::fapi2;
use crate::oauth2::form::FormParams;
use crate::oauth2::pkce::PkceMethod;

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
    /// RFC 8707 §2: the `resource` values, each in the client's `audience` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<String>,
    /// RFC 9396 §3: the `authorization_details`, each of a type the client may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_details: Vec<serde_json::Value>,
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
    /// RFC 9449 §10: binds the authorization code to this DPoP key thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// Whether the FAPI 2.0 Security Profile covers the request's client: its code
    /// lives at most 60 seconds (`oauth2::fapi2::code_lifetime`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fapi2: bool,
    /// The URL the user agent asked for, for the login and consent apps.
    pub request_url: String,
    pub requested_at: DateTime<Utc>,
    /// RFC 8628: the device authorization this request authorizes, when it is one
    /// (`oauth2::device::approval`); its end approves the device code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<crate::oauth2::device::approval::DeviceLink>,
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

/// Parses and validates; returns the request and its client. The client (named by
/// the request's own `client_id`, RFC 9126 §4, RFC 9101 §5) comes first; then the
/// request's source is resolved (`source.rs`: a pushed request or request object gives
/// the effective parameters); then the redirect URI of the effective parameters. Their
/// errors are shown, never redirected. Then every concern of `validate.rs` in turn,
/// each error sent to the redirect target as far as it is known at that point.
pub async fn parse(
    ctx: &OAuth2Context,
    params: &FormParams,
    request_url: &str,
) -> Result<(AuthorizeRequest, Client), AuthorizeError> {
    let client = client_of(ctx, params).await.map_err(AuthorizeError::Page)?;
    let source = RequestSource::of(params).map_err(AuthorizeError::Page)?;
    let effective = source
        .resolve(&source_context(ctx), &client, params)
        .await
        .map_err(AuthorizeError::Page)?;
    let effective = effective.as_ref();
    let redirect_uri = redirect_uri_of(ctx, &client, effective).map_err(AuthorizeError::Page)?;
    let mut target = RedirectTarget {
        redirect_uri,
        state: None,
        response_mode: ResponseMode::Query,
        issuer: ctx.config.issuer(),
    };
    let pushed = source.is_pushed();
    match validate(ctx, &client, effective, pushed, &mut target).await {
        Ok(mut request) => {
            request.target = target;
            request.request_url = request_url.to_owned();
            Ok((request, client))
        }
        Err(err) => Err(AuthorizeError::Redirect(err, target)),
    }
}

/// Validates a request pushed to `/oauth2/par` by `client` (RFC 9126 §2.1: "the
/// authorization server MUST validate the request the same way as at the authorization
/// endpoint"): `params` are its effective parameters (a request object already
/// resolved). Every error is the plain error, for the PAR response.
pub async fn validate_pushed(
    ctx: &OAuth2Context,
    client: &Client,
    params: &FormParams,
) -> Result<AuthorizeRequest, OAuth2Error> {
    let redirect_uri = redirect_uri_of(ctx, client, params)?;
    let mut target = RedirectTarget {
        redirect_uri,
        state: None,
        response_mode: ResponseMode::Query,
        issuer: ctx.config.issuer(),
    };
    validate(ctx, client, params, true, &mut target).await
}

/// What the request sources need, from the context.
pub fn source_context(ctx: &OAuth2Context) -> SourceContext<'_> {
    SourceContext {
        pushed_requests: ctx.pushed_requests.as_ref(),
        request_objects: ctx.request_objects.as_ref(),
        now: ctx.clock.now(),
    }
}

/// The registered client of `client_id`.
async fn client_of(ctx: &OAuth2Context, params: &FormParams) -> Result<Client, OAuth2Error> {
    let client_id = params.require("client_id")?;
    ctx.find_client(client_id).await?.ok_or_else(|| {
        OAuth2Error::new(ErrorKind::InvalidClient).with_hint(format!(
            "No client with id {} is registered.",
            quoted(client_id)
        ))
    })
}

/// The redirect URI the response may go to (RFC 6749 §3.1.2.3, exact matching).
fn redirect_uri_of(
    ctx: &OAuth2Context,
    client: &Client,
    params: &FormParams,
) -> Result<String, OAuth2Error> {
    let given = params.get("redirect_uri")?;
    let policy = UriPolicy::from_config(&ctx.config);
    redirect_uri::resolve(client, given, policy)
}

/// Everything after the redirect URI, in order; `target` follows what is known (the
/// `state` to echo, the response mode) so that an error goes where the response would.
/// The request's `target` and `request_url` are filled in by [`parse`].
async fn validate(
    ctx: &OAuth2Context,
    client: &Client,
    params: &FormParams,
    pushed: bool,
    target: &mut RedirectTarget,
) -> Result<AuthorizeRequest, OAuth2Error> {
    target.state = params.get("state")?.map(str::to_owned);
    let given_mode = validate::response_mode(params)?;
    if let Some(mode) = given_mode {
        target.response_mode = mode;
    }
    let fapi2 = fapi2::covers(&ctx.config, client);
    if fapi2 {
        fapi2::pushed(pushed)?;
        fapi2::redirect_uri(params)?;
    }
    validate::pushed_if_required(&ctx.config, client, pushed)?;
    let response_type = validate::response_type(params)?;
    target.response_mode = given_mode.unwrap_or(response_type.default_mode());
    if fapi2 {
        fapi2::response_type(response_type)?;
    }
    validate::response_type_allowed(&ctx.config, client, response_type, target.response_mode)?;
    let (scope, audience) = validate::scope_and_audience(&ctx.config, client, params)?;
    // RFC 7636 protects the code: a response without one needs no challenge.
    let (code_challenge, code_challenge_method) = if response_type.code {
        validate::pkce(&ctx.config.oauth2.pkce, client, params)?
    } else {
        (None, None)
    };
    if fapi2 {
        fapi2::pkce(code_challenge_method)?;
    }
    let oidc = validate::oidc_parameters(params, response_type, &scope)?;
    let id_token_hint_claims = match &oidc.id_token_hint {
        Some(hint) => {
            Some(crate::oidc::id_token_hint::verify_id_token_hint(&ctx.oidc(), hint).await?)
        }
        None => None,
    };
    Ok(AuthorizeRequest {
        client_id: client.client_id.clone(),
        response_type,
        target: target.clone(),
        redirect_uri_given: params.has("redirect_uri"),
        scope,
        audience,
        resource: validate::resources(client, params)?,
        authorization_details: crate::oauth2::authorization_details::from_form(
            params,
            &ctx.config,
            client,
        )?,
        nonce: oidc.nonce,
        code_challenge,
        code_challenge_method,
        prompt: oidc.prompt,
        max_age: oidc.max_age,
        login_hint: oidc.login_hint,
        acr_values: oidc.acr_values,
        ui_locales: oidc.ui_locales,
        display: oidc.display,
        id_token_hint: oidc.id_token_hint,
        id_token_hint_claims,
        claims: oidc.claims,
        dpop_jkt: validate::dpop_jkt(params)?,
        fapi2,
        request_url: String::new(),
        requested_at: ctx.clock.now(),
        device: None,
    })
}
