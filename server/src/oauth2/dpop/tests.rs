//! The proof verifier (RFC 9449 §4.3) claim by claim, and the stateful checks of
//! [`DpopVerifier`]: replay (§11.1) and server nonces (§8).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::proof::{Expected, access_token_hash, verify};
use super::*;
use crate::clock::FixedClock;
use crate::config::DpopConfig;
use crate::jwk::generate::generate;
use crate::jwk::key::public_part;
use crate::jwk::test_support::sign_with_header;
use crate::jwk::{JsonWebKey, KeyUse};
use crate::storage::memory::MemoryStore;

const URL: &str = "https://auth.example.com/oauth2/token";
const ALGS: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::PS256,
    Algorithm::RS256,
    Algorithm::EdDSA,
];

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
}

fn key(alg: Algorithm) -> JsonWebKey {
    generate(alg, "client-key", KeyUse::Sig, 2048).unwrap()
}

fn expected(token: Option<&str>) -> Expected<'_> {
    Expected {
        method: "POST",
        url: URL,
        access_token: token,
        algorithms: &ALGS,
        now: now(),
        max_age: Duration::seconds(60),
        skew: Duration::seconds(5),
    }
}

fn claims() -> Value {
    json!({"jti": uuid::Uuid::new_v4().to_string(), "htm": "POST", "htu": URL,
           "iat": now().timestamp()})
}

/// `base` with `changes` merged in; `null` removes a member.
fn with(mut base: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            base.as_object_mut().unwrap().remove(name);
        } else {
            base[name] = value.clone();
        }
    }
    base
}

fn header(key: &JsonWebKey, alg: Algorithm) -> Value {
    json!({"typ": "dpop+jwt", "alg": alg.name(),
           "jwk": serde_json::to_value(public_part(key).unwrap()).unwrap()})
}

fn sign(key: &JsonWebKey, alg: Algorithm, header: Value, claims: &Value) -> String {
    let header: Map<String, Value> = header.as_object().unwrap().clone();
    sign_with_header(key, alg, &header, claims)
}

fn proof(key: &JsonWebKey, alg: Algorithm, claims: &Value) -> String {
    sign(key, alg, header(key, alg), claims)
}

fn refused(proof: &str, expected: &Expected<'_>, needle: &str) {
    let err = verify(proof, expected).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidDpopProof);
    assert_eq!(err.status(), 400);
    assert!(
        err.description().contains(needle),
        "{needle:?} not in {err:?}"
    );
}

#[test]
fn rfc9449_4_3_valid_proofs_of_every_default_algorithm_yield_the_thumbprint() {
    for alg in [Algorithm::ES256, Algorithm::PS256, Algorithm::EdDSA] {
        let key = key(alg);
        let verified = verify(&proof(&key, alg, &claims()), &expected(None)).unwrap();
        assert_eq!(Some(verified.jkt), thumbprint::jkt(&key), "{alg}");
        assert_eq!(verified.iat, now());
        assert_eq!(verified.nonce, None);
    }
}

#[test]
fn rfc9449_4_3_each_header_member_wrong_in_turn() {
    let es = key(Algorithm::ES256);
    let other = key(Algorithm::ES256);
    let good = header(&es, Algorithm::ES256);
    let sign_es = |header: Value| sign(&es, Algorithm::ES256, header, &claims());
    refused(
        &sign_es(with(good.clone(), json!({"typ": null}))),
        &expected(None),
        "'typ'",
    );
    refused(
        &sign_es(with(good.clone(), json!({"typ": "JWT"}))),
        &expected(None),
        "dpop+jwt",
    );
    refused(
        &sign_es(with(good.clone(), json!({"jwk": null}))),
        &expected(None),
        "'jwk'",
    );
    let private = serde_json::to_value(&es).unwrap();
    refused(
        &sign_es(with(good.clone(), json!({"jwk": private}))),
        &expected(None),
        "private key",
    );
    let others = serde_json::to_value(public_part(&other).unwrap()).unwrap();
    refused(
        &sign_es(with(good.clone(), json!({"jwk": others}))),
        &expected(None),
        "signature",
    );
    // An algorithm outside the list, and one that does not fit the key.
    let only_rsa = [Algorithm::RS256];
    refused(
        &proof(&es, Algorithm::ES256, &claims()),
        &Expected {
            algorithms: &only_rsa,
            ..expected(None)
        },
        "dpop_signing_alg_values_supported",
    );
    let ed = key(Algorithm::EdDSA);
    let ed_header_on_es = with(header(&ed, Algorithm::EdDSA), json!({"alg": "ES256"}));
    refused(
        &sign_es(ed_header_on_es),
        &expected(None),
        "not a key for ES256",
    );
    // Symmetric and unsecured proofs never pass.
    let hs = key(Algorithm::HS256);
    let hs_header = json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct"}});
    refused(
        &sign(&hs, Algorithm::HS256, hs_header, &claims()),
        &expected(None),
        "'alg'",
    );
    refused("eyJhbGciOiJub25lIn0.e30.", &expected(None), "'typ'");
    refused("a.b", &expected(None), "three dot-separated parts");
    refused(
        &"a".repeat(proof::MAX_PROOF_LEN + 1),
        &expected(None),
        "longer",
    );
}

/// ECDSA proofs take `signature.rs` (aws-lc-rs): every curve verifies, and the key and
/// signature shapes RFC 7518 fixes are enforced there as the general path enforces them.
#[test]
fn rfc7518_3_4_ecdsa_proofs_on_every_curve_and_their_key_shapes() {
    let ecdsa = [Algorithm::ES256, Algorithm::ES384, Algorithm::ES512];
    let accepting = Expected {
        algorithms: &ecdsa,
        ..expected(None)
    };
    for alg in ecdsa {
        let key = key(alg);
        let verified = verify(&proof(&key, alg, &claims()), &accepting).unwrap();
        assert_eq!(Some(verified.jkt), thumbprint::jkt(&key), "{alg}");
        assert_eq!(verified.alg, alg);
    }
    let es = key(Algorithm::ES256);
    let good = header(&es, Algorithm::ES256);
    let sign_es = |header: Value| sign(&es, Algorithm::ES256, header, &claims());
    // A coordinate that is not exactly 32 bytes (RFC 7518 §6.2.1.2), with or without a
    // leading zero, is not the key's point.
    let x = good["jwk"]["x"].as_str().unwrap().to_owned();
    let mut padded = vec![0u8];
    padded.extend(URL_SAFE_NO_PAD.decode(&x).unwrap());
    let long_x = with(
        good.clone(),
        json!({"jwk": with(good["jwk"].clone(),
        json!({"x": URL_SAFE_NO_PAD.encode(&padded)}))}),
    );
    refused(&sign_es(long_x), &accepting, "signature");
    let short_x = with(
        good.clone(),
        json!({"jwk": with(good["jwk"].clone(),
        json!({"x": URL_SAFE_NO_PAD.encode(&padded[2..])}))}),
    );
    refused(&sign_es(short_x), &accepting, "signature");
    // A point off the curve.
    let mut off = URL_SAFE_NO_PAD.decode(&x).unwrap();
    off[31] ^= 1;
    let off_curve = with(
        good.clone(),
        json!({"jwk": with(good["jwk"].clone(),
        json!({"x": URL_SAFE_NO_PAD.encode(&off)}))}),
    );
    refused(&sign_es(off_curve), &accepting, "signature");
    // A key for encryption, or for another algorithm, verifies nothing.
    for member in [json!({"use": "enc"}), json!({"alg": "ES384"})] {
        let header = with(
            good.clone(),
            json!({"jwk": with(good["jwk"].clone(), member)}),
        );
        refused(&sign_es(header), &accepting, "not a key for ES256");
    }
    assert!(
        verify(
            &sign_es(with(
                good.clone(),
                json!({"jwk": with(good["jwk"].clone(),
        json!({"use": "sig", "alg": "ES256", "kid": "k"}))})
            )),
            &accepting
        )
        .is_ok()
    );
    // The signature: tampered, truncated, DER instead of R || S, not base64url.
    let valid = sign_es(good.clone());
    let (signed, signature) = valid.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_eq!(raw.len(), 64);
    raw[10] ^= 0x80;
    let tampered = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&raw));
    refused(&tampered, &accepting, "signature");
    let truncated = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&raw[..63]));
    refused(&truncated, &accepting, "signature");
    refused(&format!("{signed}.MEUCIQ"), &accepting, "signature");
    refused(&format!("{signed}.!!"), &accepting, "signature");
    // Claims changed after signing.
    let (header_part, _) = signed.split_once('.').unwrap();
    let forged_claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).unwrap());
    refused(
        &format!("{header_part}.{forged_claims}.{signature}"),
        &accepting,
        "signature",
    );
    // A signed payload that is not a JSON object.
    let not_json = sign_with_header(
        &es,
        Algorithm::ES256,
        good.as_object().unwrap(),
        &json!([1]),
    );
    refused(&not_json, &accepting, "payload");
}

#[test]
fn rfc9449_4_3_each_claim_wrong_in_turn() {
    let key = key(Algorithm::ES256);
    let bad = |changes: Value| proof(&key, Algorithm::ES256, &with(claims(), changes));
    let none = expected(None);
    refused(&bad(json!({"jti": null})), &none, "'jti'");
    refused(&bad(json!({"jti": ""})), &none, "'jti'");
    refused(&bad(json!({"jti": "x".repeat(257)})), &none, "'jti'");
    refused(&bad(json!({"jti": 7})), &none, "'jti'");
    refused(&bad(json!({"htm": "GET"})), &none, "'htm'");
    refused(&bad(json!({"htm": null})), &none, "'htm'");
    refused(
        &bad(json!({"htu": "https://auth.example.com/oauth2/auth"})),
        &none,
        "'htu'",
    );
    refused(
        &bad(json!({"htu": "https://evil.example/oauth2/token"})),
        &none,
        "'htu'",
    );
    refused(&bad(json!({"htu": "not a url"})), &none, "'htu'");
    refused(
        &bad(json!({"iat": now().timestamp() - 61})),
        &none,
        "too long ago",
    );
    refused(&bad(json!({"iat": now().timestamp() + 6})), &none, "future");
    refused(&bad(json!({"iat": "now"})), &none, "integer");
    refused(&bad(json!({"iat": null})), &none, "'iat'");
    // §4.3 step 9: query and fragment are ignored, case and default port normalised.
    let lenient = bad(json!({"htu": "HTTPS://Auth.Example.com:443/oauth2/token?x=1#f"}));
    assert!(verify(&lenient, &none).is_ok());
    // Within the window at both ends.
    assert!(verify(&bad(json!({"iat": now().timestamp() - 60})), &none).is_ok());
    assert!(verify(&bad(json!({"iat": now().timestamp() + 5})), &none).is_ok());
}

#[test]
fn rfc9449_4_3_ath_is_required_with_an_access_token() {
    let key = key(Algorithm::ES256);
    let token = "an-access-token";
    let with_ath = with(claims(), json!({"ath": access_token_hash(token)}));
    assert!(
        verify(
            &proof(&key, Algorithm::ES256, &with_ath),
            &expected(Some(token))
        )
        .is_ok()
    );
    refused(
        &proof(&key, Algorithm::ES256, &claims()),
        &expected(Some(token)),
        "'ath'",
    );
    let wrong = with(claims(), json!({"ath": access_token_hash("another-token")}));
    refused(
        &proof(&key, Algorithm::ES256, &wrong),
        &expected(Some(token)),
        "'ath'",
    );
    // The token endpoint presents no token: `ath` is not looked at.
    assert!(verify(&proof(&key, Algorithm::ES256, &wrong), &expected(None)).is_ok());
}

fn verifier(nonce: bool) -> (DpopVerifier, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(now()));
    let config = DpopConfig {
        nonce,
        ..DpopConfig::default()
    };
    let keys = Arc::new(KeyRing::new(&["dpop-unit-test-secret".to_owned()]));
    let verifier = DpopVerifier::new(&config, keys, Arc::new(MemoryStore::new()), clock.clone());
    (verifier, clock)
}

fn request(proof: &str) -> RequestContext {
    RequestContext::new("POST", URL.into(), None).with_header("DPoP", proof.as_bytes())
}

#[tokio::test]
async fn rfc9449_11_1_a_proof_is_accepted_once_per_key() {
    let (verifier, clock) = verifier(false);
    let key = key(Algorithm::ES256);
    let once = proof(&key, Algorithm::ES256, &claims());
    assert!(
        verifier
            .at_token_endpoint(&request(&once))
            .await
            .unwrap()
            .is_some()
    );
    let again = verifier
        .at_token_endpoint(&request(&once))
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::InvalidDpopProof);
    assert!(again.description().contains("used before"), "{again:?}");
    // The same jti under another key is another proof.
    let other = key_of_same_jti(&once);
    assert!(
        verifier
            .at_token_endpoint(&request(&other))
            .await
            .unwrap()
            .is_some()
    );
    // No header: no proof; two headers: refused.
    let plain = RequestContext::new("POST", URL.into(), None);
    assert_eq!(verifier.at_token_endpoint(&plain).await.unwrap(), None);
    let fresh = proof(&key, Algorithm::ES256, &claims());
    let twice = request(&fresh).with_header("dpop", fresh.as_bytes());
    assert!(verifier.at_token_endpoint(&twice).await.is_err());
    clock.advance(Duration::seconds(61));
    assert!(
        verifier.at_token_endpoint(&request(&once)).await.is_err(),
        "too old now"
    );
}

/// A proof with the `jti` of `proof` signed by a new key.
fn key_of_same_jti(proof: &str) -> String {
    let payload = proof.split('.').nth(1).unwrap();
    let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    let other = key(Algorithm::ES256);
    self::proof(&other, Algorithm::ES256, &claims)
}

#[tokio::test]
async fn rfc9449_8_use_dpop_nonce_until_the_proof_carries_the_servers_nonce() {
    let (verifier, clock) = verifier(true);
    let key = key(Algorithm::ES256);
    let err = verifier
        .at_token_endpoint(&request(&proof(&key, Algorithm::ES256, &claims())))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UseDpopNonce);
    assert_eq!(err.status(), 400);
    let nonce = err
        .dpop_nonce
        .clone()
        .expect("a DPoP-Nonce header")
        .to_string();
    assert_eq!(verifier.current_nonce().as_deref(), Some(nonce.as_str()));
    let with_nonce = with(claims(), json!({"nonce": nonce}));
    let ok = verifier
        .at_token_endpoint(&request(&proof(&key, Algorithm::ES256, &with_nonce)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ok.nonce.as_deref(), Some(nonce.as_str()));
    let forged = with(claims(), json!({"nonce": "AAAA"}));
    let err = verifier
        .at_token_endpoint(&request(&proof(&key, Algorithm::ES256, &forged)))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UseDpopNonce);
    // Two slots later the nonce has expired.
    clock.advance(Duration::seconds(600));
    let stale = with(
        claims(),
        json!({"nonce": nonce, "iat": (now() + Duration::seconds(600)).timestamp()}),
    );
    let err = verifier
        .at_token_endpoint(&request(&proof(&key, Algorithm::ES256, &stale)))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UseDpopNonce);
}

#[tokio::test]
async fn rfc9449_7_1_resource_errors_are_401_with_a_dpop_challenge() {
    let (verifier, _) = verifier(false);
    let plain = RequestContext::new("GET", "https://auth.example.com/userinfo".into(), None);
    let err = verifier.at_resource(&plain, "token").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidDpopProof);
    assert_eq!(err.status(), 401);
    assert_eq!(
        err.www_authenticate.as_deref(),
        Some("DPoP error=\"invalid_dpop_proof\", algs=\"ES256 PS256 RS256 EdDSA\"")
    );
}
