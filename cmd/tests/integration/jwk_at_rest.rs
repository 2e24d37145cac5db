//! Keys at rest (docs/security.md, "A stolen copy of the database"): private parts sealed with `secrets.system`, still usable
//! after the secret rotates; startup bootstrap generates each set's key exactly once,
//! also when two nodes start on one database at the same time.

use base64::Engine;
use portunus_server::jwk::{ACCESS_TOKEN_SET, ID_TOKEN_SET, Verifier};
use portunus_server::storage::sql::SqlStore;
use serde_json::json;

use crate::jwk_admin_api::json;
use crate::support::test_app::TEST_SYSTEM_SECRET;
use crate::support::test_db::TestDatabase;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    private_keys_are_encrypted_at_rest,
    keys_sealed_under_an_old_secret_still_sign_after_secret_rotation,
    bootstrap_is_idempotent_across_two_apps_on_one_database,
);

async fn private_keys_are_encrypted_at_rest(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin_view = app
        .admin
        .get_json_web_key_set()
        .set(ID_TOKEN_SET)
        .send()
        .await
        .unwrap()
        .into_inner();
    let d = admin_view.keys[0].d.clone().expect("the admin API shows d");
    let rows = app
        .state
        .key_manager
        .store()
        .get_json_web_key_set(ID_TOKEN_SET)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert!(!row.public_jwk.contains("\"d\""), "{}", row.public_jwk);
    let sealed = row
        .private_jwk_sealed
        .as_deref()
        .expect("sealed private key");
    assert!(!sealed.contains(&d) && !sealed.contains("\"d\""));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .expect("base64");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains(&d) && !text.contains("\"d\""),
        "plaintext at rest"
    );
}

/// Two apps on `db` in turn: one with secret A, then one with `[B, A]`.
async fn keys_sealed_under_an_old_secret_still_sign_after_secret_rotation(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let first = TestApp::builder(backend)
        .database(db.shared())
        .build()
        .await;
    let before = first
        .admin
        .get_json_web_key_set()
        .set(ACCESS_TOKEN_SET)
        .send()
        .await
        .unwrap()
        .into_inner();
    let token = first
        .state
        .key_manager
        .sign(ACCESS_TOKEN_SET, &json!({"sub": "a"}), "at+jwt")
        .await
        .unwrap();
    drop(first);

    let rotated = TestApp::builder(backend)
        .database(db.shared())
        .config(|c| {
            c.secrets.system = vec![
                "portunus-test-system-secret-0002".to_owned(),
                TEST_SYSTEM_SECRET.to_owned(),
            ];
        })
        .build()
        .await;
    let after = rotated
        .admin
        .get_json_web_key_set()
        .set(ACCESS_TOKEN_SET)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        json(&after),
        json(&before),
        "the old secret still opens the private keys"
    );
    let resigned = rotated
        .state
        .key_manager
        .sign(ACCESS_TOKEN_SET, &json!({"sub": "b"}), "at+jwt")
        .await
        .unwrap();
    assert_eq!(resigned.kid, token.kid);
    let verifier = Verifier::from_json(&serde_json::to_string(&after).unwrap()).unwrap();
    verifier.verify(&token.token).unwrap();
    verifier.verify(&resigned.token).unwrap();
    drop(rotated);

    // Without secret A, the key cannot be opened: an error, never a silent new key.
    let without_a = TestApp::builder(backend)
        .database(db.shared())
        .config(|c| c.secrets.system = vec!["portunus-test-system-secret-0002".to_owned()])
        .build()
        .await;
    let err = without_a
        .admin
        .get_json_web_key_set()
        .set(ACCESS_TOKEN_SET)
        .send()
        .await;
    assert!(err.is_err(), "opened a key sealed under a removed secret");
    assert!(
        without_a
            .state
            .key_manager
            .sign(ACCESS_TOKEN_SET, &json!({}), "at+jwt")
            .await
            .is_err()
    );
}

async fn bootstrap_is_idempotent_across_two_apps_on_one_database(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    // Migrate once, so the two apps race only on key bootstrap.
    let dsn = db.dsn.clone();
    let store = tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .unwrap()
        .unwrap();
    store.migrate_up().await.unwrap();
    let (one, two) = tokio::join!(
        TestApp::builder(backend).database(db.shared()).build(),
        TestApp::builder(backend).database(db.shared()).build(),
    );
    for set in [ID_TOKEN_SET, ACCESS_TOKEN_SET] {
        let rows = one
            .state
            .key_manager
            .store()
            .get_json_web_key_set(set)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "[{backend}] {set}: exactly one key");
        let from_one = one
            .admin
            .get_json_web_key_set()
            .set(set)
            .send()
            .await
            .unwrap()
            .into_inner();
        let from_two = two
            .admin
            .get_json_web_key_set()
            .set(set)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(json(&from_one), json(&from_two));
    }
    drop((one, two));
    let third = TestApp::builder(backend)
        .database(db.shared())
        .build()
        .await;
    for set in [ID_TOKEN_SET, ACCESS_TOKEN_SET] {
        let rows = third
            .state
            .key_manager
            .store()
            .get_json_web_key_set(set)
            .await;
        assert_eq!(rows.unwrap().len(), 1, "a restart adds no key");
    }
}
