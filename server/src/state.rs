//! The state every handler shares, built once by `Application::build`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::storage::{ClientStore, StorageHealth};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub clients: Arc<dyn ClientStore>,
    pub storage_health: Arc<dyn StorageHealth>,
}
