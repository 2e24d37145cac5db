//! Fuzz target: the opaque token format (`oauth2/token_format.rs`). Every token the
//! server mints verifies, under the current secret and after rotation; no change to a
//! token's text verifies (the MAC covers prefix and body, base64url is canonical).

use chrono::{DateTime, TimeZone, Utc};
use rand::Rng;

use super::{Gen, run};
use crate::oauth2::token_format::{generate, verify};
use crate::secrets::KeyRing;
use crate::storage::TokenKind;

fn ring(secrets: &[&str]) -> KeyRing {
    KeyRing::new(&secrets.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
}

fn any_time(g: &mut Gen<'_>) -> DateTime<Utc> {
    match g.rng.random_range(0..4) {
        0 => DateTime::<Utc>::MIN_UTC,
        1 => DateTime::<Utc>::MAX_UTC,
        _ => Utc
            .timestamp_opt(g.rng.random_range(-62_000_000_000..250_000_000_000), 0)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
    }
}

fn any_kind(g: &mut Gen<'_>) -> TokenKind {
    TokenKind::ALL[g.rng.random_range(0..TokenKind::ALL.len())]
}

#[test]
fn fuzz_opaque_tokens() {
    let current = ring(&["current-secret-0123456789abcdef"]);
    let rotated = ring(&[
        "next-secret-0123456789abcdefgh",
        "current-secret-0123456789abcdef",
    ]);
    let foreign = ring(&["someone-else-0123456789abcdefg"]);
    let samples: Vec<Vec<u8>> = TokenKind::ALL
        .into_iter()
        .filter_map(|kind| {
            generate(&current, kind, Utc.timestamp_opt(1_900_000_000, 0).unwrap()).ok()
        })
        .map(|t| t.value.into_bytes())
        .collect();
    assert_eq!(samples.len(), TokenKind::ALL.len());
    run("opaque tokens", &samples, |g, input| {
        let kind = any_kind(g);
        let token = generate(&current, kind, any_time(g)).unwrap();
        *input = token.value.clone().into_bytes();
        // Round trip, before and after a secret rotation; never under another secret.
        for keys in [&current, &rotated] {
            let verified = verify(keys, &token.value).unwrap();
            assert_eq!(verified.kind, kind);
            assert_eq!(verified.signature_hash, token.signature_hash);
        }
        assert_eq!(verify(&foreign, &token.value), None);
        g.reached();
        // A changed token never verifies.
        let changed = g.mutate_text(&token.value);
        *input = changed.clone().into_bytes();
        // (A splice may copy a whole sample token, which is valid.)
        if changed != token.value && !samples.contains(&changed.clone().into_bytes()) {
            assert_eq!(verify(&current, &changed), None, "a changed token verified");
        }
        // Arbitrary input near the format: no panic.
        let other = g.mutated_text();
        *input = other.clone().into_bytes();
        if let Some(verified) = verify(&current, &other) {
            assert!(other.starts_with(crate::oauth2::token_format::prefix(verified.kind)));
        }
    });
}
