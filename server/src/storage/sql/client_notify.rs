//! The client cache of a PostgreSQL node (issue 20): decoded clients kept in memory, yet
//! a client changed or deleted on any node is never served stale once the write that
//! changed it has returned to its caller. Several nodes share one database, so the
//! cache hears of other nodes' writes through LISTEN/NOTIFY; a notification alone is
//! asynchronous, so a lookup also waits for a *barrier* that proves every notification
//! of an earlier commit has reached this process.
//!
//! # The protocol
//!
//! - Every client write sends `pg_notify('portunus_clients', <client id>)` inside its
//!   own transaction (`clients.rs`): the notification exists if and only if the write
//!   commits (a rolled-back write sends nothing).
//! - One connection per process, outside the pool, runs `LISTEN portunus_clients`.
//! - A barrier is one round trip on that connection (`SELECT pg_backend_pid()`, which
//!   also checks that no pooler moved the connection), after which every
//!   notification libpq has read (`PgConnection::notifications_iter`, which only hands
//!   out what already arrived) is drained and its client evicted. A cached client is
//!   served to a lookup only after a barrier that *started after the lookup began*
//!   completed. Lookups that arrive while a barrier is in flight wait for the next one,
//!   so one round trip serves every lookup that queued meanwhile (group commit); the
//!   listener thread runs barriers back to back while lookups wait, and one every
//!   [`IDLE_BARRIER`] otherwise, so that PostgreSQL's notification queue keeps draining.
//! - A miss reads the row and keeps it only if nothing was evicted since its barrier
//!   (the generation of [`ClientEntries`], as on SQLite), so a row read before a write
//!   committed never outlives the write's eviction.
//!
//! # Why a barrier sees every earlier commit (PostgreSQL's `async.c`, `postgres.c`)
//!
//! 1. `PreCommit_Notify` appends the transaction's notifications to the shared queue
//!    before the commit is recorded in clog. After the commit (`RecordTransactionCommit`,
//!    then `ProcArrayEndTransaction`), `CommitTransaction` calls `AtCommit_Notify`, whose
//!    `SignalBackends` sends `PROCSIG_NOTIFY_INTERRUPT` (`SendProcSignal`, a `kill`) to
//!    every listening backend of the database that has not read up to the queue head.
//!    All of this happens before the writer's backend sends `ReadyForQuery`, so before
//!    the writing node's `COMMIT` returns.
//! 2. A signal sent with `kill` is pending in the listener's backend from then on, and
//!    the kernel runs its handler (`procsignal_sigusr1_handler` → `HandleNotifyInterrupt`,
//!    which sets `notifyInterruptPending`) before that process returns from any system
//!    call, in particular before the `recv` that returns a later barrier's `SELECT`.
//! 3. The barrier's `SELECT` is sent after the lookup began, which is after the write
//!    returned. When the listener's backend reads it, `secure_read` ends in
//!    `ProcessClientReadInterrupt`, which calls `ProcessNotifyInterrupt` while
//!    `notifyInterruptPending` is set; failing that, `PostgresMain` does so before it
//!    sends the `SELECT`'s `ReadyForQuery` (`if (notifyInterruptPending)
//!    ProcessNotifyInterrupt(false)`). `asyncQueueReadAllNotifications` reads the queue
//!    up to its head with a fresh snapshot, in which the writer's transaction is no
//!    longer running and is committed (`XidInMVCCSnapshot` before
//!    `TransactionIdDidCommit`), and `NotifyMyFrontEnd` writes each notification ahead
//!    of `ReadyForQuery` on the same connection.
//! 4. libpq reads through `ReadyForQuery` before the `SELECT` returns, queuing the
//!    notifications it met; draining `notifications_iter` then evicts the client.
//!
//! A backend that `SignalBackends` skips as "caught up" has already read past the entry,
//! and sent it to us earlier on the same connection.
//!
//! This holds on PostgreSQL 15 to 18, whose `SignalBackends` signals every listener of
//! the database that is behind the queue head. PostgreSQL's development branch (19)
//! skips a listener whose `wakeupPending` flag another committer has set and will signal
//! after releasing `NotifyQueueLock`: a commit can then return before any signal is on
//! its way, and step 2 no longer holds. The cache therefore stays off on a server of
//! version 19 or later ([`SUPPORTED_VERSIONS`]) and every lookup reads the row, as
//! before; MySQL has no LISTEN and is never cached.
//!
//! # Failures
//!
//! The listener connection failing clears the cache; lookups read the row, uncached,
//! until a new connection has run `LISTEN` (the cache then starts empty, since writes
//! in between were not heard). A barrier that fails or does not complete within
//! [`BARRIER_WAIT`] sends its lookups to the row as well. Cached data is never served
//! without a completed barrier. At most [`DEFAULT_CAPACITY`] clients are kept (the
//! cache is cleared when full) and unknown ids are not kept.
//!
//! The listener must be a session of its own on the server: a pooler in transaction
//! mode (PgBouncer) hands its queries to whichever server connection is free, one that
//! never ran `LISTEN` or that served other clients while notifications arrived. The
//! barrier's pid check turns a moved connection into a failure, but cannot see a
//! notification delivered to another client; such deployments set
//! `database.postgres.client_cache: false` (docs/configuration.md).

use std::ops::RangeInclusive;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use tokio::sync::watch;

use super::SqlStore;
use super::clients::{CLIENT_CHANNEL, EVERY_CLIENT};
use super::connection::{ConnectionManager, DbConnection};
use crate::storage::client_cache::{CachedClientStore, ClientEntries, DEFAULT_CAPACITY, Freshness};

/// The longest a lookup waits for its barrier before it reads the row instead.
pub const BARRIER_WAIT: Duration = Duration::from_secs(1);

/// A barrier runs at least this often, lookups or not: a listener that never reads its
/// socket would hold back PostgreSQL's notification queue for every session.
pub const IDLE_BARRIER: Duration = Duration::from_secs(2);

/// The pause between attempts to open the listener connection again.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// The `server_version_num`s on which the barrier's premise was checked in PostgreSQL's
/// source (the module documentation).
pub const SUPPORTED_VERSIONS: RangeInclusive<i32> = 150_000..=189_999;

/// Where the barriers are: `started` counts the round trips begun, `completed` the last
/// one that finished, `wanted` the one the newest waiting lookup needs.
struct State {
    started: u64,
    completed: u64,
    wanted: u64,
    /// When the barrier in flight began, if one is.
    in_flight_since: Option<Instant>,
    /// The listener connection's backend, while it listens (`None`: not listening).
    listener_pid: Option<i32>,
    stop: bool,
}

/// What lookups wait on: the last completed barrier, and how many times the listener
/// failed (a failure ends every wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    completed: u64,
    failures: u64,
}

struct Shared {
    entries: Arc<ClientEntries>,
    state: Mutex<State>,
    /// Wakes the listener thread: a lookup wants a barrier, or the store is dropped.
    wake: Condvar,
    progress: watch::Sender<Progress>,
    barrier_wait: Duration,
}

impl Shared {
    fn new(capacity: usize, barrier_wait: Duration) -> Self {
        let (progress, _) = watch::channel(Progress {
            completed: 0,
            failures: 0,
        });
        Self {
            entries: Arc::new(ClientEntries::with_capacity(capacity)),
            state: Mutex::new(State {
                started: 0,
                completed: 0,
                wanted: 0,
                in_flight_since: None,
                listener_pid: None,
                stop: false,
            }),
            wake: Condvar::new(),
            progress,
            barrier_wait,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change of the state is a few assignments: a panic cannot leave it torn.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a barrier that starts after this call; `false` when none can be had
    /// (no listener, a failure, a stuck or slow round trip): the caller reads the row.
    async fn barrier(&self) -> bool {
        let mut progress = self.progress.subscribe();
        let (needed, failures) = {
            let mut state = self.state();
            if state.listener_pid.is_none() || state.stop {
                return false;
            }
            if state
                .in_flight_since
                .is_some_and(|since| since.elapsed() > self.barrier_wait)
            {
                return false;
            }
            // The listener thread bumps `started` under this lock before it sends the
            // round trip's query, so barrier `started + 1` is sent after this point.
            let needed = state.started.wrapping_add(1);
            state.wanted = state.wanted.max(needed);
            (needed, progress.borrow().failures)
        };
        self.wake.notify_one();
        let done = tokio::time::timeout(
            self.barrier_wait,
            progress.wait_for(|p| p.completed >= needed || p.failures != failures),
        )
        .await;
        matches!(done, Ok(Ok(p)) if p.completed >= needed && p.failures == failures)
    }

    /// Sleeps up to `pause` unless the store is dropped; `false` once it is.
    fn pause(&self, pause: Duration) -> bool {
        let state = self.state();
        let (state, _) = self
            .wake
            .wait_timeout_while(state, pause, |s| !s.stop)
            .unwrap_or_else(|e| e.into_inner());
        !state.stop
    }

    /// Waits until a lookup wants a barrier or [`IDLE_BARRIER`] passed, then numbers the
    /// next barrier; `None` once the store is dropped.
    fn next_barrier(&self) -> Option<u64> {
        let state = self.state();
        let (mut state, _) = self
            .wake
            .wait_timeout_while(state, IDLE_BARRIER, |s| !s.stop && s.wanted <= s.completed)
            .unwrap_or_else(|e| e.into_inner());
        if state.stop {
            return None;
        }
        state.started = state.started.wrapping_add(1);
        state.in_flight_since = Some(Instant::now());
        Some(state.started)
    }

    fn completed(&self, barrier: u64) {
        let mut state = self.state();
        state.completed = barrier;
        state.in_flight_since = None;
        self.progress.send_modify(|p| p.completed = barrier);
    }

    /// The listener is gone: nothing it did not hear about may stay, and lookups stop
    /// waiting for it.
    fn lost(&self) {
        self.entries.clear();
        let mut state = self.state();
        state.listener_pid = None;
        state.in_flight_since = None;
        // The barriers numbered so far can no longer complete.
        state.completed = state.started;
        state.wanted = state.started;
        self.progress.send_modify(|p| {
            p.failures = p.failures.wrapping_add(1);
        });
    }

    /// A new connection listens: whatever was cached came from before it and goes.
    fn listening(&self, pid: i32) {
        self.entries.clear();
        self.state().listener_pid = Some(pid);
    }
}

/// The barrier as the cache's [`Freshness`]: a lookup may use the cache once a barrier
/// that began after it completed. Dropping it (with its store) stops the listener thread.
pub struct Listener {
    shared: Arc<Shared>,
}

#[async_trait]
impl Freshness for Listener {
    async fn confirm(&self) -> bool {
        self.shared.barrier().await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.shared.state().stop = true;
        self.shared.wake.notify_all();
    }
}

/// A `ClientStore` over the SQL store that caches decoded clients on PostgreSQL (the
/// module documentation): the SQLite cache's lookups and write-through evictions,
/// gated by the [`Listener`]'s barrier, with other nodes' writes evicted by the
/// listener thread.
pub type NotifiedClientStore = CachedClientStore<Listener>;

impl CachedClientStore<Listener> {
    /// Starts the listener thread, which opens its connection in the background: until
    /// it listens, lookups read the row.
    pub fn start(store: Arc<SqlStore>) -> Self {
        Self::start_with(store, DEFAULT_CAPACITY, BARRIER_WAIT)
    }

    /// [`start`](Self::start) with the cache's size and the longest wait for a barrier.
    pub fn start_with(store: Arc<SqlStore>, capacity: usize, barrier_wait: Duration) -> Self {
        let shared = Arc::new(Shared::new(capacity, barrier_wait));
        let thread_shared = shared.clone();
        let manager = store.manager.clone();
        let spawned = std::thread::Builder::new()
            .name("portunus-client-listener".to_owned())
            .spawn(move || listen_loop(&thread_shared, &manager));
        if let Err(e) = spawned {
            // Without the thread nothing ever listens: every lookup reads the row.
            tracing::warn!(error = %e, "client cache: cannot start its listener thread");
        }
        let entries = shared.entries.clone();
        Self::with_freshness(store, entries, Listener { shared })
    }

    /// Whether the listener connection is up (tests and diagnostics).
    pub fn is_listening(&self) -> bool {
        self.freshness().shared.state().listener_pid.is_some()
    }

    /// The listener connection's backend pid, once it listens (tests stop it with
    /// `pg_terminate_backend`).
    pub fn listener_pid(&self) -> Option<i32> {
        self.freshness().shared.state().listener_pid
    }
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    n: i32,
}

/// Why the listener cannot run.
enum ListenError {
    /// Try again later.
    Failed(String),
    /// A server whose notification signalling this cache was not checked against.
    Unsupported(i32),
}

fn listen(manager: &ConnectionManager) -> Result<(PgConnection, i32), ListenError> {
    let conn = manager
        .establish()
        .map_err(|e| ListenError::Failed(e.to_string()))?;
    let DbConnection::Postgresql(mut conn) = conn else {
        return Err(ListenError::Unsupported(0));
    };
    let failed = |e: diesel::result::Error| ListenError::Failed(e.to_string());
    let version = diesel::sql_query("SELECT current_setting('server_version_num')::int AS n")
        .get_result::<Number>(&mut conn)
        .map_err(failed)?
        .n;
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Err(ListenError::Unsupported(version));
    }
    conn.batch_execute(&format!("LISTEN {CLIENT_CHANNEL}"))
        .map_err(failed)?;
    let pid = backend_pid(&mut conn).map_err(failed)?;
    Ok((conn, pid))
}

diesel::define_sql_function! {
    /// PostgreSQL's `pg_backend_pid()`: the server process serving the connection.
    fn pg_backend_pid() -> diesel::sql_types::Integer;
}

/// The server process behind `conn`. Written with diesel's DSL rather than as SQL text
/// so that diesel prepares it once: a barrier runs once per client lookup at moderate
/// load (measured: 4 per authorization-code flow), and as text PostgreSQL parsed and
/// planned each one (issue 20).
fn backend_pid(conn: &mut PgConnection) -> diesel::QueryResult<i32> {
    diesel::select(pg_backend_pid()).get_result::<i32>(conn)
}

/// One barrier: a round trip, then every notification read so far. An empty id stands
/// for every client. The round trip asks for the backend's pid: one that is not the
/// listener's means a pooler in transaction mode moved us to another server connection,
/// which does not listen, so the barrier fails (`database.postgres.client_cache` is
/// the way out of that setup; this catches most of it, not all).
fn round_trip(conn: &mut PgConnection, pid: i32) -> Result<Vec<String>, String> {
    let answered = backend_pid(conn).map_err(|e| e.to_string())?;
    if answered != pid {
        return Err(format!(
            "the listener connection moved from backend {pid} to {answered} \
             (a pooler in transaction mode?)"
        ));
    }
    let mut ids = Vec::new();
    for notification in conn.notifications_iter() {
        let notification = notification.map_err(|e| e.to_string())?;
        if notification.channel == CLIENT_CHANNEL {
            ids.push(notification.payload);
        }
    }
    Ok(ids)
}

/// The listener thread: (re)connects, then runs barriers until the store is dropped.
fn listen_loop(shared: &Shared, manager: &ConnectionManager) {
    let mut warned = false;
    'connect: loop {
        let (mut conn, pid) = match listen(manager) {
            Ok((conn, pid)) => {
                shared.listening(pid);
                if std::mem::take(&mut warned) {
                    tracing::info!("client cache: listening for client changes again");
                }
                (conn, pid)
            }
            Err(ListenError::Unsupported(version)) => {
                tracing::info!(
                    server_version_num = version,
                    "client cache off: its exactness was checked on PostgreSQL 15 to 18 only; \
                     every lookup reads the client's row"
                );
                return;
            }
            Err(ListenError::Failed(e)) => {
                if !warned {
                    tracing::warn!(
                        error = %e,
                        "client cache: cannot listen for client changes; reading every client \
                         from the database until it can"
                    );
                    warned = true;
                }
                if shared.pause(RECONNECT_PAUSE) {
                    continue 'connect;
                }
                break 'connect;
            }
        };
        loop {
            let Some(barrier) = shared.next_barrier() else {
                break 'connect;
            };
            match round_trip(&mut conn, pid) {
                Ok(ids) => {
                    for id in ids {
                        if id == EVERY_CLIENT {
                            shared.entries.clear();
                        } else {
                            shared.entries.evict(&id);
                        }
                    }
                    shared.completed(barrier);
                }
                Err(e) => {
                    shared.lost();
                    tracing::warn!(
                        error = %e,
                        "client cache: the listener connection failed; reading every client \
                         from the database until it listens again"
                    );
                    warned = true;
                    continue 'connect;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::model::Client;

    fn listening_shared(wait: Duration) -> Arc<Shared> {
        let shared = Arc::new(Shared::new(10, wait));
        shared.listening(1);
        shared
    }

    /// A lookup that arrives while a barrier is in flight is not released by that one
    /// (its query may have been sent before the write the lookup must see returned),
    /// only by the next.
    #[tokio::test]
    async fn a_lookup_waits_for_a_barrier_that_started_after_it() {
        let shared = listening_shared(Duration::from_secs(30));
        // An earlier lookup asked for the first barrier.
        shared.state().wanted = 1;
        let first = shared.next_barrier();
        assert_eq!(first, Some(1));
        let waiting = tokio::spawn({
            let shared = shared.clone();
            async move { shared.barrier().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        shared.completed(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "released by the barrier already in flight"
        );
        assert_eq!(
            shared.next_barrier(),
            Some(2),
            "the lookup asked for another"
        );
        shared.completed(2);
        assert_eq!(waiting.await.ok(), Some(true));
    }

    #[tokio::test]
    async fn a_lost_listener_releases_its_lookups_to_the_database() {
        let shared = listening_shared(Duration::from_secs(30));
        let client = Client {
            client_id: "a".to_owned(),
            ..Client::default()
        };
        let Err(generation) = shared.entries.cached("a") else {
            panic!("empty at first");
        };
        shared.entries.insert_if_current(generation, &client);
        assert_eq!(shared.entries.len(), 1);
        let waiting = tokio::spawn({
            let shared = shared.clone();
            async move { shared.barrier().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(shared.next_barrier(), Some(1));
        shared.lost();
        assert_eq!(waiting.await.ok(), Some(false));
        assert_eq!(
            shared.entries.len(),
            0,
            "nothing heard before the loss stays"
        );
        assert!(!shared.barrier().await, "no barrier without a listener");
    }

    #[tokio::test]
    async fn a_slow_barrier_sends_lookups_to_the_database() {
        let shared = listening_shared(Duration::from_millis(100));
        let started = Instant::now();
        assert!(!shared.barrier().await, "nobody ran the barrier");
        assert!(started.elapsed() < Duration::from_secs(5));
        // One still in flight past the bound: later lookups do not wait at all.
        assert!(shared.next_barrier().is_some());
        std::thread::sleep(Duration::from_millis(150));
        let started = Instant::now();
        assert!(!shared.barrier().await);
        assert!(started.elapsed() < Duration::from_millis(50));
    }
}
