//! `janitor` (issue 15 §2): the janitor `serve` runs in the background (`crate::janitor`),
//! with the knobs of Hydra's `hydra janitor` command. On by default with an hourly run:
//! Hydra has no built-in janitor, so its operators run `hydra janitor` from cron; here
//! expired rows go without one, and `enabled: false` keeps the cron job's way
//! (docs/operations.md, "Janitor").

use serde::{Deserialize, Serialize};

use crate::duration::GoDuration;

/// `janitor`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JanitorConfig {
    /// Run the janitor inside `serve` (on by default). Every node may run it: a
    /// database lock lets one run at a time.
    pub enabled: bool,
    /// Time between runs; the first run comes one interval after startup. 1s to 168h.
    pub interval: GoDuration,
    /// Rows deleted per batch at most (Hydra's `--batch-size`), 1 to 30000; a batch
    /// deletes in statements of at most 100 keys and ends after ~5 ms. Between two
    /// batches the janitor pauses as long as the batch took.
    pub batch_size: usize,
    /// Rows deleted per table per run at most (Hydra's `--limit`), 1 to 100000000; the
    /// rest waits for the next run.
    pub limit: u64,
    /// Keep rows that expired less than this long ago (Hydra's `--keep-if-younger`),
    /// e.g. for audits; `0s` (the default) deletes every expired row.
    pub keep_if_younger: GoDuration,
}

impl Default for JanitorConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval: GoDuration::from_secs(3600),
            batch_size: 1_000,
            limit: 1_000_000,
            keep_if_younger: GoDuration::default(),
        }
    }
}

/// The shortest `janitor.interval`.
pub const MIN_JANITOR_INTERVAL_SECS: u64 = 1;
/// The longest `janitor.interval`: a week.
pub const MAX_JANITOR_INTERVAL_SECS: u64 = 168 * 3600;
/// The largest `janitor.batch_size` (the storage's bound on one statement's keys).
pub const MAX_JANITOR_BATCH_SIZE: usize = 30_000;
/// The largest `janitor.limit`.
pub const MAX_JANITOR_LIMIT: u64 = 100_000_000;

impl JanitorConfig {
    /// The problems of this configuration, as (key suffix, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let interval = self.interval.as_std();
        if interval < std::time::Duration::from_secs(MIN_JANITOR_INTERVAL_SECS)
            || interval > std::time::Duration::from_secs(MAX_JANITOR_INTERVAL_SECS)
        {
            problems.push(("interval".into(), "must be between 1s and 168h".into()));
        }
        if !(1..=MAX_JANITOR_BATCH_SIZE).contains(&self.batch_size) {
            problems.push((
                "batch_size".into(),
                format!("must be between 1 and {MAX_JANITOR_BATCH_SIZE}"),
            ));
        }
        if !(1..=MAX_JANITOR_LIMIT).contains(&self.limit) {
            problems.push((
                "limit".into(),
                format!("must be between 1 and {MAX_JANITOR_LIMIT}"),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_on_hourly_and_valid() {
        let config = JanitorConfig::default();
        assert!(config.enabled);
        assert_eq!(config.interval, GoDuration::from_secs(3600));
        assert!(config.problems().is_empty());
    }

    #[test]
    fn bad_values_are_named() {
        let config = JanitorConfig {
            interval: GoDuration(std::time::Duration::from_millis(500)),
            batch_size: 30_001,
            limit: 0,
            ..JanitorConfig::default()
        };
        let keys: Vec<String> = config.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["interval", "batch_size", "limit"]);
        let week = JanitorConfig {
            interval: GoDuration::from_secs(MAX_JANITOR_INTERVAL_SECS + 1),
            ..JanitorConfig::default()
        };
        assert_eq!(week.problems().len(), 1);
    }

    #[test]
    fn the_environment_sets_every_key() {
        let env = |name: &str| {
            let value = match name {
                "JANITOR_ENABLED" => "false",
                "JANITOR_INTERVAL" => "5m",
                "JANITOR_BATCH_SIZE" => "50",
                "JANITOR_LIMIT" => "7",
                "JANITOR_KEEP_IF_YOUNGER" => "24h",
                _ => return None,
            };
            Some(value.to_owned())
        };
        let config = crate::config::load(None, &env).unwrap().janitor;
        assert_eq!(
            config,
            JanitorConfig {
                enabled: false,
                interval: GoDuration::from_secs(300),
                batch_size: 50,
                limit: 7,
                keep_if_younger: GoDuration::from_secs(24 * 3600),
            }
        );
    }
}
