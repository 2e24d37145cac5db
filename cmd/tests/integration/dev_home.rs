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

/// Dev mode: the public listener answers CORS for the admin listener's origin only, so
/// Swagger UI there can call the public paths (the document's per-path `servers`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_public_listener_allows_swagger_ui_on_the_admin_origin() {
    const ADMIN_ORIGIN: &str = "http://127.0.0.1:9";
    let dev = TestApp::builder(TestBackend::Sqlite)
        .config(|c| {
            c.dev = true;
            c.urls.self_.admin = Some(format!("{ADMIN_ORIGIN}/"));
        })
        .build()
        .await;
    let preflight = dev
        .http
        .request(reqwest::Method::OPTIONS, dev.public_path("/oauth2/token"))
        .header("origin", ADMIN_ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        ADMIN_ORIGIN
    );
    let get = dev
        .http
        .get(dev.public_path("/.well-known/jwks.json"))
        .header("origin", ADMIN_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(get.headers()["access-control-allow-origin"], ADMIN_ORIGIN);
    let other = dev
        .http
        .get(dev.public_path("/.well-known/jwks.json"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));

    let production = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.urls.self_.admin = Some(format!("{ADMIN_ORIGIN}/")))
        .build()
        .await;
    let get = production
        .http
        .get(production.public_path("/.well-known/jwks.json"))
        .header("origin", ADMIN_ORIGIN)
        .send()
        .await
        .unwrap();
    assert!(!get.headers().contains_key("access-control-allow-origin"));
}
