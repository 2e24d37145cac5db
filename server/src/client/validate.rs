//! Validation of client metadata as RFC 7591 §2 and Hydra's validator do it. Every error
//! is `invalid_client_metadata` (or `invalid_redirect_uri`, RFC 7591 §3.2.2) with a hint
//! naming the field and the reason. The URL fields are checked in `uris`.

pub mod fapi2;
mod uris;

pub use uris::{Navigation, UriPolicy, check_navigation, is_loopback};

use crate::client::model::{
    AccessTokenStrategy, Client, ClientLifespans, GrantType, SubjectType, TokenEndpointAuthMethod,
};
use crate::client::secret::{MIN_CHOSEN_SECRET_LEN, MIN_JWT_SECRET_LEN};
use crate::client::wire::{OAuth2Client, OAuth2ClientTokenLifespans, for_each_lifespan};
use crate::config::SecurityProfile;
use crate::duration::GoDuration;
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::jwk::wire::JsonWebKeySet;

/// Hydra's default scope for clients registered without one.
pub const DEFAULT_CLIENT_SCOPE: &str = "offline_access offline openid";
/// Longest `client_id`, `client_name` and `owner` (indexed columns).
pub const MAX_INDEXED_LEN: usize = 255;

const RESPONSE_TYPE_WORDS: [&str; 4] = ["code", "token", "id_token", "none"];
const JWS_ALGS: [&str; 12] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    "HS256", "HS512",
];
const ID_TOKEN_ALGS: [&str; 5] = ["RS256", "RS512", "ES256", "ES512", "EdDSA"];
const PRIVATE_KEY_JWT_ALGS: [&str; 10] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

/// RFC 7518 §3.2: the MACs a `client_secret_jwt` assertion may use.
const CLIENT_SECRET_JWT_ALGS: [&str; 3] = ["HS256", "HS384", "HS512"];

/// The outcome of validating a client body: the model (ids and timestamps still to be
/// set by the caller) and the secret the body carried, if any.
#[derive(Debug)]
pub struct ValidatedClient {
    pub client: Client,
    pub secret: Option<String>,
}

fn bad(hint: String) -> OAuth2Error {
    OAuth2Error::invalid_client_metadata(hint)
}

/// Validates a full client body (create, replace, the result of a patch, and dynamic
/// registration); `policy` says what the configuration allows of redirect URIs.
pub fn validate(body: OAuth2Client, policy: UriPolicy) -> Result<ValidatedClient, OAuth2Error> {
    let lifespans = validate_lifespans(&OAuth2ClientTokenLifespans::from_client_body(&body))?;
    let auth_method = match body.token_endpoint_auth_method.as_deref() {
        None | Some("") => TokenEndpointAuthMethod::ClientSecretBasic,
        Some(value) => TokenEndpointAuthMethod::parse(value).ok_or_else(|| {
            bad(format!(
                "Field token_endpoint_auth_method has unknown value {}; use one of client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none.",
                quoted(value)
            ))
        })?,
    };
    let secret = body.client_secret.filter(|s| !s.is_empty());
    if let Some(secret) = &secret {
        if !auth_method.uses_secret() {
            return Err(bad(format!(
                "Field client_secret must not be set when token_endpoint_auth_method is '{}': such a client has no secret.",
                auth_method.as_str()
            )));
        }
        if auth_method == TokenEndpointAuthMethod::ClientSecretJwt
            && secret.len() < MIN_JWT_SECRET_LEN
        {
            return Err(bad(format!(
                "Field client_secret must contain a secret that is at least {MIN_JWT_SECRET_LEN} bytes long when token_endpoint_auth_method is 'client_secret_jwt' (RFC 7518 Section 3.2: an HMAC key at least as long as the hash)."
            )));
        }
        if secret.chars().count() < MIN_CHOSEN_SECRET_LEN {
            return Err(bad(format!(
                "Field client_secret must contain a secret that is at least {MIN_CHOSEN_SECRET_LEN} characters long."
            )));
        }
    }
    let client_name = body.client_name.unwrap_or_default();
    check_len("client_name", &client_name)?;
    let owner = body.owner.unwrap_or_default();
    check_len("owner", &owner)?;

    let jwks = validate_jwks(body.jwks)?;
    let jwks_uri = uris::optional_web_url("jwks_uri", body.jwks_uri)?;
    if jwks.is_some() && !jwks_uri.is_empty() {
        return Err(bad(
            "Fields jwks and jwks_uri can not both be set, you must choose one.".into(),
        ));
    }
    let token_endpoint_auth_signing_alg = body.token_endpoint_auth_signing_alg.unwrap_or_default();
    if auth_method == TokenEndpointAuthMethod::PrivateKeyJwt {
        if jwks.is_none() && jwks_uri.is_empty() {
            return Err(bad(
                "When token_endpoint_auth_method is 'private_key_jwt', either jwks or jwks_uri must be set.".into(),
            ));
        }
        one_of_or_empty(
            "token_endpoint_auth_signing_alg",
            &token_endpoint_auth_signing_alg,
            &PRIVATE_KEY_JWT_ALGS,
        )?;
    }
    if auth_method == TokenEndpointAuthMethod::ClientSecretJwt {
        one_of_or_empty(
            "token_endpoint_auth_signing_alg",
            &token_endpoint_auth_signing_alg,
            &CLIENT_SECRET_JWT_ALGS,
        )?;
    }

    let grant_types = validate_grant_types(body.grant_types)?;
    let response_types = validate_response_types(body.response_types)?;
    let scope = validate_scope(body.scope)?;
    let audience = body.audience.unwrap_or_default();
    if let Some(i) = audience
        .iter()
        .position(|a| a.is_empty() || a.contains(char::is_whitespace))
    {
        return Err(bad(format!(
            "Field audience[{i}] must be a non-empty value without white space."
        )));
    }

    let redirect_uris = uris::redirect_uris("redirect_uris", body.redirect_uris, policy)?;
    let post_logout_redirect_uris = uris::redirect_uris(
        "post_logout_redirect_uris",
        body.post_logout_redirect_uris,
        policy,
    )?;
    let frontchannel_logout_uri =
        uris::frontchannel_logout_uri(body.frontchannel_logout_uri, policy)?;
    let request_uris = uris::web_url_list("request_uris", body.request_uris)?;
    let allowed_cors_origins = validate_origins(body.allowed_cors_origins)?;

    let subject_type = match body.subject_type.as_deref() {
        None | Some("") | Some("public") => SubjectType::Public,
        // Whether the server supports it is `sector.rs`'s (configuration).
        Some("pairwise") => SubjectType::Pairwise,
        Some(other) => {
            return Err(bad(format!(
                "Field subject_type has unknown value {}; use public or pairwise.",
                quoted(other)
            )));
        }
    };
    let access_token_strategy = match body.access_token_strategy.as_deref() {
        None | Some("") => None,
        Some(value) => Some(AccessTokenStrategy::parse(value).ok_or_else(|| {
            bad(format!(
                "Field access_token_strategy must be 'opaque' or 'jwt', not {}.",
                quoted(value)
            ))
        })?),
    };
    let userinfo_signed_response_alg = match body.userinfo_signed_response_alg.as_deref() {
        None | Some("") => "none".to_owned(),
        Some(value) => {
            if value != "none" {
                one_of_or_empty("userinfo_signed_response_alg", value, &ID_TOKEN_ALGS)?;
            }
            value.to_owned()
        }
    };
    let id_token_signed_response_alg = body.id_token_signed_response_alg.unwrap_or_default();
    one_of_or_empty(
        "id_token_signed_response_alg",
        &id_token_signed_response_alg,
        &ID_TOKEN_ALGS,
    )?;
    let request_object_signing_alg = body.request_object_signing_alg.unwrap_or_default();
    if request_object_signing_alg != "none" {
        one_of_or_empty(
            "request_object_signing_alg",
            &request_object_signing_alg,
            &JWS_ALGS,
        )?;
    }
    let fapi_profile = match body.fapi_profile.as_deref() {
        None => SecurityProfile::None,
        Some(value) => SecurityProfile::parse(value).ok_or_else(|| {
            bad(format!(
                "Field fapi_profile must be empty, 'none' or 'fapi2', not {}.",
                quoted(value)
            ))
        })?,
    };
    let metadata = match body.metadata {
        None | Some(serde_json::Value::Null) => serde_json::Value::Object(Default::default()),
        Some(value @ serde_json::Value::Object(_)) => value,
        Some(_) => return Err(bad("Field metadata must be a JSON object.".into())),
    };

    let client = Client {
        client_id: body.client_id.unwrap_or_default(),
        client_name,
        secret_hash: None,
        redirect_uris,
        grant_types,
        response_types,
        scope,
        audience,
        owner,
        policy_uri: uris::optional_web_url("policy_uri", body.policy_uri)?,
        tos_uri: uris::optional_web_url("tos_uri", body.tos_uri)?,
        client_uri: uris::optional_web_url("client_uri", body.client_uri)?,
        logo_uri: uris::optional_web_url("logo_uri", body.logo_uri)?,
        contacts: body.contacts.unwrap_or_default(),
        allowed_cors_origins,
        subject_type,
        sector_identifier_uri: uris::optional_web_url(
            "sector_identifier_uri",
            body.sector_identifier_uri,
        )?,
        jwks,
        jwks_uri,
        token_endpoint_auth_method: auth_method,
        token_endpoint_auth_signing_alg,
        request_object_signing_alg,
        request_uris,
        require_pushed_authorization_requests: body
            .require_pushed_authorization_requests
            .unwrap_or(false),
        userinfo_signed_response_alg,
        id_token_signed_response_alg,
        post_logout_redirect_uris,
        frontchannel_logout_uri,
        frontchannel_logout_session_required: body
            .frontchannel_logout_session_required
            .unwrap_or(false),
        backchannel_logout_uri: uris::optional_web_url(
            "backchannel_logout_uri",
            body.backchannel_logout_uri,
        )?,
        backchannel_logout_session_required: body
            .backchannel_logout_session_required
            .unwrap_or(false),
        skip_consent: body.skip_consent.unwrap_or(false),
        skip_logout_consent: body.skip_logout_consent.unwrap_or(false),
        metadata,
        access_token_strategy,
        dpop_bound_access_tokens: body.dpop_bound_access_tokens.unwrap_or(false),
        token_exchange: match body.token_exchange {
            Some(policy) => {
                policy.validate()?;
                Some(policy)
            }
            None => None,
        },
        authorization_details_types: crate::client::authorization_details_types::validate(
            body.authorization_details_types,
        )?,
        fapi_profile,
        lifespans,
        ..Client::default()
    };
    Ok(ValidatedClient { client, secret })
}

/// Validates a `client_id` chosen by the caller.
pub fn validate_client_id(id: &str) -> Result<(), OAuth2Error> {
    // MySQL's PAD SPACE collations compare "a" and "a " as equal: refuse padded ids so
    // every backend agrees on which ids are distinct.
    if id.is_empty() || id.chars().any(char::is_control) || id.trim() != id {
        return Err(bad(
            "Field client_id must be non-empty, contain no control characters and not start or end with white space.".into(),
        ));
    }
    check_len("client_id", id)
}

/// Parses the 13 lifespans; each must be a duration like `1h30m` or null.
pub fn validate_lifespans(
    wire: &OAuth2ClientTokenLifespans,
) -> Result<ClientLifespans, OAuth2Error> {
    fn parse(field: &str, value: &Option<String>) -> Result<Option<GoDuration>, OAuth2Error> {
        match value.as_deref() {
            None | Some("") => Ok(None),
            Some(text) => GoDuration::parse(text).map(Some).map_err(|_| {
                bad(format!(
                    "Field {field} must be a duration such as '1h' or '30m0s' (units ns, us, ms, s, m, h), not {}.",
                    quoted(text)
                ))
            }),
        }
    }
    macro_rules! build {
        ($($field:ident),*) => { ClientLifespans { $($field: parse(stringify!($field), &wire.$field)?,)* } };
    }
    Ok(for_each_lifespan!(build))
}

fn check_len(field: &str, value: &str) -> Result<(), OAuth2Error> {
    if value.chars().count() > MAX_INDEXED_LEN {
        return Err(bad(format!(
            "Field {field} must not be longer than {MAX_INDEXED_LEN} characters."
        )));
    }
    Ok(())
}

fn one_of_or_empty(field: &str, value: &str, allowed: &[&str]) -> Result<(), OAuth2Error> {
    if value.is_empty() || allowed.contains(&value) {
        return Ok(());
    }
    Err(bad(format!(
        "Field {field} has unsupported value {}; supported: {}.",
        quoted(value),
        allowed.join(", ")
    )))
}

fn validate_grant_types(input: Option<Vec<String>>) -> Result<Vec<GrantType>, OAuth2Error> {
    let input = input.unwrap_or_default();
    if input.is_empty() {
        return Ok(vec![GrantType::AuthorizationCode]);
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, value) in input.iter().enumerate() {
        let grant = GrantType::parse(value).ok_or_else(|| {
            let known: Vec<&str> = GrantType::ALL.iter().map(|g| g.as_str()).collect();
            bad(format!(
                "Field grant_types[{i}] has unknown value {}; known: {}.",
                quoted(value),
                known.join(", ")
            ))
        })?;
        if !out.contains(&grant) {
            out.push(grant);
        }
    }
    Ok(out)
}

fn validate_response_types(input: Option<Vec<String>>) -> Result<Vec<String>, OAuth2Error> {
    let input = input.unwrap_or_default();
    if input.is_empty() {
        return Ok(vec!["code".to_owned()]);
    }
    let mut out: Vec<String> = Vec::with_capacity(input.len());
    for (i, value) in input.iter().enumerate() {
        let words: Vec<&str> = value.split(' ').collect();
        let unknown = words.iter().any(|w| !RESPONSE_TYPE_WORDS.contains(w));
        let repeated = words
            .iter()
            .enumerate()
            .any(|(j, w)| words[..j].contains(w));
        let none_mixed = words.len() > 1 && words.contains(&"none");
        if unknown || repeated || none_mixed {
            return Err(bad(format!(
                "Field response_types[{i}] has unknown value {}; use code, token, id_token, none or a space-separated combination of code, token and id_token.",
                quoted(value)
            )));
        }
        if !out.contains(value) {
            out.push(value.clone());
        }
    }
    Ok(out)
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, separated by spaces.
fn validate_scope(input: Option<String>) -> Result<String, OAuth2Error> {
    let scope = input.unwrap_or_default();
    if scope.trim().is_empty() {
        return Ok(DEFAULT_CLIENT_SCOPE.to_owned());
    }
    let valid_char =
        |c: char| c == '\x21' || ('\x23'..='\x5b').contains(&c) || ('\x5d'..='\x7e').contains(&c);
    for token in scope.split(' ') {
        if token.is_empty() || !token.chars().all(valid_char) {
            return Err(bad(format!(
                "Field scope must be space-separated scope tokens of printable ASCII other than the double quote and the backslash (RFC 6749 Section 3.3); {} is not one.",
                quoted(token)
            )));
        }
    }
    Ok(scope)
}

fn validate_origins(values: Option<Vec<String>>) -> Result<Vec<String>, OAuth2Error> {
    let values = values.unwrap_or_default();
    for (i, value) in values.iter().enumerate() {
        let field = format!("allowed_cors_origins[{i}]");
        let parsed = uris::parse_absolute(&field, value, ErrorKind::InvalidClientMetadata)?;
        let bare = parsed.path() == "/" && !value.ends_with('/') && parsed.query().is_none();
        if !bare || parsed.host().is_none() || parsed.fragment().is_some() {
            return Err(bad(format!(
                "Field {field} must be an origin of the form scheme://host[:port], not {}.",
                quoted(value)
            )));
        }
    }
    Ok(values)
}

fn validate_jwks(
    value: Option<serde_json::Value>,
) -> Result<Option<serde_json::Value>, OAuth2Error> {
    let value = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let set: JsonWebKeySet = serde_json::from_value(value.clone()).map_err(|e| {
        bad(format!(
            "Field jwks must be a JSON Web Key Set (an object with a keys array, RFC 7517 Section 5): {e}."
        ))
    })?;
    // Hydra answers `"jwks": {}` for clients without keys; an empty set is "no keys".
    if set.keys.is_empty() {
        return Ok(None);
    }
    if let Some(i) = set.keys.iter().position(|k| k.kty.is_empty()) {
        return Err(bad(format!(
            "Field jwks.keys[{i}] is missing kty (RFC 7517 Section 4.1)."
        )));
    }
    if let Some(i) = set.keys.iter().position(|k| k.d.is_some() || k.k.is_some()) {
        return Err(bad(format!(
            "Field jwks.keys[{i}] contains private key material; register public keys only."
        )));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests;
