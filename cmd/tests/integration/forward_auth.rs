//! `GET /oauth2/forward-auth` (docs/forward-auth.md): every branch of the decision over
//! the wire — access tokens (opaque, JWT, expired, revoked, DPoP-bound), the session
//! cookie (valid, forged, logged out), each filter allowing and refusing, bad filter
//! input — and what must never happen: the token in a header unless opted in, a
//! redirect or URL taken from the request. nginx in front of it: `forward_auth_nginx.rs`.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_sdk::types::AcceptOAuth2ConsentRequest;
use portunus_server::clock::FixedClock;
use portunus_server::config::{AccessTokenStrategyConfig, Config};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::rfc9449_dpop::proof_claims;
use crate::support::assertion::EC_1;
use crate::support::browser::{Browser, param};
use crate::support::flow::{
    REDIRECT_URI, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
    to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

// The tests that read the token and session stores run on every backend.
per_backend!(
    an_opaque_token_passes_with_the_users_headers_and_no_token_header,
    expired_revoked_unknown_and_refresh_tokens_are_401,
    the_session_cookie_passes_until_the_session_ends,
    sign_out_ends_the_session_and_returns_only_to_allowed_hosts,
);

pub const PATH: &str = "/oauth2/forward-auth";

pub fn enable(config: &mut Config) {
    config.oauth2.forward_auth.enabled = true;
}

async fn app() -> TestApp {
    app_on(TestBackend::Sqlite).await
}

async fn app_on(backend: TestBackend) -> TestApp {
    TestApp::builder(backend).config(enable).build().await
}

/// The claims the consent app grants Ada.
pub fn ada_claims() -> Value {
    json!({
        "email": "ada@example.com", "email_verified": true,
        "preferred_username": "ada.l", "groups": ["engineers", "admins"],
    })
}

/// The code flow for `ada` granting `scopes` with `id_token` claims, the login
/// remembered (the browser keeps the session cookie): the token response.
pub async fn sign_in(app: &TestApp, browser: &Browser, scopes: &[&str], id_token: Value) -> Value {
    sign_in_as(app, browser, "ada", scopes, id_token).await
}

/// [`sign_in`] for the subject `subject`.
pub async fn sign_in_as(
    app: &TestApp,
    browser: &Browser,
    subject: &str,
    scopes: &[&str],
    id_token: Value,
) -> Value {
    let client = create_client(app, json!({"scope": "openid offline email profile read"})).await;
    let url = authorize_url(app, &client.id, &[("scope", &scopes.join(" "))]);
    let challenge = login_challenge(browser, &url).await;
    let redirect = accept_login(app, &challenge, subject, true).await;
    let consent = consent_challenge(browser, &redirect).await;
    let body: AcceptOAuth2ConsentRequest = serde_json::from_value(json!({
        "grant_scope": scopes,
        "session": {"id_token": id_token, "access_token": {"team": "blue"}},
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
    let code = param(&to_client(browser, &redirect).await, "code").unwrap();
    let (status, _, tokens) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, client.secret.as_deref().unwrap())),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// GET the endpoint with `query` and `headers`: status, headers, body.
pub async fn ask(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, String) {
    let url = match query {
        "" => app.public_path(PATH),
        q => format!("{}?{q}", app.public_path(PATH)),
    };
    let mut request = app.http.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

async fn with_token(app: &TestApp, query: &str, token: &str) -> (u16, HeaderMap, String) {
    ask(app, query, &[("authorization", &format!("Bearer {token}"))]).await
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

pub fn error_of(body: &str) -> String {
    let json: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    json["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_unless_enabled() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let (status, _, body) = ask(&app, "", &[]).await;
    assert_eq!(
        (status, error_of(&body).as_str()),
        (404, "not_found"),
        "{body}"
    );
}

/// Nothing to authenticate with: 401 with a bare `Bearer` challenge (RFC 6750 §3.1),
/// and no redirect, whatever the request says about where it came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_is_401_and_never_a_redirect() {
    let app = app().await;
    let (status, headers, body) = ask(
        &app,
        "rd=https%3A%2F%2Fevil.test%2F",
        &[
            ("x-auth-request-redirect", "https://evil.test/"),
            ("x-forwarded-host", "evil.test"),
            ("host", "evil.test"),
        ],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(header(&headers, "www-authenticate"), Some("Bearer"));
    assert_eq!(header(&headers, "location"), None);
    assert!(!body.contains("evil.test"), "{body}");
    assert_eq!(header(&headers, "x-auth-request-user"), None);
    // Another scheme is no token either.
    let (status, headers, _) = ask(&app, "", &[("authorization", "Basic YTpi")]).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, Some("Bearer"))
    );

    // Through our SDK too (the operation is in the API document).
    let err = app
        .sdk
        .public()
        .forward_auth()
        .allowed_groups("admins")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
}

async fn an_opaque_token_passes_with_the_users_headers_and_no_token_header(backend: TestBackend) {
    let app = app_on(backend).await;
    let tokens = sign_in(
        &app,
        &Browser::new(),
        &["openid", "email", "profile"],
        ada_claims(),
    )
    .await;
    let (status, headers, body) = with_token(&app, "", &access(&tokens)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(header(&headers, "x-auth-request-user"), Some("ada"));
    assert_eq!(
        header(&headers, "x-auth-request-email"),
        Some("ada@example.com")
    );
    assert_eq!(
        header(&headers, "x-auth-request-preferred-username"),
        Some("ada.l")
    );
    assert_eq!(
        header(&headers, "x-auth-request-groups"),
        Some("engineers,admins")
    );
    assert_eq!(header(&headers, "x-auth-request-access-token"), None);
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
}

/// Standard claims follow their scope (OIDC Core §5.4): without `email` granted, no
/// e-mail header; an address marked unverified is never passed on or matched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_follow_the_granted_scopes_and_verification() {
    let app = app().await;
    let tokens = sign_in(&app, &Browser::new(), &["openid"], ada_claims()).await;
    let (status, headers, _) = with_token(&app, "", &access(&tokens)).await;
    assert_eq!(status, 202);
    assert_eq!(header(&headers, "x-auth-request-email"), None);
    assert_eq!(header(&headers, "x-auth-request-preferred-username"), None);
    assert_eq!(
        header(&headers, "x-auth-request-groups"),
        Some("engineers,admins")
    );

    let mut claims = ada_claims();
    claims["email_verified"] = json!(false);
    let tokens = sign_in(&app, &Browser::new(), &["openid", "email"], claims).await;
    let token = access(&tokens);
    let (status, headers, _) = with_token(&app, "", &token).await;
    assert_eq!(
        (status, header(&headers, "x-auth-request-email")),
        (202, None)
    );
    let (status, _, body) = with_token(&app, "allowed_email_domains=example.com", &token).await;
    assert_eq!((status, error_of(&body).as_str()), (403, "access_denied"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_header_is_opt_in() {
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| {
            enable(c);
            c.oauth2.forward_auth.pass_access_token = true;
        })
        .build()
        .await;
    let tokens = sign_in(&app, &Browser::new(), &["openid"], ada_claims()).await;
    let token = access(&tokens);
    let (status, headers, _) = with_token(&app, "", &token).await;
    assert_eq!(status, 202);
    assert_eq!(
        header(&headers, "x-auth-request-access-token"),
        Some(token.as_str())
    );
}

async fn expired_revoked_unknown_and_refresh_tokens_are_401(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 6, 1, 9, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend)
        .config(enable)
        .clock(clock.clone())
        .build()
        .await;
    let invalid = Some("Bearer error=\"invalid_token\"");
    for token in ["ptn_at_unknown.mac", "not-a-token"] {
        let (status, headers, _) = with_token(&app, "", token).await;
        assert_eq!(
            (status, header(&headers, "www-authenticate")),
            (401, invalid)
        );
    }

    let tokens = sign_in(&app, &Browser::new(), &["openid", "offline"], ada_claims()).await;
    let (status, _, _) = with_token(&app, "", &access(&tokens)).await;
    assert_eq!(status, 202);
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let (status, headers, _) = with_token(&app, "", refresh).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, invalid)
    );
    clock.advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    let (status, headers, _) = with_token(&app, "", &access(&tokens)).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, invalid)
    );

    // Revoked (RFC 7009): a client-credentials token, revoked by its client.
    let client = app
        .register(json!({"grant_types": ["client_credentials"], "scope": "read"}))
        .await;
    let secret = client.secret.clone().unwrap();
    let (_, _, cc) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, &secret)),
            &[("grant_type", "client_credentials"), ("scope", "read")],
        )
        .await;
    let token = access(&cc);
    let (status, headers, _) = with_token(&app, "", &token).await;
    // A client's own token stands for the client.
    assert_eq!(
        (status, header(&headers, "x-auth-request-user")),
        (202, Some(client.id.as_str()))
    );
    let (status, _, _) = app
        .post_form(
            "/oauth2/revoke",
            Some((&client.id, &secret)),
            &[("token", &token)],
        )
        .await;
    assert_eq!(status, 200);
    let (status, headers, _) = with_token(&app, "", &token).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, invalid)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_access_tokens_pass_too() {
    let app = TestApp::builder(TestBackend::Sqlite)
        .config(|c| {
            enable(c);
            c.strategies.access_token = AccessTokenStrategyConfig::Jwt;
        })
        .build()
        .await;
    let tokens = sign_in(&app, &Browser::new(), &["openid", "email"], ada_claims()).await;
    let token = access(&tokens);
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let (status, headers, body) = with_token(&app, "allowed_emails=ada@example.com", &token).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(header(&headers, "x-auth-request-user"), Some("ada"));
    assert_eq!(
        header(&headers, "x-auth-request-email"),
        Some("ada@example.com")
    );
}

/// RFC 9449 §7.1: a DPoP-bound token needs the `DPoP` scheme and a proof for this
/// endpoint's published URL; as `Bearer`, or without a proof, it is 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_bound_tokens_need_a_proof() {
    use base64::Engine;
    use sha2::Digest;

    let app = app().await;
    let client = app
        .register(json!({"grant_types": ["client_credentials"], "scope": "read"}))
        .await;
    let proof = EC_1.sign_dpop(None, &proof_claims(&app, "POST", "/oauth2/token"));
    let (status, _, tokens) =
        crate::rfc9449_dpop::token_with_proof(&app, &client, Some(&proof)).await;
    assert_eq!(
        (status, tokens["token_type"].as_str()),
        (200, Some("DPoP")),
        "{tokens}"
    );
    let token = access(&tokens);

    let (status, headers, _) = with_token(&app, "", &token).await;
    assert_eq!(status, 401);
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .starts_with("DPoP")
    );
    let dpop = format!("DPoP {token}");
    let (status, headers, body) = ask(&app, "", &[("authorization", &dpop)]).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .starts_with("DPoP")
    );

    let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(token.as_bytes()));
    let mut claims = proof_claims(&app, "GET", PATH);
    claims["ath"] = json!(ath);
    let proof = EC_1.sign_dpop(None, &claims);
    let (status, headers, body) =
        ask(&app, "", &[("authorization", &dpop), ("dpop", &proof)]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        header(&headers, "x-auth-request-user"),
        Some(client.id.as_str())
    );
}

/// The session cookie of a remembered login passes, with the claims of the session's
/// consent (`forward_auth_session_claims.rs` has the rest); a forged cookie, or one
/// whose session was revoked, does not.
async fn the_session_cookie_passes_until_the_session_ends(backend: TestBackend) {
    let app = app_on(backend).await;
    let browser = Browser::new();
    sign_in(&app, &browser, &["openid", "email"], ada_claims()).await;
    let name = app.state.config.serve.cookies.names.session.clone();
    let session = browser
        .cookie(&app.public_url, &name)
        .expect("a session cookie");
    let cookie = format!("{name}={session}");
    let (status, headers, body) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(header(&headers, "x-auth-request-user"), Some("ada"));
    assert_eq!(
        header(&headers, "x-auth-request-email"),
        Some("ada@example.com")
    );
    assert_eq!(
        header(&headers, "x-auth-request-groups"),
        Some("engineers,admins")
    );
    // `profile` was not granted, and `ada` is no local user.
    assert_eq!(header(&headers, "x-auth-request-preferred-username"), None);
    // The user filters apply to the session's claims; a session has no grant.
    for (query, expected, error) in [
        ("allowed_groups=engineers", 202, ""),
        ("allowed_groups=ops", 403, "access_denied"),
        ("allowed_emails=ADA@example.com", 202, ""),
        ("allowed_emails=bob@example.com", 403, "access_denied"),
        ("allowed_email_domains=example.com", 202, ""),
        ("allowed_email_domains=example.org", 403, "access_denied"),
        ("scope=openid", 403, "insufficient_scope"),
        ("audience=api", 403, "insufficient_scope"),
    ] {
        let (status, _, body) = ask(&app, query, &[("cookie", &cookie)]).await;
        assert_eq!(status, expected, "{query}: {body}");
        if expected == 403 {
            assert_eq!(error_of(&body), error, "{query}");
        }
    }

    // One character changed in the middle of the sealed value.
    let mut chars: Vec<char> = session.chars().collect();
    chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
    let forged = format!("{name}={}", chars.into_iter().collect::<String>());
    let (status, headers, _) = ask(&app, "", &[("cookie", &forged)]).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, Some("Bearer"))
    );

    app.admin
        .revoke_o_auth2_login_sessions()
        .subject("ada")
        .send()
        .await
        .unwrap();
    let (status, headers, _) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, Some("Bearer"))
    );
}

/// Each filter lets the right user through and refuses (403) the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_filter_allows_and_denies() {
    let app = app().await;
    let tokens = sign_in(
        &app,
        &Browser::new(),
        &["openid", "email", "read"],
        ada_claims(),
    )
    .await;
    let token = access(&tokens);
    let cases = [
        ("allowed_groups=admins,ops", 202, ""),
        ("allowed_groups=ops", 403, "access_denied"),
        ("allowed_emails=bob@example.com,ADA@example.com", 202, ""),
        ("allowed_emails=bob@example.com", 403, "access_denied"),
        ("allowed_email_domains=example.org,example.com", 202, ""),
        ("allowed_email_domains=*.example.com", 403, "access_denied"),
        ("scope=openid+read", 202, ""),
        ("scope=write", 403, "insufficient_scope"),
        ("audience=https%3A%2F%2Fapi.test", 403, "insufficient_scope"),
        (
            "allowed_groups=admins&allowed_emails=bob@example.com",
            403,
            "access_denied",
        ),
    ];
    for (query, expected, error) in cases {
        let (status, _, body) = with_token(&app, query, &token).await;
        assert_eq!(status, expected, "{query}: {body}");
        if expected == 403 {
            assert_eq!(error_of(&body), error, "{query}");
        }
    }

    // An audience the token was granted (client credentials, RFC 8693-style audience).
    let client = app
        .register(
            json!({"grant_types": ["client_credentials"], "scope": "read",
                         "audience": ["https://api.test"]}),
        )
        .await;
    let (status, _, cc) = app
        .post_form(
            "/oauth2/token",
            Some((&client.id, client.secret.as_deref().unwrap())),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "read"),
                ("audience", "https://api.test"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{cc}");
    let (status, _, body) = with_token(
        &app,
        "audience=https%3A%2F%2Fapi.test&scope=read",
        &access(&cc),
    )
    .await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_400() {
    let app = app().await;
    let tokens = sign_in(&app, &Browser::new(), &["openid"], ada_claims()).await;
    let token = access(&tokens);
    let many = vec!["g"; 33].join(",");
    let long = "x".repeat(257);
    for query in [
        format!("allowed_groups={many}"),
        format!("allowed_groups={long}"),
        "allowed_groups=a,,b".to_owned(),
        "allowed_groups=a&allowed_groups=b".to_owned(),
        "allowed_emails=not-an-address".to_owned(),
        "allowed_email_domains=ada@example.com".to_owned(),
        "allowed_groups=a%0D%0Ab".to_owned(),
        format!("rd={}", "y".repeat(5000)),
    ] {
        let (status, _, body) = with_token(&app, &query, &token).await;
        assert_eq!(
            (status, error_of(&body).as_str()),
            (400, "invalid_request"),
            "{query}"
        );
    }
    // Without a credential, a bad filter is still 400: a misconfigured proxy shows.
    let (status, _, _) = ask(&app, "allowed_groups=", &[]).await;
    assert_eq!(status, 400);
}

/// `/oauth2/sign_out` (GET or POST) ends the browser's session — forward-auth refuses
/// its cookie afterwards — clears the cookie, and follows `rd` (or the
/// `X-Auth-Request-Redirect` header) only to hosts in `urls.allowed_return_domains`;
/// anything else goes to `urls.post_logout_redirect`. Off with forward-auth.
async fn sign_out_ends_the_session_and_returns_only_to_allowed_hosts(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| {
            enable(c);
            c.urls.allowed_return_domains = vec![".apps.test".into()];
            c.urls.post_logout_redirect = Some("https://portal.test/bye".into());
        })
        .build()
        .await;
    let name = app.state.config.serve.cookies.names.session.clone();
    let sign_out = app.public_path("/oauth2/sign_out");
    let location =
        |response: &reqwest::Response| response.headers()["location"].to_str().unwrap().to_owned();

    // GET with an rd outside the allowed domains: the session ends, the default page.
    let browser = Browser::new();
    sign_in(&app, &browser, &["openid"], ada_claims()).await;
    let cookie = format!("{name}={}", browser.cookie(&app.public_url, &name).unwrap());
    let (status, _, _) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 202);
    let response = app
        .http
        .get(format!("{sign_out}?rd=https%3A%2F%2Fevil.test%2F"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "https://portal.test/bye");
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .expect("the session cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let (status, _, _) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 401, "the session is over");

    // POST with an allowed rd (a subdomain): there, and the session ends too.
    let browser = Browser::new();
    sign_in(&app, &browser, &["openid"], ada_claims()).await;
    let cookie = format!("{name}={}", browser.cookie(&app.public_url, &name).unwrap());
    let response = app
        .http
        .post(&sign_out)
        .header("cookie", &cookie)
        .form(&[("rd", "https://wiki.apps.test/home?x=1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "https://wiki.apps.test/home?x=1");
    let (status, _, _) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 401);

    // The proxy's header, with no session at all; a port the entry does not allow.
    for (header, expected) in [
        ("https://apps.test/", "https://apps.test/"),
        ("https://apps.test:8443/", "https://portal.test/bye"),
        ("//wiki.apps.test/", "https://portal.test/bye"),
    ] {
        let response = app
            .http
            .get(&sign_out)
            .header("x-auth-request-redirect", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{header}");
        assert_eq!(location(&response), expected, "{header}");
    }

    let off = TestApp::spawn(TestBackend::Sqlite).await;
    let response = off
        .http
        .get(off.public_path("/oauth2/sign_out"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}
