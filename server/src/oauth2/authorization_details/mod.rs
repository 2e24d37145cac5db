//! RFC 9396 rich authorization requests: the `authorization_details` parameter of the
//! authorization, pushed authorization and token requests.
//!
//! §2: "a JSON array of JSON objects", each with a string `type` that decides what
//! else it may hold; the common members `locations`, `actions`, `datatypes`,
//! `privileges` (arrays of strings) and `identifier` (a string) are checked here, any
//! other member is kept as JSON. A type must be in `oauth2.authorization_details.
//! types_supported` (discovery's `authorization_details_types_supported`, §10.1) and
//! in the client's `authorization_details_types` (§10). Anything else is
//! `invalid_authorization_details` (§5).

mod narrow;

pub use narrow::{keep_granted, narrowed, within};

use serde_json::Value;

use crate::client::authorization_details_types::is_type_name;
use crate::client::model::Client;
use crate::config::Config;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::form::FormParams;

/// Longest `authorization_details` value, in bytes of JSON text.
pub const MAX_JSON_LEN: usize = 8 * 1024;
/// At most this many objects in one `authorization_details` array.
pub const MAX_ENTRIES: usize = 16;
/// Deepest nesting of arrays and objects, the outer array being depth 1.
pub const MAX_DEPTH: usize = 8;

/// The members RFC 9396 §2.2 defines as arrays of strings.
const STRING_ARRAYS: [&str; 4] = ["locations", "actions", "datatypes", "privileges"];

/// `400 invalid_authorization_details` with `hint` (RFC 9396 §5).
pub fn invalid(hint: impl Into<String>) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidAuthorizationDetails).with_hint(hint)
}

/// The `authorization_details` of a request (none when absent), each object checked
/// (§2) and each type allowed for `client` (§5).
pub fn from_form(
    form: &FormParams,
    config: &Config,
    client: &Client,
) -> Result<Vec<Value>, OAuth2Error> {
    let Some(text) = form.get("authorization_details")? else {
        return Ok(Vec::new());
    };
    let details = parse(text)?;
    check_allowed(&details, config, client)?;
    Ok(details)
}

/// Parses and checks the JSON text of `authorization_details` (§2).
pub fn parse(text: &str) -> Result<Vec<Value>, OAuth2Error> {
    if text.len() > MAX_JSON_LEN {
        return Err(invalid(format!(
            "The authorization_details parameter has {} bytes; at most {MAX_JSON_LEN} are accepted.",
            text.len()
        )));
    }
    let value: Value = serde_json::from_str(text).map_err(|_| {
        invalid("The authorization_details parameter is not valid JSON (RFC 9396 Section 2).")
    })?;
    let Value::Array(details) = value else {
        return Err(invalid(
            "The authorization_details parameter must be a JSON array of objects (RFC 9396 Section 2).",
        ));
    };
    check(&details)?;
    Ok(details)
}

/// Checks parsed details: the count, the nesting depth, and each object's `type` and
/// common members (§2, §2.2).
pub fn check(details: &[Value]) -> Result<(), OAuth2Error> {
    if details.len() > MAX_ENTRIES {
        return Err(invalid(format!(
            "The authorization_details array has {} objects; at most {MAX_ENTRIES} are accepted.",
            details.len()
        )));
    }
    for (i, detail) in details.iter().enumerate() {
        if depth(detail) + 1 > MAX_DEPTH {
            return Err(invalid(format!(
                "authorization_details[{i}] is nested deeper than {MAX_DEPTH} levels."
            )));
        }
        let Value::Object(members) = detail else {
            return Err(invalid(format!(
                "authorization_details[{i}] is not a JSON object (RFC 9396 Section 2)."
            )));
        };
        match members.get("type") {
            Some(Value::String(kind)) if is_type_name(kind) => {}
            _ => {
                return Err(invalid(format!(
                    "authorization_details[{i}] needs a member 'type' naming its type (RFC 9396 Section 2)."
                )));
            }
        }
        for name in STRING_ARRAYS {
            if let Some(value) = members.get(name)
                && !value
                    .as_array()
                    .is_some_and(|items| items.iter().all(Value::is_string))
            {
                return Err(invalid(format!(
                    "authorization_details[{i}].{name} must be an array of strings (RFC 9396 Section 2.2)."
                )));
            }
        }
        if members.get("identifier").is_some_and(|v| !v.is_string()) {
            return Err(invalid(format!(
                "authorization_details[{i}].identifier must be a string (RFC 9396 Section 2.2)."
            )));
        }
    }
    Ok(())
}

/// The `type` of a checked detail.
pub fn type_of(detail: &Value) -> &str {
    detail.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Every type of `details` must be supported by the server and registered for `client`
/// (§5: "an unknown authorization details type value").
pub fn check_allowed(
    details: &[Value],
    config: &Config,
    client: &Client,
) -> Result<(), OAuth2Error> {
    let supported = &config.oauth2.authorization_details.types_supported;
    for detail in details {
        let kind = type_of(detail);
        if !supported.iter().any(|t| t == kind) {
            return Err(invalid(format!(
                "The authorization details type '{kind}' is not supported by this server (authorization_details_types_supported)."
            )));
        }
        if !client.authorization_details_types.iter().any(|t| t == kind) {
            return Err(invalid(format!(
                "The authorization details type '{kind}' is not allowed for this OAuth 2.0 Client (authorization_details_types)."
            )));
        }
    }
    Ok(())
}

/// RFC 9396 §7 with the consent app's verdict: what the app granted must be
/// well-formed, and each granted type must have been requested; the app may change
/// the objects (narrow them), never add a type.
pub fn granted_by_consent(
    granted: Option<Vec<Value>>,
    requested: &[Value],
) -> Result<Vec<Value>, OAuth2Error> {
    let granted = granted.unwrap_or_default();
    check(&granted).map_err(|err| {
        OAuth2Error::invalid_request(format!(
            "Field 'grant_authorization_details' is invalid: {}",
            err.hint.unwrap_or_default()
        ))
    })?;
    let size = serde_json::to_vec(&granted).map_or(usize::MAX, |json| json.len());
    if size > MAX_JSON_LEN {
        return Err(OAuth2Error::invalid_request(format!(
            "Field 'grant_authorization_details' has {size} bytes of JSON; at most {MAX_JSON_LEN} are accepted."
        )));
    }
    if let Some(extra) = granted
        .iter()
        .map(type_of)
        .find(|kind| !requested.iter().any(|r| type_of(r) == *kind))
    {
        return Err(OAuth2Error::invalid_request(format!(
            "Field 'grant_authorization_details' grants type '{extra}', which the authorization request did not ask for (requested_authorization_details)."
        )));
    }
    Ok(granted)
}

/// How deeply `value` nests arrays and objects (a scalar is 0).
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
