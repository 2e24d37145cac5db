//! DPoP server nonces (RFC 9449 §8), verifiable by every node without shared state: a
//! nonce is the HMAC (`secrets.system`, its own derived key) of the number of the time
//! slot it was made in, base64url. A nonce of the current or the previous slot is
//! accepted, so a nonce lives between one and two `oauth2.dpop.nonce_lifespan`s. All
//! clients share the nonce of a slot: it proves freshness, not identity.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use crate::secrets::{KeyRing, Purpose};

/// The slot `now` falls in, for slots of `lifespan_secs` (at least 1).
fn slot(now: DateTime<Utc>, lifespan_secs: i64) -> i64 {
    now.timestamp().div_euclid(lifespan_secs.max(1))
}

fn nonce_of(keys: &KeyRing, slot: i64) -> Option<String> {
    keys.sign(Purpose::DpopNonce, &slot.to_be_bytes())
        .map(|mac| URL_SAFE_NO_PAD.encode(mac))
}

/// The nonce to hand out at `now`.
pub fn current(keys: &KeyRing, now: DateTime<Utc>, lifespan_secs: i64) -> Option<String> {
    nonce_of(keys, slot(now, lifespan_secs))
}

/// Whether `nonce` is the nonce of the current or the previous slot (constant-time).
pub fn is_valid(keys: &KeyRing, nonce: &str, now: DateTime<Utc>, lifespan_secs: i64) -> bool {
    let Ok(mac) = URL_SAFE_NO_PAD.decode(nonce) else {
        return false;
    };
    let current = slot(now, lifespan_secs);
    let this = keys.verify(Purpose::DpopNonce, &current.to_be_bytes(), &mac);
    let previous = keys.verify(
        Purpose::DpopNonce,
        &current.saturating_sub(1).to_be_bytes(),
        &mac,
    );
    this | previous
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn rfc9449_8_nonces_last_one_to_two_slots_on_any_node() {
        let node_a = KeyRing::new(&["dpop-nonce-secret-0123".to_owned()]);
        let node_b = KeyRing::new(&["dpop-nonce-secret-0123".to_owned()]);
        let other = KeyRing::new(&["another-secret-0123456".to_owned()]);
        let t0 = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let nonce = current(&node_a, t0, 300).unwrap();
        assert!(is_valid(&node_b, &nonce, t0, 300));
        assert!(is_valid(&node_b, &nonce, t0 + Duration::seconds(599), 300));
        assert!(!is_valid(&node_b, &nonce, t0 + Duration::seconds(600), 300));
        assert!(!is_valid(&node_b, &nonce, t0 - Duration::seconds(1), 300));
        assert!(!is_valid(&other, &nonce, t0, 300));
        assert!(!is_valid(&node_b, "not base64!", t0, 300));
        assert!(!is_valid(&node_b, "", t0, 300));
    }
}
