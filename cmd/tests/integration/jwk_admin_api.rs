//! Hydra's JSON Web Key admin API (`/admin/keys`), driven through our SDK: every
//! generated algorithm, set and key CRUD (errors: `jwk_admin_api_errors.rs`).

use portunus_sdk::types::{CreateJsonWebKeySet, ErrorOAuth2, JsonWebKey, JsonWebKeySet};
use portunus_sdk::{Error, ResponseValue};

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    every_algorithm_is_generated_with_its_private_part,
    sets_and_keys_are_replaced_and_deleted,
);

pub const GENERATED: [(&str, &str, &str); 7] = [
    ("RS256", "RSA", "d"),
    ("RS512", "RSA", "d"),
    ("ES256", "EC", "d"),
    ("ES512", "EC", "d"),
    ("EdDSA", "OKP", "d"),
    ("HS256", "oct", "k"),
    ("HS512", "oct", "k"),
];

pub fn create_body(alg: &str, kid: &str) -> CreateJsonWebKeySet {
    CreateJsonWebKeySet {
        alg: alg.to_owned(),
        kid: kid.to_owned(),
        use_: "sig".to_owned(),
    }
}

pub fn error_of<T: std::fmt::Debug>(
    result: Result<ResponseValue<T>, Error<ErrorOAuth2>>,
) -> (u16, ErrorOAuth2) {
    match result {
        Err(Error::ErrorResponse(response)) => {
            let status = response.status().as_u16();
            (status, response.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// SDK types have no `PartialEq`: compare their JSON.
pub fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

fn member<'a>(key: &'a JsonWebKey, name: &str) -> Option<&'a str> {
    match name {
        "d" => key.d.as_deref(),
        "k" => key.k.as_deref(),
        _ => None,
    }
}

async fn every_algorithm_is_generated_with_its_private_part(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for (alg, kty, private) in GENERATED {
        let set = format!("set-{alg}");
        let created = app
            .admin
            .create_json_web_key_set()
            .set(&set)
            .body(create_body(alg, &format!("kid-{alg}")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("[{backend}] create {alg}: {e:?}"));
        assert_eq!(created.status().as_u16(), 201);
        let created = created.into_inner();
        let [key] = created.keys.as_slice() else {
            panic!("{alg}: one key expected, got {created:?}");
        };
        assert_eq!(key.kty, kty, "{alg}");
        assert_eq!(key.alg.as_deref(), Some(alg));
        assert_eq!(key.use_.as_deref(), Some("sig"));
        assert_eq!(key.kid.as_deref(), Some(format!("kid-{alg}").as_str()));
        assert!(
            member(key, private).is_some(),
            "{alg}: admin API returns {private}"
        );

        let fetched = app
            .admin
            .get_json_web_key_set()
            .set(&set)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            json(&fetched),
            json(&created),
            "{alg}: GET returns what POST answered"
        );
        let one = app
            .admin
            .get_json_web_key()
            .set(&set)
            .kid(format!("kid-{alg}"))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(json(&one), json(&created));
    }
    // Without a kid, a UUID is assigned; a second key joins the same set.
    let generated = app
        .admin
        .create_json_web_key_set()
        .set("set-ES256")
        .body(create_body("ES256", ""))
        .send()
        .await
        .unwrap()
        .into_inner();
    let kid = generated.keys[0].kid.clone().unwrap();
    assert!(uuid::Uuid::parse_str(&kid).is_ok(), "{kid}");
    let set = app
        .admin
        .get_json_web_key_set()
        .set("set-ES256")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.keys.len(), 2);
    let (status, error) = error_of(
        app.admin
            .create_json_web_key_set()
            .set("set-ES256")
            .body(create_body("ES256", &kid))
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (409, "conflict"));
}

async fn sets_and_keys_are_replaced_and_deleted(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut material = Vec::new();
    for (alg, kid) in [("RS256", "a"), ("EdDSA", "b"), ("ES256", "c")] {
        let made = app
            .admin
            .create_json_web_key_set()
            .set("source")
            .body(create_body(alg, kid))
            .send()
            .await
            .unwrap()
            .into_inner();
        material.extend(made.keys);
    }
    let body = JsonWebKeySet {
        keys: material[..2].to_vec(),
    };
    let stored = app
        .admin
        .set_json_web_key_set()
        .set("target")
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&stored), json(&body));
    let fetched = app
        .admin
        .get_json_web_key_set()
        .set("target")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&fetched), json(&body));

    // PUT replaces the set as a whole.
    let replacement = JsonWebKeySet {
        keys: vec![material[2].clone()],
    };
    app.admin
        .set_json_web_key_set()
        .set("target")
        .body(replacement.clone())
        .send()
        .await
        .unwrap();
    let fetched = app
        .admin
        .get_json_web_key_set()
        .set("target")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&fetched), json(&replacement));

    // PUT of one key adds it, or replaces the key with that kid; a public key will do.
    let mut public_only = material[0].clone();
    for private in [&mut public_only.d, &mut public_only.p, &mut public_only.q] {
        *private = None;
    }
    (public_only.dp, public_only.dq, public_only.qi) = (None, None, None);
    let put = app
        .admin
        .set_json_web_key()
        .set("target")
        .kid("a")
        .body(public_only.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&put), json(&public_only));
    let fetched = app
        .admin
        .get_json_web_key()
        .set("target")
        .kid("a")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&fetched.keys), json(&vec![public_only.clone()]));
    let (status, error) = error_of(
        app.admin
            .set_json_web_key()
            .set("target")
            .kid("other")
            .body(public_only)
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (400, "invalid_request"));
    assert!(
        error.error_description.contains("kid"),
        "{}",
        error.error_description
    );

    let deleted = app
        .admin
        .delete_json_web_key()
        .set("target")
        .kid("a")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(
        error_of(
            app.admin
                .delete_json_web_key()
                .set("target")
                .kid("a")
                .send()
                .await
        )
        .0,
        404
    );
    let fetched = app
        .admin
        .get_json_web_key_set()
        .set("target")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&fetched), json(&replacement));
    let deleted = app
        .admin
        .delete_json_web_key_set()
        .set("target")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(
        error_of(app.admin.get_json_web_key_set().set("target").send().await).0,
        404
    );
    assert_eq!(
        error_of(
            app.admin
                .delete_json_web_key_set()
                .set("target")
                .send()
                .await
        )
        .0,
        404
    );
}
