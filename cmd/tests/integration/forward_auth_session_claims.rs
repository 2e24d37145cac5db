//! `GET /oauth2/forward-auth` with the Portunus session cookie (docs/forward-auth.md,
//! "Who is authenticated"): the headers and the user filters take their claims from
//! the local user record when the subject is a local user (current: a verification or
//! a disabled flag set later shows at once), then from the newest consent granted in
//! that session. On every backend: the claims are read from the session, consent and
//! user stores.

use std::sync::Arc;

use chrono::TimeZone;
use portunus_sdk::types::{JsonPatch, UserBody};
use portunus_server::clock::FixedClock;
use serde_json::json;

use crate::forward_auth::{ada_claims, ask, enable, error_of, header, sign_in, sign_in_as};
use crate::support::browser::Browser;
use crate::support::flow::{
    accept_login, authorize_url, consent_challenge, create_client, login_challenge,
};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    the_newest_consent_of_the_session_gives_the_claims,
    a_local_users_record_comes_first_and_is_current,
    a_session_without_a_completed_consent_has_only_its_subject,
);

fn session_cookie(app: &TestApp, browser: &Browser) -> String {
    let name = app.state.config.serve.cookies.names.session.clone();
    let value = browser
        .cookie(&app.public_url, &name)
        .expect("a session cookie");
    format!("{name}={value}")
}

/// Two authorizations in one browser session (the second login is skipped, so the
/// session continues): the cookie of the first now carries the second's claims.
async fn the_newest_consent_of_the_session_gives_the_claims(backend: TestBackend) {
    let clock = Arc::new(FixedClock::new(
        chrono::Utc.with_ymd_and_hms(2031, 6, 1, 9, 0, 0).unwrap(),
    ));
    let app = TestApp::builder(backend)
        .config(enable)
        .clock(clock.clone())
        .build()
        .await;
    let browser = Browser::new();
    let mut first = ada_claims();
    first["groups"] = json!(["engineers"]);
    sign_in(&app, &browser, &["openid", "email", "profile"], first).await;
    let cookie = session_cookie(&app, &browser);
    let (status, headers, body) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(header(&headers, "x-auth-request-groups"), Some("engineers"));
    assert_eq!(
        header(&headers, "x-auth-request-preferred-username"),
        Some("ada.l")
    );
    let (status, _, _) = ask(&app, "allowed_groups=admins", &[("cookie", &cookie)]).await;
    assert_eq!(status, 403);

    clock.advance(chrono::Duration::minutes(1));
    let mut second = ada_claims();
    second["groups"] = json!(["admins"]);
    second["email"] = json!("ada@example.org");
    // Without `profile`, the newest consent releases no preferred_username.
    sign_in(&app, &browser, &["openid", "email"], second).await;
    for cookie in [cookie, session_cookie(&app, &browser)] {
        let (status, headers, body) = ask(&app, "", &[("cookie", &cookie)]).await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(header(&headers, "x-auth-request-groups"), Some("admins"));
        assert_eq!(
            header(&headers, "x-auth-request-email"),
            Some("ada@example.org")
        );
        assert_eq!(header(&headers, "x-auth-request-preferred-username"), None);
        let (status, _, _) = ask(
            &app,
            "allowed_groups=admins&allowed_email_domains=example.org",
            &[("cookie", &cookie)],
        )
        .await;
        assert_eq!(status, 202);
        let (status, _, body) = ask(&app, "allowed_groups=engineers", &[("cookie", &cookie)]).await;
        assert_eq!((status, error_of(&body).as_str()), (403, "access_denied"));
    }
}

fn replace(path: &str, value: serde_json::Value) -> Vec<JsonPatch> {
    vec![serde_json::from_value(json!({"op": "replace", "path": path, "value": value})).unwrap()]
}

/// A local user's session: the record's username and verified address win over the
/// consent's claims (groups still come from the consent); marking the address
/// unverified hides every address, disabling the account refuses the session.
async fn a_local_users_record_comes_first_and_is_current(backend: TestBackend) {
    let app = TestApp::builder(backend).config(enable).build().await;
    let user = app
        .admin
        .create_user()
        .body(UserBody {
            username: "Grace".into(),
            email: "grace@example.com".into(),
            email_verified: Some(true),
            name: None,
            password: None,
            disabled: None,
        })
        .send()
        .await
        .expect("create user")
        .into_inner();
    let browser = Browser::new();
    let consent = json!({
        "email": "someone@example.org", "email_verified": true,
        "preferred_username": "someone", "groups": ["staff"],
    });
    sign_in_as(
        &app,
        &browser,
        &user.id,
        &["openid", "email", "profile"],
        consent,
    )
    .await;
    let cookie = session_cookie(&app, &browser);
    let (status, headers, body) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        header(&headers, "x-auth-request-user"),
        Some(user.id.as_str())
    );
    assert_eq!(
        header(&headers, "x-auth-request-email"),
        Some("grace@example.com")
    );
    assert_eq!(
        header(&headers, "x-auth-request-preferred-username"),
        Some("grace")
    );
    assert_eq!(header(&headers, "x-auth-request-groups"), Some("staff"));
    for (query, expected) in [
        ("allowed_emails=grace@example.com", 202),
        ("allowed_emails=someone@example.org", 403),
        (
            "allowed_groups=staff&allowed_email_domains=example.com",
            202,
        ),
    ] {
        let (status, _, body) = ask(&app, query, &[("cookie", &cookie)]).await;
        assert_eq!(status, expected, "{query}: {body}");
    }

    let patch = |path: &str, value: serde_json::Value| {
        app.admin
            .patch_user()
            .id(&user.id)
            .body(replace(path, value))
            .send()
    };
    patch("/email_verified", json!(false)).await.unwrap();
    let (status, headers, _) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(
        (status, header(&headers, "x-auth-request-email")),
        (202, None)
    );
    for query in [
        "allowed_email_domains=example.com",
        "allowed_email_domains=example.org",
    ] {
        let (status, _, body) = ask(&app, query, &[("cookie", &cookie)]).await;
        assert_eq!(
            (status, error_of(&body).as_str()),
            (403, "access_denied"),
            "{query}"
        );
    }

    patch("/disabled", json!(true)).await.unwrap();
    let (status, headers, body) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, Some("Bearer")),
        "{body}"
    );
    patch("/disabled", json!(false)).await.unwrap();
    let (status, _, _) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 202, "the session itself was not ended");
}

/// A login remembered but its consent never given (the browser stopped at the consent
/// app): the session is valid and names its subject, but no consent released claims, so
/// no address, name or group header, and a group filter refuses it.
async fn a_session_without_a_completed_consent_has_only_its_subject(backend: TestBackend) {
    let app = TestApp::builder(backend).config(enable).build().await;
    let browser = Browser::new();
    let client = create_client(&app, json!({"scope": "openid email profile"})).await;
    let url = authorize_url(&app, &client.id, &[("scope", "openid email profile")]);
    let challenge = login_challenge(&browser, &url).await;
    let redirect = accept_login(&app, &challenge, "ada", true).await;
    // Following the login verifier sets the session cookie and lands at the consent app.
    consent_challenge(&browser, &redirect).await;
    let cookie = session_cookie(&app, &browser);
    let (status, headers, body) = ask(&app, "", &[("cookie", &cookie)]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(header(&headers, "x-auth-request-user"), Some("ada"));
    for name in [
        "x-auth-request-email",
        "x-auth-request-preferred-username",
        "x-auth-request-groups",
    ] {
        assert_eq!(header(&headers, name), None, "{name}");
    }
    let (status, _, body) = ask(&app, "allowed_groups=engineers", &[("cookie", &cookie)]).await;
    assert_eq!((status, error_of(&body).as_str()), (403, "access_denied"));
    let (status, _, body) = ask(
        &app,
        "allowed_email_domains=example.com",
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!((status, error_of(&body).as_str()), (403, "access_denied"));
}
