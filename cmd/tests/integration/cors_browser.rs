//! CORS for a browser application in a real browser (issue 14 §5): headless Chromium
//! (`support/chromium.rs`) loads a page from one loopback origin and calls the token
//! endpoint with `fetch`, as a single-page app does. The origin the client registered
//! (`allowed_cors_origins`, with `serve.public.cors.enabled`) gets through the
//! preflight and reads the token response; a page of another origin is stopped by the
//! browser itself. `fetch_cors.rs` checks the headers; this checks what Chromium does
//! with them. Runs when `PORTUNUS_TEST_CHROMEDRIVER` is set, like the login UI's
//! browser tests.

use std::io::{Read, Write};
use std::net::TcpListener;

use serde_json::{Value, json};

use crate::support::chromium::Browser;
use crate::support::{TestApp, TestBackend};

/// A page server on a loopback port: every request gets an empty HTML page, so the
/// page's origin is `http://127.0.0.1:<port>`.
fn page_origin() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let body = "<!doctype html><title>spa</title><p>spa</p>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    origin
}

/// What `fetch` of the token endpoint gives the page: the status and the JSON's
/// `token_type`, or `blocked` with the browser's error when CORS stopped it.
async fn token_from_page(
    browser: &Browser,
    page: &str,
    app: &TestApp,
    id: &str,
    secret: &str,
) -> Value {
    browser.goto(&format!("{page}/")).await;
    let script = r#"
        const [url, id, secret, done] = arguments;
        fetch(url, {
            method: "POST",
            headers: {
                "Authorization": "Basic " + btoa(id + ":" + secret),
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body: "grant_type=client_credentials&scope=read",
        })
            .then((r) => r.json().then((j) => done({ status: r.status, token_type: j.token_type || null })))
            .catch((e) => done({ blocked: String(e) }));
    "#;
    browser
        .client
        .execute_async(
            script,
            vec![
                json!(app.public_path("/oauth2/token")),
                json!(id),
                json!(secret),
            ],
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_origin_reads_the_token_response_and_another_is_blocked() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (spa, other) = (page_origin(), page_origin());
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.serve.public.cors.enabled = true)
        .build()
        .await;
    let registered = app
        .register(json!({
            "grant_types": ["client_credentials"],
            "scope": "read",
            "allowed_cors_origins": [spa],
        }))
        .await;
    let secret = registered.secret.clone().unwrap();

    let allowed = token_from_page(&browser, &spa, &app, &registered.id, &secret).await;
    assert_eq!(
        allowed,
        json!({"status": 200, "token_type": "bearer"}),
        "{allowed}"
    );

    let refused = token_from_page(&browser, &other, &app, &registered.id, &secret).await;
    assert!(
        refused["blocked"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "the browser stops another origin: {refused}"
    );
    browser.close().await;
}
