//! The janitor (issue 15 §2): deletes what has expired from every table that grows, in
//! batches, one run at a time per database. One run loop, [`run_once`], serves both
//! `portunus janitor` and the background task `serve` starts ([`task::Janitor`]); each
//! table's rule is in docs/architecture.md, "Retention".
//!
//! A run takes the cluster lock (`storage/sql/janitor_lock.rs`) or is skipped, fixes
//! one cut-off for all its tables (`now - keep_if_younger`: rows expiring while it runs
//! wait for the next), then deletes table by table until a batch finds nothing or the
//! table's `limit` is reached. Each batch is a read and a few short writes; with `pace` the
//! loop rests as long as the batch took before the next, so request writes (SQLite has
//! one writer) always get at least half of the database's time.

pub mod task;

use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::storage::StorageError;
use crate::storage::sql::{ExpiredGroup, ExpiredKind, MAX_JANITOR_BATCH, SqlStore};

/// What one run cleans and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Hydra's `--tokens`, `--requests`, `--grants`: the groups to clean.
    pub groups: Vec<ExpiredGroup>,
    /// Rows per batch at most, 1 to [`MAX_JANITOR_BATCH`] (cut to it); a batch finds
    /// its keys on a read connection and deletes them in writes of 100 keys
    /// (`SqlStore::delete_expired_batch`).
    pub batch_size: usize,
    /// Rows per table per run at most (Hydra's `--limit`); `None`: no limit.
    pub limit: Option<u64>,
    /// Hydra's `--keep-if-younger`.
    pub keep_if_younger: Duration,
    /// `events.retention`: how long delivered events and ingest idempotency keys are
    /// kept (on top of `keep_if_younger`).
    pub events_retention: Duration,
    /// Rest between batches as long as the batch took.
    pub pace: bool,
}

impl Settings {
    /// Every group, no pauses, no limit: the command's defaults.
    pub fn all(batch_size: usize) -> Self {
        Self {
            groups: vec![
                ExpiredGroup::Tokens,
                ExpiredGroup::Requests,
                ExpiredGroup::Grants,
                ExpiredGroup::Events,
            ],
            batch_size,
            limit: None,
            keep_if_younger: Duration::ZERO,
            events_retention: DEFAULT_EVENTS_RETENTION,
            pace: false,
        }
    }

    /// The background janitor's settings (`janitor.*`, `events.retention`): every
    /// group, paced.
    pub fn from_config(config: &crate::config::Config) -> Self {
        let janitor = &config.janitor;
        Self {
            limit: Some(janitor.limit),
            keep_if_younger: janitor.keep_if_younger.as_std(),
            events_retention: config.events.retention.as_std(),
            pace: true,
            ..Self::all(janitor.batch_size)
        }
    }
}

/// `events.retention`'s default, for a command run without a configuration file.
pub const DEFAULT_EVENTS_RETENTION: Duration = Duration::from_secs(168 * 3600);

/// What one run did to one table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableReport {
    pub kind: ExpiredKind,
    pub deleted: u64,
    /// Whether it stopped at the limit with rows possibly left.
    pub limited: bool,
    pub seconds: f64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The run cleaned these tables, in order.
    Completed(Vec<TableReport>),
    /// Another run (another node, or `portunus janitor`) held the lock.
    Skipped,
}

/// One janitor run over `store`. `on_table` hears of each table as it is done (the
/// command prints it). Records the run in the Prometheus series when a recorder is
/// installed (`portunus_janitor_*`).
pub async fn run_once(
    store: &SqlStore,
    clock: &dyn Clock,
    settings: &Settings,
    on_table: &mut (dyn FnMut(&TableReport) + Send),
) -> Result<Outcome, StorageError> {
    let started = Instant::now();
    let Some(lock) = store.try_janitor_lock().await.inspect_err(|_| {
        crate::prometheus::janitor_run("failed", started.elapsed().as_secs_f64());
    })?
    else {
        crate::prometheus::janitor_run("skipped", started.elapsed().as_secs_f64());
        return Ok(Outcome::Skipped);
    };
    let result = clean(store, clock, settings, on_table).await;
    if let Err(e) = lock.release().await {
        // Its connection or file is closed all the same, which frees the lock.
        tracing::warn!(error = %e, "could not release the janitor lock");
    }
    let outcome = if result.is_ok() {
        "completed"
    } else {
        "failed"
    };
    crate::prometheus::janitor_run(outcome, started.elapsed().as_secs_f64());
    result.map(Outcome::Completed)
}

async fn clean(
    store: &SqlStore,
    clock: &dyn Clock,
    settings: &Settings,
    on_table: &mut (dyn FnMut(&TableReport) + Send),
) -> Result<Vec<TableReport>, StorageError> {
    // One cut-off for the whole run.
    let now = clock.now();
    let batch = settings.batch_size.clamp(1, MAX_JANITOR_BATCH);
    let mut reports = Vec::new();
    for kind in ExpiredKind::ALL {
        if !settings.groups.contains(&kind.group()) {
            continue;
        }
        let table_started = Instant::now();
        let mut deleted = 0u64;
        let mut limited = false;
        loop {
            let left = settings.limit.map(|limit| limit.saturating_sub(deleted));
            if left == Some(0) {
                limited = true;
                break;
            }
            let want = left.map_or(batch, |left| {
                usize::try_from(left).map_or(batch, |left| left.min(batch))
            });
            let batch_started = Instant::now();
            let n = store
                .delete_expired_batch(kind, now, keep_for(settings, kind), want)
                .await?;
            deleted = deleted.saturating_add(n);
            if n == 0 {
                break;
            }
            crate::prometheus::janitor_rows_deleted(kind.table(), n);
            if settings.pace {
                tokio::time::sleep(batch_started.elapsed()).await;
            }
        }
        let report = TableReport {
            kind,
            deleted,
            limited,
            seconds: table_started.elapsed().as_secs_f64(),
        };
        on_table(&report);
        reports.push(report);
    }
    Ok(reports)
}

/// How long before the run's `now` rows of `kind` must have expired: events are kept
/// `events.retention` after delivery as well.
fn keep_for(settings: &Settings, kind: ExpiredKind) -> Duration {
    if kind.group() == ExpiredGroup::Events {
        settings
            .keep_if_younger
            .saturating_add(settings.events_retention)
    } else {
        settings.keep_if_younger
    }
}
