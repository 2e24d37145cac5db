//! Issue 12 item 2: how much one request may carry (`oauth2::limits`). A 246 KiB
//! `POST /oauth2/auth` with 54k distinct scope words cost 5.9 s of CPU (quadratic
//! de-duplication); now every list parameter is parsed in linear time and a request
//! over a cap gets an RFC error naming the parameter and the limit. That the parsing is
//! linear is counted in `oauth2/scope.rs` (unit tests); here the errors are checked on
//! the wire. The limits are checked before any storage work, so SQLite suffices.

use serde_json::json;

use crate::support::browser::{Browser, param};
use crate::support::flow::{REDIRECT_URI, authorize_url, create_client};
use crate::support::{TestApp, TestBackend};

/// `count` distinct words, shortest first: `a`…`9`, `aa`…, as a scope-like list.
fn many_scopes(count: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let word = |mut n: usize| {
        // Bijective base 36: every string over the alphabet, by length then order.
        let mut out = Vec::new();
        loop {
            out.push(ALPHABET[n % 36]);
            if n < 36 {
                break;
            }
            n = n / 36 - 1;
        }
        out.reverse();
        String::from_utf8(out).unwrap()
    };
    (0..count).map(word).collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reported_authorization_request_is_refused_naming_the_limit() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let client = create_client(&app, json!({})).await;
    let scope = many_scopes(54_000);
    assert!(scope.len() > 200 * 1024, "about the size of the report");
    let response = app
        .http
        .post(app.public_path("/oauth2/auth"))
        .form(&[
            ("client_id", client.id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("state", "big"),
            ("scope", scope.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_scope"));
    assert_eq!(param(&location, "state").as_deref(), Some("big"));
    let description = param(&location, "error_description").unwrap();
    assert!(
        description
            .contains("The scope parameter has more than 256 values; at most 256 are accepted."),
        "{description}"
    );
    assert!(location.len() < 2048, "the error does not echo the request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_parameters_over_a_cap_are_errors_sent_to_the_client() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let client = create_client(&app, json!({"audience": ["https://api.example.com"]})).await;
    let browser = Browser::new();
    let audiences = (0..65)
        .map(|i| format!("https://a{i}.example.com"))
        .collect::<Vec<_>>()
        .join(" ");
    let claims = json!({"id_token": {"x": {"value": "v".repeat(16 * 1024)}}}).to_string();
    let long_scope = "s".repeat(513);
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "scope",
            &long_scope,
            "invalid_scope",
            "longer than 512 bytes",
        ),
        (
            "audience",
            &audiences,
            "invalid_request",
            "audience parameter has more than 64 values",
        ),
        (
            "claims",
            &claims,
            "invalid_request",
            "claims parameter is longer than 16384 bytes",
        ),
        (
            "prompt",
            "login login login login login login login login login",
            "invalid_request",
            "prompt parameter has more than 8 values",
        ),
        (
            "acr_values",
            &many_scopes(33),
            "invalid_request",
            "acr_values parameter has more than 32 values",
        ),
        (
            "ui_locales",
            &many_scopes(33),
            "invalid_request",
            "ui_locales parameter has more than 32 values",
        ),
    ];
    for (name, value, error, hint) in cases {
        let mut form = vec![
            ("client_id", client.id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            (name, value),
        ];
        if name != "scope" {
            form.push(("scope", "openid"));
        }
        // POST: the claims value is too long for a comfortable URL.
        let page = browser
            .post_form(&app.public_path("/oauth2/auth"), &form)
            .await;
        let location = page
            .location
            .unwrap_or_else(|| panic!("{name}: no redirect ({}): {}", page.status, page.body));
        assert!(location.starts_with(REDIRECT_URI), "{name}: {location}");
        assert_eq!(param(&location, "error").as_deref(), Some(error), "{name}");
        let description = param(&location, "error_description").unwrap();
        assert!(description.contains(hint), "{name}: {description}");
    }
}

#[test]
fn the_generated_words_are_distinct() {
    let words = many_scopes(54_000);
    let set: std::collections::HashSet<&str> = words.split(' ').collect();
    assert_eq!(set.len(), 54_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_parameters_are_refused_everywhere() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let registered = app
        .register(
            json!({"client_id": "svc", "grant_types": ["client_credentials"], "scope": "read"}),
        )
        .await;
    let secret = registered.secret.as_deref().unwrap();
    let names: Vec<String> = (0..1000).map(|i| format!("p{i}")).collect();
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    form.extend(names.iter().map(|n| (n.as_str(), "x")));
    let (status, _, body) = app
        .post_form("/oauth2/token", Some(("svc", secret)), &form)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("The request has 1001 parameters; at most 1000 are accepted."),
        "{description}"
    );
    // One fewer is an ordinary request.
    let (status, _, body) = app
        .post_form("/oauth2/token", Some(("svc", secret)), &form[..1000])
        .await;
    assert_eq!(status, 200, "{body}");

    // The authorization endpoint cannot trust the redirect URI of such a request: an
    // error page.
    let client = create_client(&app, json!({})).await;
    let mut url = url::Url::parse(&authorize_url(&app, &client.id, &[])).unwrap();
    for name in &names {
        url.query_pairs_mut().append_pair(name, "x");
    }
    let response = app.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("at most 1000 are accepted"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_scope_and_audience_caps() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let registered = app
        .register(json!({
            "client_id": "svc",
            "grant_types": ["client_credentials"],
            "scope": "read",
            "audience": ["https://api.example.com"],
        }))
        .await;
    let secret = registered.secret.as_deref().unwrap();
    let scope = many_scopes(257);
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some(("svc", secret)),
            &[("grant_type", "client_credentials"), ("scope", &scope)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("scope parameter has more than 256 values")
    );
    let audiences: Vec<String> = (0..65)
        .map(|i| format!("https://a{i}.example.com"))
        .collect();
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend(audiences.iter().map(|a| ("audience", a.as_str())));
    let (status, _, body) = app
        .post_form("/oauth2/token", Some(("svc", secret)), &form)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("audience parameter has more than 64 values")
    );
}
