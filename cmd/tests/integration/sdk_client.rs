//! The SDK's hand-written layer against a running server: the one entry point
//! (`Portunus::builder`) with its two listeners and the admin API key, and the error
//! helpers (`OAuth2ErrorExt::oauth2`, `ApiError`'s `Display`), and the pagination
//! stream that follows RFC 8288 `Link: <…>; rel="next"`.

use std::collections::BTreeSet;

use futures::{StreamExt, TryStreamExt};
use portunus_sdk::types::OAuth2Client;
use portunus_sdk::{ApiError, OAuth2ErrorExt, Portunus};

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    one_entry_point_reaches_both_listeners,
    errors_show_the_status_and_the_oauth2_error,
    stream_follows_next_links_across_pages,
);

const API_KEY: &str = "admin-key-0123456789-abcdefghijkl";

async fn one_entry_point_reaches_both_listeners(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.serve.admin.api_key = Some(API_KEY.into()))
        .build()
        .await;
    let portunus = Portunus::builder()
        .public_url(format!("{}/", app.public_url))
        .admin_url(&app.admin_url)
        .admin_api_key(API_KEY)
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();

    // Admin operations go to the admin listener with the key.
    let clients = portunus
        .admin()
        .list_o_auth2_clients()
        .send()
        .await
        .expect("admin call with the key");
    assert_eq!(clients.status().as_u16(), 200);

    // Public operations go to the public listener (the issuer is the public URL).
    let discovery = portunus
        .public()
        .discover_oidc_configuration()
        .send()
        .await
        .expect("public discovery")
        .into_inner();
    assert_eq!(discovery.issuer, format!("{}/", app.public_url));

    // The admin listener does not serve the public paths, and the reverse.
    assert!(
        portunus
            .admin()
            .discover_oidc_configuration()
            .send()
            .await
            .is_err()
    );
    assert!(
        portunus
            .public()
            .list_o_auth2_clients()
            .send()
            .await
            .is_err()
    );

    // Without the key the admin listener refuses.
    let keyless = Portunus::builder()
        .admin_url(&app.admin_url)
        .build()
        .unwrap();
    let refused = keyless.admin().list_o_auth2_clients().send().await;
    assert_eq!(
        refused.err().and_then(|e| e.status()).map(|s| s.as_u16()),
        Some(401)
    );
}

async fn errors_show_the_status_and_the_oauth2_error(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let err = app
        .sdk
        .admin()
        .get_o_auth2_client()
        .id("no-such-client")
        .send()
        .await
        .unwrap_err();
    let body = err.oauth2().expect("a documented error status has a body");
    assert_eq!(body.error, "not_found");
    assert!(!body.error_description.is_empty());
    let description = body.error_description.clone();
    let shown = ApiError::from(err).to_string();
    assert_eq!(shown, format!("404 Not Found: not_found: {description}"));

    // A 400 with the RFC 6749 error code, through `?` into ApiError.
    async fn create_with_bad_grant(app: &TestApp) -> Result<(), ApiError> {
        let body = portunus_sdk::types::OAuth2Client {
            grant_types: Some(vec!["no-such-grant".into()]),
            ..Default::default()
        };
        app.sdk
            .admin()
            .create_o_auth2_client()
            .body(body)
            .send()
            .await?;
        Ok(())
    }
    let err = create_with_bad_grant(&app).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let code = err.oauth2().map(|e| e.error.clone()).unwrap_or_default();
    assert!(
        err.to_string()
            .starts_with(&format!("400 Bad Request: {code}: ")),
        "{err}"
    );

    // A transport failure has no OAuth 2.0 body and says so.
    let unreachable = Portunus::builder()
        .admin_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let err = unreachable.admin().get_version().send().await.unwrap_err();
    assert!(err.oauth2().is_none());
    let shown = ApiError::from(err).to_string();
    assert!(shown.starts_with("cannot reach the server: "), "{shown}");
}

async fn stream_follows_next_links_across_pages(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.sdk.admin();
    let mut all = BTreeSet::new();
    let mut owned = BTreeSet::new();
    for i in 0..7 {
        let id = format!("stream-client-{i}");
        let owner = if i % 3 == 0 { "other" } else { "team-a" };
        let body = OAuth2Client {
            client_id: Some(id.clone()),
            owner: Some(owner.into()),
            ..Default::default()
        };
        admin
            .create_o_auth2_client()
            .body(body)
            .send()
            .await
            .unwrap();
        all.insert(id.clone());
        if owner == "team-a" {
            owned.insert(id);
        }
    }

    // One page really is two clients with a next link: the stream below needs four
    // requests for seven clients.
    let first = admin
        .list_o_auth2_clients()
        .page_size(2u64)
        .send()
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let link = first
        .headers()
        .get("link")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(link.contains("rel=\"next\""), "{link}");

    let streamed: Vec<OAuth2Client> = admin
        .list_o_auth2_clients()
        .page_size(2u64)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = streamed.into_iter().filter_map(|c| c.client_id).collect();
    assert_eq!(ids.len(), 7, "every client once: {ids:?}");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), all);

    // The caller's filters apply to every page (5 clients of team-a: 3 pages of 2).
    let team_a: BTreeSet<String> = admin
        .list_o_auth2_clients()
        .owner("team-a")
        .page_size(2u64)
        .stream()
        .map_ok(|c| c.client_id.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(team_a, owned);

    // An error ends the stream after yielding it once: the public listener has no
    // admin paths.
    let mut wrong_listener = app.sdk.public().list_o_auth2_clients().stream();
    let first = wrong_listener.next().await.expect("one item");
    assert_eq!(
        first.err().and_then(|e| e.status()).map(|s| s.as_u16()),
        Some(404)
    );
    assert!(wrong_listener.next().await.is_none());
}
