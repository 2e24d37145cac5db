//! The state every handler shares, built once by `Application::build`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::secrets::KeyRing;
use crate::storage::{ClientStore, StorageHealth};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// Keys derived from `secrets.system` (first signs/encrypts, all verify/decrypt).
    pub keys: Arc<KeyRing>,
    /// Keys derived from `secrets.cookie`, or `secrets.system` when that is empty.
    pub cookie_keys: Arc<KeyRing>,
    pub clients: Arc<dyn ClientStore>,
    pub storage_health: Arc<dyn StorageHealth>,
}
