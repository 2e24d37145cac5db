//! RFC 9110 §15.5.6: a known path asked with a method it does not serve is a JSON 405
//! with an `Allow` header, on both listeners (admin aliases included); an unknown path
//! stays a JSON 404.

use serde_json::Value;

use crate::support::{TestApp, TestBackend};

async fn send(app: &TestApp, method: reqwest::Method, url: String) -> (u16, Option<String>, Value) {
    let response = app.http.request(method, url).send().await.expect("request");
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, allow, response.json().await.expect("a JSON body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_are_405_with_allow_and_unknown_paths_404() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    use reqwest::Method;
    for (method, url, allow) in [
        (Method::GET, app.public_path("/oauth2/token"), "POST"),
        (
            Method::DELETE,
            app.public_path("/.well-known/jwks.json"),
            "GET",
        ),
        (Method::PUT, app.public_path("/oauth2/auth"), "GET, POST"),
        (Method::PATCH, app.admin_path("/admin/clients"), "GET, POST"),
        (
            Method::POST,
            app.admin_path("/clients/some-id"),
            "GET, PUT, PATCH, DELETE",
        ),
    ] {
        let (status, got_allow, body) = send(&app, method.clone(), url.clone()).await;
        assert_eq!(status, 405, "{method} {url}");
        assert_eq!(got_allow.as_deref(), Some(allow), "{method} {url}");
        assert_eq!(body["error"], "method_not_allowed", "{method} {url}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(allow), "{description}");
    }
    for url in [
        app.public_path("/oauth2/nothing-here"),
        app.admin_path("/admin/clients/a/b"),
    ] {
        let (status, allow, body) = send(&app, Method::GET, url.clone()).await;
        assert_eq!((status, allow), (404, None), "{url}");
        assert_eq!(body["error"], "not_found", "{url}");
    }
}
