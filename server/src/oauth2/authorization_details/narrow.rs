//! RFC 9396 §6: `authorization_details` at the token endpoint after a code or refresh
//! token — the client may ask for less than was granted, never more; the refresh token
//! issued beside keeps the whole grant (§6.2, as RFC 6749 §6 does for scope).

use serde_json::Value;

use super::{invalid, parse};
use crate::error::OAuth2Error;
use crate::oauth2::form::FormParams;
use crate::oauth2::session::{self, TokenSession};
use crate::secrets::KeyRing;
use crate::storage::{StoredToken, TokenKind};

/// The details of the access token: `granted` when the request names none, else the
/// requested ones, each within one granted object ([`within`]).
pub fn narrowed(form: &FormParams, granted: &[Value]) -> Result<Vec<Value>, OAuth2Error> {
    let Some(text) = form.get("authorization_details")? else {
        return Ok(granted.to_vec());
    };
    let requested = parse(text)?;
    if let Some(i) = requested
        .iter()
        .position(|r| !granted.iter().any(|g| within(r, g)))
    {
        return Err(invalid(format!(
            "authorization_details[{i}] was not granted; a token request may narrow the granted authorization details, never widen them (RFC 9396 Section 6.2)."
        )));
    }
    Ok(requested)
}

/// Whether `requested` asks for no more than `granted`: the same members, arrays of
/// strings holding a subset of the granted array's strings, every other member equal.
/// A member left out is not a narrowing (its absence may mean "any" for the type), so
/// it must be there.
pub fn within(requested: &Value, granted: &Value) -> bool {
    let (Some(requested), Some(granted)) = (requested.as_object(), granted.as_object()) else {
        return false;
    };
    requested.len() == granted.len()
        && requested.iter().all(|(name, value)| {
            granted
                .get(name)
                .is_some_and(|allowed| match (value, allowed) {
                    (Value::Array(asked), Value::Array(given))
                        if asked.iter().all(Value::is_string) =>
                    {
                        asked.iter().all(|item| given.contains(item))
                    }
                    _ => value == allowed,
                })
        })
}

/// The refresh token issued with a narrowed access token keeps the grant's details
/// (RFC 9396 §6.2): reseal its session with `granted`.
pub fn keep_granted(
    keys: &KeyRing,
    rows: &mut [StoredToken],
    granted: &[Value],
) -> Result<(), OAuth2Error> {
    for row in rows
        .iter_mut()
        .filter(|row| row.kind == TokenKind::RefreshToken)
    {
        let mut stored: TokenSession = session::open(keys, &row.signature_hash, &row.session)?;
        if stored.authorization_details.as_slice() == granted {
            continue;
        }
        stored.authorization_details = granted.to_vec();
        row.session = session::seal(keys, &row.signature_hash, &stored)?;
    }
    Ok(())
}
