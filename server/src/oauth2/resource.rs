//! RFC 8707 resource indicators: the `resource` parameter of the authorization, pushed
//! authorization and token requests, and RFC 8693's `resource` of token exchange.
//!
//! §2: "The value of the resource parameter MUST be an absolute URI … MUST NOT include
//! a fragment component", and it may be repeated. A malformed, unknown or not allowed
//! resource is `invalid_target`. A client may ask for the resources of its `audience`
//! list (the Hydra field that also bounds the `audience` parameter); the granted
//! resources become the access token's `aud`.

use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::form::FormParams;

/// At most this many `resource` values in one request (as for `audience`).
pub const MAX_RESOURCES: usize = 64;
/// Longest `resource` value, in bytes (as for `audience`).
pub const MAX_RESOURCE_LEN: usize = 2048;

/// `400 invalid_target` with `hint`.
pub fn invalid_target(hint: impl Into<String>) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidTarget).with_hint(hint)
}

/// Whether `value` is an absolute URI without a fragment (RFC 8707 §2).
pub fn is_resource_uri(value: &str) -> bool {
    value.len() <= MAX_RESOURCE_LEN
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(value).is_ok_and(|uri| uri.fragment().is_none())
}

/// The `resource` values of a request, each checked (RFC 8707 §2), repeats removed in
/// order of first occurrence.
pub fn parse(values: &[&str]) -> Result<Vec<String>, OAuth2Error> {
    if values.len() > MAX_RESOURCES {
        return Err(invalid_target(format!(
            "The request has {} resource parameters; at most {MAX_RESOURCES} are accepted.",
            values.len()
        )));
    }
    let mut resources: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        if !is_resource_uri(value) {
            return Err(invalid_target(format!(
                "The resource '{}' is not an absolute URI without a fragment (RFC 8707 Section 2).",
                shown(value)
            )));
        }
        if !resources.iter().any(|r| r == value) {
            resources.push((*value).to_owned());
        }
    }
    Ok(resources)
}

/// Every one of `resources` must be in `allowed` (byte-wise, RFC 8707 §2: the server
/// decides which resources it knows).
pub fn check_allowed(resources: &[String], allowed: &[String]) -> Result<(), OAuth2Error> {
    match resources.iter().find(|r| !allowed.contains(r)) {
        Some(refused) => Err(invalid_target(format!(
            "The resource '{}' is unknown or not allowed for this OAuth 2.0 Client.",
            shown(refused)
        ))),
        None => Ok(()),
    }
}

/// RFC 8707 §2.2: at the token endpoint, `resource` narrows the access token's
/// audience to the named resources, each of which must have been granted (the
/// authorization's audience); without it the granted audience stays. A refresh token
/// keeps the whole grant, so a later request may name another granted resource.
pub fn narrowed(form: &FormParams, granted: &[String]) -> Result<Vec<String>, OAuth2Error> {
    let requested = parse(&form.all("resource")?)?;
    if requested.is_empty() {
        return Ok(granted.to_vec());
    }
    match requested.iter().find(|r| !granted.contains(r)) {
        Some(refused) => Err(invalid_target(format!(
            "The resource '{}' was not granted; a token request may narrow the audience to granted resources, never widen it (RFC 8707 Section 2.2).",
            shown(refused)
        ))),
        None => Ok(requested),
    }
}

/// At most 200 characters of a value, for an error description.
fn shown(value: &str) -> String {
    value.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_absolute_uris_without_fragments() {
        let ok = parse(&[
            "https://api.example.com/mcp",
            "urn:example:api",
            "https://api.example.com/mcp",
        ])
        .unwrap();
        assert_eq!(ok, vec!["https://api.example.com/mcp", "urn:example:api"]);
        for bad in [
            "api",
            "/relative",
            "https://api.example.com/#",
            "https://api.example.com/#frag",
            "https://a.example/ b",
        ] {
            let err = parse(&[bad]).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidTarget, "{bad}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_RESOURCE_LEN));
        assert!(parse(&[&long]).is_err());
        let many = vec!["https://a.example/"; MAX_RESOURCES + 1];
        assert!(parse(&many).is_err());
    }

    #[test]
    fn only_allowed_resources_pass() {
        let allowed = vec!["https://a.example/".to_owned()];
        assert!(check_allowed(&["https://a.example/".to_owned()], &allowed).is_ok());
        let err = check_allowed(&["https://b.example/".to_owned()], &allowed).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidTarget);
    }
}
