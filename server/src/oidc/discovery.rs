//! The provider metadata document (OIDC Discovery 1.0 §3, RFC 8414 §2), served at
//! `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
//!
//! Every value is derived from this instance: URLs from `urls.self.*`, grant types from
//! the registered grants, signing algorithms from the key sets, PKCE methods from
//! `oauth2.pkce.allow_plain`. Logout is advertised as served: RP-Initiated Logout
//! (`end_session_endpoint`), Front-Channel and Back-Channel Logout with `sid`
//! (`flow::logout`, `oidc::logout`). Request objects (RFC 9101) and pushed authorization
//! requests (RFC 9126) are served. The device flow and dynamic registration are
//! advertised exactly when enabled. `introspection_endpoint` is the public,
//! client-authenticated `/oauth/introspect` (RFC 7662 §2.1), not Hydra's admin-only one.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::client::model::GrantType;
use crate::client::model::TokenEndpointAuthMethod;
use crate::config::{FAPI2_SIGNING_ALGORITHMS, SecurityProfile};
use crate::error::OAuth2Error;
use crate::jwk::{Algorithm, ID_TOKEN_SET};
use crate::oidc::OidcContext;
use crate::oidc::scope_claims;
use crate::oidc::verifiable_credentials::{self, CredentialSupportedDraft00};

/// OIDC Discovery 1.0 §3 / RFC 8414 §2 metadata (Hydra's `oidcConfiguration`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = oidcConfiguration)]
pub struct OidcConfiguration {
    /// The issuer identifier: the `iss` of every token.
    pub issuer: String,
    /// OAuth 2.0 Authorization Endpoint URL.
    pub authorization_endpoint: String,
    /// OAuth 2.0 Token Endpoint URL.
    pub token_endpoint: String,
    /// URL of the JSON Web Key Set that verifies ID tokens and JWT access tokens.
    pub jwks_uri: String,
    /// OpenID Connect UserInfo Endpoint URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// RFC 7009 revocation endpoint URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// OIDC RP-Initiated Logout 1.0 §2.1 endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// RFC 8628 device authorization endpoint; absent while the device flow is not served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// RFC 7662 introspection endpoint for authenticated clients (RFC 8414 §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// Client authentication methods at the introspection endpoint (RFC 8414 §2).
    #[serde(default)]
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// Dynamic client registration endpoint; absent while registration is not served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// `response_type` values the authorization endpoint accepts.
    pub response_types_supported: Vec<String>,
    /// `response_mode` values the authorization endpoint accepts.
    #[serde(default)]
    pub response_modes_supported: Vec<String>,
    /// Grant types the token endpoint serves.
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    /// Subject identifier types (OIDC Core §8).
    pub subject_types_supported: Vec<String>,
    /// JWS algorithms of ID tokens.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Hydra's field: the algorithms ID tokens are signed with.
    pub id_token_signed_response_alg: Vec<String>,
    /// JWS algorithms of signed userinfo responses (`none`: plain JSON).
    #[serde(default)]
    pub userinfo_signing_alg_values_supported: Vec<String>,
    /// Hydra's field: the algorithms userinfo responses may be signed with.
    pub userinfo_signed_response_alg: Vec<String>,
    /// Client authentication methods at the token endpoint.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// JWS algorithms accepted for `private_key_jwt` client assertions.
    #[serde(default)]
    pub token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// Client authentication methods at the revocation endpoint (RFC 8414 §2).
    #[serde(default)]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// JWS algorithms accepted for client assertions at the revocation endpoint.
    #[serde(default)]
    pub revocation_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// PKCE methods (RFC 7636 §4.3).
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// Scopes this server gives meaning to; clients may use others.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// Claims the server may supply in ID tokens and userinfo responses.
    #[serde(default)]
    pub claims_supported: Vec<String>,
    /// Whether the `claims` request parameter (OIDC Core §5.5) is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_parameter_supported: Option<bool>,
    /// Whether the `request` parameter (OIDC Core §6.1) is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_parameter_supported: Option<bool>,
    /// Whether the `request_uri` parameter (OIDC Core §6.2) is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_uri_parameter_supported: Option<bool>,
    /// OIDC Front-Channel Logout 1.0 §3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_supported: Option<bool>,
    /// OIDC Front-Channel Logout 1.0 §3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_session_supported: Option<bool>,
    /// OIDC Back-Channel Logout 1.0 §2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_supported: Option<bool>,
    /// OIDC Back-Channel Logout 1.0 §2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_session_supported: Option<bool>,
    /// RFC 9207 §3: every authorization response carries `iss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// RFC 9449 §5.1: the JWS algorithms DPoP proofs may use
    /// (`oauth2.dpop.signing_algorithms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// OIDC Discovery §3: JWS algorithms of request objects (RFC 9101), `none` included
    /// (accepted only from clients that registered it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg_values_supported: Option<Vec<String>>,
    /// OIDC Discovery §3: `request_uri`s of hosted request objects must be registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_request_uri_registration: Option<bool>,
    /// RFC 9126 §5: the pushed authorization request endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9126 §5: whether every authorization request must be pushed
    /// (`oauth2.par.required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// RFC 9396 §10.1: the `authorization_details` types this server accepts
    /// (`oauth2.authorization_details.types_supported`); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types_supported: Option<Vec<String>>,
    /// draft-ietf-oauth-client-id-metadata-document §7: a `client_id` may be the URL of
    /// the client's metadata document (`oauth2.client_id_metadata_document.enabled`);
    /// absent when off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_supported: Option<bool>,
    /// OpenID Connect UserInfo VC draft 00 (as Hydra): the credentials endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_endpoint_draft_00: Option<String>,
    /// OpenID Connect UserInfo VC draft 00: the credentials issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_supported_draft_00: Option<Vec<CredentialSupportedDraft00>>,
}

/// The scopes this server gives meaning to: `openid`, the refresh-token scopes, and the
/// standard claim scopes of OIDC Core §5.4.
pub const SCOPES_SUPPORTED: [&str; 7] = [
    "openid",
    "offline",
    "offline_access",
    "profile",
    "email",
    "address",
    "phone",
];

/// The claims ID tokens carry (OIDC Core §2) besides those of the claim scopes.
const TOKEN_CLAIMS: [&str; 11] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
];

fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values.into_iter().map(str::to_owned).collect()
}

/// The metadata of this instance.
pub async fn configuration(
    ctx: &OidcContext,
    grant_types: &[GrantType],
) -> Result<OidcConfiguration, OAuth2Error> {
    let public = ctx.config.public_url();
    let url = |path: &str| format!("{public}{path}");
    let id_token_algs: Vec<String> = ctx
        .key_manager
        .signer(ID_TOKEN_SET)
        .await?
        .algorithms(ctx.clock.now())
        .into_iter()
        .map(|alg| alg.name().to_owned())
        .collect();
    // `oauth2.profile: fapi2` narrows what every client may use (FAPI 2.0 Security
    // Profile §5.3.2.1, §5.3.2.2, §5.4.1); discovery says exactly that.
    let fapi2 = ctx.config.oauth2.profile == SecurityProfile::Fapi2;
    let assertion_algs = strings(
        Algorithm::ALL
            .iter()
            .filter(|alg| !alg.is_symmetric())
            .map(|alg| alg.name())
            .filter(|name| !fapi2 || FAPI2_SIGNING_ALGORITHMS.contains(name)),
    );
    // Client assertions may also be MACed with the client secret (`client_secret_jwt`,
    // OIDC Core §9), except under FAPI 2.0, which allows `private_key_jwt` only.
    let client_assertion_algs: Vec<String> = assertion_algs
        .iter()
        .cloned()
        .chain(
            Algorithm::ALL
                .iter()
                .filter(|alg| alg.is_symmetric() && !fapi2)
                .map(|alg| alg.name().to_owned()),
        )
        .collect();
    let auth_methods = if fapi2 {
        strings([TokenEndpointAuthMethod::PrivateKeyJwt.as_str()])
    } else {
        strings(
            [
                TokenEndpointAuthMethod::ClientSecretBasic,
                TokenEndpointAuthMethod::ClientSecretPost,
                TokenEndpointAuthMethod::ClientSecretJwt,
                TokenEndpointAuthMethod::PrivateKeyJwt,
                TokenEndpointAuthMethod::None,
            ]
            .map(TokenEndpointAuthMethod::as_str),
        )
    };
    let mut pkce = vec!["S256".to_owned()];
    if ctx.config.oauth2.pkce.allow_plain && !fapi2 {
        pkce.push("plain".to_owned());
    }
    let claims = TOKEN_CLAIMS.iter().chain(
        scope_claims::SCOPES
            .iter()
            .flat_map(|(_, claims)| claims.iter()),
    );
    Ok(OidcConfiguration {
        issuer: ctx.config.issuer(),
        authorization_endpoint: url("/oauth2/auth"),
        token_endpoint: url("/oauth2/token"),
        jwks_uri: url("/.well-known/jwks.json"),
        userinfo_endpoint: Some(url("/userinfo")),
        revocation_endpoint: Some(url("/oauth2/revoke")),
        end_session_endpoint: Some(url("/oauth2/sessions/logout")),
        introspection_endpoint: Some(url("/oauth/introspect")),
        // RFC 8628 §4: served exactly when the device code grant is.
        device_authorization_endpoint: grant_types
            .contains(&GrantType::DeviceCode)
            .then(|| url("/oauth2/device/auth")),
        registration_endpoint: ctx
            .config
            .oidc
            .dynamic_client_registration
            .enabled
            .then(|| url("/oauth2/register")),
        response_types_supported: response_types_supported(ctx),
        response_modes_supported: strings(["query", "fragment", "form_post"]),
        grant_types_supported: grant_types
            .iter()
            .map(|grant| grant.as_str().to_owned())
            .collect(),
        subject_types_supported: ctx.config.oidc.subject_identifiers.supported_types.clone(),
        id_token_signed_response_alg: id_token_algs.clone(),
        userinfo_signed_response_alg: id_token_algs.clone(),
        userinfo_signing_alg_values_supported: std::iter::once("none".to_owned())
            .chain(id_token_algs.iter().cloned())
            .collect(),
        id_token_signing_alg_values_supported: id_token_algs,
        token_endpoint_auth_methods_supported: auth_methods.clone(),
        token_endpoint_auth_signing_alg_values_supported: client_assertion_algs.clone(),
        revocation_endpoint_auth_methods_supported: auth_methods.clone(),
        // RFC 7662 §2.1: the same client authentication as at the token endpoint, except
        // `none` — a public client has nothing to authenticate introspection with.
        introspection_endpoint_auth_methods_supported: auth_methods
            .into_iter()
            .filter(|method| method != "none")
            .collect(),
        revocation_endpoint_auth_signing_alg_values_supported: client_assertion_algs,
        code_challenge_methods_supported: pkce,
        scopes_supported: strings(SCOPES_SUPPORTED),
        claims_supported: strings(claims.copied()),
        // OIDC Core §5.5: the parameter is parsed and handed to the login and consent
        // apps (`oidc_context.claims`), which decide what to release.
        claims_parameter_supported: Some(true),
        // OIDC Core §6, RFC 9101: `request` and `request_uri` (hosted request objects
        // and pushed requests), `oauth2::authorize::source`.
        request_parameter_supported: Some(true),
        request_uri_parameter_supported: Some(true),
        // Front-Channel Logout 1.0 §3 and Back-Channel Logout 1.0 §2.1: iframes and
        // logout tokens are sent, with `iss`/`sid` (front) and `sid` (back).
        frontchannel_logout_supported: Some(true),
        frontchannel_logout_session_supported: Some(true),
        backchannel_logout_supported: Some(true),
        backchannel_logout_session_supported: Some(true),
        // RFC 9207 §2: `oauth2::authorize::response` adds `iss` to every response.
        authorization_response_iss_parameter_supported: Some(true),
        // RFC 9449 §5.1: what `oauth2::dpop::DpopVerifier` accepts, from the same list.
        dpop_signing_alg_values_supported: Some(strings(
            ctx.config
                .effective_dpop()
                .signing_algorithms
                .iter()
                .filter_map(|name| Algorithm::parse(name))
                .filter(|alg| !alg.is_symmetric())
                .map(|alg| alg.name()),
        )),
        request_object_signing_alg_values_supported: Some(
            assertion_algs
                .iter()
                .cloned()
                .chain((!fapi2).then(|| "none".to_owned()))
                .collect(),
        ),
        require_request_uri_registration: Some(true),
        pushed_authorization_request_endpoint: Some(url("/oauth2/par")),
        require_pushed_authorization_requests: Some(ctx.config.oauth2.par.required || fapi2),
        authorization_details_types_supported: {
            let types = &ctx.config.oauth2.authorization_details.types_supported;
            (!types.is_empty()).then(|| types.clone())
        },
        client_id_metadata_document_supported: ctx
            .config
            .oauth2
            .client_id_metadata_document
            .enabled
            .then_some(true),
        // `oauth2::credentials`, always served (as Hydra).
        credentials_endpoint_draft_00: Some(url("/credentials")),
        credentials_supported_draft_00: Some(vec![verifiable_credentials::supported()]),
    })
}

/// OIDC Core §3 and OAuth 2.0 Multiple Response Type Encoding Practices §5: the code,
/// implicit and hybrid flows; plain `token` only with `oauth2.allow_token_response_type`.
fn response_types_supported(ctx: &OidcContext) -> Vec<String> {
    // FAPI 2.0 Security Profile §5.3.2.2: the authorization code flow only.
    if ctx.config.oauth2.profile == SecurityProfile::Fapi2 {
        return strings(["code"]);
    }
    let mut types = strings([
        "code",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ]);
    if ctx.config.oauth2.allow_token_response_type {
        types.push("token".to_owned());
    }
    types
}
