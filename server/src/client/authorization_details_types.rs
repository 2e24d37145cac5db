//! RFC 9396 §10: the client metadata `authorization_details_types`, the
//! `authorization_details` types a client may use (`oauth2::authorization_details`
//! checks requests against it). Each must be in `oauth2.authorization_details.
//! types_supported`, which discovery publishes (§10.1).

use crate::client::model::Client;
use crate::config::Config;
use crate::error::OAuth2Error;

/// Longest type name, in bytes (client metadata and requests alike).
pub const MAX_TYPE_LEN: usize = 255;
/// At most this many `authorization_details_types` per client.
pub const MAX_TYPES: usize = 32;

/// Whether `value` may name a type: 1 to [`MAX_TYPE_LEN`] printable ASCII characters
/// without space, `"` or `\` (so it can appear in any error description).
pub fn is_type_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_TYPE_LEN
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// The field as registered: bounded, each a type name.
pub fn validate(types: Option<Vec<String>>) -> Result<Vec<String>, OAuth2Error> {
    let types = types.unwrap_or_default();
    if types.len() > MAX_TYPES {
        return Err(OAuth2Error::invalid_client_metadata(format!(
            "Field authorization_details_types has {} entries; at most {MAX_TYPES} are allowed.",
            types.len()
        )));
    }
    if let Some(i) = types.iter().position(|t| !is_type_name(t)) {
        return Err(OAuth2Error::invalid_client_metadata(format!(
            "Field authorization_details_types[{i}] must be 1 to {MAX_TYPE_LEN} printable ASCII characters without space, quote or backslash."
        )));
    }
    Ok(types)
}

/// A client may register only types the server supports (§10 with §10.1).
pub fn check_supported(config: &Config, client: &Client) -> Result<(), OAuth2Error> {
    let supported = &config.oauth2.authorization_details.types_supported;
    match client
        .authorization_details_types
        .iter()
        .find(|t| !supported.contains(t))
    {
        Some(unknown) => Err(OAuth2Error::invalid_client_metadata(format!(
            "Field authorization_details_types contains '{unknown}', which is not in oauth2.authorization_details.types_supported."
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9396_10_client_types_are_bounded_and_supported() {
        assert_eq!(validate(None).unwrap(), Vec::<String>::new());
        assert_eq!(
            validate(Some(vec!["urn:x:y".into()])).unwrap(),
            vec!["urn:x:y"]
        );
        assert!(validate(Some(vec!["has space".into()])).is_err());
        assert!(validate(Some(vec!["quote\"".into()])).is_err());
        assert!(validate(Some(vec![String::new()])).is_err());
        assert!(validate(Some(vec!["x".repeat(MAX_TYPE_LEN + 1)])).is_err());
        assert!(validate(Some(vec!["t".into(); MAX_TYPES + 1])).is_err());
        let mut config = Config::default();
        config.oauth2.authorization_details.types_supported = vec!["a".into()];
        let client = |t: &str| Client {
            authorization_details_types: vec![t.to_owned()],
            ..Client::default()
        };
        assert!(check_supported(&config, &client("a")).is_ok());
        assert!(check_supported(&config, &client("b")).is_err());
    }
}
