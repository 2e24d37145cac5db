//! Issue 12 item 3: the schemes of the URIs the server sends the user agent to
//! (RFC 6749 §3.1.2, RFC 8252 §7.1 and §7.3, RFC 9700 §2.1 and §4.1, Front-Channel
//! Logout 1.0 §2). `javascript:` and `data:` redirect URIs were accepted, and the
//! form_post page then submitted to them from the server's origin. Registration refuses
//! them on create, replace and patch, naming the field; a client stored before the rule
//! is not redirected to them either.

use portunus_sdk::types::{JsonPatch, OAuth2Client};
use portunus_sdk::{Error, ResponseValue};
use serde_json::json;

use crate::support::{TestApp, TestBackend};

const FORBIDDEN: [&str; 5] = [
    "javascript:alert(document.domain)",
    "JAVASCRIPT://example.com/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
];

/// Each field, the JSON its value goes in, and the error code that names it.
const FIELDS: [(&str, bool, &str); 3] = [
    ("redirect_uris", true, "invalid_redirect_uri"),
    ("post_logout_redirect_uris", true, "invalid_redirect_uri"),
    ("frontchannel_logout_uri", false, "invalid_client_metadata"),
];

fn client(fields: serde_json::Value) -> OAuth2Client {
    let mut body = json!({"redirect_uris": ["https://app.example.com/cb"]});
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        body.extend(fields.clone());
    }
    serde_json::from_value(body).unwrap()
}

fn field_value(is_list: bool, uri: &str) -> serde_json::Value {
    if is_list { json!([uri]) } else { json!(uri) }
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

fn assert_refused(
    (status, error): (u16, portunus_sdk::types::ErrorOAuth2),
    code: &str,
    field: &str,
    uri: &str,
) {
    assert_eq!(status, 400, "{field} = {uri}");
    assert_eq!(error.error, code, "{field} = {uri}");
    assert!(
        error.error_description.contains(field),
        "{field} = {uri}: {}",
        error.error_description
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_schemes_are_refused_on_create_replace_and_patch() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    app.admin
        .create_o_auth2_client()
        .body(client(json!({"client_id": "existing"})))
        .send()
        .await
        .unwrap();
    for uri in FORBIDDEN {
        for (field, is_list, code) in FIELDS {
            let value = field_value(is_list, uri);
            let created = app
                .admin
                .create_o_auth2_client()
                .body(client(json!({ field: value.clone() })))
                .send()
                .await;
            assert_refused(error_of(created), code, field, uri);

            let replaced = app
                .admin
                .set_o_auth2_client()
                .id("existing")
                .body(client(
                    json!({"client_id": "existing", field: value.clone()}),
                ))
                .send()
                .await;
            assert_refused(error_of(replaced), code, field, uri);

            let patch: JsonPatch = serde_json::from_value(
                json!({"op": "replace", "path": format!("/{field}"), "value": value}),
            )
            .unwrap();
            let patched = app
                .admin
                .patch_o_auth2_client()
                .id("existing")
                .body(vec![patch])
                .send()
                .await;
            assert_refused(error_of(patched), code, field, uri);
        }
    }
    let stored = app
        .admin
        .get_o_auth2_client()
        .id("existing")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stored.redirect_uris,
        Some(vec!["https://app.example.com/cb".to_owned()])
    );
    assert!(
        stored
            .post_logout_redirect_uris
            .unwrap_or_default()
            .is_empty()
    );
    assert!(
        stored
            .frontchannel_logout_uri
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_is_for_loopback_hosts_and_private_schemes_are_reverse_domains() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    for uri in [
        "http://127.0.0.1:8080/cb",
        "http://[::1]/cb",
        "http://localhost:3000/cb",
        "com.example.app:/oauth2redirect",
        "https://app.example.com/cb",
    ] {
        app.admin
            .create_o_auth2_client()
            .body(client(
                json!({"redirect_uris": [uri], "post_logout_redirect_uris": [uri]}),
            ))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{uri}: {e:?}"));
    }
    let refused = [
        ("redirect_uris", true, "http://app.example.com/cb"),
        (
            "post_logout_redirect_uris",
            true,
            "http://app.example.com/bye",
        ),
        (
            "frontchannel_logout_uri",
            false,
            "http://app.example.com/fc",
        ),
        ("redirect_uris", true, "myapp://callback"),
        ("frontchannel_logout_uri", false, "com.example.app:/fc"),
    ];
    for (field, is_list, uri) in refused {
        let code = FIELDS.iter().find(|(f, ..)| *f == field).unwrap().2;
        let created = app
            .admin
            .create_o_auth2_client()
            .body(client(json!({ field: field_value(is_list, uri) })))
            .send()
            .await;
        assert_refused(error_of(created), code, field, uri);
    }
}

/// `oauth2.allow_insecure_redirect_uris` (on in dev mode) lets plain http through for any
/// host, never a script scheme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_http_only_when_configured() {
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.oauth2.allow_insecure_redirect_uris = true)
        .build()
        .await;
    app.admin
        .create_o_auth2_client()
        .body(client(json!({
            "redirect_uris": ["http://app.example.com/cb"],
            "frontchannel_logout_uri": "http://app.example.com/fc",
        })))
        .send()
        .await
        .unwrap();
    let created = app
        .admin
        .create_o_auth2_client()
        .body(client(json!({"redirect_uris": ["javascript:alert(1)"]})))
        .send()
        .await;
    assert_refused(
        error_of(created),
        "invalid_redirect_uri",
        "redirect_uris[0]",
        "javascript:",
    );
}

/// A client stored before registration refused these URIs (here written straight to the
/// store) gets an error page, never a redirect or a form that submits to them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_script_redirect_uri_is_never_used() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let uri = "javascript:alert(document.domain)//";
    let legacy = portunus_server::client::model::Client {
        client_id: "legacy".into(),
        redirect_uris: vec![uri.into()],
        scope: "openid".into(),
        response_types: vec!["code".into()],
        ..Default::default()
    };
    app.state.clients.create_client(&legacy).await.unwrap();
    for mode in ["query", "form_post", "fragment"] {
        let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", "legacy")
            .append_pair("response_type", "code")
            .append_pair("response_mode", mode)
            .append_pair("scope", "openid")
            .append_pair("state", "s".repeat(8).as_str());
        let response = app.http.get(url.as_str()).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{mode}");
        assert!(response.headers().get("location").is_none(), "{mode}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("<form"), "{mode}: {body}");
        assert!(body.contains("invalid_request"), "{mode}: {body}");
    }
}

/// The same for a stored `post_logout_redirect_uri`: RP-initiated logout naming it gets
/// an error page, never a redirect to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_script_post_logout_redirect_uri_is_never_used() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let uri = "javascript:alert(document.domain)//";
    let legacy = portunus_server::client::model::Client {
        client_id: "legacy-logout".into(),
        post_logout_redirect_uris: vec![uri.into()],
        ..Default::default()
    };
    app.state.clients.create_client(&legacy).await.unwrap();
    let mut url = url::Url::parse(&app.public_path("/oauth2/sessions/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "legacy-logout")
        .append_pair("post_logout_redirect_uri", uri)
        .append_pair("state", "s1");
    let response = app.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("location").is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("invalid_request"), "{body}");
    assert!(body.contains("never allowed"), "{body}");
}
