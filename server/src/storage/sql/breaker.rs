//! The circuit breaker in front of the database (issue 23, docs/operations.md "Faults").
//!
//! While the database is unreachable every storage call would wait for a connection
//! until `database.acquire_timeout`, and requests would pile up behind it. After
//! [`OPEN_AFTER`] consecutive connection failures the breaker opens: storage calls fail
//! at once with `StorageError::Unavailable`, which the HTTP layer answers with 503
//! `temporarily_unavailable` and `Retry-After` (RFC 6749 §5.2, RFC 9110 §10.2.3). The
//! readiness probe (`crate::health`) keeps pinging the database past the breaker, and the
//! first success closes it.
//!
//! Only failures that say the database is gone count: a lost or refused connection, a
//! connection the pool failed to open (`ConnectFailures`: the pool opens connections in
//! the background and retries at once, so an outage opens the breaker within moments
//! instead of after three checkouts that each waited `database.acquire_timeout`), or a
//! checkout that timed out while the pool could still have opened a connection. A
//! checkout that timed out because every connection was busy is overload, not an outage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::storage::StorageError;

/// Consecutive connection failures that open the breaker: one lost connection (a
/// server restart closes every pooled one, and each fails once) does not.
pub(super) const OPEN_AFTER: u32 = 3;

#[derive(Debug, Default)]
pub(super) struct Breaker {
    failures: AtomicU32,
    open: AtomicBool,
    /// The backend's name, for the metrics (`portunus_db_breaker_open`).
    backend: &'static str,
}

impl Breaker {
    /// A closed breaker for `backend` (`sqlite`, `postgres`, `mysql`).
    pub(super) fn new(backend: &'static str) -> Self {
        Self {
            backend,
            ..Self::default()
        }
    }

    /// `Err` at once while the breaker is open.
    pub(super) fn check(&self) -> Result<(), StorageError> {
        if self.open.load(Ordering::Acquire) {
            return Err(StorageError::Unavailable(format!(
                "the database is unreachable ({OPEN_AFTER} consecutive connection failures); \
                 requests fail at once until a background probe reaches it again"
            )));
        }
        Ok(())
    }

    /// A connection failure; opens the breaker at the [`OPEN_AFTER`]th in a row.
    pub(super) fn failure(&self) {
        let failures = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if failures >= OPEN_AFTER && !self.open.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                failures,
                "database unreachable: failing storage calls at once until it answers again"
            );
            crate::prometheus::db_breaker(self.backend, true);
        }
    }

    /// The database answered: closes the breaker.
    pub(super) fn success(&self) {
        self.failures.store(0, Ordering::Release);
        if self.open.swap(false, Ordering::AcqRel) {
            tracing::info!("database reachable again: storage calls resume");
            crate::prometheus::db_breaker(self.backend, false);
        }
    }

    /// Feeds the outcome of a storage call: `Unavailable` is a connection failure,
    /// anything else (a row, a conflict, a constraint) proves the database answered.
    pub(super) fn record<T>(&self, result: &Result<T, StorageError>) {
        match result {
            Err(StorageError::Unavailable(_)) => self.failure(),
            _ => self.success(),
        }
    }
}

/// How often a checkout that waits for a connection looks at the breaker.
const CHECKOUT_SLICE: Duration = Duration::from_millis(50);

/// Why [`checkout`] gave no connection.
pub(super) enum CheckoutFailed {
    /// None within the timeout (the pool's error says why).
    TimedOut(r2d2::Error),
    /// The breaker opened while waiting: fail now, as a request arriving now would.
    BreakerOpen(StorageError),
}

/// A connection of `pool` within `timeout`. A timeout while the pool still had room to
/// open a connection is a connection failure for `breaker` (every connection busy is
/// overload, not an outage). With `watch`, the wait also ends as soon as the breaker
/// opens: requests that were already waiting for a checkout when the outage began get
/// their 503 within moments instead of waiting out `timeout`. The readiness probe, which
/// must reach the database to close the breaker, does not watch.
pub(super) fn checkout<M: r2d2::ManageConnection>(
    pool: &r2d2::Pool<M>,
    timeout: Duration,
    breaker: &Breaker,
    watch: bool,
) -> Result<r2d2::PooledConnection<M>, CheckoutFailed> {
    let start = Instant::now();
    let error = loop {
        let left = timeout.saturating_sub(start.elapsed());
        let slice = if watch {
            left.min(CHECKOUT_SLICE)
        } else {
            left
        };
        match pool.get_timeout(slice) {
            Ok(conn) => return Ok(conn),
            Err(error) => {
                if watch {
                    breaker.check().map_err(CheckoutFailed::BreakerOpen)?;
                }
                if start.elapsed() >= timeout || !watch {
                    break error;
                }
            }
        }
    };
    if pool.state().connections < pool.max_size() {
        breaker.failure();
    }
    Err(CheckoutFailed::TimedOut(error))
}

/// The pool's report of a connection it could not open: a failure for the breaker, and
/// logged as the pool's own handler would (the message names host and port, never the
/// password).
#[derive(Debug)]
pub(super) struct ConnectFailures(pub(super) Arc<Breaker>);

impl<E: std::fmt::Display> r2d2::HandleError<E> for ConnectFailures {
    fn handle_error(&self, error: E) {
        tracing::error!(%error, "cannot open a database connection");
        self.0.failure();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_and_closes_on_success() {
        let breaker = Breaker::default();
        for _ in 1..OPEN_AFTER {
            breaker.failure();
            assert!(breaker.check().is_ok());
        }
        breaker.record::<()>(&Err(StorageError::Conflict("c".into())));
        for _ in 1..OPEN_AFTER {
            breaker.failure();
        }
        assert!(
            breaker.check().is_ok(),
            "an answer in between resets the count"
        );
        breaker.record::<()>(&Err(StorageError::Unavailable("gone".into())));
        assert!(matches!(breaker.check(), Err(StorageError::Unavailable(_))));
        breaker.record(&Ok(()));
        assert!(breaker.check().is_ok());
    }

    /// A database that refuses every connection.
    #[derive(Debug)]
    struct Refusing;

    impl r2d2::ManageConnection for Refusing {
        type Connection = ();
        type Error = std::io::Error;
        fn connect(&self) -> Result<(), std::io::Error> {
            Err(std::io::Error::other("refused"))
        }
        fn is_valid(&self, _: &mut ()) -> Result<(), std::io::Error> {
            Ok(())
        }
        fn has_broken(&self, _: &mut ()) -> bool {
            false
        }
    }

    #[test]
    fn a_waiting_checkout_ends_when_the_breaker_opens() {
        let pool = r2d2::Pool::builder()
            .min_idle(Some(0))
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Refusing);
        let breaker = Arc::new(Breaker::default());
        let opener = {
            let breaker = breaker.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                for _ in 0..OPEN_AFTER {
                    breaker.failure();
                }
            })
        };
        let started = Instant::now();
        let waited = checkout(&pool, Duration::from_secs(30), &breaker, true);
        assert!(matches!(waited, Err(CheckoutFailed::BreakerOpen(_))));
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "ended by the breaker, not by the timeout"
        );
        opener.join().unwrap();
        // Without watching the breaker (the readiness probe) it is the timeout that ends
        // it, and a timeout with room for a connection counts as a failure.
        let closed = Breaker::default();
        let probe = checkout(&pool, Duration::from_millis(100), &closed, false);
        assert!(matches!(probe, Err(CheckoutFailed::TimedOut(_))));
        assert_eq!(closed.failures.load(Ordering::Acquire), 1);
    }

    #[test]
    fn connections_the_pool_cannot_open_open_it() {
        let breaker = Arc::new(Breaker::default());
        let handler = ConnectFailures(breaker.clone());
        for _ in 0..OPEN_AFTER {
            assert!(breaker.check().is_ok());
            r2d2::HandleError::handle_error(&handler, "refused");
        }
        assert!(matches!(breaker.check(), Err(StorageError::Unavailable(_))));
    }
}
