//! OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document):
//! a `client_id` that is a URL, resolved by fetching it. The documents are served by a
//! tiny local server on 127.0.0.1 (dev mode allows `http` for loopback hosts); every
//! refusal is a 4xx `invalid_client` naming its reason, and the SSRF cases are refused
//! before any traffic leaves for the address they name.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeZone;
use portunus_server::Config;
use portunus_server::clock::FixedClock;
use serde_json::{Value, json};

use crate::support::browser::{Browser, param};
use crate::support::code::pkce_pair;
use crate::support::flow::{
    FlowClient, REDIRECT_URI, accept_consent, accept_login, authorize_url, consent_challenge,
    login_challenge, to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(a_document_client_runs_the_code_flow_with_pkce_and_consent_apps_see_it);

/// What the document server answers on one path.
#[derive(Clone)]
struct Served {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Option<Duration>,
}

impl Served {
    fn json(body: Value) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
            delay: None,
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// Serves documents by path on 127.0.0.1, counting requests per path.
struct DocumentServer {
    base: String,
    routes: Arc<Mutex<HashMap<String, Served>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    total: Arc<AtomicUsize>,
    handle: actix_web::dev::ServerHandle,
}

impl DocumentServer {
    async fn start() -> Self {
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
        let routes: Arc<Mutex<HashMap<String, Served>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let total = Arc::new(AtomicUsize::new(0));
        let (r, h, t) = (routes.clone(), hits.clone(), total.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let (r, h, t) = (r.clone(), h.clone(), t.clone());
            App::new().default_service(web::to(move |req: HttpRequest| {
                let path = req.path().to_owned();
                t.fetch_add(1, Ordering::SeqCst);
                *h.lock().unwrap().entry(path.clone()).or_default() += 1;
                let served = r.lock().unwrap().get(&path).cloned();
                let if_none_match = req
                    .headers()
                    .get("if-none-match")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                async move {
                    let Some(served) = served else {
                        return HttpResponse::NotFound().finish();
                    };
                    // RFC 9110 §13.1.2: the current ETag named → 304 with the caching
                    // headers and no body.
                    let etag = served.headers.iter().find(|(n, _)| *n == "etag");
                    if let (Some((_, etag)), Some(asked)) = (etag, &if_none_match)
                        && etag == asked
                    {
                        let mut response = HttpResponse::NotModified();
                        for (name, value) in &served.headers {
                            if *name != "content-type" {
                                response.insert_header((*name, value.as_str()));
                            }
                        }
                        return response.finish();
                    }
                    if let Some(delay) = served.delay {
                        tokio::time::sleep(delay).await;
                    }
                    let mut response = HttpResponse::build(
                        actix_web::http::StatusCode::from_u16(served.status).unwrap(),
                    );
                    for (name, value) in &served.headers {
                        response.insert_header((*name, value.as_str()));
                    }
                    response.body(served.body)
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base,
            routes,
            hits,
            total,
            handle,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Serves `served` at `path`; returns the document's URL.
    fn serve(&self, path: &str, served: Served) -> String {
        self.routes.lock().unwrap().insert(path.to_owned(), served);
        self.url(path)
    }

    /// Serves a valid public-client document at `path` (its `client_id` is its URL).
    fn serve_valid(&self, path: &str) -> String {
        let url = self.url(path);
        self.serve(path, Served::json(document(&url)))
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

impl Drop for DocumentServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)));
    }
}

/// A valid document for a public client with the flow helpers' redirect URI.
fn document(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": "MCP Inspector",
        "client_uri": "https://inspector.example/",
        "logo_uri": "https://inspector.example/logo.png",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "openid offline_access",
    })
}

/// Dev mode (loopback `http` documents) with the feature on; `more` changes the rest.
async fn app_with(more: impl FnOnce(&mut Config) + 'static) -> TestApp {
    app_on(TestBackend::Sqlite, more).await
}

async fn app_on(backend: TestBackend, more: impl FnOnce(&mut Config) + 'static) -> TestApp {
    TestApp::builder(backend)
        .config(|c| {
            c.dev = true;
            c.oauth2.client_id_metadata_document.enabled = true;
        })
        .config(more)
        .build()
        .await
}

/// A token request naming `client_id` as a public client: the status and JSON body.
async fn token_as(app: &TestApp, client_id: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "ptn_ac_unknown"),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", client_id),
    ];
    let (status, _, body) = app.post_form("/oauth2/token", None, &form).await;
    (status, body)
}

/// Asserts the token endpoint refuses `client_id` with `401 invalid_client` whose
/// description contains `needle`.
async fn refused_at_token(app: &TestApp, client_id: &str, needle: &str) {
    let (status, body) = token_as(app, client_id).await;
    assert_eq!(status, 401, "{client_id}: {body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(needle),
        "{needle:?} not in {description:?}"
    );
}

/// Asserts `/oauth2/auth` refuses `client_id` with a 4xx error page naming `needle`.
async fn refused_at_authorize(app: &TestApp, client_id: &str, needle: &str) {
    let response = app
        .http
        .get(authorize_url(app, client_id, &[("scope", "openid")]))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(status, 401, "{client_id}: {body}");
    assert!(body.contains("invalid_client"), "{body}");
    assert!(body.contains(needle), "{needle:?} not in {body}");
}

/// The whole flow on every backend: the anchor row the consent needs is stored there.
async fn a_document_client_runs_the_code_flow_with_pkce_and_consent_apps_see_it(
    backend: TestBackend,
) {
    let docs = DocumentServer::start().await;
    let id = docs.serve_valid("/client.json");
    let app = app_on(backend, |_| {}).await;
    let browser = Browser::new();
    let (verifier, challenge) = pkce_pair();
    let params = [
        ("scope", "openid offline_access"),
        ("state", "state-123456"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let login = login_challenge(&browser, &authorize_url(&app, &id, &params)).await;
    let request = app
        .admin
        .get_o_auth2_login_request()
        .login_challenge(&login)
        .send()
        .await
        .unwrap()
        .into_inner();
    let client = request.client;
    assert_eq!(client.client_id.as_deref(), Some(id.as_str()));
    assert_eq!(client.metadata_document, Some(true));
    let redirect = accept_login(&app, &login, "ada", false).await;
    let consent = consent_challenge(&browser, &redirect).await;
    // The consent app's view, read through the SDK as a consent app would.
    let request = app
        .admin
        .get_o_auth2_consent_request()
        .consent_challenge(&consent)
        .send()
        .await
        .unwrap()
        .into_inner();
    let client = request
        .client
        .expect("the consent request names its client");
    assert_eq!(client.client_id.as_deref(), Some(id.as_str()));
    assert_eq!(client.client_name.as_deref(), Some("MCP Inspector"));
    assert_eq!(
        client.logo_uri.as_deref(),
        Some("https://inspector.example/logo.png")
    );
    assert_eq!(client.metadata_document, Some(true));
    assert_eq!(client.token_endpoint_auth_method.as_deref(), Some("none"));
    let redirect = accept_consent(&app, &consent, &["openid", "offline_access"], false).await;
    let callback = to_client(&browser, &redirect).await;
    let code = param(&callback, "code").unwrap_or_else(|| panic!("no code: {callback}"));

    // The token endpoint: a public client (client_id in the body, no secret) with PKCE.
    let public = FlowClient {
        id: id.clone(),
        secret: None,
    };
    let token = app
        .exchange_code(&public, &code, Some(&verifier))
        .await
        .expect("the code is exchanged");
    use oauth2::TokenResponse;
    let introspected = app.introspect(token.access_token().secret(), None).await;
    assert!(introspected.active);
    assert_eq!(introspected.client_id.as_deref(), Some(id.as_str()));
    // The refresh grant reads the client again (from the cache) and rotates.
    let refresh = token.refresh_token().expect("offline_access was granted");
    let refreshed = app
        .code_client(&public)
        .exchange_refresh_token(refresh)
        .request_async(&app.oauth_http())
        .await
        .expect("the refresh token is exchanged");
    assert!(
        app.introspect(refreshed.access_token().secret(), None)
            .await
            .active
    );

    assert_eq!(
        docs.hits("/client.json"),
        1,
        "one fetch serves authorize, login, consent and token"
    );
    // The consent anchored the client in the clients table (tokens and consents
    // reference it); the operator sees it marked, and deleting it revokes its tokens.
    let listed = app
        .admin
        .list_o_auth2_clients()
        .send()
        .await
        .unwrap()
        .into_inner();
    let anchored = listed
        .iter()
        .find(|c| c.client_id.as_deref() == Some(&id))
        .expect("the anchor row is listed");
    assert_eq!(anchored.metadata_document, Some(true));
    app.admin
        .delete_o_auth2_client()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert!(
        !app.introspect(refreshed.access_token().secret(), None)
            .await
            .active,
        "deleting the anchor revokes what the client was granted"
    );
    assert_eq!(docs.hits("/client.json"), 1);
    // A registered client carries no metadata_document field at all.
    let registered = crate::support::flow::create_client(&app, json!({})).await;
    let (status, body) = get_json(&app, &format!("/admin/clients/{}", registered.id)).await;
    assert_eq!(status, 200);
    assert!(body.get("metadata_document").is_none(), "{body}");
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.http.get(app.admin_path(path)).send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_naming_another_client_id_is_invalid_client() {
    let docs = DocumentServer::start().await;
    let id = docs.serve(
        "/mismatch.json",
        Served::json(document("https://someone-else.example/client.json")),
    );
    let app = app_with(|_| {}).await;
    refused_at_authorize(&app, &id, "differs from the URL").await;
    refused_at_token(&app, &id, "differs from the URL").await;
    assert_eq!(docs.hits("/mismatch.json"), 1, "the refusal is remembered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_with_a_secret_or_secret_based_authentication_are_invalid_client() {
    let docs = DocumentServer::start().await;
    let with_secret = docs.url("/secret.json");
    let mut body = document(&with_secret);
    body["client_secret"] = json!("a-secret-the-whole-world-can-read");
    docs.serve("/secret.json", Served::json(body));
    let basic = docs.url("/basic.json");
    let mut body = document(&basic);
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    docs.serve("/basic.json", Served::json(body));
    let no_redirects = docs.url("/no-redirects.json");
    let mut body = document(&no_redirects);
    body.as_object_mut().unwrap().remove("redirect_uris");
    docs.serve("/no-redirects.json", Served::json(body));
    let app = app_with(|_| {}).await;

    refused_at_token(&app, &with_secret, "client_secret").await;
    refused_at_authorize(&app, &with_secret, "client_secret").await;
    refused_at_token(&app, &basic, "client_secret_basic").await;
    refused_at_token(&app, &no_redirects, "redirect_uris").await;
    // Basic credentials for a document client get no further either, and after a
    // Basic attempt the 401 carries the challenge (RFC 6749 §5.2). The id is
    // form-encoded in the header (RFC 6749 §2.3.1): it contains ':'.
    for (id, needle) in [
        (&basic, "client_secret_basic"),
        (&with_secret, "client_secret"),
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let (status, headers, body) = app
            .post_form(
                "/oauth2/token",
                Some((encoded.as_str(), "a-secret-the-whole-world-can-read")),
                &[("grant_type", "authorization_code"), ("code", "x")],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{body}"
        );
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains(needle),
            "{needle:?} not in {description:?}"
        );
        assert!(headers.contains_key("www-authenticate"), "{headers:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_key_jwt_document_client_authenticates_with_its_keys() {
    use crate::support::assertion::{EC_1, EC_2, claims, jwks};
    let docs = DocumentServer::start().await;
    let id = docs.url("/keyed.json");
    let mut body = document(&id);
    body["token_endpoint_auth_method"] = json!("private_key_jwt");
    body["jwks"] = jwks(&[&EC_1]);
    docs.serve("/keyed.json", Served::json(body));
    let app = app_with(|_| {}).await;
    let exchange = |assertion: String| {
        let app = &app;
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", "ptn_ac_unknown"),
                ("redirect_uri", REDIRECT_URI),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ];
            let (status, _, body) = app.post_form("/oauth2/token", None, &form).await;
            (status, body)
        }
    };
    // Authenticated by the document's key: only the made-up code fails.
    let (status, body) = exchange(EC_1.sign(&claims(&app, &id))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    // Another key does not authenticate it.
    let (status, body) = exchange(EC_2.sign(&claims(&app, &id))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    // Nor does no authentication at all: the document says private_key_jwt.
    let (status, body) = token_as(&app, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    assert_eq!(docs.hits("/keyed.json"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_slow_documents_are_invalid_client() {
    let docs = DocumentServer::start().await;
    let big = docs.url("/big.json");
    let mut body = document(&big);
    body["padding"] = json!("x".repeat(6 * 1024));
    docs.serve("/big.json", Served::json(body));
    let slow = docs.serve_valid("/slow.json");
    let mut served = Served::json(document(&slow));
    served.delay = Some(Duration::from_secs(5));
    docs.serve("/slow.json", served);
    let app = app_with(|c| {
        c.oauth2.client_id_metadata_document.fetch_timeout =
            portunus_server::duration::GoDuration::from_secs(1);
    })
    .await;
    refused_at_token(&app, &big, "larger than 5120 bytes").await;
    refused_at_authorize(&app, &slow, "timed out").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_private_addresses_and_plain_http_are_refused_without_following() {
    let docs = DocumentServer::start().await;
    // The document server redirects to a private address: the redirect is not followed
    // (reqwest never connects to 10.0.0.1), and says so.
    let moved = docs.serve(
        "/moved.json",
        Served {
            status: 302,
            headers: vec![("location", "http://10.0.0.1/client.json".into())],
            body: String::new(),
            delay: None,
        },
    );
    let app = app_with(|_| {}).await;
    refused_at_token(&app, &moved, "redirects are not followed").await;
    refused_at_authorize(&app, &moved, "HTTP 302").await;
    assert_eq!(docs.hits("/moved.json"), 1);

    // IP literals in private ranges are refused before any connection.
    refused_at_token(&app, "https://10.0.0.1/client.json", "not a public address").await;
    refused_at_token(
        &app,
        "https://169.254.169.254/latest.json",
        "not a public address",
    )
    .await;
    // https to loopback is not the dev-mode exception: the SSRF guard refuses it.
    let port = docs.base.rsplit(':').next().unwrap().to_owned();
    refused_at_token(
        &app,
        &format!("https://127.0.0.1:{port}/client.json"),
        "not a public address",
    )
    .await;
    // Plain http is for loopback in dev mode only.
    refused_at_token(&app, "http://client.example/client.json", "https").await;
    // Shapes the draft forbids.
    refused_at_token(
        &app,
        &format!("{}/a/../client.json", docs.base),
        "normalized",
    )
    .await;
    refused_at_token(&app, &format!("{}/client.json#frag", docs.base), "fragment").await;
    refused_at_token(&app, &format!("{}/", docs.base), "path").await;
    assert_eq!(
        docs.total.load(Ordering::SeqCst),
        1,
        "only /moved.json was fetched"
    );

    // Outside dev mode even a loopback http document is refused.
    let prod = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.oauth2.client_id_metadata_document.enabled = true)
        .build()
        .await;
    let id = docs.serve_valid("/client.json");
    refused_at_token(&prod, &id, "https").await;
    assert_eq!(docs.hits("/client.json"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_and_denied_hosts_are_enforced_before_fetching() {
    let docs = DocumentServer::start().await;
    let id = docs.serve_valid("/client.json");
    let only_apps = app_with(|c| {
        c.oauth2.client_id_metadata_document.allowed_hosts = vec!["*.apps.example".into()];
    })
    .await;
    refused_at_token(&only_apps, &id, "allowed_hosts").await;
    let denied = app_with(|c| {
        c.oauth2.client_id_metadata_document.allowed_hosts = vec!["127.0.0.1".into()];
        c.oauth2.client_id_metadata_document.denied_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    refused_at_token(&denied, &id, "denied_hosts").await;
    assert_eq!(docs.hits("/client.json"), 0);
    let allowed = app_with(|c| {
        c.oauth2.client_id_metadata_document.allowed_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    // Past client authentication: the made-up code is what fails now.
    let (status, body) = token_as(&allowed, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(docs.hits("/client.json"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_cached_as_their_headers_say_within_bounds() {
    let docs = DocumentServer::start().await;
    let ten_minutes = docs.serve(
        "/ten-minutes.json",
        Served::json(document(&docs.url("/ten-minutes.json")))
            .header("cache-control", "public, max-age=600"),
    );
    let no_store = docs.serve(
        "/no-store.json",
        Served::json(document(&docs.url("/no-store.json"))).header("cache-control", "no-store"),
    );
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(TestBackend::Sqlite)
        .clock(clock.clone())
        .config(|c| {
            c.dev = true;
            c.oauth2.client_id_metadata_document.enabled = true;
        })
        .build()
        .await;
    let (_, challenge) = pkce_pair();
    let login_redirect = |id: &str| {
        let params = [
            ("scope", "openid"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let url = authorize_url(&app, id, &params);
        let http = app.http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            assert_eq!(response.status(), 303, "on to the login app");
        }
    };
    for id in [&ten_minutes, &no_store] {
        login_redirect(id).await;
        login_redirect(id).await;
    }
    assert_eq!(docs.hits("/ten-minutes.json"), 1, "cached");
    assert_eq!(
        docs.hits("/no-store.json"),
        1,
        "no-store is still kept for cache.min_ttl (1m)"
    );

    clock.advance(chrono::Duration::seconds(61));
    for id in [&ten_minutes, &no_store] {
        login_redirect(id).await;
    }
    assert_eq!(
        docs.hits("/ten-minutes.json"),
        1,
        "max-age=600 not yet over"
    );
    assert_eq!(
        docs.hits("/no-store.json"),
        2,
        "fetched again after min_ttl"
    );

    clock.advance(chrono::Duration::seconds(540));
    login_redirect(&ten_minutes).await;
    assert_eq!(
        docs.hits("/ten-minutes.json"),
        2,
        "fetched again after max-age"
    );
}

/// RFC 9111 §4.3: an expired document with an `ETag` is revalidated with
/// `If-None-Match`; a `304` keeps the client for another freshness lifetime, and a
/// changed document (new `ETag`) replaces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_documents_are_revalidated_with_their_etag() {
    let docs = DocumentServer::start().await;
    let url = docs.url("/tagged.json");
    docs.serve(
        "/tagged.json",
        Served::json(document(&url))
            .header("cache-control", "max-age=600")
            .header("etag", "\"v1\""),
    );
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 3, 1, 12, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(TestBackend::Sqlite)
        .clock(clock.clone())
        .config(|c| {
            c.dev = true;
            c.oauth2.client_id_metadata_document.enabled = true;
        })
        .build()
        .await;
    let (_, challenge) = pkce_pair();
    let authorize = |redirect_uri: &str| {
        let mut request = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
        request
            .query_pairs_mut()
            .append_pair("client_id", &url)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let http = app.http.clone();
        async move { http.get(request).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(authorize(REDIRECT_URI).await, 303, "on to the login app");
    assert_eq!(docs.hits("/tagged.json"), 1);

    // Expired: one conditional GET, answered 304; the client stays usable and fresh.
    clock.advance(chrono::Duration::seconds(601));
    assert_eq!(authorize(REDIRECT_URI).await, 303);
    assert_eq!(authorize(REDIRECT_URI).await, 303);
    assert_eq!(docs.hits("/tagged.json"), 2, "revalidated once, then fresh");

    // The document changes (a new redirect URI, a new ETag): the next revalidation
    // gets the new document, which the server validates and uses.
    let moved = "https://inspector.example/moved";
    let mut changed = document(&url);
    changed["redirect_uris"] = json!([moved]);
    docs.serve(
        "/tagged.json",
        Served::json(changed)
            .header("cache-control", "max-age=600")
            .header("etag", "\"v2\""),
    );
    clock.advance(chrono::Duration::seconds(601));
    assert_eq!(authorize(moved).await, 303, "the new document is used");
    assert_eq!(docs.hits("/tagged.json"), 3);
    assert_ne!(
        authorize(REDIRECT_URI).await,
        303,
        "the old redirect URI is gone with the old document"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_a_url_client_id_is_an_unknown_client_and_discovery_says_so() {
    let docs = DocumentServer::start().await;
    let id = docs.serve_valid("/client.json");
    let off = TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.dev = true)
        .build()
        .await;
    refused_at_authorize(&off, &id, "is registered").await;
    let (status, body) = token_as(&off, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(docs.hits("/client.json"), 0, "nothing fetched when off");
    assert!(
        off.discovery()
            .await
            .get("client_id_metadata_document_supported")
            .is_none()
    );

    let on = app_with(|_| {}).await;
    assert_eq!(
        on.discovery().await["client_id_metadata_document_supported"],
        true
    );
    let metadata = on
        .http
        .get(on.public_path("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(metadata["client_id_metadata_document_supported"], true);
}
