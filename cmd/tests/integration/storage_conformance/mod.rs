//! The storage conformance suite (docs/architecture.md, "Storage"): every clause of the
//! port contracts in `portunus_server::storage`, run on `MemoryStore` and on `SqlStore`
//! over every configured backend, each clause on a fresh, migrated database.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: clippy counts only #[test] fns as tests, not their helpers"
)]

mod clients;
mod device_codes;
mod event_outbox;
mod flows;
mod initial_access_tokens;
mod json_web_keys;
mod jti;
mod pg_reads;
mod pushed_requests;
mod sql;
mod token_families;
mod token_redeem;
mod tokens;
mod trusts;
mod user_identities;
mod users;

use std::future::Future;
use std::sync::Arc;

use portunus_server::storage::ClientStore;
use portunus_server::storage::memory::MemoryStore;
use portunus_server::storage::sql::SqlStore;

use crate::support::test_db::{TestDatabase, catch_failure, for_each_backend};

/// Opens a store on `db` without migrating it (connecting blocks, so off the runtime).
pub async fn connect(db: &TestDatabase) -> SqlStore {
    let dsn = db.dsn.clone();
    tokio::task::spawn_blocking(move || SqlStore::connect(&dsn))
        .await
        .expect("connect task")
        .unwrap_or_else(|e| panic!("connecting to the {} test database: {e}", db.backend))
}

/// A store on `db` with every migration applied.
pub async fn migrated(db: &TestDatabase) -> SqlStore {
    let store = connect(db).await;
    store.migrate_up().await.expect("migrate up");
    store
}

/// Starts `racers` concurrent `attempt`s (given their index) and counts those that
/// report success: the "exactly one winner" clauses of the compare-and-set operations.
pub async fn count_winners<F, Fut>(racers: usize, attempt: F) -> usize
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let tasks: Vec<_> = (0..racers).map(|i| tokio::spawn(attempt(i))).collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.expect("racer task") {
            winners += 1;
        }
    }
    winners
}

/// Runs one clause on a fresh `MemoryStore`, then on a fresh database of every backend,
/// each given to the clause as `Arc<dyn Port>` by `port` (an unsizing coercion, which
/// generic code cannot name).
pub async fn on_every_store<P, F, Fut>(port: fn(PortStore) -> Arc<P>, clause: F)
where
    P: ?Sized + Send + Sync + 'static,
    F: Fn(Arc<P>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Err(message) = catch_failure(clause(port(PortStore::Memory(Box::new(
        MemoryStore::new(),
    )))))
    .await
    {
        panic!("[memory] {message}");
    }
    for_each_backend(move |db| async move {
        let store = migrated(&db).await;
        clause(port(PortStore::Sql(Box::new(store)))).await;
    })
    .await;
}

/// The two implementations of every storage port.
pub enum PortStore {
    Memory(Box<MemoryStore>),
    Sql(Box<SqlStore>),
}

/// One `#[tokio::test]` per clause of the port `$port` (clauses in `$module`), so
/// clauses run (and fail) independently, each on every store.
macro_rules! conformance {
    ($port:path, $module:ident: $($clause:ident),+ $(,)?) => {
        fn port_of(store: $crate::storage_conformance::PortStore) -> std::sync::Arc<dyn $port> {
            match store {
                $crate::storage_conformance::PortStore::Memory(s) => std::sync::Arc::new(*s),
                $crate::storage_conformance::PortStore::Sql(s) => std::sync::Arc::new(*s),
            }
        }
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                $crate::storage_conformance::on_every_store(port_of, $module::$clause).await;
            }
        )+
    };
}
pub(crate) use conformance;

conformance!(ClientStore, clients:
    create_then_get_round_trips_every_field,
    get_unknown_is_none,
    duplicate_create_conflicts_and_keeps_the_original,
    update_of_unknown_id_writes_nothing,
    update_replaces_every_field,
    delete_reports_whether_it_deleted,
    list_orders_by_id_bytewise,
    keyset_pages_cover_everything_exactly_once,
    filters_match_exactly,
    long_unicode_strings_round_trip,
    timestamps_keep_microseconds,
    ids_differing_in_case_are_distinct,
);
