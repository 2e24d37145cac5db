//! One browser, two End-Users (issue 12 item 13b): when a browser holding Ada's
//! authentication session logs in as Bob, Bob gets a new session id (`sid`, OIDC
//! Front-/Back-Channel Logout 1.0 §3 / §2.1), so Ada's session, her ID tokens' `sid`
//! and her logout notifications never name Bob's login, nor his hers. The same user
//! re-authenticating keeps the session.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::flow::{
    FlowClient, REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge,
    create_client, login_challenge, to_client,
};
use crate::support::logout::{id_token, sid_of, sign_in};
use crate::support::oidc::jwt_claims;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    another_subject_on_the_same_browser_gets_a_new_sid,
    another_subject_not_remembered_ends_the_browsers_session,
);

/// Back-channel logout endpoints on 127.0.0.1 recording (name, logout token claims).
struct Receiver {
    base: String,
    received: Arc<Mutex<Vec<(String, Value)>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        let server = HttpServer::new(move || {
            let sink = sink.clone();
            App::new().route(
                "/bc/{name}",
                web::post().to(
                    move |name: web::Path<String>, form: web::Form<HashMap<String, String>>| {
                        let sink = sink.clone();
                        async move {
                            let token = form.get("logout_token").cloned().unwrap_or_default();
                            sink.lock()
                                .unwrap()
                                .push((name.into_inner(), jwt_claims(&token)));
                            HttpResponse::Ok().finish()
                        }
                    },
                ),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            base,
            received,
            handle,
        }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/bc/{name}", self.base)
    }

    /// What arrived once at least `count` notifications did, and a moment later (so a
    /// notification that should not come has had its chance).
    async fn settled(&self, count: usize) -> Vec<(String, Value)> {
        for _ in 0..200 {
            if self.received.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)));
    }
}

/// Logs the browser in again with `prompt=login` as `subject`; returns the `sid` the
/// login request showed and the one the new ID token carries.
async fn log_in_again(
    app: &TestApp,
    browser: &Browser,
    client: &FlowClient,
    subject: &str,
    remember: bool,
) -> (String, String) {
    let url = authorize_url(
        app,
        &client.id,
        &[("scope", "openid"), ("nonce", "n-1"), ("prompt", "login")],
    );
    let challenge = login_challenge(browser, &url).await;
    let request = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&challenge)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!request.skip, "prompt=login");
    let shown = request.session_id.expect("session_id");
    let redirect = accept_login(app, &challenge, subject, remember).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, &["openid"], false).await;
    let code = param(&to_client(browser, &redirect).await, "code").expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, tokens) = app.token_request(client, &form).await;
    assert_eq!(status, 200, "{tokens}");
    (shown, sid_of(&id_token(&tokens)))
}

/// The consents `subject` granted in session `sid`: what front- and back-channel
/// logout of that session notify.
async fn consents_in(app: &TestApp, subject: &str, sid: &str) -> Vec<String> {
    app.admin
        .list_o_auth2_consent_sessions()
        .login_session_id(sid)
        .subject(subject)
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_iter()
        .filter_map(|c| c.consent_request.and_then(|r| r.client?.client_id))
        .collect()
}

async fn another_subject_on_the_same_browser_gets_a_new_sid(backend: TestBackend) {
    let receiver = Receiver::start();
    let app = TestApp::builder(backend)
        .config(|c| c.clients.http.disallow_private_ip_ranges = false)
        .build()
        .await;
    let ada_rp = create_client(
        &app,
        json!({"backchannel_logout_uri": receiver.url("ada-rp")}),
    )
    .await;
    let bob_rp = create_client(
        &app,
        json!({"backchannel_logout_uri": receiver.url("bob-rp")}),
    )
    .await;
    let browser = Browser::new();
    let sid_ada = sid_of(&id_token(&sign_in(&app, &browser, &ada_rp, "ada").await));

    // Ada authenticating again continues her session.
    let (shown, again) = log_in_again(&app, &browser, &ada_rp, "ada", true).await;
    assert_eq!(
        (shown.as_str(), again.as_str()),
        (sid_ada.as_str(), sid_ada.as_str())
    );

    // Bob on Ada's browser: the login request shows the browser's session, but Bob's
    // login is a session of its own.
    let (shown, sid_bob) = log_in_again(&app, &browser, &bob_rp, "bob", true).await;
    assert_eq!(shown, sid_ada);
    assert_ne!(sid_bob, sid_ada, "Bob's ID token must not carry Ada's sid");
    let sessions = &app.state.login_sessions;
    let ada = sessions
        .get_login_session(&sid_ada)
        .await
        .unwrap()
        .expect("Ada's session");
    assert_eq!(ada.subject, "ada", "Ada's session is not rewritten");
    let bob = sessions
        .get_login_session(&sid_bob)
        .await
        .unwrap()
        .expect("Bob's session");
    assert_eq!((bob.subject.as_str(), bob.remember), ("bob", true));
    assert_eq!(
        consents_in(&app, "bob", &sid_ada).await,
        Vec::<String>::new()
    );
    assert_eq!(
        consents_in(&app, "bob", &sid_bob).await,
        vec![bob_rp.id.clone()]
    );
    assert_eq!(consents_in(&app, "ada", &sid_ada).await.len(), 2);

    // The browser now holds Bob's session.
    let url = authorize_url(&app, &bob_rp.id, &[("scope", "openid")]);
    let request = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&login_challenge(&browser, &url).await)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(request.skip);
    assert_eq!(
        (request.subject.as_str(), request.session_id.as_deref()),
        ("bob", Some(sid_bob.as_str()))
    );

    // Ending Ada's session notifies Ada's relying party only, about Ada's sid.
    app.admin
        .revoke_o_auth2_login_sessions()
        .sid(&sid_ada)
        .send()
        .await
        .unwrap();
    let received = receiver.settled(1).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let (name, claims) = &received[0];
    assert_eq!(name, "ada-rp");
    assert_eq!(
        (claims["sub"].as_str(), claims["sid"].as_str()),
        (Some("ada"), Some(sid_ada.as_str()))
    );
    assert!(
        sessions
            .get_login_session(&sid_bob)
            .await
            .unwrap()
            .is_some(),
        "Bob's session is not Ada's to end"
    );
}

async fn another_subject_not_remembered_ends_the_browsers_session(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let sid_ada = sid_of(&id_token(&sign_in(&app, &browser, &client, "ada").await));
    let (_, sid_bob) = log_in_again(&app, &browser, &client, "bob", false).await;
    assert_ne!(sid_bob, sid_ada);
    let ada = app
        .state
        .login_sessions
        .get_login_session(&sid_ada)
        .await
        .unwrap()
        .expect("Ada's session");
    assert_eq!(ada.subject, "ada");
    // Neither Ada (whose cookie is gone) nor Bob (not remembered) is signed in now.
    let url = authorize_url(&app, &client.id, &[("scope", "openid")]);
    let request = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&login_challenge(&browser, &url).await)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!request.skip, "signed in as {:?}", request.subject);
    assert_ne!(request.session_id.as_deref(), Some(sid_ada.as_str()));
}
