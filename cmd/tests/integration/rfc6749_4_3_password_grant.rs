//! RFC 6749 §4.3: the resource owner password credentials grant, off by default, with
//! the credentials checked by a real HTTP hook on loopback (`oauth2.grant.password`):
//! tokens for the hook's subject with its claims (stored, so a refresh keeps them),
//! `invalid_grant` for refused credentials, failed attempts counted per username and
//! per client (§4.3.2's brute-force protection), and a hook that fails closes the
//! grant (`temporarily_unavailable`) without counting against the user.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::{AuthType, ResourceOwnerPassword, ResourceOwnerUsername, Scope, TokenResponse};
use portunus_server::config::{Config, WebhookConfig};
use portunus_server::duration::GoDuration;
use serde_json::{Value, json};

use crate::support::oauth::Registered;
use crate::support::redis::{redis_url, unique_prefix};
use crate::support::test_app::TestAppBuilder;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(tokens_for_the_hooks_subject_survive_a_refresh);

const PASSWORD: &str = "correct horse battery staple";

/// The operator's credential check: `ada` with [`PASSWORD`] is `user-ada`; `slow`
/// takes longer than the timeout; `broken` gets a 500, `garbage` a body that is not
/// the answer's JSON; everything else is a 401.
struct CredentialHook {
    url: String,
    calls: Arc<Mutex<Vec<Value>>>,
    handle: actix_web::dev::ServerHandle,
}

impl CredentialHook {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/check", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        let server = HttpServer::new(move || {
            let recorded = recorded.clone();
            App::new().route(
                "/check",
                web::post().to(move |body: web::Json<Value>| {
                    let recorded = recorded.clone();
                    async move {
                        let body = body.into_inner();
                        recorded.lock().unwrap().push(body.clone());
                        match (body["username"].as_str(), body["password"].as_str()) {
                            (Some("ada"), Some(PASSWORD)) => HttpResponse::Ok().json(json!({
                                "subject": "user-ada",
                                "access_token": {"dept": "eng"},
                                "id_token": {"email": "ada@example.com"},
                            })),
                            (Some("slow"), _) => {
                                tokio::time::sleep(Duration::from_secs(2)).await;
                                HttpResponse::Ok().json(json!({"subject": "late"}))
                            }
                            (Some("broken"), _) => HttpResponse::InternalServerError().finish(),
                            (Some("garbage"), _) => HttpResponse::Ok().body("{\"subject\": 7}"),
                            _ => HttpResponse::Unauthorized().finish(),
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
        Self { url, calls, handle }
    }

    fn calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    fn configure(&self) -> impl FnOnce(&mut Config) + 'static {
        let hook = WebhookConfig {
            url: self.url.clone(),
            auth: None,
            timeout: Some(GoDuration(Duration::from_millis(500))),
        };
        move |config: &mut Config| {
            let password = &mut config.oauth2.grant.password;
            password.enabled = true;
            password.hook = Some(hook);
            password.failed_attempts.per_username = 2;
            password.failed_attempts.per_client = 4;
        }
    }
}

impl CredentialHook {
    /// An app with this hook and the budgets of [`Self::configure`], then `extra`.
    fn app(
        &self,
        backend: TestBackend,
        extra: impl FnOnce(&mut Config) + 'static,
    ) -> TestAppBuilder {
        let configure = self.configure();
        TestApp::builder(backend).config(move |config| {
            configure(config);
            extra(config);
        })
    }
}

async fn app_with_hook(backend: TestBackend, hook: &CredentialHook) -> TestApp {
    hook.app(backend, |_| {}).build().await
}

async fn password_client(app: &TestApp, id: &str) -> Registered {
    app.register(json!({
        "client_id": id,
        "grant_types": ["password", "refresh_token"],
        "scope": "openid offline read",
    }))
    .await
}

async fn password_request(
    app: &TestApp,
    client: &Registered,
    username: &str,
    password: &str,
) -> (u16, Value) {
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, client.secret.as_deref().unwrap())),
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
                ("scope", "openid read"),
            ],
        )
        .await;
    (status, body)
}

fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn tokens_for_the_hooks_subject_survive_a_refresh(backend: TestBackend) {
    let hook = CredentialHook::start();
    let app = app_with_hook(backend, &hook).await;
    let client = password_client(&app, "legacy-app").await;

    // An independent client library speaks the grant (RFC 6749 §4.3.2).
    let token = app
        .token_client(&client, AuthType::BasicAuth)
        .exchange_password(
            &ResourceOwnerUsername::new("ada".into()),
            &ResourceOwnerPassword::new(PASSWORD.into()),
        )
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("offline".into()))
        .add_scope(Scope::new("read".into()))
        .request_async(&app.oauth_http())
        .await
        .expect("tokens");
    let refresh = token.refresh_token().expect("a refresh token for offline");

    let calls = hook.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0],
        json!({
            "username": "ada",
            "password": PASSWORD,
            "client_id": "legacy-app",
            "scope": ["openid", "offline", "read"],
        })
    );

    let introspected = app.introspect(token.access_token().secret(), None).await;
    assert!(introspected.active);
    assert_eq!(introspected.sub.as_deref(), Some("user-ada"));
    assert_eq!(introspected.client_id.as_deref(), Some("legacy-app"));
    assert_eq!(
        serde_json::to_value(&introspected.ext).unwrap(),
        json!({"dept": "eng"})
    );

    // The refresh needs no hook call and keeps the subject and the claims.
    let (status, _, refreshed) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, client.secret.as_deref().unwrap())),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.secret()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(hook.calls(), 1);
    let id_token = jwt_claims(
        refreshed["id_token"]
            .as_str()
            .expect("an ID token for openid"),
    );
    assert_eq!(id_token["sub"], "user-ada");
    assert_eq!(id_token["email"], "ada@example.com");
    assert_eq!(id_token["amr"], json!(["pwd"]));
    assert_eq!(id_token["aud"], json!(["legacy-app"]));
    let introspected = app
        .introspect(refreshed["access_token"].as_str().unwrap(), None)
        .await;
    assert_eq!(introspected.sub.as_deref(), Some("user-ada"));
    assert_eq!(
        serde_json::to_value(&introspected.ext).unwrap(),
        json!({"dept": "eng"})
    );
    hook.handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_token_response_carries_an_id_token_with_amr_pwd() {
    let hook = CredentialHook::start();
    let app = app_with_hook(TestBackend::Sqlite, &hook).await;
    let client = password_client(&app, "legacy-app").await;
    let (status, body) = password_request(&app, &client, "ada", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid read");
    assert!(
        body.get("refresh_token").is_none(),
        "no offline scope asked"
    );
    let id_token = jwt_claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], "user-ada");
    assert_eq!(id_token["amr"], json!(["pwd"]));
    assert!(id_token["auth_time"].as_i64().is_some());
    hook.handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_lock_the_username_then_the_client() {
    let hook = CredentialHook::start();
    let app = app_with_hook(TestBackend::Sqlite, &hook).await;
    let client = password_client(&app, "legacy-app").await;

    // Two refusals for one username (per_username: 2), in any case.
    for username in ["ada", "ADA"] {
        let (status, body) = password_request(&app, &client, username, "wrong").await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_grant");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("username or password is not right"),
            "{body}"
        );
    }
    assert_eq!(hook.calls(), 2);
    // Now even the right password is refused, without asking the hook.
    let (status, body) = password_request(&app, &client, "ada", PASSWORD).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Too many failed attempts"),
        "{body}"
    );
    assert_eq!(hook.calls(), 2, "a locked username never reaches the hook");

    // Other usernames still work until the client has had four failures.
    for username in ["bob", "carol"] {
        let (status, _) = password_request(&app, &client, username, "wrong").await;
        assert_eq!(status, 400);
    }
    assert_eq!(hook.calls(), 4);
    let (status, body) = password_request(&app, &client, "dave", "whatever").await;
    assert_eq!(status, 400);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Too many failed attempts"),
        "{body}"
    );
    assert_eq!(hook.calls(), 4, "a locked client never reaches the hook");

    // Another client is not locked.
    let other = password_client(&app, "other-app").await;
    let (status, body) = password_request(&app, &other, "erin", "wrong").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        !body["error_description"]
            .as_str()
            .unwrap()
            .contains("Too many"),
        "{body}"
    );
    hook.handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_hook_closes_the_grant_without_counting_failures() {
    let hook = CredentialHook::start();
    let app = app_with_hook(TestBackend::Sqlite, &hook).await;
    let client = password_client(&app, "legacy-app").await;
    // Four answers that are no verdict: more than per_username would allow.
    for username in ["slow", "broken", "garbage", "broken"] {
        let (status, body) = password_request(&app, &client, username, "x").await;
        assert_eq!(status, 503, "{username}: {body}");
        assert_eq!(body["error"], "temporarily_unavailable");
        assert!(
            !body["error_description"]
                .as_str()
                .unwrap()
                .contains("127.0.0.1"),
            "the hook's address stays out of the description: {body}"
        );
    }
    // None of them counted: the right password still works.
    let (status, body) = password_request(&app, &client, "ada", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    hook.handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_and_unregistered_clients_are_refused_before_the_hook() {
    let hook = CredentialHook::start();
    let app = app_with_hook(TestBackend::Sqlite, &hook).await;
    let client = password_client(&app, "legacy-app").await;
    let secret = client.secret.as_deref().unwrap();
    let long = "a".repeat(1025);
    for (form, expected) in [
        (vec![("password", PASSWORD)], "invalid_request"),
        (vec![("username", "ada")], "invalid_request"),
        (
            vec![("username", ""), ("password", PASSWORD)],
            "invalid_request",
        ),
        (
            vec![("username", long.as_str()), ("password", PASSWORD)],
            "invalid_request",
        ),
        (
            vec![
                ("username", "ada"),
                ("password", PASSWORD),
                ("scope", "admin"),
            ],
            "invalid_scope",
        ),
    ] {
        let mut form = form;
        form.push(("grant_type", "password"));
        let (status, _, body) = app
            .post_form("/oauth2/token", Some((&client.id, secret)), &form)
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(expected)),
            "{form:?}: {body}"
        );
    }
    let service = app
        .register(json!({"grant_types": ["client_credentials"], "scope": "read"}))
        .await;
    let (status, _, body) = app
        .post_form(
            "/oauth2/token",
            Some((&service.id, service.secret.as_deref().unwrap())),
            &[
                ("grant_type", "password"),
                ("username", "ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    assert_eq!(hook.calls(), 0);
    hook.handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_by_default_and_listed_in_discovery_only_when_on() {
    let grant_types = |app: &TestApp| {
        let url = app.public_path("/.well-known/openid-configuration");
        let http = app.http.clone();
        async move {
            let body: Value = http.get(url).send().await.unwrap().json().await.unwrap();
            body["grant_types_supported"].clone()
        }
    };
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let client = password_client(&app, "legacy-app").await;
    let (status, body) = password_request(&app, &client, "ada", PASSWORD).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type")),
        "{body}"
    );
    assert!(
        !grant_types(&app)
            .await
            .as_array()
            .unwrap()
            .contains(&json!("password"))
    );

    let hook = CredentialHook::start();
    let app = app_with_hook(TestBackend::Sqlite, &hook).await;
    assert!(
        grant_types(&app)
            .await
            .as_array()
            .unwrap()
            .contains(&json!("password"))
    );
    hook.handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_registration_cannot_ask_for_the_password_grant() {
    let hook = CredentialHook::start();
    let app = hook
        .app(TestBackend::Sqlite, |c| {
            c.oidc.dynamic_client_registration.enabled = true;
        })
        .build()
        .await;
    let response = app
        .http
        .post(app.public_path("/oauth2/register"))
        .json(&json!({
            "redirect_uris": ["https://rp.example/cb"],
            "grant_types": ["password"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("password")
    );
    hook.handle.stop(false).await;
}

/// With a Redis `rate_limit.store`, two nodes on one database spend from one failure
/// budget per username: a guesser cannot get `per_username` tries from each node
/// behind a load balancer. (Rate limits themselves stay off: the store alone decides
/// where the counters live.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_two_nodes_share_the_failed_attempts() {
    let Some(url) = redis_url() else { return };
    let hook = CredentialHook::start();
    let prefix = unique_prefix();
    let node = |first: Option<&TestApp>| {
        let (url, prefix) = (url.clone(), prefix.clone());
        let builder = hook.app(TestBackend::Sqlite, move |config| {
            config.rate_limit.store = url;
            config.rate_limit.key_prefix = Some(prefix);
        });
        match first {
            Some(first) => builder.same_database_as(first),
            None => builder,
        }
    };
    let first = node(None).build().await;
    let second = node(Some(&first)).build().await;
    let client = password_client(&first, "shared-app").await;

    // One failure on each node: per_username (2) is spent across the two.
    for app in [&first, &second] {
        let (status, body) = password_request(app, &client, "ada", "wrong").await;
        assert_eq!(status, 400, "{body}");
        assert!(
            !body["error_description"]
                .as_str()
                .unwrap()
                .contains("Too many"),
            "{body}"
        );
    }
    for app in [&first, &second] {
        let (status, body) = password_request(app, &client, "ada", PASSWORD).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("Too many failed attempts"),
            "each node sees the other's failure: {body}"
        );
    }
    assert_eq!(hook.calls(), 2, "a locked username never reaches the hook");
    hook.handle.stop(false).await;
}

/// An unreachable Redis store: the node counts failures in its own memory, so the
/// username is still locked after `per_username` failures (never unlimited).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_store_still_limits_in_memory() {
    let hook = CredentialHook::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = hook
        .app(TestBackend::Sqlite, move |config| {
            config.rate_limit.store = format!("redis://127.0.0.1:{port}");
        })
        .build()
        .await;
    let client = password_client(&app, "lonely-app").await;
    for _ in 0..2 {
        let (status, _) = password_request(&app, &client, "ada", "wrong").await;
        assert_eq!(status, 400);
    }
    let (status, body) = password_request(&app, &client, "ada", PASSWORD).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Too many failed attempts"),
        "{body}"
    );
    hook.handle.stop(false).await;
}

/// RFC 9396 §6 for the password grant: details of the client's types go to the
/// credential hook with the credentials and come back in the token response; a type
/// the client may not use is `invalid_authorization_details` before the hook is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_details_reach_the_hook_and_the_tokens() {
    let hook = CredentialHook::start();
    let app = hook
        .app(TestBackend::Sqlite, |config| {
            config.oauth2.authorization_details.types_supported =
                vec!["payment_initiation".to_owned(), "other".to_owned()];
        })
        .build()
        .await;
    let client = app
        .register(json!({
            "client_id": "rar-app",
            "grant_types": ["password"],
            "scope": "openid read",
            "authorization_details_types": ["payment_initiation"],
        }))
        .await;
    let details = json!([{"type": "payment_initiation", "actions": ["initiate"]}]);
    let token = |details: Value| {
        let client = &client;
        let app = &app;
        async move {
            app.post_form(
                "/oauth2/token",
                Some((&client.id, client.secret.as_deref().unwrap())),
                &[
                    ("grant_type", "password"),
                    ("username", "ada"),
                    ("password", PASSWORD),
                    ("scope", "read"),
                    ("authorization_details", &details.to_string()),
                ],
            )
            .await
        }
    };
    let (status, _, body) = token(details.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorization_details"], details, "{body}");
    let calls = hook.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["authorization_details"], details);

    let (status, _, body) = token(json!([{"type": "other"}])).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_authorization_details", "{body}");
    assert_eq!(hook.calls(), 1, "refused before the hook");
    hook.handle.stop(false).await;
}
