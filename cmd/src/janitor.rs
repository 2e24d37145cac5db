//! `portunus janitor [DSN] [-e] [-c config] [--tokens] [--requests] [--grants]
//! [--events] [--limit N] [--batch-size N] [--keep-if-younger D]`: deletes what has expired from
//! every table that grows (Hydra's `hydra janitor`; each table's rule is in
//! docs/architecture.md, "Retention") and reports the rows deleted per table.
//!
//! The run loop is the server's (`portunus_server::janitor::run_once`): the same
//! batches, each its own statement, so a run over millions of rows never holds one long
//! write transaction against a live server, and the same cluster lock, so it never runs
//! beside a server's built-in janitor on the same database.

use crate::output::out;
use std::time::Instant;

use anyhow::{Context, bail};
use portunus_server::clock::SystemClock;
use portunus_server::janitor::{Outcome, Settings, TableReport, run_once};
use portunus_server::storage::sql::{ExpiredGroup, SqlStore};

use crate::cli::JanitorArgs;

pub async fn run(args: JanitorArgs) -> anyhow::Result<()> {
    // The configuration file, when given: its `dsn` unless another is, and its
    // `events.retention`.
    let config = args
        .config
        .as_ref()
        .map(|file| portunus_server::config::load(Some(file), &|name| std::env::var(name).ok()))
        .transpose()?;
    let dsn = match (args.dsn.clone(), args.read_from_env) {
        (Some(dsn), false) => dsn,
        (None, true) => std::env::var("DSN")
            .context("-e was given but the environment variable DSN is not set")?,
        (Some(_), true) => bail!("give either a DSN argument or -e, not both"),
        (None, false) => match &config {
            Some(config) => config
                .dsn
                .clone()
                .context("the configuration file sets no `dsn`")?,
            None => bail!(
                "give the DSN as an argument, with -e (environment variable DSN), or with -c <config file>"
            ),
        },
    };
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    if args.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    let mut settings = settings(&args);
    if let Some(config) = &config {
        settings.events_retention = config.events.retention.as_std();
    }
    let store = tokio::task::spawn_blocking(move || SqlStore::connect_for_command(&dsn)).await??;
    let started = Instant::now();
    // Each table is reported as it is done; the first failed write is the command's.
    let mut write_error = None;
    let mut print = |table: &TableReport| {
        let more = if table.limited {
            " (--limit reached; more may be left)"
        } else {
            ""
        };
        let line = format!(
            "Deleted {} expired {} in {:.2} s{more}.\n",
            table.deleted,
            table.kind.as_str(),
            table.seconds
        );
        if let Err(e) = crate::output::print_text(&line) {
            write_error.get_or_insert(e);
        }
    };
    let outcome = run_once(&store, &SystemClock, &settings, &mut print)
        .await
        .context("the janitor run failed")?;
    if let Some(e) = write_error {
        return Err(e);
    }
    match outcome {
        Outcome::Completed(tables) => {
            let total: u64 = tables.iter().map(|t| t.deleted).sum();
            out!(
                "Deleted {total} row(s) in {:.2} s.",
                started.elapsed().as_secs_f64()
            );
        }
        Outcome::Skipped => out!(
            "Skipped: another janitor run holds the lock on this database (a server's \
             built-in janitor or another `portunus janitor`); nothing was deleted."
        ),
    }
    Ok(())
}

/// Hydra's selection: any of `--tokens`, `--requests`, `--grants` (and `--events`);
/// none means all.
fn settings(args: &JanitorArgs) -> Settings {
    let chosen = [
        (args.tokens, ExpiredGroup::Tokens),
        (args.requests, ExpiredGroup::Requests),
        (args.grants, ExpiredGroup::Grants),
        (args.events, ExpiredGroup::Events),
    ];
    let mut settings = Settings::all(args.batch_size);
    if chosen.iter().any(|(on, _)| *on) {
        settings.groups = chosen
            .into_iter()
            .filter_map(|(on, group)| on.then_some(group))
            .collect();
    }
    settings.limit = args.limit;
    settings.keep_if_younger = args.keep_if_younger.as_std();
    settings
}
