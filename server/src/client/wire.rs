//! Hydra's `oAuth2Client` and `oAuth2ClientTokenLifespans` exactly as they travel: every
//! field optional on input, every field present on output (`client_secret` only when it
//! was just set). Conversion into the validated model is `client::validate`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::client::model::{Client, ClientLifespans};
use crate::jwk::wire::JsonWebKeySet;

/// OAuth 2.0 Client: RFC 7591 §2 metadata plus Hydra's extensions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2Client)]
pub struct OAuth2Client {
    /// The client identifier; immutable. A UUIDv4 is generated when none is given.
    pub client_id: Option<String>,
    /// Human-readable name shown to the end-user.
    pub client_name: Option<String>,
    /// The client secret: accepted on create and update, returned only in that response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Always 0: secrets do not expire.
    pub client_secret_expires_at: Option<i64>,
    /// Allowed redirect URIs, matched exactly (RFC 6749 §3.1.2).
    pub redirect_uris: Option<Vec<String>>,
    /// Grant types the client may use.
    pub grant_types: Option<Vec<String>>,
    /// Response types the client may use at the authorization endpoint.
    pub response_types: Option<Vec<String>>,
    /// Space-separated scopes the client may request.
    pub scope: Option<String>,
    /// Audiences the client may request tokens for.
    pub audience: Option<Vec<String>>,
    /// Who owns this client.
    pub owner: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub contacts: Option<Vec<String>>,
    /// Origins (scheme://host[:port]) allowed to call the token endpoint from a browser.
    pub allowed_cors_origins: Option<Vec<String>>,
    /// `public` or `pairwise` (OIDC Core §8).
    pub subject_type: Option<String>,
    pub sector_identifier_uri: Option<String>,
    /// The client's public keys (RFC 7517); exclusive with `jwks_uri`.
    #[schema(value_type = Option<JsonWebKeySet>)]
    pub jwks: Option<serde_json::Value>,
    /// URL of the client's JWK Set; exclusive with `jwks`.
    pub jwks_uri: Option<String>,
    /// `client_secret_basic` (default), `client_secret_post`, `client_secret_jwt`,
    /// `private_key_jwt` or `none`.
    pub token_endpoint_auth_method: Option<String>,
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// JWS algorithm the client's request objects must be signed with (RFC 9101 §10.5,
    /// OIDC Dynamic Client Registration §2); `none` allows unsigned ones. Empty: any
    /// asymmetric algorithm.
    pub request_object_signing_alg: Option<String>,
    /// URLs of request objects the client hosts (OIDC Core §6.2); only these may be
    /// passed as `request_uri`.
    pub request_uris: Option<Vec<String>>,
    /// RFC 9126 §6: the client must push its authorization requests to `/oauth2/par`.
    pub require_pushed_authorization_requests: Option<bool>,
    /// `none` (plain JSON) or a JWS algorithm for signed userinfo responses.
    pub userinfo_signed_response_alg: Option<String>,
    /// JWS algorithm of this client's ID tokens (default RS256).
    pub id_token_signed_response_alg: Option<String>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: Option<bool>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    /// Skip the consent screen (admin API only).
    pub skip_consent: Option<bool>,
    /// Skip the logout consent screen (admin API only).
    pub skip_logout_consent: Option<bool>,
    /// Free-form JSON object for the operator.
    pub metadata: Option<serde_json::Value>,
    /// `opaque` or `jwt`; overrides `strategies.access_token`.
    pub access_token_strategy: Option<String>,
    /// RFC 9449 §5.2: when true, every token request of this client must carry a DPoP
    /// proof, so its access tokens are always DPoP-bound. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_bound_access_tokens: Option<bool>,
    /// RFC 8693 token exchange policy (a Portunus addition, admin API only): whether
    /// impersonation and delegation are allowed, the audiences and resources the client
    /// may exchange into, and the issuers of JWT subject tokens it may present. Absent
    /// or null: the client may not exchange tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_exchange: Option<crate::client::token_exchange::TokenExchangePolicy>,
    /// RFC 9396 §10: the `authorization_details` types this client may use in rich
    /// authorization requests; each must be in the server's
    /// `authorization_details_types_supported`. Absent or empty: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types: Option<Vec<String>>,
    /// `fapi2` holds this client to the FAPI 2.0 Security Profile (pushed requests,
    /// PKCE S256, `private_key_jwt`, DPoP-bound tokens, PS256/ES256/EdDSA only); empty
    /// or `none` leaves it to `oauth2.profile`. Portunus extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fapi_profile: Option<String>,
    /// Dynamic client registration only; never set by the admin API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<String>,
    /// Dynamic client registration only; never set by the admin API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// `true` when the client was resolved from the Client ID Metadata Document at its
    /// `client_id` URL instead of being registered (a Portunus extension, read-only;
    /// absent for registered clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_document: Option<bool>,
    pub authorization_code_grant_access_token_lifespan: Option<String>,
    pub authorization_code_grant_id_token_lifespan: Option<String>,
    pub authorization_code_grant_refresh_token_lifespan: Option<String>,
    pub client_credentials_grant_access_token_lifespan: Option<String>,
    pub device_authorization_grant_access_token_lifespan: Option<String>,
    pub device_authorization_grant_id_token_lifespan: Option<String>,
    pub device_authorization_grant_refresh_token_lifespan: Option<String>,
    pub implicit_grant_access_token_lifespan: Option<String>,
    pub implicit_grant_id_token_lifespan: Option<String>,
    pub jwt_bearer_grant_access_token_lifespan: Option<String>,
    pub refresh_token_grant_access_token_lifespan: Option<String>,
    pub refresh_token_grant_id_token_lifespan: Option<String>,
    pub refresh_token_grant_refresh_token_lifespan: Option<String>,
    /// When the client was created (read-only).
    pub created_at: Option<DateTime<Utc>>,
    /// When the client was last changed (read-only).
    pub updated_at: Option<DateTime<Utc>>,
}

/// Lifespans of the tokens issued to one client; each a duration like `1h30m`, or null
/// for the server default (`ttl.*`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = oAuth2ClientTokenLifespans)]
pub struct OAuth2ClientTokenLifespans {
    pub authorization_code_grant_access_token_lifespan: Option<String>,
    pub authorization_code_grant_id_token_lifespan: Option<String>,
    pub authorization_code_grant_refresh_token_lifespan: Option<String>,
    pub client_credentials_grant_access_token_lifespan: Option<String>,
    pub device_authorization_grant_access_token_lifespan: Option<String>,
    pub device_authorization_grant_id_token_lifespan: Option<String>,
    pub device_authorization_grant_refresh_token_lifespan: Option<String>,
    pub implicit_grant_access_token_lifespan: Option<String>,
    pub implicit_grant_id_token_lifespan: Option<String>,
    pub jwt_bearer_grant_access_token_lifespan: Option<String>,
    pub refresh_token_grant_access_token_lifespan: Option<String>,
    pub refresh_token_grant_id_token_lifespan: Option<String>,
    pub refresh_token_grant_refresh_token_lifespan: Option<String>,
}

/// Applies `f` to each (name, wire value, model value) lifespan triple, so the 13 fields
/// are listed once for both directions.
macro_rules! for_each_lifespan {
    ($mac:ident) => {
        $mac!(
            authorization_code_grant_access_token_lifespan,
            authorization_code_grant_id_token_lifespan,
            authorization_code_grant_refresh_token_lifespan,
            client_credentials_grant_access_token_lifespan,
            device_authorization_grant_access_token_lifespan,
            device_authorization_grant_id_token_lifespan,
            device_authorization_grant_refresh_token_lifespan,
            implicit_grant_access_token_lifespan,
            implicit_grant_id_token_lifespan,
            jwt_bearer_grant_access_token_lifespan,
            refresh_token_grant_access_token_lifespan,
            refresh_token_grant_id_token_lifespan,
            refresh_token_grant_refresh_token_lifespan
        )
    };
}
pub(crate) use for_each_lifespan;

impl OAuth2ClientTokenLifespans {
    /// The lifespans carried by a full client body.
    pub fn from_client_body(body: &OAuth2Client) -> Self {
        macro_rules! copy {
            ($($field:ident),*) => { Self { $($field: body.$field.clone()),* } };
        }
        for_each_lifespan!(copy)
    }
}

impl OAuth2Client {
    /// The response body for a stored client; `secret` only right after it was set.
    pub fn from_model(client: &Client, secret: Option<String>) -> Self {
        let lifespans = &client.lifespans;
        macro_rules! render {
            ($($field:ident),*) => { Self {
                $($field: lifespans.$field.map(|d| d.to_string()),)*
                ..Self::from_model_without_lifespans(client, secret)
            } };
        }
        for_each_lifespan!(render)
    }

    fn from_model_without_lifespans(client: &Client, secret: Option<String>) -> Self {
        Self {
            client_id: Some(client.client_id.clone()),
            client_name: Some(client.client_name.clone()),
            client_secret: secret,
            client_secret_expires_at: Some(0),
            redirect_uris: Some(client.redirect_uris.clone()),
            grant_types: Some(
                client
                    .grant_types
                    .iter()
                    .map(|g| g.as_str().to_owned())
                    .collect(),
            ),
            response_types: Some(client.response_types.clone()),
            scope: Some(client.scope.clone()),
            audience: Some(client.audience.clone()),
            owner: Some(client.owner.clone()),
            policy_uri: Some(client.policy_uri.clone()),
            tos_uri: Some(client.tos_uri.clone()),
            client_uri: Some(client.client_uri.clone()),
            logo_uri: Some(client.logo_uri.clone()),
            contacts: Some(client.contacts.clone()),
            allowed_cors_origins: Some(client.allowed_cors_origins.clone()),
            subject_type: Some(client.subject_type.as_str().to_owned()),
            sector_identifier_uri: Some(client.sector_identifier_uri.clone()),
            jwks: Some(
                client
                    .jwks
                    .clone()
                    .unwrap_or_else(|| serde_json::json!({ "keys": [] })),
            ),
            jwks_uri: Some(client.jwks_uri.clone()),
            token_endpoint_auth_method: Some(client.token_endpoint_auth_method.as_str().to_owned()),
            token_endpoint_auth_signing_alg: Some(client.token_endpoint_auth_signing_alg.clone()),
            request_object_signing_alg: Some(client.request_object_signing_alg.clone()),
            request_uris: Some(client.request_uris.clone()),
            require_pushed_authorization_requests: Some(
                client.require_pushed_authorization_requests,
            ),
            userinfo_signed_response_alg: Some(client.userinfo_signed_response_alg.clone()),
            id_token_signed_response_alg: Some(client.id_token_signed_response_alg.clone()),
            post_logout_redirect_uris: Some(client.post_logout_redirect_uris.clone()),
            frontchannel_logout_uri: Some(client.frontchannel_logout_uri.clone()),
            frontchannel_logout_session_required: Some(client.frontchannel_logout_session_required),
            backchannel_logout_uri: Some(client.backchannel_logout_uri.clone()),
            backchannel_logout_session_required: Some(client.backchannel_logout_session_required),
            skip_consent: Some(client.skip_consent),
            skip_logout_consent: Some(client.skip_logout_consent),
            metadata: Some(client.metadata.clone()),
            access_token_strategy: Some(
                client
                    .access_token_strategy
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            dpop_bound_access_tokens: Some(client.dpop_bound_access_tokens),
            token_exchange: client.token_exchange.clone(),
            authorization_details_types: (!client.authorization_details_types.is_empty())
                .then(|| client.authorization_details_types.clone()),
            fapi_profile: Some(match client.fapi_profile {
                crate::config::SecurityProfile::None => String::new(),
                profile => profile.as_str().to_owned(),
            }),
            registration_access_token: None,
            registration_client_uri: None,
            metadata_document: client.metadata_document.then_some(true),
            created_at: Some(client.created_at),
            updated_at: Some(client.updated_at),
            ..Self::default()
        }
    }
}

/// The lifespans of a model, for `PUT /admin/clients/{id}/lifespans` answers and tests.
pub fn lifespans_to_wire(lifespans: &ClientLifespans) -> OAuth2ClientTokenLifespans {
    macro_rules! render {
        ($($field:ident),*) => { OAuth2ClientTokenLifespans {
            $($field: lifespans.$field.map(|d| d.to_string()),)*
        } };
    }
    for_each_lifespan!(render)
}
