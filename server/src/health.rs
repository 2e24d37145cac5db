//! Liveness and readiness, independent of HTTP.
//!
//! Readiness never waits for the database on the request path (issue 23): a background
//! probe pings the storage every [`PROBE_INTERVAL`] and `/health/ready` answers from its
//! last outcome at once. A ping without an answer within [`PROBE_TIMEOUT`] counts as an
//! outage right then; the probe then waits for that ping (abandoning it after
//! [`ABANDON_AFTER`]) rather than piling up more behind it. So readiness turns 503 within about one interval plus the timeout of an
//! outage becoming detectable, and 200 within one interval of recovery. The ping also
//! closes the storage's circuit breaker when the database answers again
//! (`storage/sql/breaker.rs`). Once shutdown begins ([`Readiness::start_draining`])
//! readiness is 503 whatever the database says, so load balancers take the node out
//! while it still serves (`serve.shutdown_drain_delay`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::storage::StorageHealth;

/// How often the probe pings the database.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// How long a ping may take before the probe reports the database unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// `Ok` when every dependency answers; otherwise each failing dependency with its reason.
pub type Status = Result<(), BTreeMap<String, String>>;

/// The readiness the probe last saw; cheap to clone and to read.
#[derive(Clone)]
pub struct Readiness {
    status: watch::Receiver<Status>,
    draining: Arc<AtomicBool>,
}

impl Readiness {
    /// Starts the probe on the current tokio runtime. The status starts as ready: the
    /// server was built on a database that answered and is migrated. The probe stops
    /// once every clone of the returned value is gone.
    pub fn watch(storage: Arc<dyn StorageHealth>) -> Readiness {
        Self::watch_with(storage, SERVER_TIMING)
    }

    fn watch_with(storage: Arc<dyn StorageHealth>, timing: Timing) -> Readiness {
        let (report, status) = watch::channel(Ok(()));
        tokio::spawn(probe(storage, report, timing));
        Readiness {
            status,
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The last outcome, without waiting; not ready once draining.
    pub fn current(&self) -> Status {
        if self.draining.load(Ordering::Relaxed) {
            return Err(BTreeMap::from([(
                "server".to_owned(),
                "shutting down".to_owned(),
            )]));
        }
        self.status.borrow().clone()
    }

    /// Shutdown has begun: from now on every clone reports not ready. There is no way
    /// back; a stopping server does not become ready again.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Waits until the probe has reported once more (tests: a status after a change).
    pub async fn changed(&mut self) -> bool {
        self.status.changed().await.is_ok()
    }
}

fn database_failure(reason: String) -> Status {
    Err(BTreeMap::from([("database".to_owned(), reason)]))
}

async fn ping(storage: &dyn StorageHealth) -> Status {
    storage
        .ping()
        .await
        .or_else(|err| database_failure(err.to_string()))
}

/// A ping without an answer for this long is abandoned and a fresh one started: a
/// connection to a server that stopped answering mid-query can block for as long as the
/// operating system keeps the socket, and readiness must come back with the database.
pub const ABANDON_AFTER: Duration = Duration::from_secs(30);

/// The probe's clock: [`PROBE_INTERVAL`], [`PROBE_TIMEOUT`], [`ABANDON_AFTER`] in a
/// server, shorter in tests.
#[derive(Debug, Clone, Copy)]
struct Timing {
    interval: Duration,
    timeout: Duration,
    abandon_after: Duration,
}

const SERVER_TIMING: Timing = Timing {
    interval: PROBE_INTERVAL,
    timeout: PROBE_TIMEOUT,
    abandon_after: ABANDON_AFTER,
};

async fn probe(storage: Arc<dyn StorageHealth>, report: watch::Sender<Status>, timing: Timing) {
    let mut ticks = tokio::time::interval(timing.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A ping that outlived `PROBE_TIMEOUT`, and when it started; at most one, so a hung
    // database does not collect a ping (a blocking thread, a connection) per tick.
    let mut late: Option<(tokio::task::JoinHandle<Status>, tokio::time::Instant)> = None;
    loop {
        ticks.tick().await;
        if report.is_closed() {
            return;
        }
        if let Some((ping, since)) = late.take() {
            if ping.is_finished() {
                publish(&report, joined(ping.await));
            } else if since.elapsed() < timing.abandon_after {
                late = Some((ping, since));
            }
            continue;
        }
        let pinging = Arc::clone(&storage);
        let mut ping = tokio::spawn(async move { ping(pinging.as_ref()).await });
        match tokio::time::timeout(timing.timeout, &mut ping).await {
            Ok(done) => publish(&report, joined(done)),
            Err(_) => {
                publish(
                    &report,
                    database_failure(format!(
                        "no answer within {} ms",
                        timing.timeout.as_millis()
                    )),
                );
                late = Some((ping, tokio::time::Instant::now()));
            }
        }
    }
}

fn joined(outcome: Result<Status, tokio::task::JoinError>) -> Status {
    outcome.unwrap_or_else(|e| database_failure(format!("probe failed: {e}")))
}

/// Reports `status`, logging the moment readiness is lost.
fn publish(report: &watch::Sender<Status>, status: Status) {
    if let Err(errors) = &status
        && report.borrow().is_ok()
    {
        tracing::warn!(?errors, "not ready");
    }
    // The previous status is of no further use.
    let _previous = report.send_replace(status);
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::storage::StorageError;

    /// A storage whose ping answers what the test says, or never.
    struct Scripted(Mutex<Option<Result<(), StorageError>>>);

    #[async_trait]
    impl StorageHealth for Scripted {
        async fn ping(&self) -> Result<(), StorageError> {
            let answer = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match answer {
                Some(answer) => answer,
                None => std::future::pending().await,
            }
        }
    }

    fn set(storage: &Scripted, answer: Option<Result<(), StorageError>>) {
        *storage.0.lock().unwrap_or_else(|e| e.into_inner()) = answer;
    }

    /// The status once it differs from `ready` (the probe reports every interval).
    async fn until(readiness: &mut Readiness, ready: bool) -> Status {
        loop {
            let status = readiness.current();
            if status.is_ok() == ready {
                return status;
            }
            assert!(readiness.changed().await, "the probe stopped");
        }
    }

    /// Milliseconds instead of seconds; the test waits for outcomes, never for time.
    const FAST: Timing = Timing {
        interval: Duration::from_millis(5),
        timeout: Duration::from_millis(20),
        abandon_after: Duration::from_millis(100),
    };

    #[tokio::test]
    async fn follows_the_database_and_never_waits_for_it() {
        let storage = Arc::new(Scripted(Mutex::new(Some(Ok(())))));
        let mut readiness = Readiness::watch_with(storage.clone(), FAST);
        assert!(readiness.current().is_ok());
        set(
            &storage,
            Some(Err(StorageError::Unavailable("refused".into()))),
        );
        let down = until(&mut readiness, false).await;
        assert!(down.unwrap_err()["database"].contains("refused"));
        set(&storage, Some(Ok(())));
        assert!(until(&mut readiness, true).await.is_ok());
        // A ping that never answers is an outage after the timeout.
        set(&storage, None);
        let hung = until(&mut readiness, false).await;
        assert!(hung.unwrap_err()["database"].contains("no answer"));
        // That ping never answers; a fresh one does once the database is back.
        set(&storage, Some(Ok(())));
        assert!(until(&mut readiness, true).await.is_ok());
    }

    #[tokio::test]
    async fn draining_is_not_ready_in_every_clone_whatever_the_database_says() {
        let storage = Arc::new(Scripted(Mutex::new(Some(Ok(())))));
        let readiness = Readiness::watch_with(storage, FAST);
        let clone = readiness.clone();
        assert!(clone.current().is_ok());
        readiness.start_draining();
        assert_eq!(clone.current().unwrap_err()["server"], "shutting down");
        assert!(readiness.current().is_err());
    }
}
