//! The admin dashboard's pages over the remaining admin operations (issue 22 §2,
//! docs/dashboard.md), over HTTP on every backend: a local user edited and given a new
//! password (`users::admin::replace`, `set_password`), a subject's consent and login
//! sessions listed and revoked (Hydra's `…/auth/sessions/{consent,login}`), trusted JWT
//! issuers created and deleted (`/admin/trust/grants/jwt-bearer/issuers`), and the
//! overview's counts, newest audit events and metrics. Each change is checked through
//! the admin API (or the store it writes), each form refused without its CSRF token,
//! each user-provided value escaped, each unknown id a 404 and bad input a 4xx shown
//! on the form. Sign-in, clients and keys: admin_dashboard.rs.

use chrono::Duration;
use serde_json::{Value, json};

use crate::admin_dashboard::csrf_of;
use crate::support::assertion::EC_1;
use crate::support::browser::{Browser, Page, param};
use crate::support::event_receiver::EventReceiver;
use crate::support::flow::{
    accept_consent, accept_login, authorize_url, consent_challenge, create_client, login_challenge,
    to_client,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    a_user_is_edited_and_given_a_new_password,
    a_subjects_sessions_are_listed_and_revoked,
    trusted_issuers_are_created_listed_and_deleted,
    the_overview_counts_and_shows_the_newest_events,
);

/// Posts `fields` to `path` after the CSRF token of `browser`.
async fn post(app: &TestApp, browser: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    let token = csrf_of(app, browser, "/admin/ui/users").await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    browser.post_form(&app.admin_path(path), &form).await
}

fn escaped(body: &str, raw: &str, html: &str) -> bool {
    !body.contains(raw) && body.contains(html)
}

async fn user_json(app: &TestApp, id: &str) -> Value {
    let user = app
        .admin
        .get_user()
        .id(id)
        .send()
        .await
        .unwrap()
        .into_inner();
    serde_json::to_value(&user).unwrap()
}

async fn a_user_is_edited_and_given_a_new_password(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let browser = Browser::new();
    let password = "the first password, long enough";
    let created = post(
        &app,
        &browser,
        "/admin/ui/users",
        &[
            ("username", "grace"),
            ("email", "grace@example.com"),
            ("email_verified", "true"),
            ("password", password),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    post(
        &app,
        &browser,
        "/admin/ui/users",
        &[("username", "taken"), ("email", "taken@example.com")],
    )
    .await;
    let users = app.admin.list_users().send().await.unwrap().into_inner();
    let users = serde_json::to_value(&users).unwrap();
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "grace")
        .and_then(|u| u["id"].as_str())
        .unwrap()
        .to_owned();
    let href = format!("/admin/ui/users/{id}");

    let page = browser.get(&app.admin_path(&href)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"grace@example.com\""));
    assert!(
        page.body
            .contains(&format!("/admin/ui/sessions?subject={id}"))
    );
    assert!(!page.body.contains("$argon2id$"), "no hash on the page");
    let listed = browser.get(&app.admin_path("/admin/ui/users")).await;
    assert!(listed.body.contains(&format!("href=\"{href}\"")));

    // Without the CSRF token nothing changes.
    let forged = browser
        .post_form(
            &app.admin_path(&href),
            &[("username", "mallory"), ("email", "m@example.com")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(user_json(&app, &id).await["username"], "grace");

    // A new password: the old one stops signing in, the new one does (Argon2id).
    let short = post(
        &app,
        &browser,
        &format!("{href}/password"),
        &[("password", "short")],
    )
    .await;
    assert_eq!(short.status, 400, "{}", short.body);
    assert!(short.body.contains("role=\"alert\""));
    assert!(!short.body.contains("value=\"short\""), "not sent back");
    let new_password = "the second password, long enough";
    let set = post(
        &app,
        &browser,
        &format!("{href}/password"),
        &[("password", new_password)],
    )
    .await;
    assert_eq!(set.status, 303, "{}", set.body);
    assert_eq!(set.location.as_deref(), Some(&*format!("{href}?password")));
    let check = |password: &'static str| {
        let store = app.state.users.clone();
        async move {
            portunus_server::users::password::check(store.as_ref(), "grace", password)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(check(new_password).await);
    assert!(!check(password).await);
    let stored = app.state.users.get_user(&id).await.unwrap().unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));

    // The edit form: every field changes, the password stays.
    let edited = post(
        &app,
        &browser,
        &href,
        &[
            ("username", "grace2"),
            ("email", "grace2@example.com"),
            ("name", "Grace <b>Hopper</b>"),
            ("disabled", "true"),
        ],
    )
    .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let user = user_json(&app, &id).await;
    assert_eq!(user["username"], "grace2");
    assert_eq!(user["email"], "grace2@example.com");
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["name"], "Grace <b>Hopper</b>");
    assert_eq!(user["disabled"], true);
    assert_eq!(user["has_password"], true);
    let saved = browser.get(&app.admin_path(&format!("{href}?saved"))).await;
    assert!(saved.body.contains("The user was saved."));
    assert!(escaped(
        &saved.body,
        "<b>Hopper",
        "Grace &#60;b&#62;Hopper&#60;/b&#62;"
    ));

    // Refused edits come back on the form as typed, with the operation's status.
    let bad = post(
        &app,
        &browser,
        &href,
        &[("username", "grace2"), ("email", "not-an-email")],
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""));
    assert!(bad.body.contains("value=\"not-an-email\""));
    let taken = post(
        &app,
        &browser,
        &href,
        &[("username", "TAKEN"), ("email", "x@example.com")],
    )
    .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(user_json(&app, &id).await["username"], "grace2");

    // Unknown users are 404s, page and forms alike.
    let missing = browser
        .get(&app.admin_path("/admin/ui/users/missing"))
        .await;
    assert_eq!(missing.status, 404);
    let missing = post(
        &app,
        &browser,
        "/admin/ui/users/missing",
        &[("username", "x"), ("email", "x@example.com")],
    )
    .await;
    assert_eq!(missing.status, 404);
    let missing = post(
        &app,
        &browser,
        "/admin/ui/users/missing/password",
        &[("password", new_password)],
    )
    .await;
    assert_eq!(missing.status, 404);
}

/// Runs a code flow for `subject` with client `client_id` in a browser of its own,
/// remembering login and consent; the login session's id.
async fn remembered_flow(app: &TestApp, client_id: &str, subject: &str) -> String {
    let browser = Browser::new();
    let url = authorize_url(app, client_id, &[("scope", "openid offline")]);
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(app, &challenge, subject, true).await;
    let consent = consent_challenge(&browser, &redirect).await;
    let redirect = accept_consent(app, &consent, &["openid", "offline"], true).await;
    assert!(param(&to_client(&browser, &redirect).await, "code").is_some());
    let consents = app
        .admin
        .list_o_auth2_consent_sessions()
        .subject(subject)
        .send()
        .await
        .unwrap()
        .into_inner();
    consents
        .iter()
        .filter_map(|c| c.consent_request.as_ref())
        .filter(|r| r.client.as_ref().and_then(|c| c.client_id.as_deref()) == Some(client_id))
        .find_map(|r| r.login_session_id.clone())
        .expect("the consent names its login session")
}

async fn consent_clients(app: &TestApp, subject: &str) -> Vec<String> {
    let consents = app
        .admin
        .list_o_auth2_consent_sessions()
        .subject(subject)
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut clients: Vec<String> = consents
        .iter()
        .filter_map(|c| {
            c.consent_request
                .as_ref()?
                .client
                .as_ref()?
                .client_id
                .clone()
        })
        .collect();
    clients.sort();
    clients
}

async fn login_session_exists(app: &TestApp, sid: &str) -> bool {
    app.state
        .login_sessions
        .get_login_session(sid)
        .await
        .unwrap()
        .is_some()
}

async fn a_subjects_sessions_are_listed_and_revoked(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let browser = Browser::new();
    let subject = "ada<b>&co";
    let (a, b) = (
        create_client(&app, json!({})).await,
        create_client(&app, json!({})).await,
    );
    let sid_a = remembered_flow(&app, &a.id, subject).await;
    let sid_b = remembered_flow(&app, &b.id, subject).await;
    assert_ne!(sid_a, sid_b);
    let mut both = vec![a.id.clone(), b.id.clone()];
    both.sort();
    assert_eq!(consent_clients(&app, subject).await, both);

    let search = browser.get(&app.admin_path("/admin/ui/sessions")).await;
    assert_eq!(search.status, 200);
    assert!(search.body.contains("name=\"subject\""));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("subject", subject)
        .finish();
    let page = browser
        .get(&app.admin_path(&format!("/admin/ui/sessions?{query}")))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(escaped(&page.body, "ada<b>", "ada&#60;b&#62;&#38;co"));
    for shown in [&a.id, &b.id, &sid_a, &sid_b] {
        assert!(page.body.contains(shown.as_str()), "{shown}: {}", page.body);
    }
    let long = "s".repeat(300);
    let too_long = browser
        .get(&app.admin_path(&format!("/admin/ui/sessions?subject={long}")))
        .await;
    assert_eq!(too_long.status, 400);
    let too_long = post(
        &app,
        &browser,
        "/admin/ui/sessions/revoke-login",
        &[("subject", &long)],
    )
    .await;
    assert_eq!(too_long.status, 400);

    // Forms without the CSRF token change nothing.
    let forged = browser
        .post_form(
            &app.admin_path("/admin/ui/sessions/revoke-consent"),
            &[("subject", subject), ("all", "true")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let forged = browser
        .post_form(
            &app.admin_path("/admin/ui/sessions/revoke-login"),
            &[("subject", subject)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(consent_clients(&app, subject).await, both);
    assert!(login_session_exists(&app, &sid_a).await);

    // One client's consent, then one login session, then all of either.
    let revoked = post(
        &app,
        &browser,
        "/admin/ui/sessions/revoke-consent",
        &[("subject", subject), ("client", &a.id)],
    )
    .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(
        revoked.location.as_deref(),
        Some(&*format!("/admin/ui/sessions?{query}&done=consent"))
    );
    assert_eq!(consent_clients(&app, subject).await, vec![b.id.clone()]);
    let neither = post(
        &app,
        &browser,
        "/admin/ui/sessions/revoke-consent",
        &[("subject", subject)],
    )
    .await;
    assert_eq!(neither.status, 400, "client or all: {}", neither.body);

    let ended = post(
        &app,
        &browser,
        "/admin/ui/sessions/revoke-login",
        &[("subject", subject), ("sid", &sid_a)],
    )
    .await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert!(!login_session_exists(&app, &sid_a).await);
    assert!(login_session_exists(&app, &sid_b).await);
    let ended = post(
        &app,
        &browser,
        "/admin/ui/sessions/revoke-login",
        &[("subject", subject)],
    )
    .await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert!(!login_session_exists(&app, &sid_b).await);

    let all = post(
        &app,
        &browser,
        "/admin/ui/sessions/revoke-consent",
        &[("subject", subject), ("all", "true")],
    )
    .await;
    assert_eq!(all.status, 303, "{}", all.body);
    assert!(consent_clients(&app, subject).await.is_empty());
    let after = browser
        .get(&app.admin_path(&format!("/admin/ui/sessions?{query}&done=consents")))
        .await;
    assert!(after.body.contains("No consent sessions."));
    assert!(
        after
            .body
            .contains("Every consent of the subject was revoked")
    );
}

async fn trusts(app: &TestApp) -> Vec<Value> {
    let list = app
        .admin
        .list_trusted_o_auth2_jwt_grant_issuers()
        .send()
        .await
        .unwrap()
        .into_inner();
    serde_json::to_value(&list)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

async fn trusted_issuers_are_created_listed_and_deleted(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let browser = Browser::new();
    let empty = browser.get(&app.admin_path("/admin/ui/trust")).await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("No trusted issuers."));

    let jwk = EC_1.jwk().to_string();
    let tomorrow = (app.state.clock.now() + Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let issuer = "https://idp.example/<i>";
    let form = |expires_at: &str, jwk: &str| {
        vec![
            ("issuer", issuer.to_owned()),
            ("subject", "alice".to_owned()),
            ("scope", "read write".to_owned()),
            ("jwk", jwk.to_owned()),
            ("expires_at", expires_at.to_owned()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let browser = &browser;
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(app, browser, "/admin/ui/trust", &pairs).await
        }
    };

    // What the form or the operation refuses comes back on the form, as typed.
    let bad_key = send(form(&tomorrow, "{not json")).await;
    assert_eq!(bad_key.status, 400, "{}", bad_key.body);
    assert!(bad_key.body.contains("JSON Web Key"));
    assert!(bad_key.body.contains("{not json"));
    let bad_time = send(form("next week", &jwk)).await;
    assert_eq!(bad_time.status, 400, "{}", bad_time.body);
    let past = send(form("2001-01-01T00:00", &jwk)).await;
    assert_eq!(past.status, 400, "{}", past.body);
    assert!(past.body.contains("role=\"alert\""));
    let forged = browser
        .post_form(
            &app.admin_path("/admin/ui/trust"),
            &[
                ("issuer", issuer),
                ("allow_any_subject", "true"),
                ("jwk", &jwk),
                ("expires_at", &tomorrow),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(trusts(&app).await.is_empty());

    let created = send(form(&tomorrow, &jwk)).await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(created.location.as_deref(), Some("/admin/ui/trust?created"));
    let listed = trusts(&app).await;
    assert_eq!(listed.len(), 1);
    let trust = &listed[0];
    assert_eq!(trust["issuer"], issuer);
    assert_eq!(trust["subject"], "alice");
    assert_eq!(trust["allow_any_subject"], false);
    assert_eq!(trust["scope"], json!(["read", "write"]));
    assert_eq!(trust["public_key"]["kid"], "ec-1");
    let id = trust["id"].as_str().unwrap().to_owned();
    let duplicate = send(form(&tomorrow, &jwk)).await;
    assert_eq!(duplicate.status, 409, "{}", duplicate.body);

    let page = browser
        .get(&app.admin_path("/admin/ui/trust?created"))
        .await;
    assert!(page.body.contains("The issuer is trusted."));
    assert!(escaped(
        &page.body,
        "/<i>",
        "https://idp.example/&#60;i&#62;"
    ));
    assert!(page.body.contains("ec-1"));
    assert!(!page.body.contains("\"d\""), "no private member");

    let missing = browser
        .get(&app.admin_path("/admin/ui/trust/missing/delete"))
        .await;
    assert_eq!(missing.status, 404);
    let confirm = browser
        .get(&app.admin_path(&format!("/admin/ui/trust/{id}/delete")))
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("ec-1"));
    let forged = browser
        .post_form(
            &app.admin_path(&format!("/admin/ui/trust/{id}/delete")),
            &[],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(trusts(&app).await.len(), 1);
    let deleted = post(&app, &browser, &format!("/admin/ui/trust/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert!(trusts(&app).await.is_empty());
    let again = post(&app, &browser, &format!("/admin/ui/trust/{id}/delete"), &[]).await;
    assert_eq!(again.status, 404);
}

async fn the_overview_counts_and_shows_the_newest_events(backend: TestBackend) {
    let receiver = EventReceiver::start();
    let app = TestApp::builder(backend)
        .config(receiver.configurer())
        .build()
        .await;
    app.register(json!({"client_id": "older-client"})).await;
    app.register(json!({"client_id": "newer-<client>"})).await;
    let browser = Browser::new();
    let page = browser.get(&app.admin_path("/admin/ui/")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<a href=\"/admin/ui/clients\">OAuth 2.0 clients</a></th><td>2</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Local users</a></th><td>0</td>"));
    assert!(page.body.contains("Trusted JWT issuers</a></th><td>0</td>"));
    assert!(page.body.contains("Keys in hydra.openid.id-token"));
    // The outbox, newest first, escaped; never a secret.
    assert!(page.body.contains("client.created"), "{}", page.body);
    let newer = page.body.find("newer-&#60;client&#62;").expect("escaped");
    let older = page.body.find("older-client").expect("listed");
    assert!(newer < older, "newest first");
    assert!(!page.body.contains("client_secret"));
    // Metrics are on by default: the section is there with its numbers.
    assert!(page.body.contains("Tokens issued"));
    assert!(page.body.contains("Database circuit breaker"));

    // Without events the page says so.
    let quiet = TestApp::builder(backend)
        .config(|c| c.serve.metrics.enabled = false)
        .build()
        .await;
    let page = browser.get(&quiet.admin_path("/admin/ui")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Audit events are off"));
    assert!(page.body.contains("Metrics are off"));
}
