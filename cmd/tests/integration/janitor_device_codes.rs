//! `portunus janitor` and the device flow (RFC 8628): expired device authorizations
//! go with `--tokens`, expired user-code attempt counts with `--requests`; live rows
//! stay (docs/architecture.md, "Retention").

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use portunus_server::clock::{Clock, SystemClock};
use portunus_server::storage::{DeviceAuthorization, DeviceCodeState, DeviceCodeStore};

use crate::support::test_db::TestDatabase;
use crate::support::{TestBackend, per_backend};

per_backend!(janitor_deletes_expired_device_codes_and_attempts);

fn authorization(key: &str, now: DateTime<Utc>, expires_in: Duration) -> DeviceAuthorization {
    DeviceAuthorization {
        device_code_key: key.to_owned(),
        user_code_key: format!("user-{key}"),
        client_id: "device-client".to_owned(),
        requested_scope: vec!["openid".into()],
        requested_audience: Vec::new(),
        requested_authorization_details: Vec::new(),
        state: DeviceCodeState::Pending,
        approval: None,
        interval_secs: 5,
        next_poll_at: now,
        polls: 0,
        requested_at: now,
        expires_at: now + expires_in,
    }
}

async fn janitor(dsn: &str, args: &[&str]) -> String {
    let mut all = vec!["janitor".to_owned(), dsn.to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_portunus"))
            .args(&all)
            .env_remove("DSN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "janitor failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn janitor_deletes_expired_device_codes_and_attempts(backend: TestBackend) {
    let db = TestDatabase::create(backend);
    let store = crate::janitor::open(&db.dsn).await;
    store.migrate_up().await.unwrap();
    // The janitor reads the system clock: the rows are placed around the real now.
    let now = SystemClock.now();
    for n in 0..4 {
        let old = authorization(&format!("old-{n}"), now, -Duration::minutes(5));
        store.insert_device_authorization(&old).await.unwrap();
    }
    let live = authorization("live", now, Duration::minutes(10));
    store.insert_device_authorization(&live).await.unwrap();
    let past = now - Duration::minutes(5);
    assert!(
        store
            .take_user_code_attempt("c-old", 5, past)
            .await
            .unwrap()
    );
    let future = now + Duration::minutes(10);
    assert!(
        store
            .take_user_code_attempt("c-new", 1, future)
            .await
            .unwrap()
    );

    // Token data only: the device codes go, the attempt counts stay.
    let out = janitor(&db.dsn, &["--tokens", "--batch-size", "3"]).await;
    assert!(out.contains("Deleted 4 expired device codes"), "{out}");
    for n in 0..4 {
        let key = format!("old-{n}");
        assert!(
            store
                .get_device_authorization(&key)
                .await
                .unwrap()
                .is_none(),
            "{key}"
        );
    }
    assert!(
        store
            .get_device_authorization("live")
            .await
            .unwrap()
            .is_some(),
        "the live device code is kept"
    );
    assert!(
        !store
            .take_user_code_attempt("c-old", 1, past)
            .await
            .unwrap(),
        "the expired count is still there after --tokens"
    );

    // Request data: the expired count goes (a new count starts), the live one stays.
    janitor(&db.dsn, &["--requests"]).await;
    assert!(
        store
            .take_user_code_attempt("c-old", 1, past)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_user_code_attempt("c-new", 1, future)
            .await
            .unwrap(),
        "the live count is kept"
    );
}
