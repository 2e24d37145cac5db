//! Hydra's admin client API (`/admin/clients`), driven through our SDK; raw HTTP only to
//! probe error shapes on the wire.

use std::collections::BTreeSet;

use portunus_sdk::types::{JsonPatch, OAuth2Client, OAuth2ClientTokenLifespans};
use portunus_sdk::{Error, ResponseValue};
use serde_json::json;

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    create_round_trips_every_field_and_shows_the_secret_once,
    generated_ids_and_secrets,
    duplicate_ids_conflict,
    pagination_walks_every_page_once,
    list_filters_by_name_and_owner,
    put_replaces_and_keeps_the_secret,
    patch_adds_replaces_and_removes,
    lifespans_are_set_alone,
    validation_errors_name_the_field,
    unknown_ids_are_json_404s,
    bad_bodies_are_json_4xx,
    unprefixed_admin_paths_work,
);

fn full_client(id: &str) -> OAuth2Client {
    serde_json::from_value(json!({
        "client_id": id,
        "client_name": "Full Client ✓",
        "client_secret": "a-chosen-secret",
        "redirect_uris": ["https://app.example.com/cb", "http://127.0.0.1/cb", "com.example.app:/oauth"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types": ["code", "code id_token"],
        "scope": "openid offline_access profile email",
        "audience": ["https://api.example.com"],
        "owner": "team-a",
        "policy_uri": "https://app.example.com/policy",
        "tos_uri": "https://app.example.com/tos",
        "client_uri": "https://app.example.com",
        "logo_uri": "https://app.example.com/logo.png",
        "contacts": ["ops@example.com"],
        "allowed_cors_origins": ["https://app.example.com"],
        "subject_type": "public",
        "jwks_uri": "https://app.example.com/jwks.json",
        "token_endpoint_auth_method": "client_secret_post",
        "request_object_signing_alg": "RS256",
        "request_uris": ["https://app.example.com/request"],
        "require_pushed_authorization_requests": true,
        "userinfo_signed_response_alg": "RS256",
        "id_token_signed_response_alg": "ES256",
        "post_logout_redirect_uris": ["https://app.example.com/logged-out"],
        "frontchannel_logout_uri": "https://app.example.com/fc",
        "frontchannel_logout_session_required": true,
        "backchannel_logout_uri": "https://app.example.com/bc",
        "backchannel_logout_session_required": true,
        "skip_consent": true,
        "skip_logout_consent": true,
        "metadata": {"tier": "gold", "nested": {"n": 1}},
        "access_token_strategy": "jwt",
        "authorization_code_grant_access_token_lifespan": "1h",
        "client_credentials_grant_access_token_lifespan": "30m",
        "refresh_token_grant_refresh_token_lifespan": "720h"
    }))
    .expect("valid client body")
}

fn json_of(client: &OAuth2Client) -> serde_json::Value {
    serde_json::to_value(client).unwrap()
}

fn error_of<T: std::fmt::Debug>(
    result: Result<ResponseValue<T>, Error<portunus_sdk::types::ErrorOAuth2>>,
) -> (u16, portunus_sdk::types::ErrorOAuth2) {
    match result {
        Err(Error::ErrorResponse(response)) => {
            let status = response.status().as_u16();
            (status, response.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn create_round_trips_every_field_and_shows_the_secret_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let body = full_client("full-client");
    let created = app
        .admin
        .create_o_auth2_client()
        .body(body.clone())
        .send()
        .await
        .expect("create");
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(
        created
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/admin/clients/full-client")
    );
    let created = created.into_inner();
    assert_eq!(created.client_secret.as_deref(), Some("a-chosen-secret"));

    let fetched = app
        .admin
        .get_o_auth2_client()
        .id("full-client")
        .send()
        .await
        .expect("get")
        .into_inner();
    assert_eq!(
        fetched.client_secret, None,
        "the secret is never returned again"
    );
    let mut expected = created.clone();
    expected.client_secret = None;
    assert_eq!(
        json_of(&fetched),
        json_of(&expected),
        "GET returns what POST answered"
    );

    let value = serde_json::to_value(&fetched).unwrap();
    let sent = serde_json::to_value(&body).unwrap();
    for (key, sent_value) in sent.as_object().unwrap() {
        if key == "client_secret" {
            continue;
        }
        let got = &value[key];
        let same = match key.as_str() {
            "authorization_code_grant_access_token_lifespan" => got == "1h0m0s",
            "client_credentials_grant_access_token_lifespan" => got == "30m0s",
            "refresh_token_grant_refresh_token_lifespan" => got == "720h0m0s",
            _ => got == sent_value,
        };
        assert!(
            same,
            "[{backend}] field {key}: sent {sent_value}, got {got}"
        );
    }
    assert_eq!(fetched.client_secret_expires_at, Some(0));
    assert!(fetched.created_at.is_some() && fetched.updated_at.is_some());

    let stored = app
        .state
        .clients
        .get_client("full-client")
        .await
        .unwrap()
        .unwrap();
    let hash = stored.secret_hash.expect("a hash is stored");
    assert!(!hash.contains("a-chosen-secret"), "only a hash is stored");
    assert!(portunus_server::client::secret::verify(
        "a-chosen-secret",
        &hash
    ));

    let listed = app
        .admin
        .list_o_auth2_clients()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(listed.iter().all(|c| c.client_secret.is_none()));
}

async fn generated_ids_and_secrets(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .admin
        .create_o_auth2_client()
        .body(OAuth2Client::default())
        .send()
        .await
        .unwrap()
        .into_inner();
    let id = created.client_id.clone().unwrap();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok_and(|u| u.get_version_num() == 4),
        "{id}"
    );
    let secret = created.client_secret.clone().unwrap();
    assert!(secret.len() >= 43, "256 bits of base64url: {secret}");
    assert_eq!(
        created.grant_types.as_deref(),
        Some(&["authorization_code".to_owned()][..])
    );
    assert_eq!(
        created.token_endpoint_auth_method.as_deref(),
        Some("client_secret_basic")
    );
    let stored = app.state.clients.get_client(&id).await.unwrap().unwrap();
    assert!(portunus_server::client::secret::verify(
        &secret,
        &stored.secret_hash.unwrap()
    ));

    let public: OAuth2Client =
        serde_json::from_value(json!({"token_endpoint_auth_method": "none"})).unwrap();
    let public = app
        .admin
        .create_o_auth2_client()
        .body(public)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(public.client_secret, None, "public clients get no secret");
}

async fn duplicate_ids_conflict(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let first = OAuth2Client {
        client_id: Some("dup".into()),
        client_name: Some("first".into()),
        ..Default::default()
    };
    app.admin
        .create_o_auth2_client()
        .body(first.clone())
        .send()
        .await
        .unwrap();
    let mut second = first.clone();
    second.client_name = Some("second".into());
    let (status, error) = error_of(app.admin.create_o_auth2_client().body(second).send().await);
    assert_eq!(status, 409);
    assert_eq!(error.error, "conflict");
    assert!(error.error_description.contains("dup"));
    let kept = app
        .admin
        .get_o_auth2_client()
        .id("dup")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        kept.client_name.as_deref(),
        Some("first"),
        "the original is untouched"
    );
}

fn next_token(link: Option<&str>) -> Option<String> {
    let link = link?;
    link.split(',').find_map(|part| {
        let (target, rel) = part.split_once(';')?;
        if !rel.contains("rel=\"next\"") {
            return None;
        }
        let target = target.trim().trim_start_matches('<').trim_end_matches('>');
        url::Url::parse(&format!("http://x{target}"))
            .ok()?
            .query_pairs()
            .find(|(k, _)| k == "page_token")
            .map(|(_, v)| v.into_owned())
    })
}

async fn pagination_walks_every_page_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut expected = BTreeSet::new();
    for i in 0..7 {
        let body = OAuth2Client {
            client_id: Some(format!("page-client-{i:02}")),
            token_endpoint_auth_method: Some("none".into()),
            ..Default::default()
        };
        app.admin
            .create_o_auth2_client()
            .body(body)
            .send()
            .await
            .unwrap();
        expected.insert(format!("page-client-{i:02}"));
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = app.admin.list_o_auth2_clients().page_size(2u64);
        if let Some(token) = &token {
            request = request.page_token(token);
        }
        let response = request.send().await.unwrap();
        pages += 1;
        let link = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert!(
            link.as_deref().is_some_and(|l| l.contains("rel=\"first\"")),
            "{link:?}"
        );
        let page = response.into_inner();
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().filter_map(|c| c.client_id));
        token = next_token(link.as_deref());
        if token.is_none() {
            break;
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 4, "7 clients in pages of 2");
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    assert_eq!(unique, expected, "no gaps");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "stable order by id");

    let bad = app
        .http
        .get(app.admin_path("/admin/clients?page_token=%21%21"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}

async fn list_filters_by_name_and_owner(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for (id, name, owner) in [
        ("f1", "alpha", "o1"),
        ("f2", "beta", "o1"),
        ("f3", "alpha", "o2"),
    ] {
        let body: OAuth2Client =
            serde_json::from_value(json!({"client_id": id, "client_name": name, "owner": owner}))
                .unwrap();
        app.admin
            .create_o_auth2_client()
            .body(body)
            .send()
            .await
            .unwrap();
    }
    let ids = |clients: Vec<OAuth2Client>| {
        clients
            .into_iter()
            .filter_map(|c| c.client_id)
            .collect::<Vec<_>>()
    };
    let by_name = app
        .admin
        .list_o_auth2_clients()
        .client_name("alpha")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(by_name), ["f1", "f3"]);
    let by_owner = app
        .admin
        .list_o_auth2_clients()
        .owner("o1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(by_owner), ["f1", "f2"]);
    let both = app
        .admin
        .list_o_auth2_clients()
        .client_name("alpha")
        .owner("o2")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(both), ["f3"]);
}

async fn put_replaces_and_keeps_the_secret(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .admin
        .create_o_auth2_client()
        .body(full_client("put-me"))
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut replacement = OAuth2Client {
        client_name: Some("replaced".into()),
        redirect_uris: Some(vec!["https://new.example.com/cb".into()]),
        ..Default::default()
    };
    let replaced = app
        .admin
        .set_o_auth2_client()
        .id("put-me")
        .body(replacement.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replaced.client_secret, None, "no new secret, none shown");
    assert_eq!(replaced.client_name.as_deref(), Some("replaced"));
    assert_eq!(
        replaced.owner.as_deref(),
        Some(""),
        "PUT replaces: unset fields reset"
    );
    assert_eq!(replaced.metadata, Some(json!({})));
    assert_eq!(replaced.created_at, created.created_at);
    let stored = app
        .state
        .clients
        .get_client("put-me")
        .await
        .unwrap()
        .unwrap();
    assert!(portunus_server::client::secret::verify(
        "a-chosen-secret",
        stored.secret_hash.as_deref().unwrap()
    ));

    replacement.client_secret = Some("another-secret".into());
    let with_secret = app
        .admin
        .set_o_auth2_client()
        .id("put-me")
        .body(replacement.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(with_secret.client_secret.as_deref(), Some("another-secret"));
    let stored = app
        .state
        .clients
        .get_client("put-me")
        .await
        .unwrap()
        .unwrap();
    assert!(portunus_server::client::secret::verify(
        "another-secret",
        stored.secret_hash.as_deref().unwrap()
    ));
    assert!(!portunus_server::client::secret::verify(
        "a-chosen-secret",
        stored.secret_hash.as_deref().unwrap()
    ));

    replacement.client_id = Some("other-id".into());
    let (status, error) = error_of(
        app.admin
            .set_o_auth2_client()
            .id("put-me")
            .body(replacement)
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (400, "invalid_request"));
}

fn op(op: &str, path: &str, value: Option<serde_json::Value>) -> JsonPatch {
    serde_json::from_value(json!({"op": op, "path": path, "value": value})).unwrap()
}

async fn patch_adds_replaces_and_removes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    app.admin
        .create_o_auth2_client()
        .body(full_client("patch-me"))
        .send()
        .await
        .unwrap();
    let patch = vec![
        op("replace", "/client_name", Some(json!("patched"))),
        op(
            "add",
            "/redirect_uris/-",
            Some(json!("https://added.example.com/cb")),
        ),
        op("remove", "/metadata/tier", None),
        op("add", "/metadata/region", Some(json!("eu"))),
    ];
    let patched = app
        .admin
        .patch_o_auth2_client()
        .id("patch-me")
        .body(patch)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(patched.client_name.as_deref(), Some("patched"));
    assert_eq!(
        patched
            .redirect_uris
            .as_ref()
            .unwrap()
            .last()
            .map(String::as_str),
        Some("https://added.example.com/cb")
    );
    assert_eq!(
        patched.metadata,
        Some(json!({"nested": {"n": 1}, "region": "eu"}))
    );
    assert_eq!(patched.client_secret, None);
    let fetched = app
        .admin
        .get_o_auth2_client()
        .id("patch-me")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json_of(&fetched), json_of(&patched));

    let secret = app
        .admin
        .patch_o_auth2_client()
        .id("patch-me")
        .body(vec![op(
            "add",
            "/client_secret",
            Some(json!("patched-secret")),
        )])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(secret.client_secret.as_deref(), Some("patched-secret"));

    let (status, error) = error_of(
        app.admin
            .patch_o_auth2_client()
            .id("patch-me")
            .body(vec![op("replace", "/client_id", Some(json!("stolen")))])
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (400, "invalid_request"));
    let (status, _) = error_of(
        app.admin
            .patch_o_auth2_client()
            .id("patch-me")
            .body(vec![op("remove", "/does_not_exist", None)])
            .send()
            .await,
    );
    assert_eq!(status, 400);
    let (status, error) = error_of(
        app.admin
            .patch_o_auth2_client()
            .id("patch-me")
            .body(vec![op(
                "replace",
                "/redirect_uris",
                Some(json!(["relative/cb"])),
            )])
            .send()
            .await,
    );
    assert_eq!(status, 400);
    assert!(
        error.error_description.contains("redirect_uris[0]"),
        "{}",
        error.error_description
    );
    let unchanged = app
        .admin
        .get_o_auth2_client()
        .id("patch-me")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        unchanged.redirect_uris, patched.redirect_uris,
        "a rejected patch stores nothing"
    );
}

async fn lifespans_are_set_alone(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .admin
        .create_o_auth2_client()
        .body(full_client("life"))
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut lifespans = OAuth2ClientTokenLifespans {
        client_credentials_grant_access_token_lifespan: Some("2h".into()),
        refresh_token_grant_id_token_lifespan: Some("90s".into()),
        ..Default::default()
    };
    let updated = app
        .admin
        .set_o_auth2_client_lifespans()
        .id("life")
        .body(lifespans.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updated
            .client_credentials_grant_access_token_lifespan
            .as_deref(),
        Some("2h0m0s")
    );
    assert_eq!(
        updated.refresh_token_grant_id_token_lifespan.as_deref(),
        Some("1m30s")
    );
    assert_eq!(
        updated.authorization_code_grant_access_token_lifespan, None,
        "unset lifespans are cleared"
    );
    assert_eq!(
        updated.client_name, created.client_name,
        "nothing else changes"
    );
    assert_eq!(updated.redirect_uris, created.redirect_uris);
    lifespans.implicit_grant_id_token_lifespan = Some("forever".into());
    let (status, error) = error_of(
        app.admin
            .set_o_auth2_client_lifespans()
            .id("life")
            .body(lifespans)
            .send()
            .await,
    );
    assert_eq!(status, 400);
    assert!(
        error
            .error_description
            .contains("implicit_grant_id_token_lifespan")
    );
}

async fn validation_errors_name_the_field(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            json!({"redirect_uris": ["/relative"]}),
            "invalid_redirect_uri",
            "redirect_uris[0]",
        ),
        (
            json!({"redirect_uris": ["https://a.example.com/cb#frag"]}),
            "invalid_redirect_uri",
            "fragment",
        ),
        (
            json!({"grant_types": ["urn:ietf:params:oauth:grant-type:saml2-bearer"]}),
            "invalid_client_metadata",
            "grant_types[0]",
        ),
        (
            json!({"response_types": ["code magic"]}),
            "invalid_client_metadata",
            "response_types[0]",
        ),
        (
            json!({"token_endpoint_auth_method": "mtls"}),
            "invalid_client_metadata",
            "token_endpoint_auth_method",
        ),
        (
            json!({"jwks_uri": "https://a.example.com/jwks", "jwks": {"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}}),
            "invalid_client_metadata",
            "jwks and jwks_uri",
        ),
        (
            json!({"token_endpoint_auth_method": "none", "client_secret": "secret123"}),
            "invalid_client_metadata",
            "client_secret",
        ),
        (
            json!({"metadata": "not an object"}),
            "invalid_client_metadata",
            "metadata",
        ),
        (
            json!({"client_secret": "short"}),
            "invalid_client_metadata",
            "at least 6",
        ),
        (
            json!({"client_name": "x".repeat(300)}),
            "invalid_client_metadata",
            "client_name",
        ),
        (
            json!({"access_token_strategy": "magic"}),
            "invalid_client_metadata",
            "access_token_strategy",
        ),
        (
            json!({"subject_type": "pairwise"}),
            "invalid_client_metadata",
            "pairwise",
        ),
        (
            json!({"client_id": "padded "}),
            "invalid_client_metadata",
            "client_id",
        ),
    ];
    for (body, code, needle) in cases {
        let body: OAuth2Client = serde_json::from_value(body.clone()).unwrap();
        let (status, error) = error_of(
            app.admin
                .create_o_auth2_client()
                .body(body.clone())
                .send()
                .await,
        );
        assert_eq!(status, 400, "[{backend}] {body:?}");
        assert_eq!(error.error, code, "[{backend}] {body:?}");
        assert!(
            error.error_description.contains(needle),
            "[{backend}] {needle:?} not in {:?}",
            error.error_description
        );
    }
    let listed = app
        .admin
        .list_o_auth2_clients()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(listed.is_empty(), "no invalid client was stored");
}

async fn unknown_ids_are_json_404s(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, error) = error_of(app.admin.get_o_auth2_client().id("nope").send().await);
    assert_eq!((status, error.error.as_str()), (404, "not_found"));
    let (status, _) = error_of(
        app.admin
            .set_o_auth2_client()
            .id("nope")
            .body(OAuth2Client::default())
            .send()
            .await,
    );
    assert_eq!(status, 404);
    let (status, _) = error_of(
        app.admin
            .patch_o_auth2_client()
            .id("nope")
            .body(vec![])
            .send()
            .await,
    );
    assert_eq!(status, 404);
    let (status, _) = error_of(app.admin.delete_o_auth2_client().id("nope").send().await);
    assert_eq!(status, 404);
    let (status, _) = error_of(
        app.admin
            .set_o_auth2_client_lifespans()
            .id("nope")
            .body(OAuth2ClientTokenLifespans::default())
            .send()
            .await,
    );
    assert_eq!(status, 404);

    app.admin
        .create_o_auth2_client()
        .body(full_client("gone"))
        .send()
        .await
        .unwrap();
    let deleted = app
        .admin
        .delete_o_auth2_client()
        .id("gone")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let (status, _) = error_of(app.admin.get_o_auth2_client().id("gone").send().await);
    assert_eq!(status, 404);
}

async fn bad_bodies_are_json_4xx(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.serve.request_body_limit = 4096)
        .build()
        .await;
    let url = app.admin_path("/admin/clients");
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            app.http
                .post(&url)
                .header("content-type", "application/json")
                .body("{not json"),
            400,
            "invalid_request",
        ),
        (
            app.http
                .post(&url)
                .header("content-type", "application/json")
                .body("[1,2]"),
            400,
            "invalid_request",
        ),
        (
            app.http
                .post(&url)
                .header("content-type", "application/json")
                .body(r#"{"redirect_uris": "x"}"#),
            400,
            "invalid_request",
        ),
        (
            app.http
                .post(&url)
                .header("content-type", "text/plain")
                .body("{}"),
            415,
            "invalid_request",
        ),
        (
            app.http
                .post(&url)
                .header("content-type", "application/json")
                .body(format!(r#"{{"client_name":"{}"}}"#, "x".repeat(10_000))),
            413,
            "request_too_large",
        ),
        // RFC 9110 §15.5.6 (rfc9110_method_not_allowed.rs has the `Allow` header).
        (app.http.delete(&url), 405, "method_not_allowed"),
        (
            app.http.get(app.admin_path("/admin/nothing-here")),
            404,
            "not_found",
        ),
        (
            app.http.get(app.public_path("/nothing-here")),
            404,
            "not_found",
        ),
    ];
    for (request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "[{backend}]");
        let body: serde_json::Value = response.json().await.expect("a JSON error body");
        assert_eq!(body["error"], code, "[{backend}] {body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
}

async fn unprefixed_admin_paths_work(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .http
        .post(app.admin_path("/clients"))
        .json(&json!({"client_id": "plain-path"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let fetched = app
        .http
        .get(app.admin_path("/clients/plain-path?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status().as_u16(), 200);
    let version = app
        .http
        .get(app.admin_path("/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(version.status().as_u16(), 200);
    let body: serde_json::Value = version.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}
