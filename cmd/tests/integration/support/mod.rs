pub mod assertion;
pub mod browser;
pub mod chromium;
pub mod code;
pub mod device;
pub mod event_receiver;
pub mod fapi;
pub mod flow;
pub mod hybrid;
pub mod login_ui;
pub mod logout;
pub mod nats;
pub mod oauth;
pub mod oidc;
pub mod par;
pub mod redis;
pub mod test_app;
pub mod test_db;

pub use test_app::TestApp;
pub use test_db::TestBackend;

/// Declares one test per backend for each named async fn taking a `TestBackend`:
/// `name::sqlite`, `name::postgres`, `name::mysql`, so every backend's result shows in
/// the runner's output. A backend whose server is not configured returns at once (the
/// SQLite suite alone must pass); a configured but unreachable server fails.
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::TestBackend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let backend = $crate::support::TestBackend::Postgres;
                    if backend.server_url().is_some() {
                        super::$name(backend).await;
                    } else {
                        eprintln!("not run: {} is not set", $crate::support::test_db::POSTGRES_URL_VAR);
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() {
                    let backend = $crate::support::TestBackend::Mysql;
                    if backend.server_url().is_some() {
                        super::$name(backend).await;
                    } else {
                        eprintln!("not run: {} is not set", $crate::support::test_db::MYSQL_URL_VAR);
                    }
                }
            }
        )*
    };
}
pub(crate) use per_backend;
