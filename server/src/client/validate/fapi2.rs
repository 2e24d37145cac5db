//! FAPI 2.0 Security Profile (final) at registration: a client the profile covers
//! (its own `fapi_profile: fapi2`, or `oauth2.profile: fapi2`) must register metadata
//! the profile lets it use, so that a non-conforming client is refused when it is
//! created or changed, with `invalid_client_metadata` naming the field and the clause,
//! rather than at its first request. The same rules are enforced at request time by
//! `oauth2::fapi2`.

use crate::client::model::{Client, GrantType, TokenEndpointAuthMethod};
use crate::config::{FAPI2_SIGNING_ALGORITHMS, SecurityProfile};
use crate::error::{OAuth2Error, quoted};

fn refused(field: &str, rule: &str) -> OAuth2Error {
    OAuth2Error::invalid_client_metadata(format!(
        "Field {field} does not conform to the FAPI 2.0 Security Profile: {rule}"
    ))
}

/// An algorithm field: empty (the server's FAPI choice) or one of PS256, ES256, EdDSA.
fn signing_alg(field: &str, value: &str) -> Result<(), OAuth2Error> {
    if value.is_empty() || FAPI2_SIGNING_ALGORITHMS.contains(&value) {
        return Ok(());
    }
    Err(refused(
        field,
        &format!(
            "{} is not allowed; use {} (Section 5.4.1).",
            quoted(value),
            FAPI2_SIGNING_ALGORITHMS.join(", ")
        ),
    ))
}

/// Checks `client` against the profile when `global` or its own `fapi_profile`
/// covers it; other clients pass unchanged.
pub fn check(global: SecurityProfile, client: &Client) -> Result<(), OAuth2Error> {
    if !global.covers_fapi2(client.fapi_profile) {
        return Ok(());
    }
    // §5.3.2.1 items 3 and 6: confidential clients only, authenticated by mTLS or
    // private_key_jwt; mTLS needs TLS client certificates, which Portunus lacks.
    if client.token_endpoint_auth_method != TokenEndpointAuthMethod::PrivateKeyJwt {
        return Err(refused(
            "token_endpoint_auth_method",
            &format!(
                "{} is not allowed; FAPI 2.0 clients are confidential and authenticate with private_key_jwt (Section 5.3.2.1).",
                quoted(client.token_endpoint_auth_method.as_str())
            ),
        ));
    }
    signing_alg(
        "token_endpoint_auth_signing_alg",
        &client.token_endpoint_auth_signing_alg,
    )?;
    signing_alg(
        "request_object_signing_alg",
        &client.request_object_signing_alg,
    )?;
    signing_alg(
        "id_token_signed_response_alg",
        &client.id_token_signed_response_alg,
    )?;
    if client.userinfo_signed_response_alg != "none" {
        signing_alg(
            "userinfo_signed_response_alg",
            &client.userinfo_signed_response_alg,
        )?;
    }
    // §5.3.2.2 item 1: only the authorization code flow (no implicit, no hybrid).
    if let Some(other) = client.response_types.iter().find(|t| *t != "code") {
        return Err(refused(
            "response_types",
            &format!(
                "{} is not allowed; only code (Section 5.3.2.2).",
                quoted(other)
            ),
        ));
    }
    if client.has_grant(GrantType::Implicit) {
        return Err(refused(
            "grant_types",
            "implicit is not allowed; only the authorization code flow (Section 5.3.2.2).",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn conforming() -> Client {
        Client {
            client_id: "bank".into(),
            token_endpoint_auth_method: TokenEndpointAuthMethod::PrivateKeyJwt,
            response_types: vec!["code".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            userinfo_signed_response_alg: "none".into(),
            fapi_profile: SecurityProfile::Fapi2,
            ..Client::default()
        }
    }

    fn refused_field(client: &Client) -> String {
        let err = check(SecurityProfile::None, client).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClientMetadata);
        err.description()
    }

    #[test]
    fn a_conforming_client_passes_and_others_are_not_checked() {
        check(SecurityProfile::None, &conforming()).unwrap();
        let plain = Client {
            response_types: vec!["code id_token".into()],
            ..Client::default()
        };
        check(SecurityProfile::None, &plain).unwrap();
        assert!(check(SecurityProfile::Fapi2, &plain).is_err());
    }

    #[test]
    fn every_rule_names_its_field() {
        let secret = Client {
            token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
            ..conforming()
        };
        assert!(refused_field(&secret).contains("token_endpoint_auth_method"));
        let public = Client {
            token_endpoint_auth_method: TokenEndpointAuthMethod::None,
            ..conforming()
        };
        assert!(refused_field(&public).contains("confidential"));
        let rs256 = Client {
            token_endpoint_auth_signing_alg: "RS256".into(),
            ..conforming()
        };
        assert!(refused_field(&rs256).contains("token_endpoint_auth_signing_alg"));
        let unsigned = Client {
            request_object_signing_alg: "none".into(),
            ..conforming()
        };
        assert!(refused_field(&unsigned).contains("request_object_signing_alg"));
        let hybrid = Client {
            response_types: vec!["code".into(), "code id_token".into()],
            ..conforming()
        };
        assert!(refused_field(&hybrid).contains("response_types"));
        let implicit = Client {
            grant_types: vec![GrantType::Implicit],
            ..conforming()
        };
        assert!(refused_field(&implicit).contains("grant_types"));
    }
}
