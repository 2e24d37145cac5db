//! The admin dashboard (issue 22 §2, docs/dashboard.md) over HTTP: `/admin/ui/` on the
//! admin listener. Sign-in with `serve.admin.api_key` (a wrong key is refused, the
//! right one sets an HttpOnly, SameSite=Strict, path-scoped session cookie, the pages
//! refuse a browser without it, and the cookie never opens the JSON API); every form's
//! CSRF token; a client created with the form gets tokens with the secret its page
//! showed once, and no page shows it again; edit, delete, secret rotation; the client
//! service's validation errors on the form with its 4xx; escaping; security headers on
//! every page; JSON Web Keys listed without private parts, created and deleted; local
//! users created and deleted, never with a password or hash on a page.
//! The pages in Chromium: admin_dashboard_browser.rs.

use oauth2::{AuthType, Scope, TokenResponse};
use serde_json::json;

use crate::support::TestApp;
use crate::support::browser::{Browser, Page};
use crate::support::login_ui::field;
use crate::support::oauth::Registered;
use crate::support::test_db::TestBackend;

const API_KEY: &str = "dashboard-test-admin-api-key-0123456789";

async fn guarded_app() -> TestApp {
    TestApp::builder(TestBackend::Sqlite)
        .config(|c| c.serve.admin.api_key = Some(API_KEY.to_owned()))
        .build()
        .await
}

async fn open_app() -> TestApp {
    TestApp::spawn(TestBackend::Sqlite).await
}

fn set_cookie<'a>(page: &'a Page, name: &str) -> Option<&'a str> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// The CSRF token of the page at `path` (the browser gets its nonce cookie there).
pub(crate) async fn csrf_of(app: &TestApp, browser: &Browser, path: &str) -> String {
    let page = browser.get(&app.admin_path(path)).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    field(&page.body, "csrf_token")
}

/// Signs `browser` in with `key`; the answer of the sign-in form.
async fn sign_in(app: &TestApp, browser: &Browser, key: &str) -> Page {
    let token = csrf_of(app, browser, "/admin/ui/sign-in").await;
    browser
        .post_form(
            &app.admin_path("/admin/ui/sign-in"),
            &[("csrf_token", &token), ("api_key", key)],
        )
        .await
}

/// Posts the client form; `fields` come after the CSRF token.
async fn post_client_form(
    app: &TestApp,
    browser: &Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    let token = csrf_of(app, browser, "/admin/ui/create-client").await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    browser.post_form(&app.admin_path(path), &form).await
}

/// The secret a page shows in its `client_secret` field, if any.
fn shown_secret(html: &str) -> Option<String> {
    let marker = "id=\"client_secret\" readonly value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

async fn client_credentials_token(app: &TestApp, id: &str, secret: &str) -> String {
    let registered = Registered {
        id: id.to_owned(),
        secret: Some(secret.to_owned()),
    };
    app.token_client(&registered, AuthType::BasicAuth)
        .exchange_client_credentials()
        .add_scope(Scope::new("read".into()))
        .request_async(&app.oauth_http())
        .await
        .expect("a token for the client created with the form")
        .access_token()
        .secret()
        .clone()
}

#[tokio::test]
async fn the_api_key_signs_in_once_and_the_cookie_guards_every_page() {
    let app = guarded_app().await;
    let browser = Browser::new();

    // Without a session every page goes to the sign-in form, every form is refused.
    for path in [
        "/admin",
        "/admin/ui/",
        "/admin/ui/clients",
        "/admin/ui/keys",
    ] {
        let page = browser.get(&app.admin_path(path)).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(
            page.location.as_deref(),
            Some("/admin/ui/sign-in"),
            "{path}"
        );
    }
    let token = csrf_of(&app, &browser, "/admin/ui/sign-in").await;
    let refused = browser
        .post_form(
            &app.admin_path("/admin/ui/clients"),
            &[("csrf_token", &token), ("client_name", "x")],
        )
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(
        browser
            .cookie(&app.admin_url, "portunus_admin_csrf")
            .is_some()
    );

    // A wrong key: the form again, with a message, and no session.
    let wrong = sign_in(&app, &browser, "not-the-key-but-just-as-long-0123456").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("That is not the admin API key."));
    assert!(set_cookie(&wrong, "portunus_admin_session").is_none());
    // The right key without the form's CSRF token: refused.
    let forged = browser
        .post_form(
            &app.admin_path("/admin/ui/sign-in"),
            &[("api_key", API_KEY)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(set_cookie(&forged, "portunus_admin_session").is_none());

    // The right key: a session cookie scoped to the dashboard, then the pages.
    let signed_in = sign_in(&app, &browser, API_KEY).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location.as_deref(), Some("/admin/ui/"));
    let cookie = set_cookie(&signed_in, "portunus_admin_session").expect("session cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin/ui",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP listener: {cookie}");
    assert!(!cookie.contains(API_KEY), "the key is not in the cookie");
    let list = browser.get(&app.admin_path("/admin/ui/clients")).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Sign out"));

    // The cookie is for the pages only: the JSON API still wants the bearer key.
    let session = browser
        .cookie(&app.admin_url, "portunus_admin_session")
        .unwrap();
    let api = app
        .http
        .get(app.admin_path("/admin/clients"))
        .header("cookie", format!("portunus_admin_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);

    // A forged or tampered session is no session.
    let forged = Browser::new();
    let page = forged.get(&app.admin_path("/admin/ui/sign-in")).await;
    assert_eq!(page.status, 200);
    let flipped = if &session[20..21] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &session[..20], &session[21..]);
    let raw = app
        .http
        .get(app.admin_path("/admin/ui/clients"))
        .header("cookie", format!("portunus_admin_session={tampered}"))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 303);

    // Signing out ends the session.
    let token = field(&list.body, "csrf_token");
    let out = browser
        .post_form(
            &app.admin_path("/admin/ui/sign-out"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(out.status, 303);
    let gone = set_cookie(&out, "portunus_admin_session").expect("deleted cookie");
    assert!(gone.contains("Max-Age=0"), "{gone}");
    let after = browser.get(&app.admin_path("/admin/ui/clients")).await;
    assert_eq!(after.status, 303);
}

#[tokio::test]
async fn without_an_api_key_the_dashboard_is_open_like_the_api() {
    let app = open_app().await;
    let browser = Browser::new();
    let home = browser.get(&app.admin_path("/admin")).await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location.as_deref(), Some("/admin/ui/"));
    let list = browser.get(&app.admin_path("/admin/ui/clients")).await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains("Sign out"), "nothing to sign out of");
    let sign_in = browser.get(&app.admin_path("/admin/ui/sign-in")).await;
    assert_eq!(sign_in.status, 303, "no key, no sign-in form");
}

#[tokio::test]
async fn forms_without_this_browsers_csrf_token_are_refused() {
    let app = open_app().await;
    let browser = Browser::new();
    let fields = [
        ("client_id", "csrf-victim"),
        ("grant_types", "client_credentials"),
        ("token_endpoint_auth_method", "client_secret_basic"),
    ];
    // No token at all (a cross-site form post).
    csrf_of(&app, &browser, "/admin/ui/create-client").await;
    let missing = browser
        .post_form(&app.admin_path("/admin/ui/clients"), &fields)
        .await;
    assert_eq!(missing.status, 403, "{}", missing.body);
    // Another browser's token: it does not match this browser's nonce cookie.
    let other = Browser::new();
    let foreign = csrf_of(&app, &other, "/admin/ui/create-client").await;
    let mut form = vec![("csrf_token", foreign.as_str())];
    form.extend_from_slice(&fields);
    let copied = browser
        .post_form(&app.admin_path("/admin/ui/clients"), &form)
        .await;
    assert_eq!(copied.status, 403);
    // A browser without the nonce cookie, holding a token: refused too.
    let fresh = Browser::new();
    let token = csrf_of(&app, &browser, "/admin/ui/create-client").await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(&fields);
    let cookieless = fresh
        .post_form(&app.admin_path("/admin/ui/clients"), &form)
        .await;
    assert_eq!(cookieless.status, 403);
    let absent = app
        .admin
        .get_o_auth2_client()
        .id("csrf-victim")
        .send()
        .await;
    assert!(absent.is_err(), "no client was created");
    // Deleting needs the token as well.
    app.register(json!({"client_id": "keep-me"})).await;
    let delete = browser
        .post_form(&app.admin_path("/admin/ui/clients/keep-me/delete"), &[])
        .await;
    assert_eq!(delete.status, 403);
    app.admin
        .get_o_auth2_client()
        .id("keep-me")
        .send()
        .await
        .expect("still there");
}

#[tokio::test]
async fn a_client_created_with_the_form_gets_tokens_with_the_secret_shown_once() {
    let app = guarded_app().await;
    let browser = Browser::new();
    assert_eq!(sign_in(&app, &browser, API_KEY).await.status, 303);
    let created = post_client_form(
        &app,
        &browser,
        "/admin/ui/clients",
        &[
            ("client_id", "dashboard-svc"),
            ("client_name", "Dashboard Service"),
            ("grant_types", "client_credentials"),
            ("scope", "read write"),
            ("token_endpoint_auth_method", "client_secret_basic"),
            ("audience", "https://api.example.com"),
            ("redirect_uris", ""),
        ],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["cache-control"], "no-store");
    let secret = shown_secret(&created.body).expect("the secret on the creation page");
    assert!(secret.len() >= 32, "a generated secret: {secret}");
    assert!(created.body.contains("shown now and never again"));

    let token = client_credentials_token(&app, "dashboard-svc", &secret).await;
    assert!(!token.is_empty());

    // No later page shows the secret.
    for path in [
        "/admin/ui/clients",
        "/admin/ui/clients/dashboard-svc",
        "/admin/ui/clients/dashboard-svc/edit",
        "/admin/ui/clients?q=dashboard-svc",
    ] {
        let page = browser.get(&app.admin_path(path)).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("dashboard-svc"),
            "{path} lists the client"
        );
        assert!(
            !page.body.contains(&secret),
            "{path} shows the secret again"
        );
        assert!(shown_secret(&page.body).is_none(), "{path}");
    }
    let by_name = browser
        .get(&app.admin_path("/admin/ui/clients?q=Dashboard+Service"))
        .await;
    assert!(by_name.body.contains("/admin/ui/clients/dashboard-svc"));
    let nothing = browser
        .get(&app.admin_path("/admin/ui/clients?q=no-such"))
        .await;
    assert!(!nothing.body.contains("/admin/ui/clients/dashboard-svc"));

    // Rotation: a new secret on that page only; it works at once.
    let token = field(&by_name.body, "csrf_token");
    let rotated = browser
        .post_form(
            &app.admin_path("/admin/ui/clients/dashboard-svc/rotate-secret"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_secret = shown_secret(&rotated.body).expect("the rotated secret");
    assert_ne!(new_secret, secret);
    client_credentials_token(&app, "dashboard-svc", &new_secret).await;
    let again = browser
        .get(&app.admin_path("/admin/ui/clients/dashboard-svc"))
        .await;
    assert!(!again.body.contains(&new_secret));
}

#[tokio::test]
async fn edit_keeps_what_the_form_does_not_show_and_delete_asks_first() {
    let app = open_app().await;
    let browser = Browser::new();
    app.register(json!({
        "client_id": "editable",
        "client_name": "Before",
        "grant_types": ["client_credentials"],
        "scope": "read",
        "owner": "team-a",
        "contacts": ["ops@example.com"],
    }))
    .await;
    let form_page = browser
        .get(&app.admin_path("/admin/ui/clients/editable/edit"))
        .await;
    assert_eq!(form_page.status, 200);
    assert!(form_page.body.contains("value=\"Before\""));
    let saved = post_client_form(
        &app,
        &browser,
        "/admin/ui/clients/editable/edit",
        &[
            ("client_name", "After"),
            ("grant_types", "client_credentials"),
            ("grant_types", "refresh_token"),
            ("scope", "read write"),
            ("token_endpoint_auth_method", "client_secret_post"),
            ("audience", ""),
            ("redirect_uris", ""),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some("/admin/ui/clients/editable?saved")
    );
    let shown = browser
        .get(&app.admin_path("/admin/ui/clients/editable?saved"))
        .await;
    assert!(shown.body.contains("The client was saved."));
    assert!(shown.body.contains("After"));
    let client = app
        .admin
        .get_o_auth2_client()
        .id("editable")
        .send()
        .await
        .unwrap()
        .into_inner();
    let client = serde_json::to_value(&client).unwrap();
    assert_eq!(client["client_name"], "After");
    assert_eq!(client["scope"], "read write");
    assert_eq!(client["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(client["owner"], "team-a", "kept");
    assert_eq!(client["contacts"], json!(["ops@example.com"]), "kept");

    let confirm = browser
        .get(&app.admin_path("/admin/ui/clients/editable/delete"))
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Delete client"));
    let token = field(&confirm.body, "csrf_token");
    let deleted = browser
        .post_form(
            &app.admin_path("/admin/ui/clients/editable/delete"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert!(
        app.admin
            .get_o_auth2_client()
            .id("editable")
            .send()
            .await
            .is_err()
    );
    let missing = browser
        .get(&app.admin_path("/admin/ui/clients/editable"))
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn bad_input_comes_back_on_the_form_with_a_4xx() {
    let app = open_app().await;
    let browser = Browser::new();
    let bad = post_client_form(
        &app,
        &browser,
        "/admin/ui/clients",
        &[
            ("client_id", "bad-redirects"),
            ("client_name", "Kept Name"),
            ("grant_types", "authorization_code"),
            ("response_types", "code"),
            ("redirect_uris", "not a url"),
            ("token_endpoint_auth_method", "client_secret_basic"),
        ],
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""));
    assert!(bad.body.contains("redirect_uris"), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"Kept Name\""),
        "the typed values stay"
    );
    assert!(shown_secret(&bad.body).is_none());

    let unknown_method = post_client_form(
        &app,
        &browser,
        "/admin/ui/clients",
        &[("token_endpoint_auth_method", "carrier_pigeon")],
    )
    .await;
    assert_eq!(unknown_method.status, 400, "{}", unknown_method.body);

    app.register(json!({"client_id": "taken"})).await;
    let duplicate = post_client_form(
        &app,
        &browser,
        "/admin/ui/clients",
        &[
            ("client_id", "taken"),
            ("grant_types", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(duplicate.status, 409, "{}", duplicate.body);
    assert!(duplicate.body.contains("already exists"));

    let long = "x".repeat(9000);
    let too_long = post_client_form(
        &app,
        &browser,
        "/admin/ui/clients",
        &[("client_name", &long)],
    )
    .await;
    assert_eq!(too_long.status, 400);
    assert!(too_long.body.contains("longer than"));

    let unknown = browser
        .get(&app.admin_path("/admin/ui/clients/no-such-client"))
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn client_names_are_escaped_on_every_page() {
    let app = open_app().await;
    let browser = Browser::new();
    let evil = "<script>alert(1)</script>";
    let created = post_client_form(
        &app,
        &browser,
        "/admin/ui/clients",
        &[
            ("client_id", "escaped"),
            ("client_name", evil),
            ("grant_types", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    for page in [
        created,
        browser.get(&app.admin_path("/admin/ui/clients")).await,
        browser
            .get(&app.admin_path("/admin/ui/clients/escaped"))
            .await,
        browser
            .get(&app.admin_path("/admin/ui/clients/escaped/edit"))
            .await,
        browser
            .get(&app.admin_path("/admin/ui/clients/escaped/delete"))
            .await,
    ] {
        assert!(!page.body.contains(evil), "{}", page.body);
        assert!(
            page.body.contains("&#60;script&#62;") || page.body.contains("&lt;script&gt;"),
            "{}",
            page.body
        );
    }
}

#[tokio::test]
async fn every_page_has_the_security_headers() {
    let app = guarded_app().await;
    let browser = Browser::new();
    let mut pages = vec![
        browser.get(&app.admin_path("/admin/ui/sign-in")).await,
        sign_in(&app, &browser, "wrong-wrong-wrong-wrong-wrong-wrong").await,
    ];
    assert_eq!(sign_in(&app, &browser, API_KEY).await.status, 303);
    for path in [
        "/admin/ui/clients",
        "/admin/ui/create-client",
        "/admin/ui/clients/missing",
        "/admin/ui/keys",
        "/admin/ui/keys/hydra.openid.id-token",
        "/admin/ui/users",
        "/admin/ui/",
        "/admin/ui/users/missing",
        "/admin/ui/sessions",
        "/admin/ui/sessions?subject=someone",
        "/admin/ui/trust",
        "/admin/ui/trust/missing/delete",
    ] {
        pages.push(browser.get(&app.admin_path(path)).await);
    }
    for page in pages {
        let h = |name: &str| {
            page.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert!(h("content-type").starts_with("text/html"));
        let csp = h("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("form-action 'self'"), "{csp}");
        assert!(!csp.contains("script-src"), "no script at all: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("x-frame-options"), "DENY");
        assert_eq!(h("referrer-policy"), "no-referrer");
        assert_eq!(h("cache-control"), "no-store");
        assert!(!page.body.contains("<script"), "no script in the page");
    }
}

#[tokio::test]
async fn json_web_keys_are_listed_without_private_parts() {
    let app = open_app().await;
    let browser = Browser::new();
    let set = "hydra.openid.id-token";
    let stored = app
        .admin
        .get_json_web_key_set()
        .set(set)
        .send()
        .await
        .unwrap()
        .into_inner();
    let stored = serde_json::to_value(&stored).unwrap();
    let key = &stored["keys"][0];
    let kid = key["kid"].as_str().unwrap();
    let private = key["d"]
        .as_str()
        .expect("the admin API has the private part");

    let page = browser
        .get(&app.admin_path(&format!("/admin/ui/keys/{set}")))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(kid));
    assert!(page.body.contains("RS256"));
    assert!(!page.body.contains(private), "no private key material");
    let index = browser.get(&app.admin_path("/admin/ui/keys")).await;
    assert!(index.body.contains("/admin/ui/keys/hydra.jwt.access-token"));

    let token = field(&page.body, "csrf_token");
    let created = browser
        .post_form(
            &app.admin_path("/admin/ui/keys/dashboard-set"),
            &[
                ("csrf_token", &token),
                ("alg", "ES256"),
                ("use", "sig"),
                ("kid", "dash-key"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let listed = browser
        .get(&app.admin_path("/admin/ui/keys/dashboard-set?created"))
        .await;
    assert!(listed.body.contains("dash-key"));
    assert!(listed.body.contains("ES256"));
    let made = app
        .admin
        .get_json_web_key_set()
        .set("dashboard-set")
        .send()
        .await
        .unwrap()
        .into_inner();
    let made = serde_json::to_value(&made).unwrap();
    assert!(!listed.body.contains(made["keys"][0]["d"].as_str().unwrap()));

    let bad = browser
        .post_form(
            &app.admin_path("/admin/ui/keys/dashboard-set"),
            &[("csrf_token", &token), ("alg", "none"), ("use", "sig")],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""));

    let confirm = browser
        .get(&app.admin_path("/admin/ui/keys/dashboard-set/dash-key/delete"))
        .await;
    assert_eq!(confirm.status, 200);
    let deleted = browser
        .post_form(
            &app.admin_path("/admin/ui/keys/dashboard-set/dash-key/delete"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert!(
        app.admin
            .get_json_web_key_set()
            .set("dashboard-set")
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn local_users_are_created_listed_and_deleted_without_their_passwords() {
    let app = open_app().await;
    let browser = Browser::new();
    let token = csrf_of(&app, &browser, "/admin/ui/users").await;
    let password = "a password that is long enough 42";
    let created = browser
        .post_form(
            &app.admin_path("/admin/ui/users"),
            &[
                ("csrf_token", &token),
                ("username", "grace"),
                ("email", "grace@example.com"),
                ("email_verified", "true"),
                ("name", "Grace <Hopper>"),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let listed = browser
        .get(&app.admin_path("/admin/ui/users?created"))
        .await;
    assert_eq!(listed.status, 200);
    assert!(listed.body.contains("The user was created."));
    assert!(listed.body.contains("grace@example.com"));
    assert!(
        listed.body.contains("Grace &#60;Hopper&#62;")
            || listed.body.contains("Grace &lt;Hopper&gt;")
    );
    assert!(!listed.body.contains(password));
    assert!(!listed.body.contains("$argon2id$"), "no hash on the page");
    let users = app.admin.list_users().send().await.unwrap().into_inner();
    let user = serde_json::to_value(&users).unwrap()[0].clone();
    assert_eq!(user["username"], "grace");
    assert_eq!(user["has_password"], true);
    assert_eq!(user["email_verified"], true);
    let id = user["id"].as_str().unwrap().to_owned();

    // The operation's checks: a taken username is a 409, a bad email a 400, on the page.
    let taken = browser
        .post_form(
            &app.admin_path("/admin/ui/users"),
            &[
                ("csrf_token", &token),
                ("username", "GRACE"),
                ("email", "other@example.com"),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.body.contains("role=\"alert\""));
    assert!(
        !taken.body.contains(password),
        "the password is not sent back"
    );
    let bad = browser
        .post_form(
            &app.admin_path("/admin/ui/users"),
            &[
                ("csrf_token", &token),
                ("username", "someone"),
                ("email", "not-an-email"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let forged = browser
        .post_form(
            &app.admin_path("/admin/ui/users"),
            &[("username", "mallory"), ("email", "m@example.com")],
        )
        .await;
    assert_eq!(forged.status, 403);

    let confirm = browser
        .get(&app.admin_path(&format!("/admin/ui/users/{id}/delete")))
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("grace@example.com"));
    let deleted = browser
        .post_form(
            &app.admin_path(&format!("/admin/ui/users/{id}/delete")),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(deleted.status, 303);
    let users = app.admin.list_users().send().await.unwrap().into_inner();
    assert!(users.is_empty());
}
