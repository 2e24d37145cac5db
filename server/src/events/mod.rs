//! Audit events (issue 15 §1; docs/operations.md, "Events"): CloudEvents 1.0 envelopes
//! (`envelope.rs`) written to a transactional outbox in the same database transaction
//! as the change they report (`report*.rs` build them, the storage write stores them),
//! and delivered at least once, in order per aggregate, by a worker per node
//! (`worker.rs`) to the configured sinks (`sinks/`: webhook, NATS JetStream, stdout).

pub mod envelope;
pub mod report;
pub mod report_auth;
pub mod report_clients;
pub mod report_flow;
pub mod report_keys;
pub mod report_rate_limit;
pub mod report_trusts;
pub mod sampled;
pub mod sinks;
pub mod worker;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::storage::EventOutbox;

pub use envelope::{Actor, Envelope, SCHEMA_VERSION};
pub use report::{Issued, Revocation, code_issued, family_revoked, token_issued};
pub use report_clients::{ClientActor, ReportingClients};
pub use report_flow::{
    FlowRequest, LoggedOut, SessionEnd, consent_accepted, consent_rejected, login_accepted,
    login_rejected, session_logged_out,
};
pub use report_keys::KeyEvents;
pub use report_trusts::ReportingTrusts;
pub use sampled::{Sample, SampledEvents};

/// What the HTTP side sees of the events: whether they are on, the sinks' health, and
/// the outbox for ingested envelopes.
#[derive(Clone, Default)]
pub struct EventsHandle {
    running: Option<Running>,
}

#[derive(Clone)]
struct Running {
    outbox: Arc<dyn EventOutbox>,
    sinks: Arc<[sinks::Sink]>,
}

impl std::fmt::Debug for EventsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsHandle")
            .field("enabled", &self.enabled())
            .finish_non_exhaustive()
    }
}

impl EventsHandle {
    /// With `events.enabled`: builds the sinks and spawns the delivery worker on the
    /// current runtime. Off: a handle that reports "disabled" and starts nothing.
    pub fn start(
        config: &Config,
        outbox: Arc<dyn EventOutbox>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        if !config.events.enabled {
            return Ok(Self::default());
        }
        let sinks: Arc<[sinks::Sink]> = config
            .events
            .effective_sinks()
            .iter()
            .map(|sink| sinks::Sink::new(sink, &config.clients.http))
            .collect::<Result<Vec<_>, _>>()?
            .into();
        let worker = worker::Worker {
            outbox: outbox.clone(),
            sinks: sinks.clone(),
            clock,
            delivery: config.events.delivery.clone(),
            owner: uuid::Uuid::new_v4().to_string(),
        };
        tokio::spawn(worker.run());
        Ok(Self {
            running: Some(Running { outbox, sinks }),
        })
    }

    pub fn enabled(&self) -> bool {
        self.running.is_some()
    }

    /// Each sink's name and whether its last delivery succeeded.
    pub fn sink_health(&self) -> Vec<(&'static str, bool)> {
        self.running
            .iter()
            .flat_map(|running| running.sinks.iter())
            .map(|sink| (sink.name(), sink.healthy()))
            .collect()
    }

    /// The outbox, when events are on.
    pub fn outbox(&self) -> Option<&Arc<dyn EventOutbox>> {
        self.running.as_ref().map(|running| &running.outbox)
    }
}
