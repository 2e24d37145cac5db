//! `GET /` on the public listener: in dev mode a links page (Swagger UI, discovery,
//! JWKS) with the security headers of every HTML page; otherwise the JSON 404 of any
//! unknown path.

use crate::support::{TestApp, TestBackend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_home_page_links_the_next_steps() {
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.dev = true)
        .build()
        .await;
    let response = app.http.get(app.public_path("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(headers.contains_key("content-security-policy"));
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let body = response.text().await.unwrap();
    for link in [
        "/swagger-ui/\"",
        "/.well-known/openid-configuration\"",
        "/.well-known/jwks.json\"",
        "perform client-credentials",
    ] {
        assert!(body.contains(link), "{link} in {body}");
    }
    let post = app.http.post(app.public_path("/")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_is_a_json_404_outside_dev_mode() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    for url in [app.public_path("/"), app.admin_url.clone() + "/"] {
        let response = app.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 404, "{url}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{url}");
    }
}
