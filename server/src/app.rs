//! `Application`: builds the state and both listeners from a config and bound sockets.
//! Production (`portunus serve`) and tests (`TestApp`, port 0) share this one builder.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{HttpServer, web};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ListenerLimits, SqliteSynchronousMode};
use crate::health::Readiness;
use crate::http::cors::client_origins::ClientOrigins;
use crate::http::tls::{ReloadingCertificate, TlsError};
use crate::jwk::{JwkError, KeyManager, KeySettings};
use crate::oauth2::authorize::request_object::RequestObjects;
use crate::oauth2::client_auth::{ClientAuthenticator, SecretSettings, SecretVerifier};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::dpop::DpopVerifier;
use crate::oauth2::grants::GrantRegistry;
use crate::oauth2::private_key_jwt::PrivateKeyJwt;
use crate::oauth2::token_hook::TokenHooks;
use crate::oidc::logout::backchannel::BackChannel;
use crate::secrets::KeyRing;
use crate::state::{AppState, FlowStores};
use crate::storage::client_cache::CachedClientStore;
use crate::storage::sql::Backend;
use crate::storage::sql::{NotifiedClientStore, SqlOptions, SqlStore, SqliteSynchronous};
use crate::storage::{ClientStore, StorageError};

/// Binds a configured `HttpServer` to its listener and starts it (a macro because
/// `HttpServer`'s generic bounds are not nameable outside actix). `$limits` is the
/// listener's `ListenerLimits`: a slow client gets 408 after the read timeout, and each
/// listener has its own connection budget, so neither can starve the other.
macro_rules! start_server {
    ($server:expr, $listener:expr, $workers:expr, $limits:expr, $name:expr) => {{
        start_server!($server, $listener, $workers, $limits, $name, None)
    }};
    ($server:expr, $listener:expr, $workers:expr, $limits:expr, $name:expr, $tls:expr) => {{
        let listen_err = |source| BuildError::Listen {
            listener: $name,
            source,
        };
        let addr = $listener.local_addr().map_err(listen_err)?;
        let limits: ListenerLimits = $limits;
        let keep_alive = match limits.idle_timeout {
            Duration::ZERO => actix_web::http::KeepAlive::Disabled,
            idle => actix_web::http::KeepAlive::Timeout(idle),
        };
        let server = $server
            .disable_signals()
            .shutdown_timeout(limits.shutdown_timeout.as_secs())
            .client_request_timeout(limits.read_timeout)
            .keep_alive(keep_alive)
            .max_connections(limits.max_connections_per_worker)
            .workers($workers);
        let tls: Option<Arc<ReloadingCertificate>> = $tls;
        let https = tls.is_some();
        let server = match tls {
            Some(certificate) => server
                .listen_rustls_0_23($listener, crate::http::tls::server_config(certificate)),
            None => server.listen($listener),
        }
        .map_err(listen_err)?
        .run();
        tracing::info!(listener = $name, address = %addr, https, "listening");
        (server, addr)
    }};
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error(
        "the database has {0} pending migration(s): apply them with `portunus migrate sql up -e` (DSN from the environment variable DSN), `portunus migrate sql up -c <configuration file>` or `portunus migrate sql up <DSN>` (dev mode applies them itself)"
    )]
    PendingMigrations(usize),
    #[error("JSON Web Keys: {0}")]
    Keys(#[from] JwkError),
    #[error("outgoing HTTP client: {0}")]
    HttpClient(String),
    #[error("rate limits: {0}")]
    RateLimit(String),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot serve on {listener}: {source}")]
    Listen {
        listener: &'static str,
        source: std::io::Error,
    },
}

/// The first wait between two connection attempts at startup; it doubles up to
/// [`STARTUP_RETRY_MAX`].
const STARTUP_RETRY_FIRST: Duration = Duration::from_millis(250);
const STARTUP_RETRY_MAX: Duration = Duration::from_secs(5);

/// Opens the store, waiting up to `patience` in all (`database.startup_timeout`) for a
/// PostgreSQL or MySQL server that cannot be reached yet — one starting beside this
/// process, or failing over — then failing with the last error. An SQLite file that
/// cannot be opened is not a wait away from working: it fails at once. A shutdown
/// signal ends the wait (`portunus serve` races startup against it).
async fn connect_at_startup(
    dsn: String,
    options: SqlOptions,
    patience: Duration,
) -> Result<SqlStore, StorageError> {
    let started = std::time::Instant::now();
    let retries = !dsn.starts_with("sqlite:");
    let mut wait = STARTUP_RETRY_FIRST;
    loop {
        let attempt = {
            let dsn = dsn.clone();
            // Opening the pool connects synchronously: keep it off the async workers.
            tokio::task::spawn_blocking(move || SqlStore::connect_with(&dsn, options))
                .await
                .map_err(|e| StorageError::Database(format!("connect task failed: {e}")))?
        };
        let why = match attempt {
            Err(StorageError::Unavailable(why)) if retries => why,
            other => return other,
        };
        let waited = started.elapsed();
        if waited.saturating_add(wait) > patience {
            return Err(StorageError::Unavailable(format!(
                "{why} (gave up after {} ms, database.startup_timeout)",
                waited.as_millis()
            )));
        }
        tracing::warn!(
            error = %why,
            retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "the database cannot be reached yet; retrying until database.startup_timeout"
        );
        tokio::time::sleep(wait).await;
        wait = wait.saturating_mul(2).min(STARTUP_RETRY_MAX);
    }
}

pub struct ApplicationBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    public: Option<TcpListener>,
    admin: Option<TcpListener>,
    metrics: Option<TcpListener>,
    migrate: bool,
    workers: Option<usize>,
}

impl ApplicationBuilder {
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn public_listener(mut self, listener: TcpListener) -> Self {
        self.public = Some(listener);
        self
    }

    pub fn admin_listener(mut self, listener: TcpListener) -> Self {
        self.admin = Some(listener);
        self
    }

    /// The metrics listener (`serve.metrics.port`): `GET /metrics` only.
    pub fn metrics_listener(mut self, listener: TcpListener) -> Self {
        self.metrics = Some(listener);
        self
    }

    /// Apply pending migrations at startup (dev mode does this by default).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    pub async fn build(self) -> Result<Application, BuildError> {
        self.config.validate()?;
        crate::login_ui::look::check(&self.config.login_ui)?;
        let dsn = self.config.dsn.clone().unwrap_or_default();
        let database = &self.config.database;
        let options = SqlOptions {
            connect_timeout: database.connect_timeout.as_std(),
            acquire_timeout: database.acquire_timeout.as_std(),
            statement_timeout: Some(database.statement_timeout.as_std()),
            sqlite_synchronous: match database.sqlite.synchronous {
                SqliteSynchronousMode::Normal => SqliteSynchronous::Normal,
                SqliteSynchronousMode::Full => SqliteSynchronous::Full,
            },
        };
        let store = connect_at_startup(dsn, options, database.startup_timeout.as_std()).await?;
        if self.migrate {
            let applied = store.migrate_up().await?;
            if !applied.is_empty() {
                tracing::info!(count = applied.len(), "applied database migrations");
            }
        } else {
            let pending = store
                .migration_status()
                .await?
                .iter()
                .filter(|m| !m.applied)
                .count();
            if pending > 0 {
                return Err(BuildError::PendingMigrations(pending));
            }
        }
        let store = Arc::new(store);
        // The background janitor (`crate::janitor`), run by `run_until_stopped`.
        let janitor = crate::janitor::task::Janitor::from_config(
            &self.config,
            store.clone(),
            self.clock.clone(),
        );
        // SQLite: every client write of the database goes through this process.
        // PostgreSQL: other nodes' writes arrive through LISTEN/NOTIFY, and a lookup is
        // served from memory only after a barrier (`storage::sql::client_notify`).
        // MySQL has no LISTEN: every lookup reads the row.
        let clients: Arc<dyn ClientStore> = match store.backend() {
            Backend::Sqlite => Arc::new(CachedClientStore::new(store.clone())),
            Backend::Postgres if database.postgres.client_cache => {
                Arc::new(NotifiedClientStore::start(store.clone()))
            }
            Backend::Postgres | Backend::Mysql => store.clone(),
        };
        // Client ID Metadata Documents: URL client ids no operator registered.
        let resolving =
            crate::oauth2::context::resolving_clients(&self.config, self.clock.clone(), clients)
                .map_err(|e| BuildError::HttpClient(e.to_string()))?;
        let clients: Arc<dyn ClientStore> = resolving.clone();
        let keys = Arc::new(KeyRing::new(&self.config.secrets.system));
        let cookie_keys = if self.config.secrets.cookie.is_empty() {
            keys.clone()
        } else {
            Arc::new(KeyRing::new(&self.config.secrets.cookie))
        };
        let private_key_jwt = PrivateKeyJwt::new(&self.config, store.clone(), self.clock.clone())
            .map_err(|e| BuildError::HttpClient(e.to_string()))?;
        let secrets = SecretVerifier::new(
            keys.clone(),
            self.clock.clone(),
            SecretSettings::from_config(&self.config.oauth2.client_secret_verification),
        );
        // The sampled audit events of refusals (`events::sampled`): failed client
        // authentications and rate-limited requests; nothing with events off.
        let sampled_events =
            crate::events::SampledEvents::new(&self.config, store.clone(), self.clock.clone());
        let client_auth = Arc::new(
            ClientAuthenticator::new(clients.clone(), secrets)
                .with_failure_events(sampled_events.clone())
                .with_metadata_documents(resolving.clone())
                .with_private_key_jwt(private_key_jwt)
                .with_profile(self.config.oauth2.profile),
        );
        let mut key_manager = KeyManager::new(
            store.clone(),
            keys.clone(),
            self.clock.clone(),
            KeySettings::from_config(&self.config),
        );
        // The admin's key changes report `key.*` events (`events::KeyEvents`).
        if self.config.events.enabled {
            key_manager = key_manager.with_reporter(Arc::new(crate::events::KeyEvents::new(
                self.config.issuer(),
                self.clock.clone(),
            )));
        }
        let key_manager = Arc::new(key_manager);
        // Key generation happens here, at startup, never on a request path.
        key_manager.ensure_default_sets().await?;
        let backchannel = Arc::new(
            BackChannel::new(&self.config.clients.http)
                .map_err(|e| BuildError::HttpClient(e.to_string()))?,
        );
        let dpop = Arc::new(DpopVerifier::new(
            &self.config.effective_dpop(),
            keys.clone(),
            store.clone(),
            self.clock.clone(),
        ));
        let request_objects = Arc::new(
            RequestObjects::new(&self.config, store.clone(), self.clock.clone())
                .map_err(|e| BuildError::HttpClient(e.to_string()))?,
        );
        let token_hooks = Arc::new(
            TokenHooks::from_config(&self.config.oauth2)
                .map_err(|e| BuildError::HttpClient(e.to_string()))?,
        );
        // The Redis of `rate_limit.store`, one connection for the rate limits and the
        // failed-attempt budgets of every node (`crate::redis_client`).
        let shared_redis =
            crate::redis_client::SharedRedis::for_store(&self.config.rate_limit.store)
                .map_err(BuildError::RateLimit)?;
        let shared_counters =
            shared_redis
                .clone()
                .map(|redis| crate::redis_client::SharedCounters {
                    redis,
                    prefix: crate::http::rate_limit::key_prefix(&self.config.rate_limit),
                });
        let grants = GrantRegistry::for_config(&self.config, shared_counters.as_ref())
            .map_err(|e| BuildError::HttpClient(e.to_string()))?;
        let oauth2 = OAuth2Context {
            token_hooks,
            dpop,
            config: Arc::new(self.config),
            clock: self.clock,
            keys,
            key_manager,
            clients,
            resolving,
            tokens: store.clone(),
            trusts: store.clone(),
            jtis: store.clone(),
            client_auth,
            backchannel,
            pushed_requests: store.clone(),
            device_codes: store.clone(),
            request_objects,
        };
        let flows = FlowStores {
            steps: store.clone(),
            sessions: store.clone(),
            consents: store.clone(),
        };
        // The process's Prometheus recorder (`crate::prometheus`), once.
        if oauth2.config.serve.metrics.enabled {
            crate::prometheus::install();
        }
        // Audit events: the delivery worker, when `events.enabled` (`crate::events`).
        let events =
            crate::events::EventsHandle::start(&oauth2.config, store.clone(), oauth2.clock.clone())
                .map_err(BuildError::HttpClient)?;
        let state = AppState::new(
            oauth2,
            cookie_keys,
            flows,
            Readiness::watch(store.clone()),
            Arc::new(grants),
            store.clone(),
            store.clone(),
            crate::login_ui::upstream::Upstreams::new(store).map_err(BuildError::HttpClient)?,
        )
        .with_shared_counters(shared_counters.as_ref())
        .with_events(events);
        // One limiter for every worker of both listeners (`http/rate_limit`).
        let rate_limiter = crate::http::rate_limit::RateLimiter::from_config(
            &state.config.rate_limit,
            shared_redis,
            sampled_events,
        );
        let data = web::Data::new(state.clone());
        // actix's own default: one worker per CPU.
        let workers = self
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
        let serve = &state.config.serve;
        let public_limits = ListenerLimits::new(
            &state.config,
            serve.public.timeout,
            serve.public.max_connections,
            workers,
        );
        let admin_limits = ListenerLimits::new(
            &state.config,
            serve.admin.timeout,
            serve.admin.max_connections,
            workers,
        );
        let document = web::Bytes::from(
            crate::http::openapi::document_for(&state.config.public_url()).to_string(),
        );

        // Certificates are read before any listener starts: a wrong file fails startup
        // with its name, and a listener never serves half configured.
        let certificate = |admin: bool| -> Result<Option<Arc<ReloadingCertificate>>, BuildError> {
            Ok(crate::http::tls::source_for(&state.config, admin)
                .map(ReloadingCertificate::new)
                .transpose()?
                .map(Arc::new))
        };
        let public_tls = self
            .public
            .as_ref()
            .map(|_| certificate(false))
            .transpose()?
            .flatten();
        let admin_tls = self
            .admin
            .as_ref()
            .map(|_| certificate(true))
            .transpose()?
            .flatten();
        let reloading: Vec<_> = public_tls.iter().chain(admin_tls.iter()).cloned().collect();
        if !reloading.is_empty() {
            tokio::spawn(crate::http::tls::watch(reloading));
        }
        let public = match self.public {
            Some(listener) => {
                let data = data.clone();
                let origins = Arc::new(ClientOrigins::new(state.clients.clone()));
                let limiter = rate_limiter.clone();
                let server = HttpServer::new(move || {
                    crate::http::public_app(data.clone(), origins.clone(), limiter.clone())
                });
                Some(start_server!(
                    server,
                    listener,
                    workers,
                    public_limits,
                    "public",
                    public_tls
                ))
            }
            None => None,
        };
        let admin = match self.admin {
            Some(listener) => {
                let data = data.clone();
                let limiter = rate_limiter.clone();
                let server = HttpServer::new(move || {
                    crate::http::admin_app(data.clone(), document.clone(), limiter.clone())
                });
                let (server, addr) =
                    start_server!(server, listener, workers, admin_limits, "admin", admin_tls);
                if admin_open_to_the_network(&state.config, addr) {
                    tracing::warn!(
                        listener = "admin",
                        address = %addr,
                        "the admin API listens on a non-loopback address without serve.admin.api_key: \
                         whoever reaches it can manage clients and read private signing keys; \
                         bind serve.admin.host to 127.0.0.1 or a private network, set \
                         serve.admin.api_key, or put an authenticating proxy in front \
                         (docs/operations.md)"
                    );
                }
                Some((server, addr))
            }
            None => None,
        };
        let metrics = match self.metrics {
            Some(listener) => {
                let server = HttpServer::new(crate::http::metrics_listener::metrics_app);
                // One worker: a scrape every few seconds needs no more. The admin
                // listener's timeouts and connection budget: it is an operator's port.
                let limits = ListenerLimits::new(
                    &state.config,
                    serve.admin.timeout,
                    serve.admin.max_connections,
                    1,
                );
                Some(start_server!(server, listener, 1, limits, "metrics"))
            }
            None => None,
        };
        Ok(Application {
            public,
            admin,
            metrics,
            state,
            janitor,
        })
    }
}

/// Whether the admin listener at `addr` is reachable beyond this host with no API key
/// (issue 12, item 5): allowed, as in Hydra, but warned about at startup.
fn admin_open_to_the_network(config: &Config, addr: SocketAddr) -> bool {
    config.serve.admin.api_key.is_none() && !addr.ip().to_canonical().is_loopback()
}

/// Both listeners, running. Await `run_until_stopped`; stop with `handle().stop(true)`.
pub struct Application {
    public: Option<(Server, SocketAddr)>,
    admin: Option<(Server, SocketAddr)>,
    metrics: Option<(Server, SocketAddr)>,
    state: AppState,
    /// `janitor.enabled`: runs while the listeners do.
    janitor: Option<crate::janitor::task::Janitor>,
}

/// Stops both listeners; `graceful` lets in-flight requests finish.
#[derive(Clone)]
pub struct ApplicationHandle {
    handles: Vec<ServerHandle>,
}

impl ApplicationHandle {
    pub async fn stop(&self, graceful: bool) {
        for handle in &self.handles {
            handle.stop(graceful).await;
        }
    }
}

impl Application {
    pub fn builder(config: Config) -> ApplicationBuilder {
        let migrate = config.dev;
        ApplicationBuilder {
            config,
            clock: Arc::new(SystemClock),
            public: None,
            admin: None,
            metrics: None,
            migrate,
            workers: None,
        }
    }

    pub fn public_addr(&self) -> Option<SocketAddr> {
        self.public.as_ref().map(|(_, addr)| *addr)
    }

    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(|(_, addr)| *addr)
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, addr)| *addr)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn handle(&self) -> ApplicationHandle {
        ApplicationHandle {
            handles: self
                .public
                .iter()
                .chain(self.admin.iter())
                .chain(self.metrics.iter())
                .map(|(server, _)| server.handle())
                .collect(),
        }
    }

    /// Runs until every listener has stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let public = async {
            match self.public {
                Some((server, _)) => server.await,
                None => Ok(()),
            }
        };
        let admin = async {
            match self.admin {
                Some((server, _)) => server.await,
                None => Ok(()),
            }
        };
        let metrics = async {
            match self.metrics {
                Some((server, _)) => server.await,
                None => Ok(()),
            }
        };
        // The janitor stops when the last listener has stopped.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let listeners = async {
            let results = futures::join!(public, admin, metrics);
            let _ = stop.send(true);
            results
        };
        let janitor = async {
            if let Some(janitor) = self.janitor {
                janitor.run(stopped).await;
            }
        };
        let ((public, admin, metrics), ()) = futures::join!(listeners, janitor);
        public.and(admin).and(metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_api_beyond_loopback_without_a_key_is_flagged() {
        let mut config = Config::default();
        let addr = |text: &str| text.parse::<SocketAddr>().unwrap();
        assert!(admin_open_to_the_network(&config, addr("0.0.0.0:4445")));
        assert!(admin_open_to_the_network(&config, addr("10.1.2.3:4445")));
        assert!(admin_open_to_the_network(&config, addr("[::]:4445")));
        assert!(!admin_open_to_the_network(&config, addr("127.0.0.1:4445")));
        assert!(!admin_open_to_the_network(&config, addr("[::1]:4445")));
        assert!(!admin_open_to_the_network(
            &config,
            addr("[::ffff:127.0.0.1]:4445")
        ));
        config.serve.admin.api_key = Some("k".repeat(32));
        assert!(!admin_open_to_the_network(&config, addr("0.0.0.0:4445")));
    }
}
