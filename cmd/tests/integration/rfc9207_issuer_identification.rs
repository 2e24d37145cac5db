//! RFC 9207 (OAuth 2.0 Authorization Server Issuer Identification), the mix-up defence
//! of RFC 9700 §4.4: every authorization response carries `iss` — success and error,
//! in the query, the fragment and the form_post page, including the errors the login and
//! consent apps' rejections send — and discovery says so
//! (`authorization_response_iss_parameter_supported`, §3). The issuer a client compares
//! with is read from discovery by the `openidconnect` crate.

use openidconnect::core::CoreProviderMetadata;
use portunus_sdk::types::RejectOAuth2Request;

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    accept_consent, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
    run_code_flow, to_client,
};
use crate::support::hybrid::{create_hybrid_client, fragment_param, hybrid_url, run_hybrid_flow};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    discovery_advertises_the_iss_parameter,
    query_responses_carry_iss,
    fragment_responses_carry_iss,
    form_post_responses_carry_iss,
);

/// The issuer as a relying party learns it: discovery, parsed by `openidconnect`.
async fn discovered_issuer(app: &TestApp) -> String {
    let body = app
        .http
        .get(app.public_path("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let metadata: CoreProviderMetadata =
        serde_json::from_str(&body).expect("discovery openidconnect understands");
    let issuer = metadata.issuer().as_str().to_owned();
    assert_eq!(issuer, app.state.config.issuer());
    issuer
}

/// The `iss` values of a response URL (query and fragment together): exactly one, the
/// issuer.
fn assert_iss(location: &str, issuer: &str) {
    let parsed = url::Url::parse(location).unwrap();
    let values: Vec<String> = parsed
        .query_pairs()
        .chain(url::form_urlencoded::parse(
            parsed.fragment().unwrap_or_default().as_bytes(),
        ))
        .filter(|(k, _)| k == "iss")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(values, vec![issuer.to_owned()], "{location}");
}

async fn discovery_advertises_the_iss_parameter(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let doc: serde_json::Value = app
        .http
        .get(app.public_path("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    // The SDK's typed document has the field too.
    let public = app.sdk.public();
    let typed = public
        .discover_oidc_configuration()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        typed.authorization_response_iss_parameter_supported,
        Some(true)
    );
    discovered_issuer(&app).await;
}

async fn query_responses_carry_iss(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let issuer = discovered_issuer(&app).await;
    let client = create_client(&app, serde_json::json!({})).await;
    let browser = Browser::new();

    // Success (RFC 9207 §2: "in any authorization response").
    let location = run_code_flow(
        &app,
        &browser,
        &client.id,
        &[("scope", "openid"), ("state", "s1")],
        "ada",
        &["openid"],
    )
    .await;
    assert!(param(&location, "code").is_some(), "{location}");
    assert_iss(&location, &issuer);

    // An error of the request itself, after the redirect URI was validated.
    let page = browser
        .get(&authorize_url(
            &app,
            &client.id,
            &[("scope", "openid admin")],
        ))
        .await;
    let location = page.location.expect("redirect to the client");
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_scope"));
    assert_iss(&location, &issuer);

    // The login app rejects.
    let url = authorize_url(&app, &client.id, &[("scope", "openid"), ("state", "s2")]);
    let challenge = login_challenge(&browser, &url).await;
    let redirect = app
        .admin
        .reject_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(RejectOAuth2Request::default())
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let location = to_client(&browser, &redirect).await;
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
    assert_iss(&location, &issuer);

    // The consent app rejects.
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = app
        .admin
        .reject_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(RejectOAuth2Request::default())
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let location = to_client(&browser, &redirect).await;
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
    assert_iss(&location, &issuer);
}

async fn fragment_responses_carry_iss(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let issuer = discovered_issuer(&app).await;
    let client = create_hybrid_client(&app).await;
    let browser = Browser::new();

    let url = hybrid_url(&app, &client.id, "code id_token", &[]);
    let location = run_hybrid_flow(&app, &browser, &url, &["openid"]).await;
    assert!(
        fragment_param(&location, "id_token").is_some(),
        "{location}"
    );
    assert_eq!(
        fragment_param(&location, "iss").as_deref(),
        Some(issuer.as_str())
    );
    assert_iss(&location, &issuer);

    let url = hybrid_url(
        &app,
        &client.id,
        "code id_token",
        &[("scope", "openid admin")],
    );
    let location = browser.get(&url).await.location.expect("redirect");
    assert_eq!(
        fragment_param(&location, "error").as_deref(),
        Some("invalid_scope")
    );
    assert_eq!(
        fragment_param(&location, "iss").as_deref(),
        Some(issuer.as_str())
    );
}

/// The hidden inputs of a form_post page.
fn form_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input ")
        .skip(1)
        .filter_map(|input| {
            let attr = |name: &str| {
                let start = input.find(&format!("{name}=\""))? + name.len() + 2;
                let end = input[start..].find('"')? + start;
                Some(input[start..end].replace("&amp;", "&"))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

async fn form_post_responses_carry_iss(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let issuer = discovered_issuer(&app).await;
    let client = create_client(&app, serde_json::json!({})).await;
    let browser = Browser::new();
    let iss_of = |body: &str| -> Vec<String> {
        form_fields(body)
            .into_iter()
            .filter(|(name, _)| name == "iss")
            .map(|(_, value)| value)
            .collect()
    };

    let url = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid"), ("response_mode", "form_post")],
    );
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(&app, &consent, &["openid"], false).await;
    let page = browser.get(&redirect).await;
    assert_eq!(page.status, 200);
    assert!(
        form_fields(&page.body).iter().any(|(n, _)| n == "code"),
        "{}",
        page.body
    );
    assert_eq!(iss_of(&page.body), vec![issuer.clone()], "{}", page.body);

    let url = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid admin"), ("response_mode", "form_post")],
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, 200);
    assert!(
        form_fields(&page.body)
            .iter()
            .any(|(n, v)| n == "error" && v == "invalid_scope"),
        "{}",
        page.body
    );
    assert_eq!(iss_of(&page.body), vec![issuer], "{}", page.body);
}
