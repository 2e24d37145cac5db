//! Parses the `dsn` setting the way Hydra reads it: the scheme picks the backend
//! (`sqlite://`, `postgres://` / `postgresql://`, `mysql://`), and Hydra's pool parameters
//! in the query (`max_conns`, `max_idle_conns`, `max_conn_lifetime`, `max_conn_idle_time`)
//! configure our pool and are removed before the rest reaches the driver, which would
//! reject them. Every other parameter (`sslmode`, `connect_timeout`, `_fk`, …) is passed on.

use std::path::PathBuf;
use std::time::Duration;

use crate::duration::GoDuration;
use crate::storage::StorageError;

/// The database family behind a DSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    pub const ALL: [Self; 3] = [Self::Sqlite, Self::Postgres, Self::Mysql];

    /// The name used in logs, metrics and the `migrations/<name>` directory.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }
}

/// Pool sizing taken from the DSN (Hydra's names, r2d2's meaning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOptions {
    /// `max_conns`: the pool's maximum size.
    pub max_size: u32,
    /// `max_idle_conns`: connections kept open while idle (r2d2 `min_idle`), at most
    /// `max_size`; `None` keeps r2d2's default (the pool's full size), which is what
    /// SQLite gets; PostgreSQL and MySQL default to `DEFAULT_IDLE_CONNS` (none).
    pub min_idle: Option<u32>,
    /// `max_conn_lifetime`; Go's `0` (unlimited) is `None`.
    pub max_lifetime: Option<Duration>,
    /// `max_conn_idle_time`; Go's `0` (unlimited) is `None`.
    pub idle_timeout: Option<Duration>,
}

/// A parsed DSN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    pub backend: Backend,
    /// What the driver's `establish` receives: the URL without pool parameters, or for
    /// SQLite the file path (a `file:` URI when driver parameters remain).
    pub driver_url: String,
    /// SQLite only: the database file.
    pub sqlite_path: Option<PathBuf>,
    pub pool: PoolOptions,
}

/// Parses `dsn`. Errors name the problem and never echo the DSN, which may hold a password.
pub fn parse(dsn: &str) -> Result<Dsn, StorageError> {
    let (scheme, rest) = dsn.split_once("://").ok_or_else(|| {
        invalid("it must start with sqlite://, postgres://, postgresql:// or mysql://")
    })?;
    let backend = match scheme.to_ascii_lowercase().as_str() {
        "sqlite" | "sqlite3" => Backend::Sqlite,
        "postgres" | "postgresql" => Backend::Postgres,
        "mysql" => Backend::Mysql,
        // RFC 3986 §3.1 scheme characters only: text before a later "://" (a DSN
        // with a typo in its scheme) could hold the password, which errors never echo.
        other
            if other.len() <= 32
                && other
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            return Err(invalid(&format!(
                "unsupported scheme {other:?}; expected sqlite, postgres, postgresql or mysql"
            )));
        }
        _ => {
            return Err(invalid(
                "it must start with sqlite://, postgres://, postgresql:// or mysql://",
            ));
        }
    };
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (pool, driver_params) = pool_options(query, backend)?;
    let (driver_url, sqlite_path) = match backend {
        Backend::Sqlite => {
            let (url, path) = sqlite_location(location, &driver_params)?;
            (url, Some(path))
        }
        Backend::Mysql if location.contains("@tcp(") => {
            return Err(invalid(
                "Go-style MySQL address `tcp(host:port)` is not supported; \
                 use mysql://user:password@host:port/database",
            ));
        }
        Backend::Postgres | Backend::Mysql => (
            join(&format!("{scheme}://{location}"), &driver_params),
            None,
        ),
    };
    Ok(Dsn {
        backend,
        driver_url,
        sqlite_path,
        pool,
    })
}

fn invalid(why: &str) -> StorageError {
    StorageError::Database(format!("invalid dsn: {why}"))
}

fn join(base: &str, params: &[&str]) -> String {
    if params.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

/// Splits the query into our pool options and the parameters left for the driver,
/// which are kept verbatim (no re-encoding).
fn pool_options(query: &str, backend: Backend) -> Result<(PoolOptions, Vec<&str>), StorageError> {
    let mut pool = PoolOptions {
        max_size: default_max_conns(backend),
        min_idle: None,
        max_lifetime: None,
        idle_timeout: None,
    };
    let mut driver = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "max_conns" => pool.max_size = positive(key, value)?,
            "max_idle_conns" => pool.min_idle = Some(count(key, value)?),
            "max_conn_lifetime" => pool.max_lifetime = duration(key, value)?,
            "max_conn_idle_time" => pool.idle_timeout = duration(key, value)?,
            _ => driver.push(pair),
        }
    }
    // A PostgreSQL or MySQL pool opens connections when a query needs one and closes
    // them after r2d2's idle timeout (10 minutes), rather than holding `max_conns`
    // server connections per node at rest. Nothing connects in the background either:
    // libpq negotiating TLS on a pool thread while the process runs its exit handlers
    // crashed processes at exit (SIGSEGV), seen in the test suite.
    if pool.min_idle.is_none() && backend != Backend::Sqlite {
        pool.min_idle = Some(DEFAULT_IDLE_CONNS);
    }
    // Go's database/sql lowers max idle to max open; r2d2 would panic instead.
    pool.min_idle = pool.min_idle.map(|idle| idle.min(pool.max_size));
    Ok((pool, driver))
}

/// Hydra's default is unbounded; a pool needs a bound. SQLite's pool only reads (its
/// writes go through one writer thread, `writer.rs`): two per core keeps every core busy.
/// PostgreSQL and MySQL commit concurrently, and each commit waits for its log flush, so
/// more connections let the server flush more commits together: measured on two cores
/// with 64 clients, client_credentials on PostgreSQL gained 18% at 16 connections over
/// 4, and 30% at 32 (docs/benchmarks.md). Four per core, at least 16, stays well under
/// PostgreSQL's default `max_connections` (100) for a few nodes.
/// Connections a PostgreSQL or MySQL pool keeps open while idle, unless
/// `max_idle_conns` says otherwise: none (see `pool_options`).
const DEFAULT_IDLE_CONNS: u32 = 0;

fn default_max_conns(backend: Backend) -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let (per_core, floor) = match backend {
        Backend::Sqlite => (2, 4),
        Backend::Postgres | Backend::Mysql => (4, 16),
    };
    u32::try_from(cores.saturating_mul(per_core))
        .unwrap_or(u32::MAX)
        .max(floor)
}

fn count(key: &str, value: &str) -> Result<u32, StorageError> {
    value
        .parse()
        .map_err(|_| invalid(&format!("{key}={value:?} is not a non-negative integer")))
}

fn positive(key: &str, value: &str) -> Result<u32, StorageError> {
    match count(key, value)? {
        0 => Err(invalid(&format!("{key} must be at least 1"))),
        n => Ok(n),
    }
}

fn duration(key: &str, value: &str) -> Result<Option<Duration>, StorageError> {
    let parsed = GoDuration::parse(value).map_err(|e| invalid(&format!("{key}: {e}")))?;
    Ok(Some(parsed.as_std()).filter(|d| !d.is_zero()))
}

/// `sqlite://relative/path` and `sqlite:///absolute/path`. In-memory databases are
/// refused: every pooled connection would open its own empty database.
fn sqlite_location(location: &str, params: &[&str]) -> Result<(String, PathBuf), StorageError> {
    if location.is_empty() {
        return Err(invalid(
            "sqlite:// needs a file path, e.g. sqlite:///var/lib/portunus/db.sqlite",
        ));
    }
    if location.contains(":memory:") || location.starts_with("file:") {
        return Err(invalid(
            "in-memory and file: URI SQLite databases are not supported; give a file path",
        ));
    }
    let path = PathBuf::from(location);
    if params.is_empty() {
        return Ok((location.to_owned(), path));
    }
    // SQLite URI filenames (https://sqlite.org/uri.html §3.1): `#` and `%` in the path
    // must be escaped (`?` cannot occur: it starts the DSN's query); SQLite ignores query
    // parameters it does not know, such as Hydra's `_fk`.
    let mut escaped = String::with_capacity(location.len());
    for c in location.chars() {
        match c {
            '#' => escaped.push_str("%23"),
            '%' => escaped.push_str("%25"),
            other => escaped.push(other),
        }
    }
    Ok((join(&format!("file:{escaped}"), params), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_relative_and_absolute_paths() {
        let dsn = parse("sqlite://data/db.sqlite").unwrap();
        assert_eq!(dsn.backend, Backend::Sqlite);
        assert_eq!(dsn.driver_url, "data/db.sqlite");
        assert_eq!(dsn.sqlite_path, Some(PathBuf::from("data/db.sqlite")));

        let dsn = parse("sqlite:///var/lib/portunus/db.sqlite").unwrap();
        assert_eq!(dsn.driver_url, "/var/lib/portunus/db.sqlite");
        assert_eq!(
            dsn.sqlite_path,
            Some(PathBuf::from("/var/lib/portunus/db.sqlite"))
        );
    }

    #[test]
    fn sqlite_driver_params_become_a_file_uri() {
        let dsn = parse("sqlite:///tmp/100%#1.db?_fk=true&max_conns=3").unwrap();
        assert_eq!(dsn.driver_url, "file:/tmp/100%25%231.db?_fk=true");
        assert_eq!(dsn.sqlite_path, Some(PathBuf::from("/tmp/100%#1.db")));
        assert_eq!(dsn.pool.max_size, 3);
    }

    #[test]
    fn sqlite_without_path_or_in_memory_is_refused() {
        for dsn in [
            "sqlite://",
            "sqlite://:memory:",
            "sqlite://file::memory:?cache=shared",
        ] {
            let err = parse(dsn).unwrap_err().to_string();
            assert!(err.contains("invalid dsn"), "{dsn}: {err}");
        }
    }

    #[test]
    fn postgres_keeps_driver_params_and_strips_pool_params() {
        let dsn = parse(
            "postgres://u:p%40ss@db:5432/hydra?sslmode=disable&max_conns=20&max_idle_conns=4\
             &max_conn_lifetime=1h&connect_timeout=5&max_conn_idle_time=0",
        )
        .unwrap();
        assert_eq!(dsn.backend, Backend::Postgres);
        assert_eq!(
            dsn.driver_url,
            "postgres://u:p%40ss@db:5432/hydra?sslmode=disable&connect_timeout=5"
        );
        assert_eq!(dsn.sqlite_path, None);
        assert_eq!(
            dsn.pool,
            PoolOptions {
                max_size: 20,
                min_idle: Some(4),
                max_lifetime: Some(Duration::from_secs(3600)),
                idle_timeout: None,
            }
        );
        assert_eq!(
            parse("postgresql://db/x").unwrap().backend,
            Backend::Postgres
        );
    }

    #[test]
    fn mysql_url_without_params_is_unchanged() {
        let dsn = parse("mysql://root@127.0.0.1:3306/portunus").unwrap();
        assert_eq!(dsn.backend, Backend::Mysql);
        assert_eq!(dsn.driver_url, "mysql://root@127.0.0.1:3306/portunus");
    }

    #[test]
    fn go_style_mysql_address_gets_a_pointed_error() {
        let err = parse("mysql://root:secret@tcp(db:3306)/hydra?parseTime=true").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("tcp(host:port)"), "{text}");
        assert!(!text.contains("secret"), "the password leaked: {text}");
    }

    #[test]
    fn pool_defaults_and_clamping() {
        let dsn = parse("postgres://db/x").unwrap();
        assert!(dsn.pool.max_size >= 16);
        assert_eq!(dsn.pool.min_idle, Some(0));
        let dsn = parse("sqlite://x.db").unwrap();
        assert!(dsn.pool.max_size >= 4);
        assert_eq!(dsn.pool.min_idle, None);
        let dsn = parse("postgres://db/x?max_conns=2&max_idle_conns=9").unwrap();
        assert_eq!(dsn.pool.min_idle, Some(2));
    }

    #[test]
    fn bad_pool_values_are_refused() {
        for dsn in [
            "postgres://db/x?max_conns=0",
            "postgres://db/x?max_conns=many",
            "postgres://db/x?max_idle_conns=-1",
            "postgres://db/x?max_conn_lifetime=forever",
        ] {
            assert!(parse(dsn).is_err(), "{dsn} was accepted");
        }
    }

    #[test]
    fn unknown_or_missing_scheme_names_the_problem() {
        let err = parse("oracle://scott:tiger@db/x").unwrap_err().to_string();
        assert!(err.contains("\"oracle\""), "{err}");
        assert!(!err.contains("tiger"), "{err}");
        let err = parse("/var/lib/db.sqlite").unwrap_err().to_string();
        assert!(err.contains("sqlite://"), "{err}");
    }
}
