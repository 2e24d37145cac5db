//! OIDC Front-Channel Logout 1.0 §2–§4: after the logout app accepts, the user agent
//! gets a page with one iframe per relying party of the session that registered a
//! `frontchannel_logout_uri` (with `iss` and `sid` when it registered
//! `frontchannel_logout_session_required`), which then continues to the post-logout URI.

use serde_json::json;

use crate::support::browser::Browser;
use crate::support::flow::create_client;
use crate::support::logout::{
    POST_LOGOUT_URI, accept_logout, id_token, logout_challenge, logout_url, sid_of, sign_in,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(the_page_loads_one_iframe_per_relying_party);

/// The `src` of every iframe of the page, HTML entities undone.
fn iframe_sources(html: &str) -> Vec<String> {
    html.split("<iframe src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|src| src.replace("&amp;", "&"))
        .collect()
}

async fn the_page_loads_one_iframe_per_relying_party(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let with_sid = create_client(
        &app,
        json!({
            "post_logout_redirect_uris": [POST_LOGOUT_URI],
            "frontchannel_logout_uri": "https://rp-a.test/fc?keep=1",
            "frontchannel_logout_session_required": true,
        }),
    )
    .await;
    let without_sid = create_client(
        &app,
        json!({"frontchannel_logout_uri": "https://rp-b.test/fc"}),
    )
    .await;
    let silent = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &with_sid, "ada").await);
    sign_in(&app, &browser, &without_sid, "ada").await;
    sign_in(&app, &browser, &silent, "ada").await;
    let sid = sid_of(&hint);
    let params = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ("state", "st"),
    ];
    let challenge = logout_challenge(&browser, &logout_url(&app, &params)).await;
    let redirect = accept_logout(&app, &challenge).await;
    let page = browser.get(&redirect).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut sources = iframe_sources(&page.body);
    sources.sort();
    let issuer = app.state.config.issuer();
    let expected_a = url::Url::parse_with_params(
        "https://rp-a.test/fc?keep=1",
        &[("iss", issuer.as_str()), ("sid", sid.as_str())],
    )
    .unwrap();
    assert_eq!(
        sources,
        [expected_a.to_string(), "https://rp-b.test/fc".to_owned()]
    );
    let next = format!("{POST_LOGOUT_URI}?state=st");
    assert!(
        page.body.contains(&format!("href=\"{next}\"")),
        "continues to the post-logout URI: {}",
        page.body
    );
    assert!(page.body.contains("window.location.replace"));
}
