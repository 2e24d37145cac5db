//! The janitor `serve` runs (`janitor.*`, docs/operations.md "Janitor"): a run every
//! `janitor.interval`, the first one interval after startup, so a fleet restarting
//! together does not clean at once while it warms up. Every node runs the task; the
//! cluster lock lets one of them clean at a time and the others skip that round.
//! It stops with the server: a stop signal ends the wait or the run in progress (the
//! statement under way finishes; the lock goes with its connection or file).

use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::{Outcome, Settings, run_once};
use crate::clock::Clock;
use crate::config::Config;
use crate::storage::sql::SqlStore;

/// The background janitor of one server.
pub struct Janitor {
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
    interval: std::time::Duration,
    settings: Settings,
}

impl std::fmt::Debug for Janitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Janitor")
            .field("interval", &self.interval)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Janitor {
    /// The janitor `config` asks for; `None` when `janitor.enabled` is off.
    pub fn from_config(
        config: &Config,
        store: Arc<SqlStore>,
        clock: Arc<dyn Clock>,
    ) -> Option<Self> {
        config.janitor.enabled.then(|| Self {
            store,
            clock,
            interval: config.janitor.interval.as_std(),
            settings: Settings::from_config(config),
        })
    }

    /// Runs until `stop` turns `true` or its sender is dropped.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let first = tokio::time::Instant::now() + self.interval;
        let mut ticks = tokio::time::interval_at(first, self.interval);
        // A run longer than the interval delays the next instead of starting a burst.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stopped(&mut stop) => return,
            }
            let mut quiet = |_: &super::TableReport| {};
            let run = run_once(
                self.store.as_ref(),
                self.clock.as_ref(),
                &self.settings,
                &mut quiet,
            );
            tokio::select! {
                result = run => log(result),
                _ = stopped(&mut stop) => {
                    tracing::info!("janitor run stopped by shutdown");
                    return;
                }
            }
        }
    }
}

/// Completes once `stop` says so or its sender is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

fn log(result: Result<Outcome, crate::storage::StorageError>) {
    match result {
        Ok(Outcome::Completed(tables)) => {
            let deleted: u64 = tables.iter().map(|t| t.deleted).sum();
            let limited: Vec<&str> = tables
                .iter()
                .filter(|t| t.limited)
                .map(|t| t.kind.table())
                .collect();
            tracing::info!(deleted, ?limited, "janitor run completed");
        }
        Ok(Outcome::Skipped) => {
            tracing::debug!("janitor run skipped: another node holds the janitor lock");
        }
        Err(e) => tracing::warn!(error = %e, "janitor run failed; retrying next interval"),
    }
}
