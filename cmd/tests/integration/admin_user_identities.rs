//! `/admin/users/{id}/identities` (issue 22 §1): the upstream identities linked to a
//! local user, listed and unlinked over the admin API. The link is made by a real
//! upstream sign-in (a second Portunus as the provider, as in `login_ui_upstream`).

use portunus_server::config::FirstLogin;
use serde_json::Value;

use crate::login_ui_upstream::{idp, oidc_provider, register_rp, rp, sign_in};
use crate::support::browser::Browser;
use crate::support::{TestApp, TestBackend};

async fn list(app: &TestApp, user_id: &str) -> (u16, Value) {
    let response = app
        .http
        .get(app.admin_path(&format!("/admin/users/{user_id}/identities")))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn unlink(app: &TestApp, user_id: &str, query: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .http
        .delete(app.admin_path(&format!("/admin/users/{user_id}/identities")))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_identity_is_listed_and_unlinked() {
    let idp = idp().await;
    let rp = rp(TestBackend::Sqlite, oidc_provider(&idp, FirstLogin::Create)).await;
    register_rp(&idp, &rp, "idp").await;
    let idp_user = idp
        .state
        .users
        .get_user_by_username(crate::support::login_ui::USERNAME)
        .await
        .unwrap()
        .unwrap();
    let claims = sign_in(&rp, &idp, &Browser::new()).await;
    let local = claims["sub"].as_str().unwrap().to_owned();

    let (status, links) = list(&rp, &local).await;
    assert_eq!(status, 200, "{links}");
    let links = links.as_array().unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["provider"], "idp");
    assert_eq!(links[0]["upstream_subject"], idp_user.id.as_str());
    assert_eq!(links[0]["user_id"], local.as_str());
    assert!(links[0]["created_at"].is_string());

    let (status, body) = list(&rp, "no-such-user").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_found");

    // Bad input: 400 with an RFC error body, nothing deleted.
    let (status, body) = unlink(&rp, &local, &[("provider", "idp")]).await;
    assert_eq!(status, 400, "{body}");
    let long = "x".repeat(300);
    let (status, body) = unlink(
        &rp,
        &local,
        &[("provider", "idp"), ("upstream_subject", long.as_str())],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_request"), "{body}");
    // Not this user's link.
    let other = crate::support::login_ui::create_user(&rp).await.id;
    let (status, body) = unlink(
        &rp,
        &other,
        &[
            ("provider", "idp"),
            ("upstream_subject", idp_user.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(list(&rp, &local).await.1.as_array().unwrap().len(), 1);

    let (status, body) = unlink(
        &rp,
        &local,
        &[
            ("provider", "idp"),
            ("upstream_subject", idp_user.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(list(&rp, &local).await.1, serde_json::json!([]));
    let (status, _) = unlink(
        &rp,
        &local,
        &[
            ("provider", "idp"),
            ("upstream_subject", idp_user.id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 404, "unlinked once");
    assert!(
        rp.state
            .upstreams
            .identities
            .get_identity("idp", &idp_user.id)
            .await
            .unwrap()
            .is_none()
    );
}
