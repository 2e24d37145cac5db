//! JSON bodies end with a newline on both listeners, as Hydra's (Go's `json.Encoder`):
//! answers, errors actix made, and errors our handlers made.

use crate::support::{TestApp, TestBackend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bodies_end_with_one_newline() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let get = |url: String| {
        let http = app.http.clone();
        async move { http.get(&url).send().await.unwrap() }
    };
    for (url, status) in [
        (app.public_path("/health/alive"), 200),
        (app.public_path("/.well-known/openid-configuration"), 200),
        (app.public_path("/no/such/path"), 404),
        (app.admin_path("/admin/clients"), 200),
        (app.admin_path("/admin/clients/missing"), 404),
    ] {
        let response = get(url.clone()).await;
        assert_eq!(response.status(), status, "{url}");
        let declared = response.content_length();
        let body = response.text().await.unwrap();
        assert!(
            body.ends_with("}\n") || body.ends_with("]\n"),
            "{url}: {body:?}"
        );
        assert!(!body.ends_with("\n\n"), "{url}");
        assert_eq!(declared, Some(body.len() as u64), "{url}: Content-Length");
        serde_json::from_str::<serde_json::Value>(&body).unwrap();
    }
}
