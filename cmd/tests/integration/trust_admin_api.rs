//! Hydra's trust API for the JWT bearer grant (`/admin/trust/grants/jwt-bearer/issuers`,
//! RFC 7523 §2.1), driven through our SDK: create, get, list pages with `Link` headers
//! and the issuer filter, delete, `409` on duplicates, and each refused input.

use chrono::Duration;
use portunus_sdk::types::TrustOAuth2JwtGrantIssuer;
use serde_json::{Value, json};

use crate::jwk_admin_api::{error_of, json};
use crate::support::assertion::{EC_1, EC_2, RSA_1};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    relationships_are_created_read_and_deleted,
    a_duplicate_issuer_subject_kid_is_409,
    lists_are_paged_with_link_headers_and_filtered_by_issuer,
    invalid_relationships_are_400_naming_the_field,
);

fn body(app: &TestApp, issuer: &str, subject: Option<&str>, jwk: Value) -> Value {
    let mut body = json!({
        "issuer": issuer,
        "scope": ["read", "write"],
        "jwk": jwk,
        "expires_at": (app.state.clock.now() + Duration::days(1)).to_rfc3339(),
    });
    match subject {
        Some(subject) => body["subject"] = json!(subject),
        None => body["allow_any_subject"] = json!(true),
    }
    body
}

fn sdk_body(value: Value) -> TrustOAuth2JwtGrantIssuer {
    serde_json::from_value(value).unwrap()
}

async fn relationships_are_created_read_and_deleted(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .admin
        .trust_o_auth2_jwt_grant_issuer()
        .body(sdk_body(body(
            &app,
            "https://idp.example",
            Some("alice"),
            EC_1.jwk(),
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let location = created
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let created = created.into_inner();
    let id = created.id.clone();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(
        location,
        format!("/admin/trust/grants/jwt-bearer/issuers/{id}")
    );
    let wire = json(&created);
    assert_eq!(wire["issuer"], "https://idp.example");
    assert_eq!(wire["subject"], "alice");
    assert_eq!(wire["allow_any_subject"], false);
    assert_eq!(wire["scope"], json!(["read", "write"]));
    assert_eq!(
        wire["public_key"],
        json!({"set": "https://idp.example", "kid": "ec-1"})
    );
    assert!(wire["created_at"].is_string() && wire["expires_at"].is_string());

    let fetched = app
        .admin
        .get_trusted_o_auth2_jwt_grant_issuer()
        .id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&fetched), wire, "GET returns what POST answered");

    let any = app
        .admin
        .trust_o_auth2_jwt_grant_issuer()
        .body(sdk_body(body(
            &app,
            "https://idp.example",
            None,
            RSA_1.jwk(),
        )))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json(&any)["allow_any_subject"], true);
    assert_eq!(json(&any)["subject"], "");

    let deleted = app
        .admin
        .delete_trusted_o_auth2_jwt_grant_issuer()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let (status, error) = error_of(
        app.admin
            .get_trusted_o_auth2_jwt_grant_issuer()
            .id(&id)
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (404, "not_found"));
    let (status, _) = error_of(
        app.admin
            .delete_trusted_o_auth2_jwt_grant_issuer()
            .id(&id)
            .send()
            .await,
    );
    assert_eq!(status, 404);
}

async fn a_duplicate_issuer_subject_kid_is_409(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let create = |value: Value| {
        let request = app
            .admin
            .trust_o_auth2_jwt_grant_issuer()
            .body(sdk_body(value));
        async move { request.send().await }
    };
    create(body(&app, "https://idp.example", Some("alice"), EC_1.jwk()))
        .await
        .unwrap();
    let (status, error) =
        error_of(create(body(&app, "https://idp.example", Some("alice"), EC_1.jwk())).await);
    assert_eq!((status, error.error.as_str()), (409, "conflict"));
    // Another subject, another kid, or "any subject" are other relationships.
    create(body(&app, "https://idp.example", Some("bob"), EC_1.jwk()))
        .await
        .unwrap();
    create(body(&app, "https://idp.example", Some("alice"), EC_2.jwk()))
        .await
        .unwrap();
    create(body(&app, "https://idp.example", None, EC_1.jwk()))
        .await
        .unwrap();
    let (status, _) = error_of(create(body(&app, "https://idp.example", None, EC_1.jwk())).await);
    assert_eq!(status, 409);
}

async fn lists_are_paged_with_link_headers_and_filtered_by_issuer(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let issuer = if i % 2 == 0 {
            "https://a.example"
        } else {
            "https://b.example"
        };
        let created = app
            .admin
            .trust_o_auth2_jwt_grant_issuer()
            .body(sdk_body(body(
                &app,
                issuer,
                Some(&format!("user-{i}")),
                EC_1.jwk(),
            )))
            .send()
            .await
            .unwrap()
            .into_inner();
        ids.push(created.id);
    }
    ids.sort();
    // Walk the pages through the Link header, as Hydra's clients do.
    let mut seen = Vec::new();
    let mut next = Some(app.admin_path("/admin/trust/grants/jwt-bearer/issuers?page_size=2"));
    while let Some(url) = next.take() {
        let response = app.http.get(&url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let link = response.headers()["link"].to_str().unwrap().to_owned();
        assert!(link.contains("rel=\"first\""), "{link}");
        let page: Vec<Value> = response.json().await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|t| t["id"].as_str().unwrap().to_owned()));
        next = link
            .split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .map(|l| app.admin_path(&l[1..l.find('>').unwrap()]));
    }
    assert_eq!(seen, ids, "every relationship once, by id");

    let page = app
        .admin
        .list_trusted_o_auth2_jwt_grant_issuers()
        .issuer("https://b.example")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.len(), 2);
    assert!(
        page.iter()
            .all(|t| json(t)["issuer"] == "https://b.example")
    );
    let response = app
        .http
        .get(app.admin_path("/admin/trust/grants/jwt-bearer/issuers?page_token=%21%21"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

async fn invalid_relationships_are_400_naming_the_field(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let good = || body(&app, "https://idp.example", Some("alice"), EC_1.jwk());
    let private_ec = {
        let mut jwk = EC_1.jwk();
        jwk["d"] = json!("JOlKBCRJm7cW75EnR4o2ffsjzA4P_Oj1ud_2aoR897I");
        jwk
    };
    let past = (app.state.clock.now() - Duration::minutes(1)).to_rfc3339();
    let cases: Vec<(Value, &str)> = vec![
        (body(&app, "", Some("alice"), EC_1.jwk()), "issuer"),
        (
            body(&app, &"i".repeat(256), Some("alice"), EC_1.jwk()),
            "issuer",
        ),
        (
            body(&app, "https://idp.example", Some("a\u{7}"), EC_1.jwk()),
            "subject",
        ),
        (
            {
                let mut b = good();
                b["subject"] = Value::Null;
                b
            },
            "subject",
        ),
        (
            {
                let mut b = good();
                b["allow_any_subject"] = json!(true);
                b
            },
            "cannot both",
        ),
        (
            {
                let mut b = good();
                b["scope"] = json!(["has space"]);
                b
            },
            "scope[0]",
        ),
        (
            {
                let mut b = good();
                b["scope"] = json!(vec!["s"; 101]);
                b
            },
            "scope",
        ),
        (
            {
                let mut b = good();
                b["expires_at"] = json!(past);
                b
            },
            "expires_at",
        ),
        (
            body(&app, "https://idp.example", Some("alice"), private_ec),
            "public key",
        ),
        (
            body(
                &app,
                "https://idp.example",
                Some("alice"),
                json!({"kty": "oct", "kid": "h", "alg": "HS256", "use": "sig", "k": "c2VjcmV0"}),
            ),
            "public key",
        ),
        (
            {
                let mut b = good();
                b["jwk"]["kid"] = Value::Null;
                b
            },
            "jwk.kid",
        ),
        (
            {
                let mut b = good();
                b["jwk"]["alg"] = json!("RS256");
                b
            },
            "jwk.kty",
        ),
        (
            {
                let mut b = good();
                b["jwk"]["use"] = json!("enc");
                b
            },
            "jwk.use",
        ),
        (
            {
                let mut b = good();
                b["jwk"]["x"] = json!("AAAA");
                b
            },
            "jwk",
        ),
    ];
    for (value, needle) in cases {
        let response = app
            .http
            .post(app.admin_path("/admin/trust/grants/jwt-bearer/issuers"))
            .json(&value)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let error: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{needle}: {error}");
        assert_eq!(error["error"], "invalid_request", "{needle}: {error}");
        let description = error["error_description"].as_str().unwrap();
        assert!(
            description.contains(needle),
            "{needle:?} not in {description:?}"
        );
    }
    // A body that is not the schema (no jwk) is invalid_request JSON too.
    let mut missing = good();
    missing.as_object_mut().unwrap().remove("jwk");
    let response = app
        .http
        .post(app.admin_path("/admin/trust/grants/jwt-bearer/issuers"))
        .json(&missing)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let page = app
        .admin
        .list_trusted_o_auth2_jwt_grant_issuers()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(page.is_empty(), "nothing stored");
}
