//! OpenID Connect parameters of the authorization request that need more than a
//! string: `nonce` and `openid` for ID-token responses (OIDC Core §3.2.2.1,
//! §3.3.2.11), the `claims` parameter (§5.5), `id_token_hint` and `prompt` (§3.1.2.1).

use serde_json::{Map, Value};

use super::request::Prompt;
use super::response_type::ResponseType;
use crate::error::{OAuth2Error, quoted};
use crate::oauth2::{limits, scope};

/// OIDC Core §3.2.2.1 / §3.3.2.11: when the response contains an ID token, `nonce` is
/// REQUIRED, and every OpenID Connect request has the `openid` scope (§3.1.2.1).
pub fn check_id_token_response(
    response_type: ResponseType,
    scope: &[String],
    nonce: Option<&str>,
) -> Result<(), OAuth2Error> {
    if !response_type.id_token {
        return Ok(());
    }
    if !scope.iter().any(|s| s == "openid") {
        return Err(OAuth2Error::invalid_request(
            "A response_type containing id_token requires the openid scope (OIDC Core Section 3.1.2.1).",
        ));
    }
    if nonce.is_none_or(str::is_empty) {
        return Err(OAuth2Error::invalid_request(
            "The nonce parameter is required when the response contains an ID token (OIDC Core Sections 3.2.2.1 and 3.3.2.11).",
        ));
    }
    Ok(())
}

/// OIDC Core §5.5: "The claims Authentication Request parameter ... is represented as
/// a JSON object"; anything else is `invalid_request`, and so is a value over
/// [`limits::MAX_CLAIMS_LEN`] bytes (serde_json bounds the nesting at 128 levels).
pub fn parse_claims(value: Option<&str>) -> Result<Option<Map<String, Value>>, OAuth2Error> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.len() > limits::MAX_CLAIMS_LEN {
        return Err(limits::claims_too_long());
    }
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Object(object)) => Ok(Some(object)),
        _ => Err(OAuth2Error::invalid_request(
            "The claims parameter must be a JSON object (OIDC Core Section 5.5).",
        )),
    }
}

/// OIDC Core §3.1.2.1: "If this parameter contains none with any other value, an error
/// is returned."
pub fn parse_prompt(value: Option<&str>) -> Result<Vec<Prompt>, OAuth2Error> {
    let mut prompts = Vec::new();
    for word in scope::parse_list(value, &limits::PROMPT)? {
        prompts.push(match word.as_str() {
            "none" => Prompt::None,
            "login" => Prompt::Login,
            "consent" => Prompt::Consent,
            "select_account" => Prompt::SelectAccount,
            other => {
                return Err(OAuth2Error::invalid_request(format!(
                    "The prompt value {} is not supported.",
                    quoted(other)
                )));
            }
        });
    }
    if prompts.contains(&Prompt::None) && prompts.len() > 1 {
        return Err(OAuth2Error::invalid_request(
            "prompt=none must not be combined with other prompt values.",
        ));
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_must_be_an_object() {
        assert_eq!(parse_claims(None).unwrap(), None);
        let parsed = parse_claims(Some(r#"{"id_token":{"email":null}}"#)).unwrap();
        assert_eq!(parsed.unwrap()["id_token"]["email"], Value::Null);
        assert!(parse_claims(Some("[1]")).is_err());
        assert!(parse_claims(Some("{")).is_err());
    }

    /// Issue 12 item 2: the claims JSON is bounded in size (serde_json bounds its
    /// nesting at 128 levels).
    #[test]
    fn claims_are_bounded() {
        let sized = |len: usize| {
            let frame = r#"{"id_token":{"c":{"value":""}}}"#.len();
            format!(
                r#"{{"id_token":{{"c":{{"value":"{}"}}}}}}"#,
                "x".repeat(len - frame)
            )
        };
        let fits = sized(limits::MAX_CLAIMS_LEN);
        assert_eq!(fits.len(), limits::MAX_CLAIMS_LEN);
        assert!(parse_claims(Some(&fits)).is_ok());
        let over = sized(limits::MAX_CLAIMS_LEN + 1);
        let err = parse_claims(Some(&over)).unwrap_err();
        assert!(
            err.description()
                .contains("claims parameter is longer than 16384 bytes"),
            "{}",
            err.description()
        );
        let deep = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
        assert!(parse_claims(Some(&deep)).is_err());
    }

    #[test]
    fn prompt_is_bounded() {
        assert!(parse_prompt(Some("login consent login")).is_ok());
        let err = parse_prompt(Some(&"login ".repeat(9))).unwrap_err();
        assert!(
            err.description()
                .contains("prompt parameter has more than 8 values")
        );
    }

    #[test]
    fn id_token_responses_need_openid_and_nonce() {
        let rt = ResponseType::parse("id_token").unwrap();
        let openid = vec!["openid".to_owned()];
        assert!(check_id_token_response(rt, &openid, Some("n")).is_ok());
        assert!(check_id_token_response(rt, &openid, None).is_err());
        assert!(check_id_token_response(rt, &[], Some("n")).is_err());
        assert!(check_id_token_response(ResponseType::CODE, &[], None).is_ok());
    }
}
