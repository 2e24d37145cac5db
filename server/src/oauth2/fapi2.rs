//! The FAPI 2.0 Security Profile (final) at request time, for the clients it covers:
//! every client when `oauth2.profile` is `fapi2`, else those registered with
//! `fapi_profile: fapi2`. Each rule is one function, called where the protocol step
//! it constrains happens; every refusal is the RFC error of that step with a hint
//! naming the FAPI clause. `docs/fapi2.md` maps each clause to its test.
//!
//! Registration-time checks of the same rules are `client::validate::fapi2`; the
//! algorithm list and the code lifetime are in `config::profile`.

use chrono::Duration;
use serde_json::{Map, Value};

use crate::client::model::{Client, TokenEndpointAuthMethod};
use crate::config::{
    Config, FAPI2_MAX_CODE_LIFETIME_SECS, FAPI2_SIGNING_ALGORITHMS, SecurityProfile,
};
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::jwk::Algorithm;
use crate::oauth2::authorize::response_type::ResponseType;
use crate::oauth2::dpop::Proof;
use crate::oauth2::form::FormParams;
use crate::oauth2::pkce::PkceMethod;

/// Whether `client` is held to the profile on a server configured with `global`.
pub fn applies(global: SecurityProfile, client: &Client) -> bool {
    global.covers_fapi2(client.fapi_profile)
}

/// [`applies`] with the server's configuration.
pub fn covers(config: &Config, client: &Client) -> bool {
    applies(config.oauth2.profile, client)
}

/// `kind` with a hint that names the clause: "FAPI 2.0 Security Profile Section …".
fn violation(kind: ErrorKind, section: &str, rule: &str) -> OAuth2Error {
    OAuth2Error::new(kind).with_hint(format!(
        "FAPI 2.0 Security Profile Section {section}: {rule}"
    ))
}

/// §5.4.1: PS256, ES256 or EdDSA.
pub fn is_allowed_alg(alg: Algorithm) -> bool {
    FAPI2_SIGNING_ALGORITHMS.contains(&alg.name())
}

/// §5.3.2.2 item 2 (and RFC 9126 §5): authorization requests only through PAR.
pub fn pushed(pushed: bool) -> Result<(), OAuth2Error> {
    if pushed {
        return Ok(());
    }
    Err(violation(
        ErrorKind::InvalidRequest,
        "5.3.2.2",
        "authorization requests must be pushed to the pushed_authorization_request_endpoint (RFC 9126) and sent as its request_uri.",
    ))
}

/// §5.3.2.2 item 1 and §5.3.1.2 item 1: `response_type=code` only, no implicit or
/// hybrid flow.
pub fn response_type(response_type: ResponseType) -> Result<(), OAuth2Error> {
    if response_type.is_code_only() {
        return Ok(());
    }
    Err(violation(
        ErrorKind::UnsupportedResponseType,
        "5.3.2.2",
        "only response_type code is allowed (no implicit or hybrid flow).",
    ))
}

/// §5.3.2.2 item 5: PKCE with S256.
pub fn pkce(method: Option<PkceMethod>) -> Result<(), OAuth2Error> {
    if method == Some(PkceMethod::S256) {
        return Ok(());
    }
    Err(violation(
        ErrorKind::InvalidRequest,
        "5.3.2.2",
        "PKCE is required with code_challenge_method S256.",
    ))
}

/// §5.3.2.2 item 6: `redirect_uri` in every pushed authorization request.
pub fn redirect_uri(params: &FormParams) -> Result<(), OAuth2Error> {
    if params.has("redirect_uri") {
        return Ok(());
    }
    Err(violation(
        ErrorKind::InvalidRequest,
        "5.3.2.2",
        "the redirect_uri parameter is required in pushed authorization requests.",
    ))
}

/// §5.3.2.1 items 3 and 6: confidential clients, authenticated with `private_key_jwt`
/// (mTLS needs TLS client certificates, which Portunus does not terminate).
pub fn client_authentication(method: TokenEndpointAuthMethod) -> Result<(), OAuth2Error> {
    if method == TokenEndpointAuthMethod::PrivateKeyJwt {
        return Ok(());
    }
    Err(violation(
        ErrorKind::InvalidClient,
        "5.3.2.1",
        &format!(
            "clients are confidential and authenticate with private_key_jwt, not {}.",
            quoted(method.as_str())
        ),
    ))
}

/// §5.3.2.1 item 8 (final): a client assertion's `aud` is the issuer identifier, as a
/// single string (not an array, not the token endpoint URL); and §5.4.1 for its `alg`.
pub fn client_assertion(
    alg: Algorithm,
    claims: &Map<String, Value>,
    issuer: &str,
) -> Result<(), OAuth2Error> {
    if !is_allowed_alg(alg) {
        return Err(violation(
            ErrorKind::InvalidClient,
            "5.4.1",
            &format!(
                "the client assertion is signed with {alg}; use {}.",
                FAPI2_SIGNING_ALGORITHMS.join(", ")
            ),
        ));
    }
    match claims.get("aud") {
        Some(Value::String(aud)) if aud == issuer => Ok(()),
        _ => Err(violation(
            ErrorKind::InvalidClient,
            "5.3.2.1",
            &format!(
                "the client assertion's aud must be the issuer identifier {} as a single string.",
                quoted(issuer)
            ),
        )),
    }
}

/// §5.4.1 for request objects: signed (never `none`) with PS256, ES256 or EdDSA.
pub fn request_object_alg(alg: &str) -> Result<(), OAuth2Error> {
    if Algorithm::parse(alg).is_some_and(is_allowed_alg) {
        return Ok(());
    }
    Err(violation(
        ErrorKind::InvalidRequestObject,
        "5.4.1",
        &format!(
            "the request object's alg {} is not allowed; sign it with {}.",
            quoted(alg),
            FAPI2_SIGNING_ALGORITHMS.join(", ")
        ),
    ))
}

/// §5.4.1 for a signed userinfo response: a client the profile covers that registered
/// another algorithm before the profile applied to it (registration refuses one now,
/// `client::validate::fapi2`) is answered with an error rather than an RS256 JWT.
pub fn userinfo_alg(alg: Algorithm) -> Result<(), OAuth2Error> {
    if is_allowed_alg(alg) {
        return Ok(());
    }
    Err(violation(
        ErrorKind::InvalidRequest,
        "5.4.1",
        &format!(
            "the client's userinfo_signed_response_alg {} is not allowed; register {} or none.",
            quoted(alg.name()),
            FAPI2_SIGNING_ALGORITHMS.join(", ")
        ),
    ))
}

/// §5.3.2.1 items 4 and 5: only sender-constrained access tokens, here by DPoP; and
/// §5.4.1 for the proof's `alg`.
pub fn token_request(proof: Option<&Proof>) -> Result<(), OAuth2Error> {
    match proof {
        None => Err(violation(
            ErrorKind::InvalidDpopProof,
            "5.3.2.1",
            "access tokens are sender-constrained: the token request needs a DPoP proof (RFC 9449).",
        )),
        Some(proof) if !is_allowed_alg(proof.alg) => Err(violation(
            ErrorKind::InvalidDpopProof,
            "5.4.1",
            &format!(
                "the DPoP proof is signed with {}; use {}.",
                proof.alg,
                FAPI2_SIGNING_ALGORITHMS.join(", ")
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// §5.3.2.1 item 11: an authorization code lives at most 60 seconds.
pub fn code_lifetime(configured: Duration) -> Duration {
    configured.min(Duration::seconds(FAPI2_MAX_CODE_LIFETIME_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_clause() {
        let err = pushed(false).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
        assert!(
            err.description()
                .contains("FAPI 2.0 Security Profile Section 5.3.2.2")
        );
        pushed(true).unwrap();
    }

    #[test]
    fn userinfo_is_signed_with_a_fapi_algorithm_or_not_at_all() {
        userinfo_alg(Algorithm::ES256).unwrap();
        let err = userinfo_alg(Algorithm::RS256).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
        assert!(err.description().contains("Section 5.4.1"));
    }

    #[test]
    fn only_code_with_s256() {
        response_type(ResponseType::CODE).unwrap();
        let hybrid = ResponseType::parse("code id_token").unwrap();
        assert_eq!(
            response_type(hybrid).unwrap_err().kind,
            ErrorKind::UnsupportedResponseType
        );
        pkce(Some(PkceMethod::S256)).unwrap();
        assert!(pkce(Some(PkceMethod::Plain)).is_err());
        assert!(pkce(None).is_err());
    }

    #[test]
    fn assertion_aud_is_the_issuer_as_one_string() {
        let issuer = "https://as.example";
        let claims = |aud: Value| {
            let mut map = Map::new();
            map.insert("aud".into(), aud);
            map
        };
        client_assertion(Algorithm::ES256, &claims(Value::from(issuer)), issuer).unwrap();
        for bad in [
            Value::from(vec![issuer]),
            Value::from("https://as.example/oauth2/token"),
        ] {
            let err = client_assertion(Algorithm::ES256, &claims(bad), issuer).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidClient);
        }
        let err =
            client_assertion(Algorithm::RS256, &claims(Value::from(issuer)), issuer).unwrap_err();
        assert!(err.description().contains("5.4.1"));
    }

    #[test]
    fn algorithms_and_code_lifetime() {
        assert!(is_allowed_alg(Algorithm::PS256));
        assert!(is_allowed_alg(Algorithm::EdDSA));
        assert!(!is_allowed_alg(Algorithm::RS256));
        assert!(request_object_alg("none").is_err());
        assert!(request_object_alg("RS256").is_err());
        request_object_alg("ES256").unwrap();
        assert_eq!(code_lifetime(Duration::minutes(10)), Duration::seconds(60));
        assert_eq!(code_lifetime(Duration::seconds(30)), Duration::seconds(30));
    }
}
