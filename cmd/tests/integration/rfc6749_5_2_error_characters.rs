//! RFC 6749 §5.2 (and §4.1.2.1): `error_description` "MUST NOT include characters
//! outside the set %x20-21 / %x23-5B / %x5D-7E" — no `"`, no `\`, nothing outside
//! printable ASCII. Descriptions are sanitised when rendered (`error.rs`), so values
//! quoted from the request and texts from the login/consent apps cannot break the rule,
//! in JSON errors and in redirects to the client alike.

use portunus_sdk::types::RejectOAuth2Request;
use serde_json::json;

use crate::support::browser::{Browser, param};
use crate::support::flow::{authorize_url, create_client, login_challenge, to_client};
use crate::support::{TestApp, TestBackend};

fn assert_allowed(description: &str) {
    let bad: Vec<char> = description
        .chars()
        .filter(|c| !matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        .collect();
    assert!(bad.is_empty(), "{bad:?} in {description}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptions_on_the_wire_use_only_the_allowed_characters() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;

    // A JSON error quoting a request value with a quote, a backslash and non-ASCII.
    let registered = app
        .register(
            json!({"client_id": "svc", "grant_types": ["client_credentials"], "scope": "read"}),
        )
        .await;
    let secret = registered.secret.as_deref().unwrap();
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some(("svc", secret)),
            &[("grant_type", "client_credentials"), ("scope", "a\"b\\c§ü")],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let description = body["error_description"].as_str().unwrap();
    assert_allowed(description);
    // `error::quoted`: every character outside RFC 6749 §5.2 shown as `?`.
    assert!(description.contains("'a?b?c??'"), "{description}");

    // A login app's rejection text, redirected to the client.
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let challenge = login_challenge(
        &browser,
        &authorize_url(&app, &client.id, &[("scope", "openid")]),
    )
    .await;
    let rejection = RejectOAuth2Request {
        error: Some("access_denied".into()),
        error_description: Some("Der Nutzer hat \"Nein\" gesagt (§ 3)\n\\o/ ✓".into()),
        ..Default::default()
    };
    let redirect = app
        .admin
        .reject_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(rejection)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let location = to_client(&browser, &redirect).await;
    let description = param(&location, "error_description").unwrap();
    assert_allowed(&description);
    assert!(
        description.ends_with("Der Nutzer hat 'Nein' gesagt (Section 3) o/ ?"),
        "{description}"
    );
}
