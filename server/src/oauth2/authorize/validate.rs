//! Validation of an authorization request's effective parameters (whatever their
//! source, `source.rs`), one function per concern. Each returns a plain `OAuth2Error`;
//! `request::parse` decides once where it goes: shown to the user before the redirect
//! URI is trusted, sent to the client after (RFC 6749 §4.1.2.1).

use serde_json::{Map, Value};

use super::oidc_params;
use super::request::{Prompt, ResponseMode};
use super::response_type::ResponseType;
use crate::client::model::Client;
use crate::config::{Config, PkceConfig};
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::oauth2::form::FormParams;
use crate::oauth2::limits;
use crate::oauth2::pkce::{self, PkceMethod};
use crate::oauth2::scope;

/// `response_mode`, when given (OAuth 2.0 Multiple Response Type Encoding Practices
/// §2.1, Form Post Response Mode §2).
pub fn response_mode(params: &FormParams) -> Result<Option<ResponseMode>, OAuth2Error> {
    match params.get("response_mode")? {
        None => Ok(None),
        Some(mode) => ResponseMode::parse(mode).map(Some).ok_or_else(|| {
            OAuth2Error::invalid_request(format!(
                "The response_mode {} is not supported; use query, fragment or form_post.",
                quoted(mode)
            ))
        }),
    }
}

/// RFC 9126 §5–6: with `oauth2.par.required`, or for a client registered with
/// `require_pushed_authorization_requests`, only pushed requests are accepted.
pub fn pushed_if_required(
    config: &Config,
    client: &Client,
    pushed: bool,
) -> Result<(), OAuth2Error> {
    if pushed {
        return Ok(());
    }
    if config.oauth2.par.required {
        return Err(OAuth2Error::invalid_request(
            "This server requires pushed authorization requests: push the request to the pushed_authorization_request_endpoint and send its request_uri (RFC 9126 Section 5).",
        ));
    }
    if client.require_pushed_authorization_requests {
        return Err(OAuth2Error::invalid_request(
            "The OAuth 2.0 Client is registered with require_pushed_authorization_requests: push the request to the pushed_authorization_request_endpoint and send its request_uri (RFC 9126 Section 6).",
        ));
    }
    Ok(())
}

/// `response_type` (RFC 6749 §3.1.1, OIDC Core §3): required, and one of the
/// combinations this server issues.
pub fn response_type(params: &FormParams) -> Result<ResponseType, OAuth2Error> {
    let value = params.get("response_type")?.ok_or_else(|| {
        OAuth2Error::invalid_request("The request parameter 'response_type' is missing.")
    })?;
    ResponseType::parse(value).ok_or_else(|| {
        OAuth2Error::new(ErrorKind::UnsupportedResponseType).with_hint(format!(
            "The response_type {} is not supported; use code, or a combination of code, id_token and token.",
            quoted(value)
        ))
    })
}

/// Whether `response_type` may travel by `mode`, is served by this server, and is
/// registered for `client`.
pub fn response_type_allowed(
    config: &Config,
    client: &Client,
    response_type: ResponseType,
    mode: ResponseMode,
) -> Result<(), OAuth2Error> {
    response_type.check_mode(mode)?;
    response_type.check_supported(config.oauth2.allow_token_response_type)?;
    response_type.check_client(client)
}

/// `scope` (RFC 6749 §3.3) under the configured strategy, and `audience` (Hydra), each
/// within what `client` registered.
pub fn scope_and_audience(
    config: &Config,
    client: &Client,
    params: &FormParams,
) -> Result<(Vec<String>, Vec<String>), OAuth2Error> {
    let requested =
        scope::requested_by_client(config.strategies.scope, &client.scope, params.get("scope")?)?;
    let audience = scope::audience_of_client(&client.audience, &params.all("audience")?)?;
    Ok((requested, audience))
}

/// RFC 8707 §2: `resource`, repeatable, each an absolute URI without fragment that the
/// client registered in its `audience` list; anything else is `invalid_target`.
pub fn resources(client: &Client, params: &FormParams) -> Result<Vec<String>, OAuth2Error> {
    let resources = crate::oauth2::resource::parse(&params.all("resource")?)?;
    crate::oauth2::resource::check_allowed(&resources, &client.audience)?;
    Ok(resources)
}

/// RFC 7636 §4.3/§4.4.1 and RFC 9700 §2.1.1: required of public clients (and of all
/// when `oauth2.pkce.enforced`); `plain` only when configured.
pub fn pkce(
    config: &PkceConfig,
    client: &Client,
    params: &FormParams,
) -> Result<(Option<String>, Option<PkceMethod>), OAuth2Error> {
    let challenge = params.get("code_challenge")?;
    let method = params.get("code_challenge_method")?;
    let Some(challenge) = challenge else {
        if method.is_some() {
            return Err(OAuth2Error::invalid_request(
                "code_challenge_method was given without code_challenge.",
            ));
        }
        if config.enforced || (client.is_public() && config.enforced_for_public_clients) {
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
    if method == PkceMethod::Plain && !config.allow_plain {
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

/// RFC 9449 §10: `dpop_jkt`, the base64url SHA-256 JWK thumbprint (RFC 7638) of the
/// key the authorization code is bound to.
pub fn dpop_jkt(params: &FormParams) -> Result<Option<String>, OAuth2Error> {
    match params.get("dpop_jkt")? {
        None => Ok(None),
        Some(jkt) if crate::oauth2::dpop::thumbprint::is_well_formed(jkt) => {
            Ok(Some(jkt.to_owned()))
        }
        Some(jkt) => Err(OAuth2Error::invalid_request(format!(
            "The dpop_jkt {} is not a JWK SHA-256 thumbprint (43 base64url characters, RFC 9449 Section 10).",
            quoted(jkt)
        ))),
    }
}

/// The OpenID Connect parameters of the request (OIDC Core §3.1.2.1, §5.5); the
/// `id_token_hint` is verified by the caller, which holds the keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OidcParameters {
    pub prompt: Vec<Prompt>,
    pub max_age: Option<i64>,
    pub nonce: Option<String>,
    pub claims: Option<Map<String, Value>>,
    pub id_token_hint: Option<String>,
    pub login_hint: Option<String>,
    pub acr_values: Vec<String>,
    pub ui_locales: Vec<String>,
    pub display: Option<String>,
}

/// Reads and checks the OpenID Connect parameters: `prompt`, `max_age` (a
/// non-negative number of seconds), `nonce` (required with an ID token in the response,
/// as `openid` is), `claims`, and the bounded lists.
pub fn oidc_parameters(
    params: &FormParams,
    response_type: ResponseType,
    scope: &[String],
) -> Result<OidcParameters, OAuth2Error> {
    let get = |name: &str| params.get(name).map(|v| v.map(str::to_owned));
    let prompt = oidc_params::parse_prompt(params.get("prompt")?)?;
    let max_age =
        match params.get("max_age")? {
            None => None,
            Some(value) => Some(value.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(
                || {
                    OAuth2Error::invalid_request(format!(
                        "The max_age {} is not a non-negative number of seconds.",
                        quoted(value)
                    ))
                },
            )?),
        };
    let nonce = get("nonce")?;
    oidc_params::check_id_token_response(response_type, scope, nonce.as_deref())?;
    let claims = oidc_params::parse_claims(params.get("claims")?)?;
    Ok(OidcParameters {
        prompt,
        max_age,
        nonce,
        claims,
        id_token_hint: get("id_token_hint")?,
        login_hint: get("login_hint")?,
        acr_values: scope::parse_list(params.get("acr_values")?, &limits::ACR_VALUES)?,
        ui_locales: scope::parse_list(params.get("ui_locales")?, &limits::UI_LOCALES)?,
        display: get("display")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::model::TokenEndpointAuthMethod;

    fn params(pairs: &[(&str, &str)]) -> FormParams {
        FormParams::from_pairs(pairs)
    }

    fn client() -> Client {
        Client {
            client_id: "app".into(),
            scope: "openid offline".into(),
            audience: vec!["https://api.example.com".into()],
            ..Client::default()
        }
    }

    fn public_client() -> Client {
        Client {
            token_endpoint_auth_method: TokenEndpointAuthMethod::None,
            ..client()
        }
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn response_modes_are_the_three_known_or_refused() {
        assert_eq!(response_mode(&params(&[])).unwrap(), None);
        assert_eq!(
            response_mode(&params(&[("response_mode", "form_post")])).unwrap(),
            Some(ResponseMode::FormPost)
        );
        let err = response_mode(&params(&[("response_mode", "web_message")])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
    }

    #[test]
    fn response_type_is_required_and_known() {
        let err = response_type(&params(&[])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
        let err = response_type(&params(&[("response_type", "device")])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnsupportedResponseType);
        assert_eq!(
            response_type(&params(&[("response_type", "code")])).unwrap(),
            ResponseType::CODE
        );
    }

    #[test]
    fn scope_and_audience_stay_within_the_registration() {
        let config = Config::default();
        let (scope, audience) = scope_and_audience(
            &config,
            &client(),
            &params(&[("scope", "openid"), ("audience", "https://api.example.com")]),
        )
        .unwrap();
        assert_eq!(scope, vec!["openid"]);
        assert_eq!(audience, vec!["https://api.example.com"]);
        let err =
            scope_and_audience(&config, &client(), &params(&[("scope", "admin")])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidScope);
        let err = scope_and_audience(
            &config,
            &client(),
            &params(&[("audience", "https://other.example.com")]),
        )
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
    }

    #[test]
    fn pkce_is_required_of_public_clients_and_s256_by_default() {
        let config = PkceConfig::default();
        assert_eq!(
            pkce(&config, &client(), &params(&[])).unwrap(),
            (None, None)
        );
        assert!(pkce(&config, &public_client(), &params(&[])).is_err());
        let s256 = params(&[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        assert_eq!(
            pkce(&config, &public_client(), &s256).unwrap(),
            (Some(CHALLENGE.to_owned()), Some(PkceMethod::S256))
        );
        // RFC 7636 §4.3: no method is plain, which is off unless configured.
        let plain = params(&[("code_challenge", CHALLENGE)]);
        assert!(pkce(&config, &client(), &plain).is_err());
        let allow_plain = PkceConfig {
            allow_plain: true,
            ..PkceConfig::default()
        };
        assert_eq!(
            pkce(&allow_plain, &client(), &plain).unwrap().1,
            Some(PkceMethod::Plain)
        );
        assert!(
            pkce(
                &config,
                &client(),
                &params(&[("code_challenge_method", "S256")])
            )
            .is_err()
        );
        assert!(
            pkce(
                &config,
                &client(),
                &params(&[
                    ("code_challenge", "short"),
                    ("code_challenge_method", "S256")
                ])
            )
            .is_err()
        );
        let enforced = PkceConfig {
            enforced: true,
            ..PkceConfig::default()
        };
        assert!(pkce(&enforced, &client(), &params(&[])).is_err());
    }

    #[test]
    fn oidc_parameters_are_read_and_checked() {
        let openid = vec!["openid".to_owned()];
        let read = oidc_parameters(
            &params(&[
                ("prompt", "login consent"),
                ("max_age", "300"),
                ("nonce", "n-0S6"),
                ("acr_values", "urn:mace:incommon:iap:silver"),
                ("ui_locales", "de en"),
                ("display", "page"),
                ("login_hint", "ada@example.com"),
            ]),
            ResponseType::CODE,
            &openid,
        )
        .unwrap();
        assert_eq!(read.prompt, vec![Prompt::Login, Prompt::Consent]);
        assert_eq!(read.max_age, Some(300));
        assert_eq!(read.nonce.as_deref(), Some("n-0S6"));
        assert_eq!(read.ui_locales, vec!["de", "en"]);
        assert_eq!(read.login_hint.as_deref(), Some("ada@example.com"));
        for bad in ["-1", "soon", "9223372036854775808"] {
            let err = oidc_parameters(&params(&[("max_age", bad)]), ResponseType::CODE, &openid)
                .unwrap_err();
            assert!(err.description().contains("max_age"), "{bad}: {err:?}");
        }
        let id_token = ResponseType::parse("id_token").unwrap();
        assert!(oidc_parameters(&params(&[]), id_token, &openid).is_err());
    }
}
