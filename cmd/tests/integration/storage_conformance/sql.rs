//! What only the SQL store has: migrations (same names on every backend),
//! readiness, and connection errors that say what went wrong.

use std::path::Path;

use portunus_server::storage::sql::{Backend, MigrationStatus, SqlStore};
use portunus_server::storage::{StorageError, StorageHealth};

use super::{connect, migrated};
use crate::support::test_db::{TestBackend, TestDatabase, backends, for_each_backend, with_user};

fn directory_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// vaultwarden's migrations drifted apart per backend; ours cannot.
#[test]
fn migration_names_match_across_backends() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let reference = directory_names(&root.join(Backend::Sqlite.as_str()));
    assert!(
        !reference.is_empty(),
        "no migrations under {}",
        root.display()
    );
    for backend in Backend::ALL {
        let dir = root.join(backend.as_str());
        let names = directory_names(&dir);
        assert_eq!(names, reference, "{} differs from sqlite", dir.display());
        for name in &names {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    dir.join(name).join(file).is_file(),
                    "{name}/{file} missing on {backend:?}"
                );
            }
        }
        assert_eq!(
            SqlStore::migration_names(backend),
            names,
            "embedded {backend:?} migrations"
        );
    }
}

fn statuses(names: &[String], applied: bool) -> Vec<MigrationStatus> {
    names
        .iter()
        .map(|name| MigrationStatus {
            name: name.clone(),
            applied,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrates_from_empty_and_again_is_a_no_op() {
    for_each_backend(|db| async move {
        let store = connect(&db).await;
        assert_eq!(store.backend().as_str(), db.backend.name());
        let names = SqlStore::migration_names(store.backend());

        assert!(
            store.ping().await.is_err(),
            "ping succeeded before any migration"
        );
        assert_eq!(
            store.migration_status().await.unwrap(),
            statuses(&names, false)
        );
        let err = store.ping().await.unwrap_err();
        assert!(
            err.to_string().contains(&names[0]),
            "ping should name the pending migration: {err}"
        );

        assert_eq!(store.migrate_up().await.unwrap(), names);
        assert_eq!(
            store.migration_status().await.unwrap(),
            statuses(&names, true)
        );
        assert_eq!(store.migrate_up().await.unwrap(), Vec::<String>::new());
        store.ping().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ping_fails_when_the_file_is_moved_or_replaced() {
    let db = TestDatabase::create(TestBackend::Sqlite);
    let store = migrated(&db).await;
    store.ping().await.unwrap();
    let path = db.sqlite_path().unwrap();
    let aside = path.with_extension("moved");

    std::fs::rename(path, &aside).unwrap();
    let moved = store.ping().await.unwrap_err();
    std::fs::write(path, b"").unwrap();
    let replaced = store.ping().await.unwrap_err();
    for err in [moved, replaced] {
        assert!(
            matches!(&err, StorageError::Unavailable(why) if why.contains("removed or replaced")),
            "{err:?}"
        );
    }

    std::fs::remove_file(path).unwrap();
    std::fs::rename(&aside, path).unwrap();
    store.ping().await.unwrap();
}

async fn connect_error(dsn: String) -> StorageError {
    tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .unwrap()
        .expect_err("connected")
}

/// The pool's own connection manager reports the driver's error, not diesel's generic
/// "Invalid connection url for multiconnection", which hides a wrong password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_reports_the_driver_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir/db.sqlite");
    let err = connect_error(format!("sqlite://{}", missing.display())).await;
    assert!(
        matches!(&err, StorageError::Unavailable(why) if why.contains(&*missing.to_string_lossy())),
        "{err:?}"
    );

    for dsn in [
        "postgres://postgres@127.0.0.1:1/x",
        "mysql://root@127.0.0.1:1/x",
    ] {
        let err = connect_error(dsn.to_owned()).await;
        assert!(
            matches!(err, StorageError::Unavailable(_)),
            "{dsn}: {err:?}"
        );
        assert!(!err.to_string().contains("multiconnection"), "{dsn}: {err}");
    }

    for backend in backends() {
        let Some(url) = backend.server_url() else {
            continue;
        };
        let (dsn, expected) = match backend {
            TestBackend::Postgres => (
                with_user(&url, "portunus_no_such_role"),
                "portunus_no_such_role",
            ),
            _ => (with_user(&url, "root:wrong-password"), "Access denied"),
        };
        let err = connect_error(dsn).await.to_string();
        assert!(err.contains(expected), "{backend}: {err}");
        assert!(
            !err.contains("wrong-password"),
            "{backend}: password in error: {err}"
        );
    }
}
