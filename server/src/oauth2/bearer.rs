//! Reading a bearer token from a request (RFC 6750 §2) and the challenges that go with
//! failures (§3). The URI query form (§2.3) is not accepted: tokens in URLs end up in
//! logs.

use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::form::FormParams;

/// RFC 6750 §3.1: a request without any authentication gets no error code.
pub const MISSING_CHALLENGE: &str = "Bearer";
/// RFC 6750 §3.1 `invalid_request`.
pub const INVALID_REQUEST_CHALLENGE: &str = "Bearer error=\"invalid_request\"";
/// RFC 6750 §3.1 `invalid_token`.
pub const INVALID_TOKEN_CHALLENGE: &str = "Bearer error=\"invalid_token\"";
/// RFC 6750 §3.1 `insufficient_scope`.
pub const INSUFFICIENT_SCOPE_CHALLENGE: &str = "Bearer error=\"insufficient_scope\"";

/// `400 invalid_request` with its challenge.
fn invalid_request(hint: &str) -> OAuth2Error {
    OAuth2Error::invalid_request(hint).with_www_authenticate(INVALID_REQUEST_CHALLENGE)
}

/// `401 invalid_token` with its challenge.
pub fn invalid_token(hint: impl Into<String>) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidToken)
        .with_hint(hint)
        .with_www_authenticate(INVALID_TOKEN_CHALLENGE)
}

/// `403 insufficient_scope` with its challenge.
pub fn insufficient_scope(hint: impl Into<String>) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InsufficientScope)
        .with_hint(hint)
        .with_www_authenticate(INSUFFICIENT_SCOPE_CHALLENGE)
}

/// How an access token was presented: RFC 6750 `Bearer` (header or form body) or RFC
/// 9449 §7.1 `DPoP` (header only, with a proof).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    DPoP,
}

/// [`extract`], and `Authorization: DPoP <token>` (RFC 9449 §7.1, scheme
/// case-insensitive) beside it: the token and how it came.
pub fn extract_with_scheme(
    authorization: Option<&str>,
    form: Option<&FormParams>,
) -> Result<(String, Scheme), OAuth2Error> {
    let dpop = authorization.and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("dpop")
            .then(|| token.trim().to_owned())
    });
    let Some(token) = dpop else {
        return extract(authorization, form).map(|token| (token, Scheme::Bearer));
    };
    if form.is_some_and(|form| form.has("access_token")) {
        return Err(invalid_request(
            "The access token must be sent in one place only: the Authorization header or the form body (RFC 6750 Section 3.1).",
        ));
    }
    if token.is_empty() {
        return Err(invalid_request("The DPoP authorization header is empty."));
    }
    Ok((token, Scheme::DPoP))
}

/// The token of `Authorization: Bearer <token>` (§2.1; the scheme is case-insensitive,
/// RFC 9110 §11.1) or of the form body's `access_token` (§2.2). Another scheme in the
/// header counts as no token. Both at once is `invalid_request` (§3.1: "uses more than
/// one method for including an access token"); neither is `401` with a bare `Bearer`
/// challenge.
pub fn extract(
    authorization: Option<&str>,
    form: Option<&FormParams>,
) -> Result<String, OAuth2Error> {
    let from_header = from_header(authorization);
    let from_body = match form {
        Some(form) => form
            .get("access_token")
            .map_err(|_| invalid_request("The access_token parameter must not be repeated."))?,
        None => None,
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(invalid_request(
            "The access token must be sent in one place only: the Authorization header or the form body (RFC 6750 Section 3.1).",
        )),
        (Some(token), None) if !token.is_empty() => Ok(token),
        (Some(_), None) => Err(invalid_request("The Bearer authorization header is empty.")),
        (None, Some(token)) => Ok(token.to_owned()),
        (None, None) => Err(OAuth2Error::new(ErrorKind::Unauthorized)
            .with_hint("No access token was sent: use Authorization: Bearer <token> or a form body with access_token (RFC 6750 Section 2).")
            .with_www_authenticate(MISSING_CHALLENGE)),
    }
}

/// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme is
/// case-insensitive), possibly empty; `None` for no header or another scheme.
pub fn from_header(authorization: Option<&str>) -> Option<String> {
    authorization.and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormParams {
        FormParams::from_pairs(pairs)
    }

    #[test]
    fn one_place_only() {
        assert_eq!(extract(Some("Bearer abc"), None).unwrap(), "abc");
        assert_eq!(extract(Some("bearer  abc "), None).unwrap(), "abc");
        let body = form(&[("access_token", "xyz")]);
        assert_eq!(extract(None, Some(&body)).unwrap(), "xyz");
        assert_eq!(
            extract(Some("Basic Zm9vOmJhcg=="), Some(&body)).unwrap(),
            "xyz"
        );
        let both = extract(Some("Bearer abc"), Some(&body)).unwrap_err();
        assert_eq!(both.status(), 400);
        assert_eq!(
            both.www_authenticate.as_deref(),
            Some(INVALID_REQUEST_CHALLENGE)
        );
        let missing = extract(Some("Basic Zm9vOmJhcg=="), Some(&form(&[]))).unwrap_err();
        assert_eq!(missing.status(), 401);
        assert_eq!(missing.www_authenticate.as_deref(), Some(MISSING_CHALLENGE));
        let twice = form(&[("access_token", "a"), ("access_token", "b")]);
        assert_eq!(extract(None, Some(&twice)).unwrap_err().status(), 400);
    }
}
