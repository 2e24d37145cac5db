//! Upstream ID tokens MACed with the client secret (issue 22 §1, OIDC Core §10.1 and
//! §3.1.3.7 step 8, docs/login-ui.md): a fake OpenID Connect provider on a loopback
//! port (discovery, authorize, token, an empty JWK Set) signs its ID token with HS256
//! through `jsonwebtoken`, not our code. With `id_token_signed_response_alg: HS256` the
//! rp verifies the MAC with its client secret and links the upstream subject; without
//! the opt-in, with another key, or with an asymmetric token when HS256 is configured,
//! the sign-in is refused. The fake is also the upstream of the Chromium test
//! (`login_ui_upstream_browser.rs`).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portunus_server::clock::{Clock, SystemClock};
use portunus_server::config::{FirstLogin, ProviderKind, UpstreamProvider};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::login_ui_upstream::{
    at_idp, bearer, finish_at_rp, idp, oidc_provider, register_rp, rp, start_upstream, user_count,
};
use crate::support::TestBackend;
use crate::support::browser::{Browser, param};
use crate::support::flow::create_client;
use crate::support::login_ui::follow;

/// The rp's client at the fake provider. The secret has 42 bytes: enough for HS256
/// (RFC 7518 §3.2: at least 32), and no character that form-encoding changes.
pub(crate) const FAKE_CLIENT_ID: &str = "rp-at-fake";
pub(crate) const FAKE_CLIENT_SECRET: &str = "a-shared-secret-of-the-rp-and-the-fake-idp";
/// The subject the fake provider signs in.
pub(crate) const UPSTREAM_SUBJECT: &str = "fake-user-7";
/// The one code the fake provider issues.
const CODE: &str = "fake-code";

/// The authorization request the fake provider received.
#[derive(Default, Clone)]
struct Pending {
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
}

#[derive(Default)]
struct Seen {
    pending: Option<Pending>,
    jwks_reads: usize,
    /// Token requests that passed every check.
    tokens_issued: usize,
}

/// A fake OpenID Connect provider whose ID tokens are HS256 MACs keyed with `mac_key`.
pub(crate) struct FakeProvider {
    pub base: String,
    seen: Arc<Mutex<Seen>>,
    handle: actix_web::dev::ServerHandle,
}

struct Fake {
    base: String,
    mac_key: String,
    /// Show a page with a button at the authorization endpoint (the browser test)
    /// instead of redirecting straight back.
    interactive: bool,
    seen: Arc<Mutex<Seen>>,
}

impl Fake {
    /// The redirect back to the rp with the code and the request's state.
    fn back(&self) -> HttpResponse {
        let Some(pending) = self.seen.lock().unwrap().pending.clone() else {
            return HttpResponse::BadRequest().body("no authorization request");
        };
        let mut url = url::Url::parse(&pending.redirect_uri).unwrap();
        url.query_pairs_mut()
            .append_pair("code", CODE)
            .append_pair("state", &pending.state);
        HttpResponse::SeeOther()
            .insert_header(("location", url.to_string()))
            .finish()
    }

    /// RFC 6749 §4.1.3 with client_secret_basic and PKCE S256: the ID token, or `None`.
    fn id_token(&self, req: &HttpRequest, form: &[(String, String)]) -> Option<String> {
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{FAKE_CLIENT_ID}:{FAKE_CLIENT_SECRET}"))
        );
        let pending = self.seen.lock().unwrap().pending.clone()?;
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
        let ok = bearer(req) == basic
            && get("grant_type") == "authorization_code"
            && get("code") == CODE
            && get("redirect_uri") == pending.redirect_uri
            && challenge == pending.code_challenge;
        if !ok {
            return None;
        }
        let now = SystemClock.now().timestamp();
        let claims = json!({
            "iss": self.base, "sub": UPSTREAM_SUBJECT, "aud": FAKE_CLIENT_ID,
            "iat": now, "exp": now + 300, "nonce": pending.nonce,
            "email": "grace@example.com", "email_verified": true,
            "name": "Grace Hopper", "preferred_username": "grace",
        });
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.mac_key.as_bytes()),
        )
        .unwrap();
        self.seen.lock().unwrap().tokens_issued += 1;
        Some(token)
    }
}

async fn discovery(fake: web::Data<Fake>) -> HttpResponse {
    let base = &fake.base;
    HttpResponse::Ok().json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
}

async fn authorize(req: HttpRequest, fake: web::Data<Fake>) -> HttpResponse {
    let url = format!("http://fake{}", req.uri());
    let pending = Pending {
        redirect_uri: param(&url, "redirect_uri").unwrap_or_default(),
        state: param(&url, "state").unwrap_or_default(),
        nonce: param(&url, "nonce").unwrap_or_default(),
        code_challenge: param(&url, "code_challenge").unwrap_or_default(),
    };
    let ours = param(&url, "client_id").as_deref() == Some(FAKE_CLIENT_ID)
        && param(&url, "code_challenge_method").as_deref() == Some("S256");
    if !ours {
        return HttpResponse::BadRequest().body("not the rp's request");
    }
    fake.seen.lock().unwrap().pending = Some(pending);
    if !fake.interactive {
        return fake.back();
    }
    HttpResponse::Ok().content_type("text/html").body(
        "<!doctype html><title>Fake IdP</title><h1>Fake IdP</h1>\
         <form method=\"post\" action=\"/approve\">\
         <button id=\"approve\" type=\"submit\">Continue as Grace</button></form>",
    )
}

async fn token(
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
    fake: web::Data<Fake>,
) -> HttpResponse {
    match fake.id_token(&req, &form) {
        Some(id_token) => HttpResponse::Ok().json(json!({
            "access_token": "fake-access-token", "token_type": "Bearer", "id_token": id_token,
        })),
        None => HttpResponse::BadRequest().json(json!({"error": "invalid_grant"})),
    }
}

impl FakeProvider {
    /// Starts the provider on a loopback port; its ID tokens are MACed with `mac_key`.
    pub(crate) fn start(mac_key: &str, interactive: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let fake = web::Data::new(Fake {
            base: base.clone(),
            mac_key: mac_key.to_owned(),
            interactive,
            seen: seen.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(fake.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/authorize", web::get().to(authorize))
                .route(
                    "/approve",
                    web::post().to(|fake: web::Data<Fake>| async move { fake.back() }),
                )
                .route("/token", web::post().to(token))
                .route(
                    "/jwks",
                    web::get().to(|fake: web::Data<Fake>| async move {
                        fake.seen.lock().unwrap().jwks_reads += 1;
                        HttpResponse::Ok().json(json!({"keys": []}))
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { base, seen, handle }
    }

    /// The rp's provider entry for this fake: id `idp`, label "Upstream IdP" (as the
    /// helpers of login_ui_upstream.rs expect), HS256 when `hs256`.
    pub(crate) fn provider(&self, hs256: bool) -> UpstreamProvider {
        UpstreamProvider {
            id: "idp".into(),
            kind: ProviderKind::Oidc,
            name: "Upstream IdP".into(),
            client_id: FAKE_CLIENT_ID.into(),
            client_secret: FAKE_CLIENT_SECRET.into(),
            issuer: Some(self.base.clone()),
            on_first_login: FirstLogin::Create,
            id_token_signed_response_alg: hs256.then(|| "HS256".into()),
            ..UpstreamProvider::default()
        }
    }

    pub(crate) fn tokens_issued(&self) -> usize {
        self.seen.lock().unwrap().tokens_issued
    }

    fn jwks_reads(&self) -> usize {
        self.seen.lock().unwrap().jwks_reads
    }

    pub(crate) async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// From the rp's authorization request through the fake provider back to the rp's
/// callback: the callback's answer, and the rp client.
async fn through_fake(
    rp: &crate::support::TestApp,
    browser: &Browser,
) -> (
    crate::support::browser::Page,
    crate::support::flow::FlowClient,
) {
    let client = create_client(rp, json!({})).await;
    let at_fake = start_upstream(rp, browser, &client.id).await;
    let callback = follow(browser, &at_fake).await;
    assert!(
        callback.starts_with(&rp.public_path("/auth/callback/idp?")),
        "{callback}"
    );
    (browser.get(&callback).await, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hs256_id_token_signs_in_when_the_provider_is_configured_for_it() {
    let fake = FakeProvider::start(FAKE_CLIENT_SECRET, false);
    let rp = rp(TestBackend::Sqlite, fake.provider(true)).await;
    let browser = Browser::new();
    let (back, client) = through_fake(&rp, &browser).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let claims = finish_at_rp(&rp, &browser, &client, &back.location.unwrap()).await;
    let subject = claims["sub"].as_str().unwrap();
    let link = rp
        .state
        .upstreams
        .identities
        .get_identity("idp", UPSTREAM_SUBJECT)
        .await
        .unwrap()
        .expect("the upstream subject is linked");
    assert_eq!(link.user_id, subject);
    assert_eq!(claims["email"], "grace@example.com");
    let user = rp.state.users.get_user(subject).await.unwrap().unwrap();
    assert_eq!(user.username, "idp.grace");
    assert_eq!(fake.tokens_issued(), 1);
    assert_eq!(fake.jwks_reads(), 0, "a MACed ID token needs no JWK Set");
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hs256_id_token_is_refused_without_the_opt_in_or_with_another_key() {
    // RFC 8725 §3.1: without id_token_signed_response_alg only asymmetric algorithms.
    let fake = FakeProvider::start(FAKE_CLIENT_SECRET, false);
    let app = rp(TestBackend::Sqlite, fake.provider(false)).await;
    let (page, _) = through_fake(&app, &Browser::new()).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("upstream_error"), "{}", page.body);
    assert!(!page.body.contains(FAKE_CLIENT_SECRET));
    assert_eq!(
        fake.tokens_issued(),
        1,
        "the code was exchanged, the token refused"
    );
    assert_eq!(user_count(&app).await, 0, "nobody signed in");
    fake.stop().await;

    // Opted in, but the MAC is keyed with something else than the client secret.
    let fake = FakeProvider::start("another-key-of-at-least-thirty-two-bytes!", false);
    let app = rp(TestBackend::Sqlite, fake.provider(true)).await;
    let (page, _) = through_fake(&app, &Browser::new()).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("upstream_error"), "{}", page.body);
    assert_eq!(fake.tokens_issued(), 1);
    assert_eq!(user_count(&app).await, 0, "nobody signed in");
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asymmetric_id_token_is_refused_when_hs256_is_configured() {
    // The idp (a second Portunus) signs its ID tokens with its asymmetric key.
    let idp = idp().await;
    let mut provider = oidc_provider(&idp, FirstLogin::Create);
    provider.id_token_signed_response_alg = Some("HS256".into());
    let rp = rp(TestBackend::Sqlite, provider).await;
    register_rp(&idp, &rp, "idp").await;
    let browser = Browser::new();
    let client = create_client(&rp, json!({})).await;
    let idp_authorize = start_upstream(&rp, &browser, &client.id).await;
    let callback = at_idp(&idp, &browser, &idp_authorize).await;
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("upstream_error"), "{}", page.body);
    assert_eq!(user_count(&rp).await, 0, "nobody signed in");
}
