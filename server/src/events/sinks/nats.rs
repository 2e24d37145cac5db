//! The NATS JetStream sink (docs/operations.md, "Events"): each event is published to
//! `<subject_prefix>.<type>` and counts as delivered only once JetStream acknowledged it
//! (its PubAck names the stream that stored it). No stream for the subject ("no
//! responders"), a refused `Nats-Expected-Stream`, no connection or no acknowledgement
//! within the sink's timeout are failures the worker retries with its backoff.
//!
//! The message is the CloudEvents envelope in structured mode, the only mode of the
//! CloudEvents NATS Protocol Binding 1.0.2 (§1.3, §3: the payload is the JSON event
//! format), with `content-type: application/cloudevents+json` as the HTTP binding's
//! structured mode sends it (§3.2), so one consumer reads both sinks alike. The
//! `Nats-Msg-Id` header is the event id: JetStream drops a second message with the same
//! id within the stream's duplicate window, so the worker's at-least-once redelivery
//! stores the event once.
//!
//! One client per sink, created when the worker starts with `retry_on_initial_connect`:
//! `serve` starts while NATS is down (the events wait in the outbox), and async-nats
//! connects and reconnects in the background by itself.

use std::time::Duration;

use async_nats::connection::State;
use async_nats::header::{NATS_EXPECTED_STREAM, NATS_MESSAGE_ID};
use async_nats::jetstream::{self, context::PublishErrorKind};
use async_nats::{ConnectOptions, HeaderMap};
use tokio::sync::OnceCell;

use super::CLOUDEVENTS_JSON;
use crate::config::NatsSinkConfig;
use crate::storage::OutboxEvent;

/// The client name the NATS server shows in its connection list (`nats server report
/// connections`, `/connz`).
const CLIENT_NAME: &str = "portunus-events";

/// A `type: nats` sink.
pub struct NatsSink {
    config: NatsSinkConfig,
    /// Made once, on the worker's first use; reconnects by itself afterwards.
    connection: OnceCell<(async_nats::Client, jetstream::Context)>,
}

/// Never prints the credentials (`NatsSinkConfig`'s own `Debug` redacts them).
impl std::fmt::Debug for NatsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsSink")
            .field("config", &self.config)
            .field("connected", &self.connected())
            .finish()
    }
}

/// The subject of an event of type `event_type`: `<prefix>.<type>`. The type's dots
/// make further tokens (`token.issued` → `<prefix>.token.issued`); an ingested type
/// may hold what a subject cannot (NATS "Subject-Based Messaging": no whitespace, no
/// `*` or `>`, no empty token), which becomes `_`, so that every event has a subject
/// a stream can capture.
pub fn subject(prefix: &str, event_type: &str) -> String {
    let tokens = event_type.split('.').map(|token| {
        if token.is_empty() {
            return "_".to_owned();
        }
        token
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() || matches!(c, '*' | '>') {
                    '_'
                } else {
                    c
                }
            })
            .collect()
    });
    std::iter::once(prefix.to_owned())
        .chain(tokens)
        .collect::<Vec<String>>()
        .join(".")
}

impl NatsSink {
    pub fn new(config: NatsSinkConfig) -> Self {
        Self {
            config,
            connection: OnceCell::new(),
        }
    }

    fn timeout(&self) -> Duration {
        self.config.timeout.as_std()
    }

    /// Creates the client (at most once). It does not wait for the server: with
    /// `retry_on_initial_connect` async-nats connects in the background, so only a URL
    /// it cannot parse fails here.
    pub async fn connect(&self) -> Result<&(async_nats::Client, jetstream::Context), String> {
        self.connection
            .get_or_try_init(|| async {
                let mut options = ConnectOptions::new()
                    .name(CLIENT_NAME)
                    .connection_timeout(self.timeout())
                    .request_timeout(Some(self.timeout()))
                    .retry_on_initial_connect()
                    .max_reconnects(None);
                if let (Some(user), Some(password)) = (&self.config.user, &self.config.password) {
                    options = options.user_and_password(user.clone(), password.clone());
                }
                if let Some(token) = &self.config.token {
                    options = options.token(token.clone());
                }
                // Only this CA is trusted (async-nats loads the system's roots only when
                // given none), and TLS is required even behind a `nats://` URL, so that
                // the events never leave in clear text towards a server that offers none.
                if let Some(ca) = &self.config.tls_ca_path {
                    options = options.add_root_certificates(ca.into()).require_tls(true);
                }
                let servers = self
                    .config
                    .url
                    .split(',')
                    .map(|server| server.trim().parse::<async_nats::ServerAddr>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("NATS url {}: {e}", self.config.url))?;
                let client = options
                    .connect(servers)
                    .await
                    .map_err(|e| format!("NATS at {}: {e}", self.config.url))?;
                let mut context = jetstream::new(client.clone());
                context.set_timeout(self.timeout());
                Ok((client, context))
            })
            .await
    }

    /// Whether the client is connected to a server; true before it was made.
    pub fn connected(&self) -> bool {
        self.connection
            .get()
            .is_none_or(|(client, _)| client.connection_state() == State::Connected)
    }

    /// Publishes `event` and waits for JetStream's acknowledgement, all within the
    /// sink's timeout. `Err` names the server and the subject, never the credentials.
    pub async fn publish(&self, event: &OutboxEvent) -> Result<(), String> {
        let subject = subject(&self.config.subject_prefix, &event.event_type);
        let (client, context) = self.connect().await?;
        let mut headers = HeaderMap::new();
        headers.insert(NATS_MESSAGE_ID, event.id.as_str());
        headers.insert("content-type", CLOUDEVENTS_JSON);
        if let Some(stream) = &self.config.stream {
            headers.insert(NATS_EXPECTED_STREAM, stream.as_str());
        }
        let payload = event.envelope.clone().into();
        let acknowledged = async {
            context
                .publish_with_headers(subject.clone(), headers, payload)
                .await?
                .await
        };
        let fail = |why: String| {
            let state = client.connection_state();
            let state = if state == State::Connected {
                String::new()
            } else {
                format!(" (connection {state})")
            };
            format!(
                "NATS JetStream at {}: publish to {subject}: {why}{state}",
                self.config.url
            )
        };
        match tokio::time::timeout(self.timeout(), acknowledged).await {
            Ok(Ok(ack)) => {
                tracing::debug!(
                    event_id = %event.id,
                    stream = %ack.stream,
                    sequence = ack.sequence,
                    duplicate = ack.duplicate,
                    "event stored by JetStream"
                );
                Ok(())
            }
            Ok(Err(e)) if e.kind() == PublishErrorKind::StreamNotFound => {
                Err(fail("no JetStream stream captures this subject".to_owned()))
            }
            Ok(Err(e)) => Err(fail(e.to_string())),
            Err(_) => Err(fail(format!(
                "no acknowledgement within {:?}",
                self.timeout()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_the_prefix_and_the_type_s_tokens() {
        assert_eq!(
            subject("portunus.events", "token.issued"),
            "portunus.events.token.issued"
        );
        assert_eq!(
            subject("p", "com.example.order.updated"),
            "p.com.example.order.updated"
        );
    }

    #[test]
    fn what_a_subject_cannot_hold_becomes_an_underscore() {
        assert_eq!(subject("p", "a b.*.>"), "p.a_b._._");
        assert_eq!(subject("p", ".a..b."), "p._.a._.b._");
        assert_eq!(subject("p", ""), "p._");
        assert_eq!(subject("p", "tab\there"), "p.tab_here");
    }

    #[test]
    fn no_client_is_made_before_use_and_none_is_reported_down() {
        let sink = NatsSink::new(NatsSinkConfig {
            url: "nats://127.0.0.1:1".into(),
            subject_prefix: "p".into(),
            stream: None,
            timeout: crate::duration::GoDuration::from_secs(1),
            user: Some("u".into()),
            password: Some("secret-password".into()),
            token: None,
            tls_ca_path: None,
        });
        assert!(sink.connected());
        assert!(!format!("{sink:?}").contains("secret-password"));
    }
}
