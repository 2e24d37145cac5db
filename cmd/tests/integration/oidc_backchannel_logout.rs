//! OIDC Back-Channel Logout 1.0 §2.4–§2.5: when a session ends, every relying party of
//! it with a `backchannel_logout_uri` receives a form POST with a `logout_token`, which
//! the `jsonwebtoken` crate verifies here against `/.well-known/jwks.json`. Deliveries
//! are retried on 5xx, and registered URIs pointing at private addresses are refused
//! unless `clients.http.disallow_private_ip_ranges` is off (SSRF guard).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::support::browser::Browser;
use crate::support::flow::create_client;
use crate::support::logout::{
    POST_LOGOUT_URI, accept_logout, id_token, logout_challenge, logout_url, sid_of, sign_in,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    relying_parties_receive_a_verifiable_logout_token,
    revoking_a_session_by_sid_notifies_its_relying_parties,
);

/// A relying party's back-channel endpoint on 127.0.0.1: `POST /bc/{name}` records the
/// form's `logout_token` under `name`; the first `fail_first` calls answer 500.
struct Receiver {
    base: String,
    tokens: Arc<Mutex<Vec<(String, String)>>>,
    calls: Arc<AtomicUsize>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    fn start(fail_first: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let calls = Arc::new(AtomicUsize::new(0));
        let (t, c) = (tokens.clone(), calls.clone());
        let server = HttpServer::new(move || {
            let (t, c) = (t.clone(), c.clone());
            App::new().route(
                "/bc/{name}",
                web::post().to(
                    move |name: web::Path<String>, form: web::Form<HashMap<String, String>>| {
                        let (t, c) = (t.clone(), c.clone());
                        async move {
                            if c.fetch_add(1, Ordering::SeqCst) < fail_first {
                                return HttpResponse::InternalServerError().finish();
                            }
                            let token = form.get("logout_token").cloned().unwrap_or_default();
                            t.lock().unwrap().push((name.into_inner(), token));
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
            tokens,
            calls,
            handle,
        }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/bc/{name}", self.base)
    }

    /// Waits until `count` tokens arrived (at most 10 s).
    async fn wait_for(&self, count: usize) -> Vec<(String, String)> {
        for _ in 0..200 {
            let tokens = self.tokens.lock().unwrap().clone();
            if tokens.len() >= count {
                return tokens;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{count} logout tokens did not arrive");
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)));
    }
}

async fn allowing_loopback(backend: TestBackend) -> TestApp {
    TestApp::builder(backend)
        .config(|c| c.clients.http.disallow_private_ip_ranges = false)
        .build()
        .await
}

/// Verifies a logout token as a relying party does (§2.6) with `jsonwebtoken`.
async fn verify_logout_token(app: &TestApp, token: &str, client_id: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.public_path("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(
        header.typ.as_deref(),
        Some("logout+jwt"),
        "§2.4 explicit typing"
    );
    let kid = header.kid.expect("kid");
    let jwk = jwks.find(&kid).expect("the signing key is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[client_id]);
    validation.set_issuer(&[app.state.config.issuer()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("logout token rejected: {e}"))
        .claims
}

async fn relying_parties_receive_a_verifiable_logout_token(backend: TestBackend) {
    let receiver = Receiver::start(0);
    let app = allowing_loopback(backend).await;
    let a = create_client(
        &app,
        json!({
            "post_logout_redirect_uris": [POST_LOGOUT_URI],
            "backchannel_logout_uri": receiver.url("a"),
            "backchannel_logout_session_required": true,
        }),
    )
    .await;
    let b = create_client(&app, json!({"backchannel_logout_uri": receiver.url("b")})).await;
    let browser = Browser::new();
    let hint = id_token(&sign_in(&app, &browser, &a, "ada").await);
    sign_in(&app, &browser, &b, "ada").await;
    let params = [
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
    ];
    let challenge = logout_challenge(&browser, &logout_url(&app, &params)).await;
    let redirect = accept_logout(&app, &challenge).await;
    let done = browser.get(&redirect).await;
    assert_eq!(done.status, 303, "no front-channel clients: {}", done.body);
    assert_eq!(done.location.as_deref(), Some(POST_LOGOUT_URI));
    let mut tokens = receiver.wait_for(2).await;
    tokens.sort();
    let mut jtis = Vec::new();
    for ((name, token), client) in tokens.iter().zip([&a, &b]) {
        assert_eq!(name, if client.id == a.id { "a" } else { "b" });
        let claims = verify_logout_token(&app, token, &client.id).await;
        assert_eq!(claims["sub"], "ada");
        assert_eq!(claims["sid"], sid_of(&hint));
        assert_eq!(
            claims["events"],
            json!({"http://schemas.openid.net/event/backchannel-logout": {}})
        );
        assert!(claims.get("nonce").is_none(), "§2.4: never a nonce");
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert!((1..=120).contains(&lifetime), "{lifetime}");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "jti is unique");
}

/// Hydra's `DELETE /admin/oauth2/auth/sessions/login?sid=…` performs back-channel
/// logout for that session; revoking by subject does not.
async fn revoking_a_session_by_sid_notifies_its_relying_parties(backend: TestBackend) {
    let receiver = Receiver::start(0);
    let app = allowing_loopback(backend).await;
    let a = create_client(&app, json!({"backchannel_logout_uri": receiver.url("a")})).await;
    let ada = Browser::new();
    let sid = sid_of(&id_token(&sign_in(&app, &ada, &a, "ada").await));
    let bob = Browser::new();
    sign_in(&app, &bob, &a, "bob").await;

    app.admin
        .revoke_o_auth2_login_sessions()
        .subject("bob")
        .send()
        .await
        .unwrap();
    app.admin
        .revoke_o_auth2_login_sessions()
        .sid(&sid)
        .send()
        .await
        .unwrap();
    let tokens = receiver.wait_for(1).await;
    let claims = verify_logout_token(&app, &tokens[0].1, &a.id).await;
    assert_eq!(
        (claims["sub"].as_str(), claims["sid"].as_str()),
        (Some("ada"), Some(sid.as_str()))
    );
    // Bob's revocation sent nothing, and revoking the gone session again sends nothing.
    app.admin
        .revoke_o_auth2_login_sessions()
        .sid(&sid)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.tokens.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_retried_on_server_errors_only() {
    let flaky = Receiver::start(2);
    let app = allowing_loopback(TestBackend::Sqlite).await;
    let delivered = app.state.backchannel.deliver(&flaky.url("x"), "t").await;
    assert_eq!(delivered, Ok(()));
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3, "two 500s, then 200");
    let url = format!("{}/nowhere", flaky.base);
    let refused = app.state.backchannel.deliver(&url, "t").await;
    assert!(refused.is_err_and(|e| e.contains("404")));
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3, "4xx is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_destinations_are_refused_unless_allowed() {
    let receiver = Receiver::start(0);
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    assert!(app.state.config.clients.http.disallow_private_ip_ranges);
    let literal = receiver.url("x");
    let err = app
        .state
        .backchannel
        .deliver(&literal, "t")
        .await
        .unwrap_err();
    assert!(err.contains("not a public address"), "{err}");
    let port = receiver.base.rsplit(':').next().unwrap();
    let named = format!("http://localhost:{port}/bc/x");
    let err = app
        .state
        .backchannel
        .deliver(&named, "t")
        .await
        .unwrap_err();
    assert!(err.contains("no public address"), "{err}");
    assert_eq!(receiver.calls.load(Ordering::SeqCst), 0);

    let exempt = literal.clone();
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(move |c| c.clients.http.private_ip_exception_urls = vec![exempt])
        .build()
        .await;
    assert_eq!(app.state.backchannel.deliver(&literal, "t").await, Ok(()));
}
