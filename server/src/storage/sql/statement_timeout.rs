//! `database.statement_timeout` (issue 23): one slow statement — a lock held elsewhere,
//! a runaway plan — must not hold a request, a pooled connection and a blocking thread
//! for as long as the database lets it. Each PostgreSQL and MySQL/MariaDB connection of
//! the server's pool is opened with a per-session limit; a statement cut off by it fails
//! as `StorageError::Timeout` (503 `temporarily_unavailable`), which is neither retried
//! as a lost race nor counted by the circuit breaker as an outage. SQLite runs in this
//! process and waits on its own locks for at most `busy_timeout`.
//!
//! The CLI's own connections (`migrate`, `janitor`) have no limit: a migration of a big
//! table may rightly take long.

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Milliseconds, at least 1: both servers read 0 as "no limit".
fn millis(timeout: Duration) -> u128 {
    timeout.as_millis().max(1)
}

/// The PostgreSQL URL with `options=-c statement_timeout=<ms>` added: libpq sends it as
/// a run-time parameter at connection start, so no extra round trip is needed. A DSN
/// that sets `options` itself is kept as it is (the operator's own settings win).
pub(super) fn with_pg_statement_timeout(url: String, timeout: Option<Duration>) -> String {
    let Some(timeout) = timeout else {
        return url;
    };
    let has_query = url.contains('?');
    if has_query && (url.contains("?options=") || url.contains("&options=")) {
        return url;
    }
    let separator = if has_query { '&' } else { '?' };
    format!(
        "{url}{separator}options=-c%20statement_timeout%3D{}",
        millis(timeout)
    )
}

/// The statements that set the limit on a MySQL-protocol session, in the order to try:
/// MariaDB's `max_statement_time` (seconds, every statement, lock waits included), then
/// MySQL's `max_execution_time` (milliseconds, `SELECT` only; MySQL has no limit for
/// writes, whose lock waits `innodb_lock_wait_timeout` bounds).
pub(super) fn mysql_statements(timeout: Duration) -> [String; 2] {
    let ms = millis(timeout);
    [
        format!(
            "SET SESSION max_statement_time = {}.{:03}",
            ms / 1000,
            ms % 1000
        ),
        format!("SET SESSION max_execution_time = {ms}"),
    ]
}

/// The servers' messages for a statement cut off by the limit, in their default
/// language (diesel exposes neither PostgreSQL's SQLSTATE 57014 nor the MySQL error
/// number, so the message is recognised, as `contention.rs` does for deadlocks).
const TIMED_OUT: [&str; 3] = [
    // PostgreSQL 57014.
    "canceling statement due to statement timeout",
    // MariaDB 1969.
    "max_statement_time exceeded",
    // MySQL 3024.
    "maximum statement execution time exceeded",
];

/// Whether `err` is a statement the database cut off at the session's limit.
pub(super) fn timed_out(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            TIMED_OUT.iter().any(|known| message.contains(known))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_get_the_option_unless_they_set_options() {
        let t = Some(Duration::from_millis(2500));
        assert_eq!(
            with_pg_statement_timeout("postgres://h/db".into(), t),
            "postgres://h/db?options=-c%20statement_timeout%3D2500"
        );
        assert_eq!(
            with_pg_statement_timeout("postgres://h/db?sslmode=require".into(), t),
            "postgres://h/db?sslmode=require&options=-c%20statement_timeout%3D2500"
        );
        let own = "postgres://h/db?options=-c%20search_path%3Dx".to_owned();
        assert_eq!(with_pg_statement_timeout(own.clone(), t), own);
        assert_eq!(
            with_pg_statement_timeout("postgres://h/db".into(), None),
            "postgres://h/db"
        );
    }

    #[test]
    fn mysql_statements_name_seconds_and_milliseconds() {
        assert_eq!(
            mysql_statements(Duration::from_millis(1500)),
            [
                "SET SESSION max_statement_time = 1.500".to_owned(),
                "SET SESSION max_execution_time = 1500".to_owned(),
            ]
        );
        assert_eq!(
            mysql_statements(Duration::ZERO)[1],
            "SET SESSION max_execution_time = 1",
            "never 0, which means no limit"
        );
    }
}
