//! The standard-output sink (development): one JSON line per envelope, flushed, so a
//! line is either written whole or the delivery fails and is retried.

use std::io::Write;

use crate::storage::OutboxEvent;

/// Writes `event`'s envelope as one line.
pub fn write_line(event: &OutboxEvent) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", event.envelope)
        .and_then(|()| out.flush())
        .map_err(|e| format!("standard output: {e}"))
}
