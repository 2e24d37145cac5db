//! `portunus janitor [DSN] [-e] [-c config] [--tokens] [--requests]`: deletes expired
//! tokens, used flow steps, expired authentication sessions, client-assertion ids and
//! the consents nothing needs any more (Hydra's `hydra janitor`; each table's rule is in
//! docs/architecture.md, "Retention").
//!
//! Deletes in batches (`--batch-size`), each its own statement, so a run over millions
//! of rows never holds one long write transaction against a live server.

use crate::output::out;
use std::time::Instant;

use anyhow::{Context, bail};
use portunus_server::clock::{Clock, SystemClock};
use portunus_server::storage::sql::{ExpiredKind, SqlStore};

use crate::cli::JanitorArgs;

pub async fn run(args: JanitorArgs) -> anyhow::Result<()> {
    let dsn = match (args.dsn, args.read_from_env) {
        (Some(dsn), false) => dsn,
        (None, true) => std::env::var("DSN")
            .context("-e was given but the environment variable DSN is not set")?,
        (Some(_), true) => bail!("give either a DSN argument or -e, not both"),
        (None, false) => match args.config {
            Some(file) => {
                let config =
                    portunus_server::config::load(Some(&file), &|name| std::env::var(name).ok())?;
                config.dsn.context("the configuration file sets no `dsn`")?
            }
            None => bail!(
                "give the DSN as an argument, with -e (environment variable DSN), or with -c <config file>"
            ),
        },
    };
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let store = tokio::task::spawn_blocking(move || SqlStore::connect_for_command(&dsn)).await??;
    // One cut-off for the whole run: rows that expire while it runs wait for the next.
    let before = SystemClock.now();
    let started = Instant::now();
    let mut total = 0u64;
    // Hydra's selection: --tokens, --requests, or both; neither means both here.
    let all = !args.tokens && !args.requests;
    for kind in ExpiredKind::ALL {
        let wanted = if is_token_data(kind) {
            args.tokens
        } else {
            args.requests
        };
        if !(all || wanted) {
            continue;
        }
        let kind_started = Instant::now();
        let mut deleted = 0u64;
        loop {
            let n = store
                .delete_expired_batch(kind, before, args.batch_size)
                .await
                .with_context(|| format!("deleting expired {}", kind.as_str()))?;
            deleted += n;
            if n == 0 {
                break;
            }
        }
        total += deleted;
        out!(
            "Deleted {deleted} expired {} in {:.2} s.",
            kind.as_str(),
            kind_started.elapsed().as_secs_f64()
        );
    }
    out!(
        "Deleted {total} row(s) in {:.2} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Token data (`--tokens`) as opposed to login/consent requests (`--requests`).
fn is_token_data(kind: ExpiredKind) -> bool {
    match kind {
        ExpiredKind::Tokens | ExpiredKind::Jti | ExpiredKind::DeviceCodes => true,
        ExpiredKind::FlowSteps
        | ExpiredKind::LoginSessions
        | ExpiredKind::PushedRequests
        | ExpiredKind::Consents
        | ExpiredKind::DeviceAttempts => false,
    }
}
