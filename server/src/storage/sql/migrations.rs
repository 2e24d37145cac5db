//! Migrations embedded per backend (docs/architecture.md, "Storage"):
//! `migrations/<backend>/<version>_<name>`, the same directory names in all three (a
//! test checks it). diesel records applied versions in `__diesel_schema_migrations`.

use diesel::backend::Backend as DieselBackend;
use diesel::migration::{Migration, MigrationSource};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::DbConnection;
use super::dsn::Backend;
use super::{MigrationStatus, map_diesel};
use crate::storage::StorageError;

const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const MYSQL: EmbeddedMigrations = embed_migrations!("../migrations/mysql");

diesel::table! {
    /// diesel_migrations' bookkeeping table, read (never written) by the health check.
    __diesel_schema_migrations (version) {
        version -> Text,
        run_on -> Timestamp,
    }
}

/// A migration's name (its directory) and version (the name's leading digits).
struct Embedded {
    name: String,
    version: String,
}

fn list<DB: DieselBackend>(source: &EmbeddedMigrations) -> Result<Vec<Embedded>, StorageError> {
    let mut all: Vec<Embedded> = MigrationSource::<DB>::migrations(source)
        .map_err(migration_error)?
        .iter()
        .map(|m| Embedded {
            name: m.name().to_string(),
            version: m.name().version().to_string(),
        })
        .collect();
    all.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(all)
}

fn embedded(backend: Backend) -> Result<Vec<Embedded>, StorageError> {
    match backend {
        Backend::Sqlite => list::<diesel::sqlite::Sqlite>(&SQLITE),
        Backend::Postgres => list::<diesel::pg::Pg>(&POSTGRES),
        Backend::Mysql => list::<diesel::mysql::Mysql>(&MYSQL),
    }
}

/// The embedded migration names for `backend`, oldest first.
pub fn names(backend: Backend) -> Vec<String> {
    embedded(backend)
        .map(|all| all.into_iter().map(|m| m.name).collect())
        .unwrap_or_default()
}

/// Applies what is pending, each migration in its own transaction where the backend has
/// transactional DDL; returns the applied names.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, StorageError> {
    let (backend, versions) = match conn {
        DbConnection::Sqlite(c) => (Backend::Sqlite, run(c, SQLITE)?),
        DbConnection::Postgresql(c) => (Backend::Postgres, run(c, POSTGRES)?),
        DbConnection::Mysql(c) => (Backend::Mysql, run(c, MYSQL)?),
    };
    Ok(embedded(backend)?
        .into_iter()
        .filter(|m| versions.contains(&m.version))
        .map(|m| m.name)
        .collect())
}

fn run<DB: DieselBackend, C: MigrationHarness<DB>>(
    conn: &mut C,
    source: EmbeddedMigrations,
) -> Result<Vec<String>, StorageError> {
    let applied = conn
        .run_pending_migrations(source)
        .map_err(migration_error)?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Every embedded migration, oldest first, with whether it is applied. Like Hydra's
/// `migrate sql status`, this creates the (empty) bookkeeping table on a fresh database.
pub fn status(conn: &mut DbConnection) -> Result<Vec<MigrationStatus>, StorageError> {
    let (backend, applied) = match conn {
        DbConnection::Sqlite(c) => (Backend::Sqlite, c.applied_migrations()),
        DbConnection::Postgresql(c) => (Backend::Postgres, c.applied_migrations()),
        DbConnection::Mysql(c) => (Backend::Mysql, c.applied_migrations()),
    };
    let applied: Vec<String> = applied
        .map_err(migration_error)?
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(embedded(backend)?
        .into_iter()
        .map(|m| MigrationStatus {
            applied: applied.contains(&m.version),
            name: m.name,
        })
        .collect())
}

/// Names of embedded migrations the database has not applied, read without writing, so
/// the readiness probe never runs DDL.
pub fn pending_read_only(
    conn: &mut DbConnection,
    backend: Backend,
) -> Result<Vec<String>, StorageError> {
    let applied: Vec<String> = __diesel_schema_migrations::table
        .select(__diesel_schema_migrations::version)
        .load(conn)
        .map_err(map_diesel)?;
    Ok(embedded(backend)?
        .into_iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| m.name)
        .collect())
}

/// diesel_migrations boxes its errors; a database error inside keeps its mapping
/// (a dropped connection stays `Unavailable`).
fn migration_error(err: Box<dyn std::error::Error + Send + Sync>) -> StorageError {
    match err.downcast::<diesel::result::Error>() {
        Ok(db) => map_diesel(*db),
        Err(other) => StorageError::Database(format!("migration failed: {other}")),
    }
}
