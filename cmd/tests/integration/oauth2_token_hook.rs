//! Hydra's token hooks (`oauth2.token_hook`, `oauth2.refresh_token_hook`) against a
//! real HTTP hook on loopback: 204 keeps the extra claims, 200 replaces them (stored
//! with the tokens, so they survive a refresh), 403 denies with `access_denied`, and
//! every other answer — a 5xx, garbage, an oversized body, a hook slower than its
//! timeout, nothing listening — fails closed with `temporarily_unavailable`, no token.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portunus_server::config::{
    ApiKeyConfig, ApiKeyLocation, Config, WebhookAuth, WebhookAuthType, WebhookConfig,
};
use portunus_server::duration::GoDuration;
use serde_json::{Value, json};

use crate::support::code::obtain_code;
use crate::support::flow::create_client;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    no_content_keeps_the_claims_and_the_hook_sees_the_grant,
    ok_replaces_the_claims_and_they_are_stored_with_the_tokens,
);

const API_KEY: &str = "hook-api-key-0123456789";

/// What the hook answers, one scripted reply per call (then 204).
#[derive(Clone)]
enum Reply {
    Status(u16),
    Json(Value),
    Body(String),
    Slow(Duration),
}

/// One call the hook received: its headers of interest and its JSON body.
#[derive(Debug, Clone)]
struct Call {
    api_key: Option<String>,
    cookie: Option<String>,
    body: Value,
}

struct Hook {
    url: String,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    calls: Arc<Mutex<Vec<Call>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Hook {
    fn start(replies: Vec<Reply>) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let (r, c) = (replies.clone(), calls.clone());
        let server = HttpServer::new(move || {
            let (r, c) = (r.clone(), c.clone());
            App::new().route(
                "/hook",
                web::post().to(move |request: HttpRequest, body: web::Json<Value>| {
                    let (r, c) = (r.clone(), c.clone());
                    async move {
                        let header = |name: &str| {
                            request
                                .headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        c.lock().unwrap().push(Call {
                            api_key: header("x-hook-key"),
                            cookie: header("cookie"),
                            body: body.into_inner(),
                        });
                        let reply = r.lock().unwrap().pop_front();
                        match reply {
                            None => HttpResponse::NoContent().finish(),
                            Some(Reply::Status(status)) => HttpResponse::build(
                                actix_web::http::StatusCode::from_u16(status).unwrap(),
                            )
                            .finish(),
                            Some(Reply::Json(value)) => HttpResponse::Ok().json(value),
                            Some(Reply::Body(text)) => HttpResponse::Ok()
                                .content_type("application/json")
                                .body(text),
                            Some(Reply::Slow(wait)) => {
                                tokio::time::sleep(wait).await;
                                HttpResponse::NoContent().finish()
                            }
                        }
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Hook {
            url,
            replies,
            calls,
            handle,
        }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn script(&self, replies: Vec<Reply>) {
        self.replies.lock().unwrap().extend(replies);
    }

    /// The hook with an API key in a header (or a cookie), timing out after 500 ms.
    fn config(&self, location: ApiKeyLocation) -> WebhookConfig {
        WebhookConfig {
            url: self.url.clone(),
            auth: Some(WebhookAuth {
                kind: WebhookAuthType::ApiKey,
                config: ApiKeyConfig {
                    location,
                    name: match location {
                        ApiKeyLocation::Header => "X-Hook-Key".into(),
                        ApiKeyLocation::Cookie => "hook_key".into(),
                    },
                    value: API_KEY.into(),
                },
            }),
            timeout: Some(GoDuration(Duration::from_millis(500))),
        }
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn app_with(backend: TestBackend, configure: impl FnOnce(&mut Config) + 'static) -> TestApp {
    TestApp::builder(backend).config(configure).build().await
}

/// The payload of a compact JWS.
fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A code-flow client, a code for `user-1` granting openid and offline, and the
/// token response of its exchange (status, body).
async fn code_exchange(app: &TestApp) -> (crate::support::flow::FlowClient, u16, Value) {
    let client = create_client(app, json!({})).await;
    let code = obtain_code(
        app,
        &client,
        &[("scope", "openid offline")],
        "user-1",
        &["openid", "offline"],
    )
    .await;
    let (status, body) = app
        .token_request(
            &client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", crate::support::flow::REDIRECT_URI),
            ],
        )
        .await;
    (client, status, body)
}

async fn service_token(app: &TestApp) -> (u16, Value) {
    let registered = app
        .register(json!({"grant_types": ["client_credentials"], "scope": "read"}))
        .await;
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&registered.id, registered.secret.as_deref().unwrap())),
            &[("grant_type", "client_credentials"), ("scope", "read")],
        )
        .await;
    (status, body)
}

async fn no_content_keeps_the_claims_and_the_hook_sees_the_grant(backend: TestBackend) {
    let hook = Hook::start(vec![Reply::Status(204)]);
    let config = hook.config(ApiKeyLocation::Header);
    let app = app_with(backend, move |c| c.oauth2.token_hook = Some(config)).await;
    let (client, status, body) = code_exchange(&app).await;
    assert_eq!(status, 200, "{body}");

    let calls = hook.calls();
    assert_eq!(calls.len(), 1, "one call per token request");
    let call = &calls[0];
    assert_eq!(call.api_key.as_deref(), Some(API_KEY));
    let request = &call.body["request"];
    assert_eq!(request["client_id"], client.id.as_str());
    assert_eq!(request["grant_types"], json!(["authorization_code"]));
    assert_eq!(request["granted_scopes"], json!(["openid", "offline"]));
    assert_eq!(request["payload"], json!({}));
    assert!(
        request.get("granted_authorization_details").is_none(),
        "no details, Hydra's body: {request}"
    );
    let session = &call.body["session"];
    assert_eq!(
        session["extra"],
        json!({"team": "blue"}),
        "the consent's claims"
    );
    assert_eq!(
        session["id_token"]["id_token_claims"]["ext"],
        json!({"email": "ada@example.com"})
    );
    assert_eq!(session["id_token"]["subject"], "user-1");

    // 204: what consent granted is what the tokens carry.
    let introspected = app
        .introspect(body["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(
        serde_json::to_value(&introspected.ext).unwrap(),
        json!({"team": "blue"})
    );
    let id_token = jwt_claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "ada@example.com");
    hook.stop().await;
}

async fn ok_replaces_the_claims_and_they_are_stored_with_the_tokens(backend: TestBackend) {
    let hook = Hook::start(vec![Reply::Json(json!({
        "session": {
            "access_token": {"tier": "gold"},
            // Reserved ID token claims never reach the token (as for consent claims).
            "id_token": {"role": "admin", "sub": "someone-else"}
        }
    }))]);
    let config = hook.config(ApiKeyLocation::Header);
    let app = app_with(backend, move |c| c.oauth2.token_hook = Some(config)).await;
    let (client, status, body) = code_exchange(&app).await;
    assert_eq!(status, 200, "{body}");
    let introspected = app
        .introspect(body["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(
        serde_json::to_value(&introspected.ext).unwrap(),
        json!({"tier": "gold"}),
        "200 replaces the access token's extra claims"
    );
    let id_token = jwt_claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["role"], "admin");
    assert_eq!(id_token["sub"], "user-1");
    assert!(id_token.get("email").is_none(), "replaced, not merged");

    // The refresh sees (and, with 204, keeps) the claims the hook set.
    let refresh = body["refresh_token"].as_str().unwrap();
    let (status, refreshed) = app.refresh_raw(&client, refresh, None).await;
    assert_eq!(status, 200, "{refreshed}");
    let calls = hook.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].body["request"]["grant_types"],
        json!(["refresh_token"])
    );
    assert_eq!(calls[1].body["session"]["extra"], json!({"tier": "gold"}));
    let introspected = app
        .introspect(refreshed["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(
        serde_json::to_value(&introspected.ext).unwrap(),
        json!({"tier": "gold"})
    );
    hook.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_denies_the_grant() {
    let hook = Hook::start(vec![Reply::Status(403)]);
    let config = hook.config(ApiKeyLocation::Header);
    let app = app_with(TestBackend::Sqlite, move |c| {
        c.oauth2.token_hook = Some(config)
    })
    .await;
    let (status, body) = service_token(&app).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "access_denied");
    assert!(body.get("access_token").is_none());
    assert_eq!(
        hook.calls()[0].body["request"]["grant_types"],
        json!(["client_credentials"])
    );
    hook.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_answer_fails_closed() {
    let hook = Hook::start(Vec::new());
    let config = hook.config(ApiKeyLocation::Header);
    let app = app_with(TestBackend::Sqlite, move |c| {
        c.oauth2.token_hook = Some(config)
    })
    .await;
    let oversized = json!({"session": {"access_token": {"pad": "x".repeat(70 * 1024)}}});
    let replies = [
        ("a 5xx", Reply::Status(500)),
        ("a redirect", Reply::Status(302)),
        ("a 401", Reply::Status(401)),
        ("garbage", Reply::Body("not json".into())),
        (
            "the wrong JSON",
            Reply::Json(json!({"access_token": {"a": 1}})),
        ),
        (
            "claims that are not objects",
            Reply::Json(json!({"session": {"access_token": [1]}})),
        ),
        ("an oversized body", Reply::Json(oversized)),
        (
            "a hook slower than its timeout",
            Reply::Slow(Duration::from_secs(2)),
        ),
    ];
    for (what, reply) in replies {
        hook.script(vec![reply]);
        let (status, body) = service_token(&app).await;
        assert_eq!(status, 503, "{what}: {body}");
        assert_eq!(body["error"], "temporarily_unavailable", "{what}");
        assert!(body.get("access_token").is_none(), "{what}");
        let description = body["error_description"].as_str().unwrap();
        assert!(!description.contains("127.0.0.1"), "{what}: {description}");
    }
    // The hook that answers again is obeyed again.
    let (status, body) = service_token(&app).await;
    assert_eq!(status, 200, "{body}");
    hook.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_hook_fails_closed() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let app = app_with(TestBackend::Sqlite, move |c| {
        c.oauth2.token_hook = Some(WebhookConfig {
            url,
            auth: None,
            timeout: None,
        })
    })
    .await;
    let (status, body) = service_token(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_hook_runs_for_refreshes_only() {
    let hook = Hook::start(Vec::new());
    let config = hook.config(ApiKeyLocation::Cookie);
    let app = app_with(TestBackend::Sqlite, move |c| {
        c.oauth2.refresh_token_hook = Some(config)
    })
    .await;
    let (status, body) = service_token(&app).await;
    assert_eq!(status, 200, "{body}");
    let (client, status, body) = code_exchange(&app).await;
    assert_eq!(status, 200, "{body}");
    assert!(hook.calls().is_empty(), "not called for other grants");

    hook.script(vec![Reply::Json(
        json!({"session": {"access_token": {"fresh": true}}}),
    )]);
    let refresh = body["refresh_token"].as_str().unwrap();
    let (status, refreshed) = app.refresh_raw(&client, refresh, None).await;
    assert_eq!(status, 200, "{refreshed}");
    let calls = hook.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].cookie.as_deref(),
        Some(&*format!("hook_key={API_KEY}"))
    );
    assert_eq!(calls[0].api_key, None);
    let introspected = app
        .introspect(refreshed["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(
        serde_json::to_value(&introspected.ext).unwrap(),
        json!({"fresh": true})
    );
    let id_token = jwt_claims(refreshed["id_token"].as_str().unwrap());
    assert!(
        id_token.get("email").is_none(),
        "an answer without id_token claims clears them, as Hydra"
    );
    hook.stop().await;
}

/// RFC 9396: the hook sees the details the tokens will carry
/// (`request.granted_authorization_details`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_sees_the_granted_authorization_details() {
    let hook = Hook::start(vec![Reply::Status(204)]);
    let config = hook.config(ApiKeyLocation::Header);
    let app = app_with(TestBackend::Sqlite, move |c| {
        c.oauth2.token_hook = Some(config);
        c.oauth2.authorization_details.types_supported = vec!["payment_initiation".to_owned()];
    })
    .await;
    let registered = app
        .register(json!({
            "grant_types": ["client_credentials"],
            "scope": "read",
            "authorization_details_types": ["payment_initiation"],
        }))
        .await;
    let details = json!([{"type": "payment_initiation", "actions": ["initiate"]}]);
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&registered.id, registered.secret.as_deref().unwrap())),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "read"),
                ("authorization_details", &details.to_string()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorization_details"], details, "{body}");
    let calls = hook.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].body["request"]["granted_authorization_details"],
        details
    );
    hook.stop().await;
}
