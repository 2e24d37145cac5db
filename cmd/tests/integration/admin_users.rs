//! The local users admin API (`/admin/users`, issue 22 §1), driven through our SDK; raw
//! HTTP only to probe the wire (no hash in any body, error shapes).

use std::collections::BTreeSet;

use portunus_sdk::types::{ErrorOAuth2, JsonPatch, SetUserPasswordBody, User, UserBody};
use portunus_sdk::{Error, ResponseValue};
use portunus_server::users::password;
use serde_json::json;

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    create_answers_201_with_the_user_and_stores_only_a_hash,
    no_response_carries_a_password_or_hash,
    duplicate_usernames_conflict_regardless_of_case,
    pagination_walks_every_page_once,
    put_replaces_and_keeps_the_password,
    patch_changes_fields_and_may_set_a_password,
    password_change_replaces_the_hash_only,
    delete_then_404,
    validation_errors_are_400_naming_the_field,
    unknown_ids_are_json_404s,
);

fn body(username: &str, password: Option<&str>) -> UserBody {
    UserBody {
        username: username.to_owned(),
        email: format!("{username}@example.com"),
        email_verified: None,
        name: None,
        password: password.map(str::to_owned),
        disabled: None,
    }
}

async fn create(app: &TestApp, body: UserBody) -> User {
    app.admin
        .create_user()
        .body(body)
        .send()
        .await
        .expect("create user")
        .into_inner()
}

fn error_of<T: std::fmt::Debug>(
    result: Result<ResponseValue<T>, Error<ErrorOAuth2>>,
) -> (u16, ErrorOAuth2) {
    match result {
        Err(Error::ErrorResponse(response)) => {
            let status = response.status().as_u16();
            (status, response.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// The SDK's types have no `PartialEq`: compare their JSON.
fn json_of(user: &User) -> serde_json::Value {
    serde_json::to_value(user).unwrap()
}

fn op(op: &str, path: &str, value: Option<serde_json::Value>) -> JsonPatch {
    serde_json::from_value(json!({"op": op, "path": path, "value": value})).unwrap()
}

/// The `page_token` of the `rel="next"` link.
fn next_token(link: Option<&str>) -> Option<String> {
    link?.split(',').find_map(|part| {
        let (target, rel) = part.split_once(';')?;
        if !rel.contains("rel=\"next\"") {
            return None;
        }
        let target = target.trim().trim_start_matches('<').trim_end_matches('>');
        url::Url::parse(&format!("http://x{target}"))
            .ok()?
            .query_pairs()
            .find(|(k, _)| k == "page_token")
            .map(|(_, v)| v.into_owned())
    })
}

async fn create_answers_201_with_the_user_and_stores_only_a_hash(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .admin
        .create_user()
        .body(UserBody {
            username: "Alice".into(),
            email: "alice@example.com".into(),
            email_verified: Some(true),
            name: Some("Alice Liddell ✓".into()),
            password: Some("correct horse battery".into()),
            disabled: None,
        })
        .send()
        .await
        .expect("create");
    assert_eq!(response.status().as_u16(), 201);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let created = response.into_inner();
    assert_eq!(
        location.as_deref(),
        Some(format!("/admin/users/{}", created.id).as_str())
    );
    assert!(
        uuid::Uuid::parse_str(&created.id).is_ok_and(|u| u.get_version_num() == 4),
        "{}",
        created.id
    );
    assert_eq!(created.username, "alice", "stored in lower case");
    assert_eq!(created.email, "alice@example.com");
    assert!(created.email_verified && created.has_password && !created.disabled);
    assert_eq!(created.name.as_deref(), Some("Alice Liddell ✓"));
    assert_eq!(created.created_at, created.updated_at);

    let fetched = app
        .admin
        .get_user()
        .id(&created.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        json_of(&fetched),
        json_of(&created),
        "GET returns what POST answered"
    );

    let stored = app
        .state
        .users
        .get_user(&created.id)
        .await
        .unwrap()
        .unwrap();
    let hash = stored.password_hash.expect("a hash is stored");
    assert!(hash.starts_with("$argon2id$"), "Argon2id at rest");
    assert!(!hash.contains("correct horse"));
    // The sign-in check the login UI calls: any case of the username, exact password.
    let signed_in = password::check(app.state.users.as_ref(), "ALICE", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(signed_in.map(|u| u.id), Some(created.id.clone()));
    let wrong = password::check(app.state.users.as_ref(), "alice", "correct horse batterY")
        .await
        .unwrap();
    assert!(wrong.is_none());

    // Without a password: created, but cannot sign in.
    let bare = create(&app, body("bob", None)).await;
    assert!(!bare.has_password && !bare.email_verified && bare.name.is_none());
    assert!(
        password::check(app.state.users.as_ref(), "bob", "")
            .await
            .unwrap()
            .is_none()
    );
}

async fn no_response_carries_a_password_or_hash(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let secret = "s3cret-password-xyz";
    let raw = app
        .http
        .post(app.admin_path("/admin/users"))
        .json(&json!({"username": "carol", "email": "carol@example.com", "password": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 201);
    let created: serde_json::Value = raw.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let mut bodies = vec![created.to_string()];
    for (method, path, payload) in [
        ("GET", format!("/admin/users/{id}"), None),
        ("GET", "/admin/users".to_owned(), None),
        (
            "PUT",
            format!("/admin/users/{id}/password"),
            Some(json!({"password": "another-password"})),
        ),
        (
            "PUT",
            format!("/admin/users/{id}"),
            Some(json!({"username": "carol", "email": "c@example.com", "password": secret})),
        ),
        (
            "PATCH",
            format!("/admin/users/{id}"),
            Some(json!([{"op": "add", "path": "/password", "value": secret}])),
        ),
    ] {
        let url = app.admin_path(&path);
        let request = match method {
            "GET" => app.http.get(&url),
            "PUT" => app.http.put(&url),
            _ => app.http.patch(&url),
        };
        let request = match payload {
            Some(p) => request.json(&p),
            None => request,
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{method} {path}");
        bodies.push(response.text().await.unwrap());
    }
    for text in bodies {
        for forbidden in [
            secret,
            "another-password",
            "argon2",
            "\"password\":",
            "hash",
        ] {
            assert!(!text.contains(forbidden), "{forbidden:?} in {text}");
        }
        assert!(text.contains("has_password"), "{text}");
    }
}

async fn duplicate_usernames_conflict_regardless_of_case(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let first = create(&app, body("dave", Some("password-one"))).await;
    let (status, error) = error_of(
        app.admin
            .create_user()
            .body(body("DAVE", Some("password-two")))
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (409, "conflict"));
    assert!(error.error_description.contains("dave"), "{error:?}");
    // The original is unchanged: its password still signs in.
    let user = password::check(app.state.users.as_ref(), "dave", "password-one")
        .await
        .unwrap();
    assert_eq!(user.map(|u| u.id), Some(first.id.clone()));

    // Renaming another user onto a taken username conflicts too, by PUT and by PATCH.
    let other = create(&app, body("erin", None)).await;
    let (status, _) = error_of(
        app.admin
            .set_user()
            .id(&other.id)
            .body(body("Dave", None))
            .send()
            .await,
    );
    assert_eq!(status, 409);
    let (status, _) = error_of(
        app.admin
            .patch_user()
            .id(&other.id)
            .body(vec![op("replace", "/username", Some(json!("dave")))])
            .send()
            .await,
    );
    assert_eq!(status, 409);
    let unchanged = app.admin.get_user().id(&other.id).send().await.unwrap();
    assert_eq!(unchanged.into_inner().username, "erin");
}

async fn pagination_walks_every_page_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut expected = BTreeSet::new();
    for i in 0..7 {
        expected.insert(create(&app, body(&format!("page-user-{i}"), None)).await.id);
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = app.admin.list_users().page_size(2u64);
        if let Some(token) = &token {
            request = request.page_token(token);
        }
        let response = request.send().await.unwrap();
        pages += 1;
        let link = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert!(
            link.as_deref()
                .is_some_and(|l| l.contains("rel=\"first\"") && l.contains("/admin/users?")),
            "{link:?}"
        );
        let page = response.into_inner();
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().map(|u| u.id));
        token = next_token(link.as_deref());
        if token.is_none() {
            break;
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 4, "7 users in pages of 2");
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    assert_eq!(unique, expected, "no gaps");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "stable order by id");

    // The SDK's stream follows the same links.
    let streamed: Vec<String> = futures::TryStreamExt::try_collect::<Vec<User>>(
        app.admin.list_users().page_size(3u64).stream(),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|u| u.id)
    .collect();
    assert_eq!(streamed, seen);

    let only = app
        .admin
        .list_users()
        .username("PAGE-USER-3")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].username, "page-user-3");

    for bad in ["page_token=%21%21", "page_token=dXNlcjE", "page_size=abc"] {
        let response = app
            .http
            .get(app.admin_path(&format!("/admin/users?{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{bad}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_request", "{bad}: {error}");
    }
    // A token of another list does not page this one.
    let clients_token = portunus_server::pagination::encode_token("c1", "x");
    let response = app
        .http
        .get(app.admin_path(&format!("/admin/users?page_token={clients_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

async fn put_replaces_and_keeps_the_password(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut initial = body("frank", Some("franks-password"));
    initial.name = Some("Frank".into());
    initial.email_verified = Some(true);
    let created = create(&app, initial).await;
    let replaced = app
        .admin
        .set_user()
        .id(&created.id)
        .body(UserBody {
            username: "frank2".into(),
            email: "frank2@example.com".into(),
            email_verified: None,
            name: None,
            password: None,
            disabled: Some(true),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replaced.id, created.id);
    assert_eq!(replaced.username, "frank2");
    assert_eq!(replaced.email, "frank2@example.com");
    assert!(
        !replaced.email_verified,
        "omitted fields get their defaults"
    );
    assert_eq!(replaced.name, None);
    assert!(replaced.disabled && replaced.has_password);
    assert_eq!(replaced.created_at, created.created_at);
    let fetched = app.admin.get_user().id(&created.id).send().await.unwrap();
    assert_eq!(json_of(&fetched.into_inner()), json_of(&replaced));
    let stored = app
        .state
        .users
        .get_user(&created.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        portunus_server::users::password::check(
            app.state.users.as_ref(),
            "frank2",
            "franks-password"
        )
        .await
        .unwrap()
        .is_none(),
        "a disabled user cannot sign in"
    );
    assert!(stored.password_hash.is_some(), "the password was kept");

    // Enabled again, with a new password.
    let mut again = body("frank2", Some("a-new-password"));
    again.disabled = Some(false);
    app.admin
        .set_user()
        .id(&created.id)
        .body(again)
        .send()
        .await
        .unwrap();
    let user = password::check(app.state.users.as_ref(), "frank2", "a-new-password")
        .await
        .unwrap();
    assert_eq!(user.map(|u| u.id), Some(created.id));
}

async fn patch_changes_fields_and_may_set_a_password(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = create(&app, body("grace", None)).await;
    let patched = app
        .admin
        .patch_user()
        .id(&created.id)
        .body(vec![
            op("replace", "/email", Some(json!("grace@example.org"))),
            op("replace", "/email_verified", Some(json!(true))),
            op("add", "/name", Some(json!("Grace Hopper"))),
            op("add", "/password", Some(json!("cobol-forever"))),
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(patched.email, "grace@example.org");
    assert!(patched.email_verified && patched.has_password);
    assert_eq!(patched.name.as_deref(), Some("Grace Hopper"));
    assert!(
        password::check(app.state.users.as_ref(), "grace", "cobol-forever")
            .await
            .unwrap()
            .is_some()
    );
    let removed = app
        .admin
        .patch_user()
        .id(&created.id)
        .body(vec![op("remove", "/name", None)])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(removed.name, None);
    assert!(removed.has_password, "a patch without /password keeps it");

    for (patch, needle) in [
        (vec![op("replace", "/id", Some(json!("other")))], "id"),
        (
            vec![op("replace", "/username", Some(json!("no spaces")))],
            "username",
        ),
        (
            vec![op("add", "/password", Some(json!("short")))],
            "password",
        ),
        (vec![op("remove", "/nothing", None)], "JSON Patch"),
        (
            vec![op("replace", "/email_verified", Some(json!("yes")))],
            "patched user",
        ),
    ] {
        let (status, error) = error_of(
            app.admin
                .patch_user()
                .id(&created.id)
                .body(patch)
                .send()
                .await,
        );
        assert_eq!((status, error.error.as_str()), (400, "invalid_request"));
        assert!(
            error.error_description.contains(needle),
            "{needle}: {}",
            error.error_description
        );
    }
    // A failed patch changed nothing.
    let now = app
        .admin
        .get_user()
        .id(&created.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(json_of(&now), json_of(&removed));
}

async fn password_change_replaces_the_hash_only(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut initial = body("heidi", Some("old-password"));
    initial.name = Some("Heidi".into());
    let created = create(&app, initial).await;
    let changed = app
        .admin
        .set_user_password()
        .id(&created.id)
        .body(SetUserPasswordBody {
            password: "new-password".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.name.as_deref(), Some("Heidi"));
    assert_eq!(changed.created_at, created.created_at);
    assert!(changed.updated_at >= created.updated_at);
    let users = app.state.users.as_ref();
    assert!(
        password::check(users, "heidi", "old-password")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        password::check(users, "heidi", "new-password")
            .await
            .unwrap()
            .is_some()
    );

    let (status, error) = error_of(
        app.admin
            .set_user_password()
            .id(&created.id)
            .body(SetUserPasswordBody {
                password: "1234567".into(),
            })
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (400, "invalid_request"));
    assert!(error.error_description.contains("8 to 1024"));
    let (status, _) = error_of(
        app.admin
            .set_user_password()
            .id("no-such-user")
            .body(SetUserPasswordBody {
                password: "long-enough".into(),
            })
            .send()
            .await,
    );
    assert_eq!(status, 404);
}

async fn delete_then_404(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = create(&app, body("ivan", Some("ivans-password"))).await;
    let response = app
        .admin
        .delete_user()
        .id(&created.id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let (status, _) = error_of(app.admin.get_user().id(&created.id).send().await);
    assert_eq!(status, 404);
    let (status, _) = error_of(app.admin.delete_user().id(&created.id).send().await);
    assert_eq!(status, 404);
    assert!(
        password::check(app.state.users.as_ref(), "ivan", "ivans-password")
            .await
            .unwrap()
            .is_none()
    );
    // The username is free again.
    create(&app, body("ivan", None)).await;
}

async fn validation_errors_are_400_naming_the_field(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({"username": "", "email": "a@b.c"}), "Field username "),
        (
            json!({"username": "has space", "email": "a@b.c"}),
            "Field username ",
        ),
        (
            json!({"username": "-leading", "email": "a@b.c"}),
            "Field username ",
        ),
        (
            json!({"username": "ünicode", "email": "a@b.c"}),
            "Field username ",
        ),
        (
            json!({"username": long(129), "email": "a@b.c"}),
            "Field username ",
        ),
        (
            json!({"username": "ok", "email": "no-at-sign"}),
            "Field email ",
        ),
        (json!({"username": "ok", "email": "a@"}), "Field email "),
        (
            json!({"username": "ok", "email": format!("{}@b.c", long(251))}),
            "Field email ",
        ),
        (
            json!({"username": "ok", "email": "a b@c.d"}),
            "Field email ",
        ),
        (
            json!({"username": "ok", "email": "a@b.c", "name": long(256)}),
            "Field name ",
        ),
        (
            json!({"username": "ok", "email": "a@b.c", "name": "a\u{7}b"}),
            "Field name ",
        ),
        (
            json!({"username": "ok", "email": "a@b.c", "password": "1234567"}),
            "Field password ",
        ),
        (
            json!({"username": "ok", "email": "a@b.c", "password": long(1025)}),
            "Field password ",
        ),
        (
            json!({"username": "ok", "email": "a@b.c", "password": "with\u{0}nul-char"}),
            "Field password ",
        ),
        (json!({"email": "a@b.c"}), "username"),
        (
            json!({"username": "ok", "email": "a@b.c", "disabled": "yes"}),
            "expected a boolean",
        ),
    ];
    for (payload, field) in cases {
        let response = app
            .http
            .post(app.admin_path("/admin/users"))
            .json(&payload)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{payload}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_request", "{payload}: {error}");
        let description = error["error_description"].as_str().unwrap();
        assert!(description.contains(field), "{payload}: {description}");
        assert!(
            description
                .chars()
                .all(portunus_server::error::is_description_char),
            "RFC 6749 §5.2 characters: {description}"
        );
    }
    // Nothing was created.
    let all = app.admin.list_users().send().await.unwrap().into_inner();
    assert!(all.is_empty(), "{all:?}");
    // The bounds themselves are accepted.
    let mut edge = body(&long(128), Some(&"p".repeat(1024)));
    edge.email = format!("{}@b.c", long(250));
    edge.name = Some("n".repeat(255));
    create(&app, edge).await;
    let wrong_type = app
        .http
        .post(app.admin_path("/admin/users"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status().as_u16(), 415);
}

async fn unknown_ids_are_json_404s(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (status, error) = error_of(app.admin.get_user().id("nope").send().await);
    assert_eq!((status, error.error.as_str()), (404, "not_found"));
    let (status, _) = error_of(
        app.admin
            .set_user()
            .id("nope")
            .body(body("nope", None))
            .send()
            .await,
    );
    assert_eq!(status, 404);
    let (status, _) = error_of(app.admin.patch_user().id("nope").body(vec![]).send().await);
    assert_eq!(status, 404);
    let (status, _) = error_of(app.admin.delete_user().id("nope").send().await);
    assert_eq!(status, 404);
}
