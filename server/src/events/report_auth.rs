//! `auth.client_failed`: a client authentication refused (RFC 6749 §2.3, §5.2
//! `invalid_client`) at the token, revocation, introspection, PAR or device
//! authorization endpoint. Sampled per `(client_id, reason)` (`sampled.rs`): there is
//! no change to ride on, and whoever sends requests chooses how many fail.
//!
//! The data names the client as presented (at most [`MAX_CLIENT_ID_CHARS`]
//! characters), the method tried, the reason class and the endpoint; never the secret
//! or the assertion. Keyed by the presented client_id, so a client's failures are
//! delivered in order with its `client.*` events.

use serde_json::json;

use super::envelope::{Actor, Event};
use super::report::fields;
use super::sampled::SampledEvents;

/// The longest presented client_id an event repeats; longer ones are cut (and marked).
pub const MAX_CLIENT_ID_CHARS: usize = 256;

/// One refused client authentication.
#[derive(Debug, Clone, Copy)]
pub struct ClientAuthFailure<'a> {
    /// As presented (Basic user name, `client_id`, the assertion's `sub`); `None` when
    /// the request named none.
    pub client_id: Option<&'a str>,
    /// The `token_endpoint_auth_method` tried; `None` when the request carried no
    /// credentials.
    pub method: Option<&'a str>,
    /// The reason class: `unknown_client`, `wrong_secret`, `bad_assertion`, …
    pub reason: &'static str,
    /// The endpoint's path (`/oauth2/token`).
    pub endpoint: &'a str,
}

/// `client_id` bounded to [`MAX_CLIENT_ID_CHARS`], and whether it was cut.
fn bounded(client_id: &str) -> (String, bool) {
    match client_id.char_indices().nth(MAX_CLIENT_ID_CHARS) {
        Some((end, _)) => (client_id.get(..end).unwrap_or_default().to_owned(), true),
        None => (client_id.to_owned(), false),
    }
}

/// Offers `failure` to the sampling; written when it passes.
pub fn client_failed(events: &SampledEvents, failure: &ClientAuthFailure<'_>) {
    let (client_id, truncated) = match failure.client_id {
        Some(id) => {
            let (id, cut) = bounded(id);
            (Some(id), cut)
        }
        None => (None, false),
    };
    let key = format!(
        "auth.client_failed\u{0}{}\u{0}{}",
        client_id.as_deref().unwrap_or_default(),
        failure.reason
    );
    events.offer(&key, |sample| Event {
        event_type: "auth.client_failed",
        aggregate_key: client_id
            .clone()
            .unwrap_or_else(|| "auth.client_failed".to_owned()),
        actor: Actor::Unauthenticated,
        fields: fields(json!({
            "client_id": client_id,
            "client_id_truncated": truncated,
            "auth_method": failure.method,
            "reason": failure.reason,
            "endpoint": failure.endpoint,
            "suppressed": sample.suppressed,
            "suppressed_other": sample.suppressed_other,
        })),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_client_ids_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_CLIENT_ID_CHARS + 5);
        let (cut, truncated) = bounded(&long);
        assert!(truncated);
        assert_eq!(cut.chars().count(), MAX_CLIENT_ID_CHARS);
        assert_eq!(bounded("c1"), ("c1".to_owned(), false));
    }
}
