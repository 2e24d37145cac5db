//! Reading the server's OAuth 2.0 error (RFC 6749 §5.2: `error`, `error_description`)
//! out of a failed call without matching two levels deep.
//!
//! Every documented error status of the document carries an [`ErrorOAuth2`] body, so a
//! failed call is `Error<ErrorOAuth2>`. That type is progenitor's and its `Display`
//! prints the `Debug` form of the body and all the headers; [`ApiError`] wraps it with a
//! `Display` that reads like the server's answer, and [`OAuth2ErrorExt`] adds the
//! accessors to the unwrapped error.

use std::fmt;

use reqwest::StatusCode;

use crate::Error;
use crate::types::ErrorOAuth2;

/// The error of every generated operation.
pub type RawError = Error<ErrorOAuth2>;

/// Accessors for the error of a generated operation.
pub trait OAuth2ErrorExt {
    /// The server's error body, when the server answered with a documented error
    /// status; `None` for transport failures and undocumented statuses.
    fn oauth2(&self) -> Option<&ErrorOAuth2>;
}

impl OAuth2ErrorExt for RawError {
    fn oauth2(&self) -> Option<&ErrorOAuth2> {
        match self {
            Error::ErrorResponse(response) => Some(response.as_ref()),
            _ => None,
        }
    }
}

/// A failed call: the generated error with a readable `Display`.
///
/// `?` converts the generated error into it:
///
/// ```no_run
/// # async fn example(admin: &portunus_sdk::Client) -> Result<(), portunus_sdk::ApiError> {
/// let client = admin.get_o_auth2_client().id("no-such-client").send().await?;
/// # Ok(())
/// # }
/// ```
///
/// and it prints, for example,
/// `404 Not Found: not_found: Unable to locate the resource. …`.
pub struct ApiError(RawError);

impl ApiError {
    /// The server's error body, when the server answered with a documented error
    /// status (see [`OAuth2ErrorExt::oauth2`]).
    pub fn oauth2(&self) -> Option<&ErrorOAuth2> {
        self.0.oauth2()
    }

    /// The response status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status()
    }

    /// The generated error, for everything else (headers, the transport error, …).
    pub fn get_ref(&self) -> &RawError {
        &self.0
    }

    /// Takes the generated error out.
    pub fn into_inner(self) -> RawError {
        self.0
    }
}

impl From<RawError> for ApiError {
    fn from(error: RawError) -> Self {
        Self(error)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Error::ErrorResponse(response) => {
                write!(f, "{}: {}", response.status(), response.as_ref())
            }
            // reqwest's own message names the URL.
            Error::CommunicationError(e) => write!(f, "cannot reach the server: {e}"),
            Error::UnexpectedResponse(response) => {
                write!(f, "{}: unexpected response", response.status())
            }
            other => fmt::Display::fmt(other, f),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// `error: error_description`, or `error` alone when the description is empty.
impl fmt::Display for ErrorOAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.error_description.is_empty() {
            f.write_str(&self.error)
        } else {
            write!(f, "{}: {}", self.error, self.error_description)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use progenitor_client::ResponseValue;
    use reqwest::header::HeaderMap;

    fn error_response(status: StatusCode, description: &str) -> RawError {
        Error::ErrorResponse(ResponseValue::new(
            ErrorOAuth2 {
                error: "invalid_request".into(),
                error_description: description.into(),
                error_debug: None,
                error_hint: None,
                redirect_to: None,
                status_code: None,
            },
            status,
            HeaderMap::new(),
        ))
    }

    #[test]
    fn display_shows_status_error_and_description() {
        let err = ApiError::from(error_response(
            StatusCode::BAD_REQUEST,
            "The page_size is 0.",
        ));
        assert_eq!(
            err.to_string(),
            "400 Bad Request: invalid_request: The page_size is 0."
        );
        assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            err.oauth2().map(|e| e.error.as_str()),
            Some("invalid_request")
        );
    }

    #[test]
    fn an_empty_description_is_left_out() {
        let err = ApiError::from(error_response(StatusCode::BAD_REQUEST, ""));
        assert_eq!(err.to_string(), "400 Bad Request: invalid_request");
    }

    #[test]
    fn errors_without_a_body_have_no_oauth2_error() {
        let raw: RawError = Error::InvalidRequest("id was not initialized".into());
        assert!(raw.oauth2().is_none());
        let err = ApiError::from(raw);
        assert!(err.oauth2().is_none());
        assert_eq!(err.status(), None);
        assert!(err.to_string().contains("id was not initialized"), "{err}");
    }
}
