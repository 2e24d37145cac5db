//! `portunus migrate sql up|status [DSN] [-e]`.

use crate::output::out;
use anyhow::{Context, bail};
use portunus_server::storage::sql::SqlStore;

use crate::cli::{MigrateArgs, MigrateSql, MigrateSqlAction};

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let crate::cli::MigrateTarget::Sql(MigrateSql {
        action,
        dsn,
        read_from_env,
        config,
    }) = args.target;
    // How to name the same database again in the suggested `migrate sql up` (never the
    // DSN itself: it may hold a password).
    let again = match (&dsn, read_from_env, &config) {
        (Some(_), _, _) => " <DSN>".to_owned(),
        (None, true, _) => " -e".to_owned(),
        (None, false, Some(file)) => format!(" -c {}", file.display()),
        (None, false, None) => String::new(),
    };
    let dsn = match (dsn, read_from_env) {
        (Some(dsn), false) => dsn,
        (None, true) => std::env::var("DSN")
            .context("-e was given but the environment variable DSN is not set")?,
        (Some(_), true) => bail!("give either a DSN argument or -e, not both"),
        (None, false) => match config {
            Some(file) => {
                let config =
                    portunus_server::config::load(Some(&file), &|name| std::env::var(name).ok())?;
                config
                    .dsn
                    .with_context(|| format!("{} sets no `dsn`", file.display()))?
            }
            None => bail!(
                "give the DSN as an argument, with -e (environment variable DSN), or with -c <config file>"
            ),
        },
    };
    let store = tokio::task::spawn_blocking(move || SqlStore::connect_for_command(&dsn)).await??;
    match action {
        MigrateSqlAction::Up => {
            let applied = store.migrate_up().await?;
            if applied.is_empty() {
                out!("The database is up to date.");
            } else {
                for name in &applied {
                    out!("Applied {name}");
                }
                out!("Applied {} migration(s).", applied.len());
            }
        }
        MigrateSqlAction::Status => {
            let status = store.migration_status().await?;
            out!("{:<12} MIGRATION", "STATUS");
            for migration in &status {
                let state = if migration.applied {
                    "applied"
                } else {
                    "pending"
                };
                out!("{state:<12} {}", migration.name);
            }
            let pending = status.iter().filter(|m| !m.applied).count();
            if pending > 0 {
                out!("{pending} migration(s) pending: run `portunus migrate sql up{again}`.");
            }
        }
    }
    Ok(())
}
