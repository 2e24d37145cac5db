//! Fuzz target: compact JWS parsing and verification (`verifier.rs`, RFC 7515 §5.2),
//! which ID token hints, logout hints and client assertions go through. Tokens signed
//! with real keys of each family are changed the ways an attacker would — bit flips,
//! swapped, dropped or borrowed segments, `alg` set to `none`, to HMAC (key confusion)
//! or to another family, `kid` pointing at another key — and the property is that a
//! token verifies only with the claims its key signed, under that key's algorithm.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeZone, Utc};
use rand::Rng;
use serde_json::{Value, json};

use super::alg::{Algorithm, KeyUse};
use super::generate::generate;
use super::key::{public_part, to_josekit};
use super::signer::{Signer, SigningKey};
use super::verifier::{Verifier, header_kid};
use super::wire::JsonWebKey;
use crate::fuzz::{Gen, run};

struct Keyed {
    signer: Signer,
    alg: Algorithm,
}

fn signer_for(key: &JsonWebKey, alg: Algorithm) -> Option<Signer> {
    let at = Utc.timestamp_opt(1_700_000_000, 0).single()?;
    let signing = SigningKey {
        kid: key.kid.clone()?,
        alg,
        created_at: at,
        not_before: at,
        retired_at: None,
        signer: alg.signer(&to_josekit(key).ok()?).ok()?,
    };
    Some(Signer::new("fuzz", vec![signing]))
}

/// Changes a compact JWS the ways that matter to a verifier.
fn tamper(g: &mut Gen<'_>, token: &str, others: &[String]) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let other = &others[g.rng.random_range(0..others.len())];
    let other_parts: Vec<&str> = other.split('.').collect();
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let header: Value = parts
        .first()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice(&h).ok())
        .unwrap_or_default();
    let with_header = |h: Value| format!("{}.{}.{}", b64(&h), parts[1], parts[2]);
    match g.rng.random_range(0..12) {
        0 => format!("{}.{}.{}", parts[1], parts[0], parts[2]),
        1 => format!("{}.{}.", parts[0], parts[1]),
        2 => format!("{}.{}", parts[0], parts[1]),
        3 => format!("{}.{}.{}", parts[0], parts[1], other_parts[2]),
        4 => format!("{}.{}.{}", parts[0], other_parts[1], parts[2]),
        5 => with_header(json!({"alg": "none", "kid": header.get("kid")})),
        6 => with_header(json!({"alg": "HS256", "kid": header.get("kid"), "typ": "JWT"})),
        7 => {
            let algs = [
                "RS256", "PS256", "ES256", "ES384", "EdDSA", "HS512", "RS512", "none",
            ];
            let mut h = header.clone();
            h["alg"] = json!(algs[g.rng.random_range(0..algs.len())]);
            with_header(h)
        }
        8 => {
            let mut h = header.clone();
            h["kid"] = match g.rng.random_range(0..3) {
                0 => json!("rs"),
                1 => Value::Null,
                _ => json!(g.mutated_text()),
            };
            with_header(h)
        }
        9 => {
            // Same claims re-encoded with padding or as JSON with spaces.
            let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap_or_default();
            let spaced = String::from_utf8_lossy(&payload).replace(',', ", ");
            format!(
                "{}.{}.{}",
                parts[0],
                URL_SAFE_NO_PAD.encode(spaced),
                parts[2]
            )
        }
        10 => format!("{token}.{}", parts[2]),
        _ => g.mutate_text(token),
    }
}

#[test]
fn fuzz_jws_verification() {
    let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let mut keys = Vec::new();
    let mut public = Vec::new();
    for (alg, kid) in [
        (Algorithm::ES256, "es"),
        (Algorithm::RS256, "rs"),
        (Algorithm::EdDSA, "ed"),
        (Algorithm::PS256, "ps"),
    ] {
        let key = generate(alg, kid, KeyUse::Sig, 2048).unwrap();
        public.push(public_part(&key).unwrap());
        keys.push(Keyed {
            signer: signer_for(&key, alg).unwrap(),
            alg,
        });
    }
    // The set also holds a key without kid or alg (verifies every fitting algorithm).
    let mut loose =
        public_part(&generate(Algorithm::ES256, "loose", KeyUse::Sig, 0).unwrap()).unwrap();
    loose.kid = None;
    loose.alg = None;
    public.push(loose);
    let verifier = Verifier::from_keys(public);
    let claims = [
        json!({"iss": "https://auth.example/", "sub": "alice", "aud": ["app"], "exp": 1_900_000_000, "sid": "s"}),
        json!({"iss": "app", "sub": "app", "aud": "https://auth.example/oauth2/token", "jti": "j", "exp": 1.9e9}),
    ];
    let mut samples = Vec::new();
    for keyed in &keys {
        for c in &claims {
            samples.push(keyed.signer.sign(c, "JWT", now).unwrap().token);
        }
    }
    let sample_bytes: Vec<Vec<u8>> = samples.iter().map(|t| t.clone().into_bytes()).collect();
    run("jws verification", &sample_bytes, |g, input| {
        let keyed = &keys[g.rng.random_range(0..keys.len())];
        let mut signed = claims[g.rng.random_range(0..claims.len())].clone();
        signed["jti"] = json!(g.mutated_text());
        let token = keyed.signer.sign(&signed, "JWT", now).unwrap().token;
        *input = token.clone().into_bytes();
        let verified = verifier.verify(&token).unwrap();
        assert_eq!(Value::Object(verified.claims), signed);
        assert_eq!(verified.alg, keyed.alg);
        let changed = tamper(g, &token, &samples);
        *input = changed.clone().into_bytes();
        let _ = header_kid(&changed);
        // (A splice may copy a whole sample token, validly signed with other claims.)
        if let Ok(verified) = verifier.verify(&changed)
            && !samples.contains(&changed)
        {
            g.reached();
            // Only a re-encoding of the same signed claims may verify (e.g. a
            // non-canonical but equal header): never other claims, never `none`/HMAC.
            assert_eq!(
                Value::Object(verified.claims),
                signed,
                "changed claims verified"
            );
            assert!(!verified.alg.is_symmetric(), "an HMAC token verified");
        }
        let other = g.mutated_text();
        *input = other.clone().into_bytes();
        let _ = header_kid(&other);
        let _ = verifier.verify(&other);
    });
}
