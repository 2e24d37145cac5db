//! Sign-in through upstream identity providers (issue 22 §1, docs/login-ui.md): the
//! relying Portunus ("rp") offers "Sign in with …" on its sign-in page; the upstream is
//! a second Portunus ("idp", a real OpenID Connect provider, on `localhost` so the two
//! keep their cookies apart as two sites do) whose own login UI signs the user in. The
//! rp verifies the idp's ID token, links the identity to a local user and issues its
//! own tokens with the local subject. GitHub's preset runs against a local mock of its
//! OAuth 2.0 and REST API. Also `POST /auth/logout`.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portunus_sdk::types::{OAuth2Client, UserBody};
use portunus_server::config::{FirstLogin, ProviderKind, UpstreamProvider};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::browser::{Browser, Page, param};
use crate::support::flow::{REDIRECT_URI, authorize_url, create_client};
use crate::support::login_ui::{
    PASSWORD, USERNAME, app_with_ui, code_of, consent_page, create_user, field, follow,
    sign_in_page, submit_consent,
};
use crate::support::oidc::jwt_claims;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(an_upstream_sign_in_links_a_local_user_and_a_second_reuses_it);

pub(crate) const CLIENT_ID: &str = "rp-at-idp";
const CLIENT_SECRET: &str = "a-client-secret-of-the-relying-portunus";

/// `url` with the idp's loopback address spelled `localhost`.
fn on_localhost(url: &str) -> String {
    url.replace("127.0.0.1", "localhost")
}

/// The upstream Portunus: login UI on, every URL on `localhost`, user [`USERNAME`].
pub(crate) async fn idp() -> TestApp {
    let idp = app_with_ui(TestBackend::Sqlite, |c| {
        for url in [
            &mut c.urls.self_.public,
            &mut c.urls.login,
            &mut c.urls.consent,
            &mut c.urls.logout,
        ] {
            *url = url.as_deref().map(on_localhost);
        }
    })
    .await;
    create_user(&idp).await;
    idp
}

pub(crate) fn idp_url(idp: &TestApp, path: &str) -> String {
    on_localhost(&idp.public_path(path))
}

pub(crate) fn oidc_provider(idp: &TestApp, on_first_login: FirstLogin) -> UpstreamProvider {
    UpstreamProvider {
        id: "idp".into(),
        kind: ProviderKind::Oidc,
        name: "Upstream IdP".into(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        issuer: Some(idp.state.config.issuer()),
        on_first_login,
        ..UpstreamProvider::default()
    }
}

/// The relying Portunus with `provider`.
pub(crate) async fn rp(backend: TestBackend, provider: UpstreamProvider) -> TestApp {
    app_with_ui(backend, move |c| c.login_ui.providers = vec![provider]).await
}

/// Registers the rp at the idp, redirecting to the rp's callback for provider `id`.
pub(crate) async fn register_rp(idp: &TestApp, rp: &TestApp, id: &str) {
    let body: OAuth2Client = serde_json::from_value(json!({
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [rp.public_path(&format!("/auth/callback/{id}"))],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": "openid email profile",
    }))
    .unwrap();
    idp.admin
        .create_o_auth2_client()
        .body(body)
        .send()
        .await
        .expect("register the rp at the idp");
}

/// From the rp's authorization request to the rp's `/auth/login/idp` link.
async fn provider_link(rp: &TestApp, browser: &Browser, client_id: &str) -> String {
    let authorize = authorize_url(
        rp,
        client_id,
        &[("scope", "openid profile email"), ("nonce", "n-rp")],
    );
    let (_, page) = sign_in_page(rp, browser, &authorize).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Sign in with Upstream IdP"),
        "{}",
        page.body
    );
    let marker = format!(
        "href=\"{}",
        rp.public_path("/auth/login/idp?login_challenge=")
    );
    let start = page.body.find(&marker).expect("the provider link") + "href=\"".len();
    let end = page.body[start..].find('"').unwrap() + start;
    page.body[start..end].to_owned()
}

/// Starts the upstream flow: the idp authorization URL the rp sends the browser to.
pub(crate) async fn start_upstream(rp: &TestApp, browser: &Browser, client_id: &str) -> String {
    let link = provider_link(rp, browser, client_id).await;
    let started = browser.get(&link).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let cookie = started.headers["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["portunus_ui_upstream=", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    started.location.unwrap()
}

/// Signs in at the idp's own login UI and consents: the rp callback URL it sends back.
pub(crate) async fn at_idp(idp: &TestApp, browser: &Browser, idp_authorize: &str) -> String {
    let login = follow(browser, idp_authorize).await;
    assert!(login.starts_with(&idp_url(idp, "/ui/login?")), "{login}");
    let page = browser.get(&login).await;
    let form = [
        ("login_challenge", field(&page.body, "login_challenge")),
        ("csrf_token", field(&page.body, "csrf_token")),
        ("username", USERNAME.to_owned()),
        ("password", PASSWORD.to_owned()),
        ("action", "sign_in".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signed_in = browser.post_form(&idp_url(idp, "/ui/login"), &form).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let consent = follow(browser, &signed_in.location.unwrap()).await;
    let page = browser.get(&consent).await;
    let (challenge, csrf) = (
        field(&page.body, "consent_challenge"),
        field(&page.body, "csrf_token"),
    );
    let form = [
        ("consent_challenge", challenge.as_str()),
        ("csrf_token", csrf.as_str()),
        ("action", "accept"),
        ("grant_scope", "openid"),
        ("grant_scope", "email"),
        ("grant_scope", "profile"),
    ];
    let accepted = browser.post_form(&idp_url(idp, "/ui/consent"), &form).await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    follow(browser, &accepted.location.unwrap()).await
}

/// After the rp accepted the login: consent at the rp and exchange the code; the rp's
/// ID token claims.
pub(crate) async fn finish_at_rp(
    rp: &TestApp,
    browser: &Browser,
    client: &crate::support::flow::FlowClient,
    verifier: &str,
) -> Value {
    let (_, consent) = consent_page(rp, browser, verifier).await;
    let accepted = submit_consent(rp, browser, &consent, "accept", &["openid", "email"]).await;
    let callback = follow(browser, &accepted.location.unwrap()).await;
    assert!(callback.starts_with(REDIRECT_URI), "{callback}");
    code_to_id_token(rp, client, &code_of(&callback), REDIRECT_URI).await
}

/// Exchanges `code` (issued for `redirect_uri`) at `rp` and returns the claims of the ID
/// token that comes with the access token.
pub(crate) async fn code_to_id_token(
    rp: &TestApp,
    client: &crate::support::flow::FlowClient,
    code: &str,
    redirect_uri: &str,
) -> Value {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    let (status, tokens) = rp.token_request(client, &form).await;
    assert_eq!(status, 200, "{tokens}");
    jwt_claims(tokens["id_token"].as_str().unwrap())
}

/// The whole upstream sign-in: the rp's ID token claims.
pub(crate) async fn sign_in(rp: &TestApp, idp: &TestApp, browser: &Browser) -> Value {
    let client = create_client(rp, json!({})).await;
    let idp_authorize = start_upstream(rp, browser, &client.id).await;
    let callback = at_idp(idp, browser, &idp_authorize).await;
    assert!(
        callback.starts_with(&rp.public_path("/auth/callback/idp?")),
        "{callback}"
    );
    let back = browser.get(&callback).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(
        back.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"),
        "the flow cookie is deleted"
    );
    finish_at_rp(rp, browser, &client, &back.location.unwrap()).await
}

pub(crate) async fn user_count(app: &TestApp) -> usize {
    app.admin
        .list_users()
        .send()
        .await
        .expect("list users")
        .into_inner()
        .len()
}

async fn an_upstream_sign_in_links_a_local_user_and_a_second_reuses_it(backend: TestBackend) {
    let idp = idp().await;
    let rp = rp(backend, oidc_provider(&idp, FirstLogin::Create)).await;
    register_rp(&idp, &rp, "idp").await;
    let idp_user = idp
        .state
        .users
        .get_user_by_username(USERNAME)
        .await
        .unwrap()
        .unwrap();

    let claims = sign_in(&rp, &idp, &Browser::new()).await;
    let subject = claims["sub"].as_str().unwrap().to_owned();
    assert_ne!(subject, idp_user.id, "the rp's own subject, not the idp's");
    assert_eq!(claims["email"], "ada@example.com");
    let link = rp
        .state
        .upstreams
        .identities
        .get_identity("idp", &idp_user.id)
        .await
        .unwrap()
        .expect("the link");
    assert_eq!(link.user_id, subject);
    let local = rp.state.users.get_user(&subject).await.unwrap().unwrap();
    assert_eq!(local.username, "idp.ada");
    assert_eq!(local.name.as_deref(), Some("Ada Lovelace"));
    assert!(local.email_verified);
    assert!(local.password_hash.is_none());

    let again = sign_in(&rp, &idp, &Browser::new()).await;
    assert_eq!(again["sub"], subject.as_str(), "the link is reused");
    assert_eq!(user_count(&rp).await, 1, "no second user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_existing_refuses_an_unknown_identity_and_links_a_verified_email() {
    let idp = idp().await;
    let rp = rp(
        TestBackend::Sqlite,
        oidc_provider(&idp, FirstLogin::RequireExisting),
    )
    .await;
    register_rp(&idp, &rp, "idp").await;
    let browser = Browser::new();
    let client = create_client(&rp, json!({})).await;
    let idp_authorize = start_upstream(&rp, &browser, &client.id).await;
    let callback = at_idp(&idp, &browser, &idp_authorize).await;
    let refused = browser.get(&callback).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("no account here"), "{}", refused.body);
    assert_eq!(user_count(&rp).await, 0, "nobody was created");

    let existing = rp
        .admin
        .create_user()
        .body(UserBody {
            username: "lovelace".into(),
            email: "ada@example.com".into(),
            email_verified: Some(true),
            name: None,
            password: None,
            disabled: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let claims = sign_in(&rp, &idp, &Browser::new()).await;
    assert_eq!(claims["sub"], existing.id.as_str());
    assert_eq!(user_count(&rp).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_state_or_nonce_or_a_missing_flow_is_refused() {
    let idp = idp().await;
    let rp = rp(TestBackend::Sqlite, oidc_provider(&idp, FirstLogin::Create)).await;
    register_rp(&idp, &rp, "idp").await;
    let client = create_client(&rp, json!({})).await;

    // A state that is not this browser's (RFC 6749 §10.12).
    let browser = Browser::new();
    let idp_authorize = start_upstream(&rp, &browser, &client.id).await;
    let callback = at_idp(&idp, &browser, &idp_authorize).await;
    let state = param(&callback, "state").unwrap();
    let forged = callback.replace(&state, "forged-state");
    let page = browser.get(&forged).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("state parameter"), "{}", page.body);

    // The callback in a browser that never started the flow.
    let page = Browser::new().get(&callback).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("another browser"), "{}", page.body);

    // The idp asked for another nonce than the one the rp sealed (OIDC Core §3.1.3.7).
    let browser = Browser::new();
    let idp_authorize = start_upstream(&rp, &browser, &client.id).await;
    let nonce = param(&idp_authorize, "nonce").unwrap();
    let swapped = idp_authorize.replace(&nonce, "an-attackers-nonce");
    let callback = at_idp(&idp, &browser, &swapped).await;
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("upstream_error"), "{}", page.body);
    assert!(!page.body.contains(CLIENT_SECRET));
    assert_eq!(user_count(&rp).await, 0, "nobody signed in");
}

/// A token endpoint in front of the idp's that flips the ID token's `sub`, keeping its
/// signature: the rp reads the idp's discovery document through it.
fn tampering_proxy(idp: &TestApp) -> (String, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let idp_base = idp_url(idp, "");
    let own = base.clone();
    let server = HttpServer::new(move || {
        let (idp_base, own) = (idp_base.clone(), own.clone());
        App::new()
            .route(
                "/.well-known/openid-configuration",
                web::get().to({
                    let (idp_base, own) = (idp_base.clone(), own.clone());
                    move || {
                        let (idp_base, own) = (idp_base.clone(), own.clone());
                        async move {
                            let url = format!("{idp_base}/.well-known/openid-configuration");
                            let mut doc: Value =
                                reqwest::get(url).await.unwrap().json().await.unwrap();
                            doc["token_endpoint"] = json!(format!("{own}/token"));
                            HttpResponse::Ok().json(doc)
                        }
                    }
                }),
            )
            .route(
                "/token",
                web::post().to(move |req: HttpRequest, body: web::Bytes| {
                    let idp_base = idp_base.clone();
                    async move {
                        let auth = bearer(&req);
                        let mut tokens: Value = reqwest::Client::new()
                            .post(format!("{idp_base}/oauth2/token"))
                            .header("authorization", auth)
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(body.to_vec())
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        let jwt = tokens["id_token"].as_str().unwrap().to_owned();
                        let parts: Vec<&str> = jwt.split('.').collect();
                        let mut claims = jwt_claims(&jwt);
                        claims["sub"] = json!("someone-else");
                        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
                        tokens["id_token"] = json!(format!("{}.{payload}.{}", parts[0], parts[2]));
                        HttpResponse::Ok().json(tokens)
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
    (base, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_id_token_is_refused() {
    let idp = idp().await;
    let (proxy, handle) = tampering_proxy(&idp);
    let mut provider = oidc_provider(&idp, FirstLogin::Create);
    provider.discovery_url = Some(format!("{proxy}/.well-known/openid-configuration"));
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
    handle.stop(false).await;
}

/// The request's `Authorization` header ("" without one).
pub(crate) fn bearer(req: &HttpRequest) -> String {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// What the GitHub mock saw and hands out.
#[derive(Default)]
struct GithubMock {
    code_challenge: Option<String>,
    token_requests: Vec<Vec<(String, String)>>,
}

/// GitHub's OAuth 2.0 endpoints and `/user`, `/user/emails` on one local server.
fn github_mock() -> (String, Arc<Mutex<GithubMock>>, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(GithubMock::default()));
    let shared = seen.clone();
    let server = HttpServer::new(move || {
        let (a, t) = (shared.clone(), shared.clone());
        App::new()
            .route(
                "/login/oauth/authorize",
                web::get().to(move |req: HttpRequest| {
                    let seen = a.clone();
                    async move {
                        let url = format!("http://mock{}", req.uri());
                        seen.lock().unwrap().code_challenge = param(&url, "code_challenge");
                        let back = format!(
                            "{}?code=gh-code&state={}",
                            param(&url, "redirect_uri").unwrap(),
                            param(&url, "state").unwrap()
                        );
                        HttpResponse::SeeOther()
                            .insert_header(("location", back))
                            .finish()
                    }
                }),
            )
            .route(
                "/login/oauth/access_token",
                web::post().to(move |form: web::Form<Vec<(String, String)>>| {
                    let seen = t.clone();
                    async move {
                        let form = form.into_inner();
                        let get = |k: &str| {
                            form.iter()
                                .find(|(n, _)| n == k)
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default()
                        };
                        let mut seen = seen.lock().unwrap();
                        let challenge =
                            URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
                        let ok = get("code") == "gh-code"
                            && get("client_secret") == CLIENT_SECRET
                            && seen.code_challenge.as_deref() == Some(challenge.as_str());
                        seen.token_requests.push(form.clone());
                        // GitHub answers a bad code with 200 and an error member.
                        HttpResponse::Ok().json(if ok {
                            json!({"access_token": "gho_mock", "token_type": "bearer"})
                        } else {
                            json!({"error": "bad_verification_code"})
                        })
                    }
                }),
            )
            .route(
                "/user",
                web::get().to(|req: HttpRequest| async move {
                    if bearer(&req) != "Bearer gho_mock" {
                        return HttpResponse::Unauthorized().finish();
                    }
                    HttpResponse::Ok().json(json!({
                        "id": 4242, "login": "Octocat", "name": "The Octocat", "email": null
                    }))
                }),
            )
            .route(
                "/user/emails",
                web::get().to(|req: HttpRequest| async move {
                    if bearer(&req) != "Bearer gho_mock" {
                        return HttpResponse::Unauthorized().finish();
                    }
                    HttpResponse::Ok().json(json!([
                        {"email": "old@example.com", "primary": false, "verified": true},
                        {"email": "octo@example.com", "primary": true, "verified": true}
                    ]))
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (base, seen, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_github_preset_signs_in_with_the_user_api() {
    let (mock, seen, handle) = github_mock();
    let provider = UpstreamProvider {
        id: "github".into(),
        kind: ProviderKind::Github,
        name: "GitHub".into(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        base_url: Some(mock.clone()),
        api_url: Some(mock.clone()),
        ..UpstreamProvider::default()
    };
    let rp = app_with_ui(TestBackend::Sqlite, move |c| {
        c.login_ui.providers = vec![provider];
    })
    .await;
    let client = create_client(&rp, json!({})).await;
    let browser = Browser::new();
    let authorize = authorize_url(&rp, &client.id, &[("scope", "openid email")]);
    let (_, page) = sign_in_page(&rp, &browser, &authorize).await;
    assert!(page.body.contains("Sign in with GitHub"), "{}", page.body);
    let challenge = field(&page.body, "login_challenge");
    let started = browser
        .get(&rp.public_path(&format!("/auth/login/github?login_challenge={challenge}")))
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let at_github = started.location.unwrap();
    assert!(at_github.starts_with(&format!("{mock}/login/oauth/authorize?")));
    assert_eq!(param(&at_github, "code_challenge_method").unwrap(), "S256");
    assert_eq!(
        param(&at_github, "redirect_uri").unwrap(),
        rp.public_path("/auth/callback/github")
    );
    assert!(
        param(&at_github, "nonce").is_none(),
        "GitHub has no ID token"
    );
    let callback = follow(&browser, &at_github).await;
    let back: Page = browser.get(&callback).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let claims = finish_at_rp(&rp, &browser, &client, &back.location.unwrap()).await;
    let subject = claims["sub"].as_str().unwrap();
    assert_eq!(claims["email"], "octo@example.com");
    let link = rp
        .state
        .upstreams
        .identities
        .get_identity("github", "4242")
        .await
        .unwrap()
        .expect("linked by GitHub's numeric id");
    assert_eq!(link.user_id, subject);
    let user = rp.state.users.get_user(subject).await.unwrap().unwrap();
    assert_eq!(user.username, "github.octocat");
    assert_eq!(user.name.as_deref(), Some("The Octocat"));
    let requests = seen.lock().unwrap().token_requests.clone();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0]
            .iter()
            .any(|(k, v)| k == "redirect_uri" && *v == rp.public_path("/auth/callback/github"))
    );
    handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_auth_logout_ends_the_session_only_with_the_csrf_token() {
    let rp = app_with_ui(TestBackend::Sqlite, |c| {
        c.login_ui.logout_redirect = Some("https://app.example.com/signed-out".into());
    })
    .await;
    create_user(&rp).await;
    let client = create_client(&rp, json!({})).await;
    let browser = Browser::new();
    let authorize = authorize_url(&rp, &client.id, &[("scope", "openid")]);
    let (_, page) = sign_in_page(&rp, &browser, &authorize).await;
    let signed_in =
        crate::support::login_ui::submit_sign_in(&rp, &browser, &page, USERNAME, PASSWORD, true)
            .await;
    let (_, consent) = consent_page(&rp, &browser, &signed_in.location.unwrap()).await;
    let accepted = submit_consent(&rp, &browser, &consent, "accept", &["openid"]).await;
    follow(&browser, &accepted.location.unwrap()).await;
    let session_cookie = rp.state.config.serve.cookies.names.session.clone();
    assert!(browser.cookie(&rp.public_url, &session_cookie).is_some());

    let url = rp.public_path("/auth/logout");
    let forged = browser
        .post_form(&url, &[("csrf_token", "forged"), ("action", "accept")])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(browser.cookie(&rp.public_url, &session_cookie).is_some());

    let confirm = browser.get(&url).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let csrf = field(&confirm.body, "csrf_token");
    let out = browser
        .post_form(&url, &[("csrf_token", csrf.as_str()), ("action", "accept")])
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(
        out.location.as_deref(),
        Some("https://app.example.com/signed-out")
    );
    assert!(browser.cookie(&rp.public_url, &session_cookie).is_none());

    // The session is gone: the next authorization shows the sign-in form again.
    let (_, page) = sign_in_page(&rp, &browser, &authorize).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<label for=\"username\">"),
        "{}",
        page.body
    );
}
