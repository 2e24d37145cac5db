//! Audit events of the login/consent flow and of login sessions (issue 15 §1;
//! docs/operations.md, "Events"): each decision of the login or consent app over the
//! admin API reports `login.*` / `consent.*` once (a second decision, answered 410,
//! reports nothing), without the app's context, session claims or error texts; ending a
//! session reports `session.logged_out` — RP-initiated logout, forward-auth's sign-out,
//! the admin API's revocation by `sid` or by subject — and ending nothing reports
//! nothing. With events off, none of it writes a row.

use portunus_sdk::types::{AcceptOAuth2ConsentRequest, RejectOAuth2Request};
use portunus_server::storage::EventOutbox;
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::event_receiver::EventReceiver;
use crate::support::flow::{
    FlowClient, accept_login, authorize_url, consent_challenge, create_client, login_body,
    login_challenge, to_client,
};
use crate::support::logout::{
    POST_LOGOUT_URI, accept_logout, id_token, logout_challenge, logout_url, sid_of, sign_in,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    login_and_consent_decisions_are_reported_once,
    rejections_report_the_error_code_only,
    a_logout_reports_the_end_of_its_session,
    sign_out_reports_the_end_of_the_browsers_session,
    admin_revocations_report_only_sessions_that_ended,
    disabled_events_write_nothing_for_flows_and_sessions,
);

/// The types this file checks; the token events the flows also write are left out.
const TYPES: [&str; 5] = [
    "login.accepted",
    "login.rejected",
    "consent.accepted",
    "consent.rejected",
    "session.logged_out",
];

async fn app_with(receiver: &EventReceiver, backend: TestBackend) -> TestApp {
    TestApp::builder(backend)
        .config(receiver.configurer())
        .config(|c| c.oauth2.forward_auth.enabled = true)
        .build()
        .await
}

async fn rp(app: &TestApp) -> FlowClient {
    create_client(app, json!({"post_logout_redirect_uris": [POST_LOGOUT_URI]})).await
}

/// The delivered envelopes of this file's types, once `count` arrived, checked to be
/// all of them: a little later no more has come.
async fn delivered(receiver: &EventReceiver, count: usize) -> Vec<Value> {
    receiver.exactly(count, |t| TYPES.contains(&t)).await
}

fn of_type<'a>(events: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == event_type).collect()
}

/// The envelope's common attributes.
fn assert_envelope(app: &TestApp, event: &Value) {
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["source"], app.state.config.issuer());
    assert_eq!(event["datacontenttype"], "application/json");
    assert_eq!(event["data"]["schema_version"], 1);
    let id = event["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert!(event["time"].as_str().is_some());
}

async fn login_and_consent_decisions_are_reported_once(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let challenge = login_challenge(&browser, &url).await;
    let mut body = login_body("ada", true);
    body.acr = Some("urn:example:pwd".into());
    body.amr = Some(vec!["pwd".into()]);
    body.context = serde_json::from_value(json!({"secret_context": "app-private"})).unwrap();
    let redirect = app
        .admin
        .accept_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    // A second decision is refused (410) and reports nothing.
    let again = app
        .admin
        .accept_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(login_body("ada", true))
        .send()
        .await;
    assert!(again.is_err());
    let consent = consent_challenge(&browser, &redirect).await;
    let body: AcceptOAuth2ConsentRequest = serde_json::from_value(json!({
        "grant_scope": ["openid"],
        "remember": false,
        "session": {"id_token": {"email": "ada@example.com"}},
    }))
    .unwrap();
    let redirect = app
        .admin
        .accept_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    assert!(param(&to_client(&browser, &redirect).await, "code").is_some());

    let events = delivered(&receiver, 2).await;
    let login = of_type(&events, "login.accepted")[0];
    assert_envelope(&app, login);
    let data = &login["data"];
    assert_eq!(data["actor"], json!({"type": "admin"}));
    assert_eq!(data["client_id"], client.id.as_str());
    assert_eq!(data["subject"], "ada");
    assert_eq!(data["remember"], true);
    assert_eq!(data["acr"], "urn:example:pwd");
    assert_eq!(data["amr"], json!(["pwd"]));
    let request_id = data["request_id"].as_str().unwrap();
    assert_eq!(login["subject"], request_id, "keyed by its request");
    let consent = of_type(&events, "consent.accepted")[0];
    assert_envelope(&app, consent);
    let data = &consent["data"];
    assert_eq!(data["actor"], json!({"type": "admin"}));
    assert_eq!(data["subject"], "ada");
    assert_eq!(data["client_id"], client.id.as_str());
    assert_eq!(data["granted_scopes"], json!(["openid"]));
    assert_eq!(data["granted_audience"], json!([]));
    assert_eq!(data["remember"], false);
    assert_eq!(
        consent["subject"], data["request_id"],
        "keyed by its request"
    );
    let bodies: String = receiver
        .deliveries()
        .iter()
        .map(|d| d.body.clone())
        .collect();
    assert!(
        !bodies.contains("app-private"),
        "the app's context stays out"
    );
    assert!(
        !bodies.contains("ada@example.com"),
        "session claims stay out"
    );
    assert!(!bodies.contains(&challenge), "the challenge stays out");
}

async fn rejections_report_the_error_code_only(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    let url = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let challenge = login_challenge(&browser, &url).await;
    let body = RejectOAuth2Request {
        error: Some("login_required".into()),
        error_description: Some("private words of the login app".into()),
        ..Default::default()
    };
    app.admin
        .reject_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(body)
        .send()
        .await
        .unwrap();
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    app.admin
        .reject_o_auth2_consent_request()
        .consent_challenge(&consent)
        .body(RejectOAuth2Request::default())
        .send()
        .await
        .unwrap();

    let events = delivered(&receiver, 3).await;
    let login = of_type(&events, "login.rejected")[0];
    assert_envelope(&app, login);
    assert_eq!(login["data"]["error"], "login_required");
    assert_eq!(login["data"]["client_id"], client.id.as_str());
    assert_eq!(
        login["data"]["subject"],
        Value::Null,
        "nobody signed in yet"
    );
    assert_eq!(login["data"]["actor"], json!({"type": "admin"}));
    let consent = of_type(&events, "consent.rejected")[0];
    assert_eq!(consent["data"]["error"], "access_denied", "Hydra's default");
    assert_eq!(consent["data"]["subject"], "ada");
    assert_eq!(of_type(&events, "login.accepted").len(), 1);
    let bodies: String = receiver
        .deliveries()
        .iter()
        .map(|d| d.body.clone())
        .collect();
    assert!(!bodies.contains("private words"));
}

async fn a_logout_reports_the_end_of_its_session(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    let url = logout_url(
        &app,
        &[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ],
    );
    let challenge = logout_challenge(&browser, &url).await;
    let redirect = accept_logout(&app, &challenge).await;
    assert_eq!(browser.get(&redirect).await.status, 303);

    let events = delivered(&receiver, 3).await;
    let ended = of_type(&events, "session.logged_out");
    assert_eq!(ended.len(), 1);
    assert_envelope(&app, ended[0]);
    assert_eq!(ended[0]["subject"], "ada", "keyed by the user");
    let data = &ended[0]["data"];
    assert_eq!(data["actor"], json!({"type": "subject", "id": "ada"}));
    assert_eq!(data["subject"], "ada");
    assert_eq!(data["session_id"], sid_of(&hint).as_str());
    assert_eq!(data["client_id"], client.id.as_str(), "the RP that asked");
    assert_eq!(data["reason"], "logout");
    // Logging out without a session ends nothing and reports nothing.
    let page = browser.get(&logout_url(&app, &[])).await;
    assert_eq!(page.status, 200);
    delivered(&receiver, 3).await;
}

async fn sign_out_reports_the_end_of_the_browsers_session(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let client = rp(&app).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    let page = browser.get(&app.public_path("/oauth2/sign_out")).await;
    assert_eq!(page.status, 200, "the logged-out page: {}", page.body);

    let events = delivered(&receiver, 3).await;
    let ended = of_type(&events, "session.logged_out");
    let data = &ended[0]["data"];
    assert_eq!(data["actor"], json!({"type": "subject", "id": "ada"}));
    assert_eq!(data["session_id"], sid_of(&hint).as_str());
    assert_eq!(data["client_id"], Value::Null, "no RP asked");
    assert_eq!(data["reason"], "sign_out");
    // The cookie is gone: signing out again ends nothing.
    browser.get(&app.public_path("/oauth2/sign_out")).await;
    delivered(&receiver, 3).await;
}

async fn admin_revocations_report_only_sessions_that_ended(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = app_with(&receiver, backend).await;
    let client = rp(&app).await;
    let sid = sid_of(&id_token(
        &sign_in(&app, &Browser::new(), &client, "ada").await,
    ));
    for _ in 0..2 {
        app.admin
            .revoke_o_auth2_login_sessions()
            .sid(&sid)
            .send()
            .await
            .unwrap();
    }
    sign_in(&app, &Browser::new(), &client, "bob").await;
    sign_in(&app, &Browser::new(), &client, "bob").await;
    for _ in 0..2 {
        app.admin
            .revoke_o_auth2_login_sessions()
            .subject("bob")
            .send()
            .await
            .unwrap();
    }

    // 3 sign-ins (login + consent each), one revocation by sid, one of bob's sessions.
    let events = delivered(&receiver, 8).await;
    let ended = of_type(&events, "session.logged_out");
    assert_eq!(
        ended.len(),
        2,
        "the second revocation of each ended nothing"
    );
    let ada = ended.iter().find(|e| e["subject"] == "ada").unwrap();
    assert_eq!(ada["data"]["actor"], json!({"type": "admin"}));
    assert_eq!(ada["data"]["session_id"], sid.as_str());
    assert_eq!(ada["data"]["reason"], "admin_revocation");
    let bob = ended.iter().find(|e| e["subject"] == "bob").unwrap();
    assert_eq!(
        bob["data"]["session_id"],
        Value::Null,
        "all of bob's sessions"
    );
    assert_eq!(bob["data"]["reason"], "admin_revocation");
}

async fn disabled_events_write_nothing_for_flows_and_sessions(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    assert!(!app.state.events.enabled());
    let client = rp(&app).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &client, "ada").await);
    let url = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let challenge = login_challenge(&Browser::new(), &url).await;
    app.admin
        .reject_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(RejectOAuth2Request::default())
        .send()
        .await
        .unwrap();
    app.admin
        .revoke_o_auth2_login_sessions()
        .sid(sid_of(&hint))
        .send()
        .await
        .unwrap();
    let store = crate::storage_conformance::connect(&app.db).await;
    assert_eq!(store.pending_count().await.unwrap(), 0);
}
