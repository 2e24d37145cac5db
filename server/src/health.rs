//! Liveness and readiness, independent of HTTP.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::storage::StorageHealth;

/// How long readiness waits for the database before calling it unreachable.
pub const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// `Ok` when every dependency answers; otherwise each failing dependency with its reason.
pub async fn readiness(storage: &dyn StorageHealth) -> Result<(), BTreeMap<String, String>> {
    let outcome = tokio::time::timeout(READY_TIMEOUT, storage.ping()).await;
    let failure = match outcome {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(err)) => err.to_string(),
        Err(_) => format!("no answer within {}s", READY_TIMEOUT.as_secs()),
    };
    Err(BTreeMap::from([("database".to_owned(), failure)]))
}
