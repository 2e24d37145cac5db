//! `TestApp`: both listeners on 127.0.0.1:0 over a fresh database, built with the same
//! `Application::builder` production uses; admin calls go through our SDK.

use std::net::TcpListener;
use std::sync::Arc;

use portunus_server::clock::Clock;
use portunus_server::{Application, ApplicationHandle, Config};

use super::test_db::{TestBackend, TestDatabase};

pub const TEST_SYSTEM_SECRET: &str = "portunus-test-system-secret-0001";
/// The login and consent apps of test flows: never contacted, the tests read the
/// challenge from the redirect and act as the app themselves.
pub const LOGIN_APP_URL: &str = "https://login.test/login";
pub const CONSENT_APP_URL: &str = "https://consent.test/consent";
/// The logout app of test flows, likewise never contacted.
pub const LOGOUT_APP_URL: &str = "https://logout.test/logout";

pub struct TestApp {
    pub public_url: String,
    pub admin_url: String,
    /// The SDK for both listeners (the one entry point users have).
    pub sdk: portunus_sdk::Portunus,
    /// `sdk.admin()`, the SDK client for the admin listener.
    pub admin: portunus_sdk::Client,
    /// Plain HTTP client for probing the wire (no redirects followed).
    pub http: reqwest::Client,
    pub state: portunus_server::state::AppState,
    handle: ApplicationHandle,
    // Dropped last: the database outlives the server using it.
    pub db: Arc<TestDatabase>,
}

type ConfigChange = Box<dyn FnOnce(&mut Config)>;

/// Which of `urls.self.*` the app is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfUrls {
    /// `urls.self.public` set to the listener (the default).
    Public,
    /// Only `urls.self.issuer` set (to the listener); the public URL falls back to it.
    IssuerOnly,
    /// Neither: a dev-mode server (`serve --dev`) whose `serve.public.port` is the
    /// listener's, so everything falls back to the default issuer.
    Neither,
}

pub struct TestAppBuilder {
    backend: TestBackend,
    db: Option<Arc<TestDatabase>>,
    clock: Option<Arc<dyn Clock>>,
    configure: Vec<ConfigChange>,
    self_urls: SelfUrls,
}

impl TestApp {
    pub fn builder(backend: TestBackend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            db: None,
            clock: None,
            configure: Vec::new(),
            self_urls: SelfUrls::Public,
        }
    }

    pub async fn spawn(backend: TestBackend) -> TestApp {
        Self::builder(backend).build().await
    }

    pub fn admin_path(&self, path: &str) -> String {
        format!("{}{path}", self.admin_url)
    }

    pub fn public_path(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// The OpenID Connect discovery document (must be served with 200).
    pub async fn discovery(&self) -> serde_json::Value {
        let response = self
            .http
            .get(self.public_path("/.well-known/openid-configuration"))
            .send()
            .await
            .expect("discovery request");
        assert_eq!(response.status(), 200, "discovery status");
        response.json().await.expect("discovery JSON")
    }
}

impl TestAppBuilder {
    /// Changes the configuration before the app is built.
    pub fn config(mut self, f: impl FnOnce(&mut Config) + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Which `urls.self.*` keys are set (the URL-from-headers tests leave
    /// `urls.self.public` unset).
    pub fn self_urls(mut self, self_urls: SelfUrls) -> Self {
        self.self_urls = self_urls;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Uses an existing database (e.g. to run a second app on the same data).
    pub fn database(mut self, db: TestDatabase) -> Self {
        self.db = Some(Arc::new(db));
        self
    }

    /// A second node on the first one's database (the multi-node setup); the database
    /// lives until both are dropped.
    pub fn same_database_as(mut self, other: &TestApp) -> Self {
        self.db = Some(other.db.clone());
        self
    }

    pub async fn build(self) -> TestApp {
        let db = self
            .db
            .unwrap_or_else(|| Arc::new(TestDatabase::create(self.backend)));
        let mut config = Config {
            dsn: Some(db.dsn.clone()),
            ..Config::default()
        };
        config.secrets.system = vec![TEST_SYSTEM_SECRET.to_owned()];
        let public = TcpListener::bind("127.0.0.1:0").expect("bind public");
        let admin = TcpListener::bind("127.0.0.1:0").expect("bind admin");
        let public_addr = public.local_addr().expect("public addr");
        match self.self_urls {
            SelfUrls::Public => config.urls.self_.public = Some(format!("http://{public_addr}/")),
            SelfUrls::IssuerOnly => {
                config.urls.self_.issuer = Some(format!("http://{public_addr}/"))
            }
            SelfUrls::Neither => {
                config.dev = true;
                config.serve.public.port = public_addr.port();
            }
        }
        config.urls.login = Some(LOGIN_APP_URL.to_owned());
        config.urls.consent = Some(CONSENT_APP_URL.to_owned());
        config.urls.logout = Some(LOGOUT_APP_URL.to_owned());
        for f in self.configure {
            f(&mut config);
        }
        let api_key = config.serve.admin.api_key.clone();
        let mut builder = Application::builder(config)
            .public_listener(public)
            .admin_listener(admin)
            .migrate(true)
            .workers(1);
        if let Some(clock) = self.clock {
            builder = builder.clock(clock);
        }
        let app = builder
            .build()
            .await
            .unwrap_or_else(|e| panic!("[{}] application failed to build: {e}", db.backend));
        let public_url = format!("http://{}", app.public_addr().expect("public addr"));
        let admin_url = format!("http://{}", app.admin_addr().expect("admin addr"));
        let state = app.state().clone();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let mut sdk = portunus_sdk::Portunus::builder()
            .public_url(&public_url)
            .admin_url(&admin_url);
        if let Some(key) = &api_key {
            sdk = sdk.admin_api_key(key);
        }
        let sdk = sdk.build().expect("sdk client");
        let admin = sdk.admin().clone();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        TestApp {
            public_url,
            admin_url,
            sdk,
            admin,
            http,
            state,
            handle,
            db,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Drop cannot await; the stop command only needs to be sent.
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)));
    }
}
