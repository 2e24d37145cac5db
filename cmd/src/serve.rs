//! `portunus serve all|public|admin [--dev] [-c config.yaml]`.

use std::net::TcpListener;
use std::path::Path;

use anyhow::Context;
use portunus_server::{Application, Config};

use crate::cli::{ServeArgs, ServeWhat};

/// Loads the configuration for `serve` and `migrate`: file, environment, dev defaults.
pub fn load_config(
    file: Option<&Path>,
    dev: bool,
) -> anyhow::Result<(Config, Option<portunus_server::config::DevNotes>)> {
    let mut config = portunus_server::config::load(file, &|name| std::env::var(name).ok())?;
    let notes = if dev {
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        Some(config.apply_dev_defaults(&cwd)?)
    } else {
        None
    };
    config.validate()?;
    Ok((config, notes))
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (config, notes) = load_config(args.config.as_deref(), args.dev)?;
    let telemetry = portunus_server::telemetry::init(&config.log, &config.tracing)?;
    let result = serve(args, config, notes).await;
    // The spans of the last requests, before the process exits (issue 14 §2).
    if telemetry.tracing() {
        let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    }
    result
}

async fn serve(
    args: ServeArgs,
    config: Config,
    notes: Option<portunus_server::config::DevNotes>,
) -> anyhow::Result<()> {
    if let Some(notes) = notes {
        tracing::warn!("running in dev mode: do not use it in production");
        if notes.dsn_defaulted {
            tracing::info!(
                dsn = config.dsn.as_deref().unwrap_or(""),
                "dev mode: using the SQLite database in the working directory"
            );
        }
        if notes.secret_generated {
            tracing::warn!(
                file = notes.secret_loaded_from.as_deref().unwrap_or(""),
                "dev mode: generated a random system secret and saved it"
            );
        } else if let Some(file) = &notes.secret_loaded_from {
            tracing::info!(file = %file, "dev mode: using the system secret saved earlier");
        }
        if notes.login_ui_enabled {
            tracing::info!(
                login = config.urls.login.as_deref().unwrap_or(""),
                "dev mode: no login, consent or logout app configured, serving the built-in pages (login_ui)"
            );
        }
    }
    // A bind failure names the settings that choose the address (issue 21).
    let bind = |host: &Option<String>, port: u16, name: &str| -> anyhow::Result<TcpListener> {
        let host = config.bind_host(host);
        TcpListener::bind((host.as_str(), port)).map_err(|err| {
            let settings = format!(
                "serve.{name}.port / serve.{name}.host (environment SERVE_{upper}_PORT / \
                 SERVE_{upper}_HOST)",
                upper = name.to_ascii_uppercase()
            );
            match err.kind() {
                std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
                    "cannot listen on {host}:{port} for the {name} listener: the address is \
                     in use (another server running?); choose another with {settings}"
                ),
                _ => anyhow::anyhow!(
                    "cannot listen on {host}:{port} for the {name} listener: {err}; the \
                     address comes from {settings}"
                ),
            }
        })
    };
    let mut builder = Application::builder(config.clone());
    if matches!(args.what, ServeWhat::All | ServeWhat::Public) {
        builder = builder.public_listener(bind(
            &config.serve.public.host,
            config.serve.public.port,
            "public",
        )?);
    }
    if matches!(args.what, ServeWhat::All | ServeWhat::Admin) {
        builder = builder.admin_listener(bind(
            &config.serve.admin.host,
            config.serve.admin.port,
            "admin",
        )?);
    }
    // The metrics listener serves the whole process's series, whichever API it serves.
    if config.serve.metrics.port != 0 {
        builder = builder.metrics_listener(bind(
            &config.serve.metrics.host,
            config.serve.metrics.port,
            "metrics",
        )?);
    }
    // Listen for signals before the slow part of startup (connecting, migrations, key
    // generation), and honour them during it: a database that accepts connections but
    // never answers must not make a SIGTERM wait (issue 23).
    let mut shutdown = Box::pin(shutdown_signal());
    let app = tokio::select! {
        app = builder.build() => app?,
        () = &mut shutdown => {
            tracing::info!("stopped during startup");
            return Ok(());
        }
    };
    if config.dev {
        seed_demo_user(&app).await?;
        // The "Try a login" client (issue 22 §3); a no-op without the login UI.
        portunus_server::login_ui::demo::seed::demo_client(app.state())
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the demo client: {}", e.description()))?;
    }
    if config.dev {
        // Where a new user goes next (issue 21): the links page, Swagger UI, the tour.
        let public = config.public_url();
        let admin = portunus_server::http::public::home::admin_base_url(&config);
        // Issue 22 §3: the first thing to do is on the links page.
        let try_login = if portunus_server::login_ui::demo::is_served(&config) {
            " (\"Try a login\": sign in as demo)"
        } else {
            ""
        };
        tracing::info!(
            "dev mode: ready. Links: {public}/{try_login} · Swagger UI: {admin}/swagger-ui/ · \
             a token in two minutes: README.md, \"A five-minute tour\" \
             (`portunus perform client-credentials`)"
        );
    }
    let handle = app.handle();
    let readiness = app.state().readiness.clone();
    let drain = config.serve.shutdown_drain_delay.as_std();
    tokio::spawn(async move {
        shutdown.await;
        // Readiness first, so load balancers stop sending before connections are
        // refused; both listeners keep serving meanwhile.
        readiness.start_draining();
        if !drain.is_zero() {
            tracing::info!(
                drain_delay_ms = u64::try_from(drain.as_millis()).unwrap_or(u64::MAX),
                "shutting down: readiness is 503, still serving for serve.shutdown_drain_delay"
            );
            tokio::time::sleep(drain).await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
        handle.stop(true).await;
    });
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Dev mode's demo user (issue 22 §1): created when absent, its generated password
/// printed once to standard output — the command's output, not its log (standard
/// error), so no log collector keeps it.
async fn seed_demo_user(app: &Application) -> anyhow::Result<()> {
    let state = app.state();
    let seeded =
        portunus_server::users::seed::demo_user(state.users.as_ref(), state.clock.as_ref())
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the demo user: {}", e.description()))?;
    let text = match seeded {
        Some(demo) => format!(
            "dev mode: created the demo user {:?} with the password {:?} (shown only now; \
             set another with PUT /admin/users/{}/password)\n",
            demo.username, demo.password, demo.id
        ),
        None => format!(
            "dev mode: the demo user {:?} exists; its password was shown when it was created\n",
            portunus_server::users::seed::DEMO_USERNAME
        ),
    };
    crate::output::print_text(&text)
}

/// Registers for SIGTERM now and returns a future that completes on SIGTERM or Ctrl-C.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            match term {
                Some(mut term) => {
                    tokio::select! {
                        _ = ctrl_c => {},
                        _ = term.recv() => {},
                    }
                }
                None => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    }
}
