//! The SDK's hand-written layer against a running server: the one entry point
//! (`Portunus::builder`) with its two listeners and the admin API key.

use portunus_sdk::Portunus;

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(one_entry_point_reaches_both_listeners);

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
