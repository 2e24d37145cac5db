//! `GET /.well-known/jwks.json` (RFC 7517 §5): public parts only, every key with kid,
//! alg and use; rotation publishes before it signs and keeps old keys verifiable.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use portunus_server::clock::FixedClock;
use portunus_server::duration::GoDuration;
use portunus_server::jwk::{ACCESS_TOKEN_SET, ID_TOKEN_SET, JsonWebKeySet, Verifier};
use serde_json::{Value, json};

use crate::jwk_admin_api::{GENERATED, create_body};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    jwks_publishes_public_parts_only,
    tokens_signed_before_rotation_verify_after_it,
    rotated_keys_are_published_before_they_sign,
);

const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// The public JWKS through the SDK, and its Cache-Control header.
async fn fetch_jwks(app: &TestApp) -> (JsonWebKeySet, Value, String) {
    let public = app.sdk.public();
    let response = public.discover_json_web_keys().send().await.expect("jwks");
    let cache_control = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let raw = serde_json::to_value(response.into_inner()).unwrap();
    (
        serde_json::from_value(raw.clone()).unwrap(),
        raw,
        cache_control,
    )
}

fn kids(set: &JsonWebKeySet) -> Vec<String> {
    set.keys.iter().filter_map(|k| k.kid.clone()).collect()
}

async fn jwks_publishes_public_parts_only(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    // Keys of every algorithm in both published sets, symmetric ones included.
    for (alg, _, _) in GENERATED {
        for set in [ID_TOKEN_SET, ACCESS_TOKEN_SET] {
            app.admin
                .create_json_web_key_set()
                .set(set)
                .body(create_body(alg, &format!("{set}-{alg}")))
                .send()
                .await
                .unwrap();
        }
    }
    app.admin
        .create_json_web_key_set()
        .set("unpublished")
        .body(create_body("ES256", "hidden"))
        .send()
        .await
        .unwrap();
    let (jwks, raw, cache_control) = fetch_jwks(&app).await;
    assert_eq!(cache_control, "public, max-age=60");
    // 2 bootstrap keys + 5 asymmetric algorithms in each of the two sets.
    assert_eq!(jwks.keys.len(), 2 + 2 * 5, "{raw:#}");
    for key in raw["keys"].as_array().unwrap() {
        for member in PRIVATE_MEMBERS {
            assert!(
                key.get(member).is_none(),
                "[{backend}] leaks {member}: {key}"
            );
        }
        for member in ["kid", "alg", "use", "kty"] {
            assert!(key[member].is_string(), "[{backend}] lacks {member}: {key}");
        }
        assert_ne!(key["kty"], "oct");
        assert_ne!(key["kid"], "hidden");
    }
}

async fn tokens_signed_before_rotation_verify_after_it(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let keys = &app.state.key_manager;
    let claims = json!({"sub": "alice", "iss": app.public_url});
    let id_before = keys.sign(ID_TOKEN_SET, &claims, "JWT").await.unwrap();
    let at_before = keys
        .sign(ACCESS_TOKEN_SET, &claims, "at+jwt")
        .await
        .unwrap();
    assert_eq!(id_before.alg.name(), "RS256", "ID tokens default to RS256");
    assert_eq!(
        at_before.alg.name(),
        "ES256",
        "JWT access tokens default to ES256"
    );

    for set in [ID_TOKEN_SET, ACCESS_TOKEN_SET] {
        let alg = if set == ID_TOKEN_SET {
            "RS256"
        } else {
            "ES256"
        };
        app.admin
            .create_json_web_key_set()
            .set(set)
            .body(create_body(alg, ""))
            .send()
            .await
            .unwrap();
    }
    let id_after = keys.sign(ID_TOKEN_SET, &claims, "JWT").await.unwrap();
    let at_after = keys
        .sign(ACCESS_TOKEN_SET, &claims, "at+jwt")
        .await
        .unwrap();
    assert_ne!(
        id_after.kid, id_before.kid,
        "the new key signs (publish_before_use 0s)"
    );
    assert_ne!(at_after.kid, at_before.kid);

    let (jwks, _, _) = fetch_jwks(&app).await;
    assert_eq!(jwks.keys.len(), 4, "old keys stay published");
    let verifier = Verifier::from_jwk_set(&jwks);
    for token in [&id_before, &at_before, &id_after, &at_after] {
        let verified = verifier
            .verify(&token.token)
            .unwrap_or_else(|e| panic!("[{backend}] {}: {e}", token.kid));
        assert_eq!(verified.claims["sub"], "alice");
        assert_eq!(verified.kid.as_deref(), Some(token.kid.as_str()));
    }
    let verified = verifier.verify(&at_before.token).unwrap();
    assert_eq!(verified.typ.as_deref(), Some("at+jwt"));
}

async fn rotated_keys_are_published_before_they_sign(backend: TestBackend) {
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let app = TestApp::builder(backend)
        .clock(clock.clone())
        .config(|c| c.oidc.jwks.publish_before_use = GoDuration::from_secs(300))
        .build()
        .await;
    let keys = &app.state.key_manager;
    let before = keys
        .sign(ACCESS_TOKEN_SET, &json!({}), "at+jwt")
        .await
        .unwrap();

    let rotated = app
        .admin
        .create_json_web_key_set()
        .set(ACCESS_TOKEN_SET)
        .body(create_body("ES256", "next"))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rotated.keys[0].kid.as_deref(), Some("next"));
    let (jwks, _, _) = fetch_jwks(&app).await;
    assert!(
        kids(&jwks).contains(&"next".to_owned()),
        "published at once"
    );
    let still = keys
        .sign(ACCESS_TOKEN_SET, &json!({}), "at+jwt")
        .await
        .unwrap();
    assert_eq!(still.kid, before.kid, "the old key signs until not_before");

    clock.advance(Duration::seconds(299));
    assert_eq!(
        keys.sign(ACCESS_TOKEN_SET, &json!({}), "at+jwt")
            .await
            .unwrap()
            .kid,
        before.kid
    );
    clock.advance(Duration::seconds(1));
    let after = keys
        .sign(ACCESS_TOKEN_SET, &json!({}), "at+jwt")
        .await
        .unwrap();
    assert_eq!(after.kid, "next");

    let stored = keys
        .store()
        .get_json_web_key_set(ACCESS_TOKEN_SET)
        .await
        .unwrap();
    let old = stored.iter().find(|k| k.kid == before.kid).unwrap();
    assert_eq!(old.retired_at, Some(start + Duration::seconds(300)));
    let (jwks, _, _) = fetch_jwks(&app).await;
    assert!(
        kids(&jwks).contains(&before.kid),
        "the retired key stays published"
    );
    Verifier::from_jwk_set(&jwks).verify(&before.token).unwrap();
}
