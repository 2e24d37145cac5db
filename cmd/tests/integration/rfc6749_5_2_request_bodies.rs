//! RFC 6749 §5.2 error codes for request bodies (issue 12, item 12): a form endpoint
//! (token, RFC 7009 revocation, RFC 7662 introspection) called with no body and no
//! `Content-Type` reads an empty form and names the missing parameter; a JSON endpoint
//! says its body is missing (400); a non-empty body of another media type is HTTP's 415
//! with the RFC code `invalid_request` (there is no `unsupported_media_type` code).

use serde_json::Value;

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    form_endpoints_read_no_body_as_an_empty_form,
    json_endpoints_say_the_body_is_missing,
    other_media_types_are_415_invalid_request,
);

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON error body");
    (status, body)
}

fn description(body: &Value) -> &str {
    body["error_description"].as_str().unwrap_or_default()
}

/// The form endpoints and the parameter an empty form lacks first.
fn form_endpoints(app: &TestApp) -> Vec<(String, &'static str)> {
    vec![
        (app.public_path("/oauth2/token"), "grant_type"),
        (app.public_path("/oauth2/revoke"), "token"),
        (app.admin_path("/admin/oauth2/introspect"), "token"),
    ]
}

async fn form_endpoints_read_no_body_as_an_empty_form(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for (url, parameter) in form_endpoints(&app) {
        // No body, no Content-Type; then an explicit zero length.
        for request in [
            app.http.post(&url),
            app.http.post(&url).header("content-length", "0"),
        ] {
            let (status, body) = send(request).await;
            assert_eq!(status, 400, "{url}: {body}");
            assert_eq!(body["error"], "invalid_request", "{url}: {body}");
            assert!(
                description(&body).contains(&format!("'{parameter}'")),
                "{url} names {parameter}: {body}"
            );
        }
    }
}

async fn json_endpoints_say_the_body_is_missing(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let requests = [
        app.http.post(app.admin_path("/admin/clients")),
        app.http.put(app.admin_path("/admin/clients/some-id")),
        app.http.patch(app.admin_path("/admin/clients/some-id")),
        app.http.post(app.admin_path("/admin/keys/some-set")),
        app.http
            .put(app.admin_path("/admin/oauth2/auth/requests/login/reject?login_challenge=x")),
    ];
    for request in requests {
        let (status, body) = send(request).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_request", "{body}");
        assert!(description(&body).contains("body is missing"), "{body}");
    }
}

async fn other_media_types_are_415_invalid_request(backend: TestBackend) {
    // Also with internal errors exposed: the middleware that adds the hint keeps 415.
    for expose in [false, true] {
        let app = TestApp::builder(backend)
            .config(move |c| c.oauth2.expose_internal_errors = expose)
            .build()
            .await;
        let mut requests: Vec<reqwest::RequestBuilder> = form_endpoints(&app)
            .into_iter()
            .map(|(url, _)| {
                app.http
                    .post(url)
                    .header("content-type", "application/json")
                    .body(r#"{"grant_type":"client_credentials"}"#)
            })
            .collect();
        requests.push(
            app.http
                .post(app.admin_path("/admin/clients"))
                .header("content-type", "text/plain")
                .body("{}"),
        );
        // A body without any Content-Type is not an empty form either.
        requests.push(
            app.http
                .post(app.public_path("/oauth2/token"))
                .body("grant_type=x"),
        );
        for request in requests {
            let (status, body) = send(request).await;
            assert_eq!(status, 415, "{body}");
            assert_eq!(body["error"], "invalid_request", "{body}");
            assert!(description(&body).contains("Content-Type"), "{body}");
        }
    }
}
