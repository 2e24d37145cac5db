//! `/admin/keys` errors: unknown sets and kids are JSON 404s; bad `alg`, `use`, kids
//! and keys are `400 invalid_request` naming the field, and change nothing.

use portunus_sdk::types::{CreateJsonWebKeySet, JsonWebKey, JsonWebKeySet};

use crate::jwk_admin_api::{create_body, error_of, json};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    unknown_sets_and_kids_are_json_404s,
    bad_alg_use_and_keys_are_400s_naming_the_field,
);

async fn unknown_sets_and_kids_are_json_404s(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, error) = error_of(app.admin.get_json_web_key_set().set("nope").send().await);
    assert_eq!((status, error.error.as_str()), (404, "not_found"));
    assert!(error.error_description.contains("nope"));
    for result in [
        error_of(
            app.admin
                .get_json_web_key()
                .set("nope")
                .kid("kid")
                .send()
                .await,
        ),
        error_of(
            app.admin
                .get_json_web_key()
                .set("hydra.openid.id-token")
                .kid("nope")
                .send()
                .await,
        ),
        error_of(
            app.admin
                .delete_json_web_key()
                .set("nope")
                .kid("kid")
                .send()
                .await,
        ),
        error_of(app.admin.delete_json_web_key_set().set("nope").send().await),
    ] {
        assert_eq!((result.0, result.1.error.as_str()), (404, "not_found"));
    }
}

async fn bad_alg_use_and_keys_are_400s_naming_the_field(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (create_body("XS256", "k"), "alg"),
        (create_body("none", "k"), "alg"),
        (create_body("", "k"), "alg"),
        (
            CreateJsonWebKeySet {
                use_: "wrap".to_owned(),
                ..create_body("RS256", "k")
            },
            "use",
        ),
        (create_body("RS256", &"k".repeat(256)), "kid"),
    ];
    for (body, field) in cases {
        let (status, error) = error_of(
            app.admin
                .create_json_web_key_set()
                .set("s")
                .body(body)
                .send()
                .await,
        );
        assert_eq!(
            (status, error.error.as_str()),
            (400, "invalid_request"),
            "{field}"
        );
        assert!(
            error.error_description.contains(&format!("Field {field} ")),
            "{field}: {}",
            error.error_description
        );
    }
    let good = app
        .admin
        .create_json_web_key_set()
        .set("s")
        .body(create_body("ES256", "good"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .keys
        .remove(0);
    let bad_keys = [
        (
            JsonWebKey {
                alg: Some("RS256".into()),
                ..good.clone()
            },
            "keys[0].kty",
        ),
        (
            JsonWebKey {
                alg: None,
                ..good.clone()
            },
            "keys[0].alg",
        ),
        (
            JsonWebKey {
                use_: Some("x".into()),
                ..good.clone()
            },
            "keys[0].use",
        ),
        (
            JsonWebKey {
                kid: None,
                ..good.clone()
            },
            "keys[0].kid",
        ),
        (
            JsonWebKey {
                d: Some("AAAA".into()),
                ..good.clone()
            },
            "keys[0]",
        ),
    ];
    for (key, field) in bad_keys {
        let body = JsonWebKeySet { keys: vec![key] };
        let (status, error) = error_of(
            app.admin
                .set_json_web_key_set()
                .set("s")
                .body(body)
                .send()
                .await,
        );
        assert_eq!(
            (status, error.error.as_str()),
            (400, "invalid_request"),
            "{field}"
        );
        assert!(
            error.error_description.contains(&format!("Field {field} ")),
            "{field}: {}",
            error.error_description
        );
    }
    // Nothing was replaced by the refused bodies.
    let kept = app
        .admin
        .get_json_web_key_set()
        .set("s")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&kept.keys), json(&vec![good]));
    let raw = app
        .http
        .post(app.admin_path("/admin/keys/s"))
        .header("content-type", "application/json")
        .body("{\"alg\":")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}
