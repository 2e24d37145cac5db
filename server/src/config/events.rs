//! `events` (issue 15 §1): audit events through a transactional outbox, delivered to
//! `sinks` (docs/operations.md, "Events"). Off by default; `OAUTH2_EVENTS_ENABLED` (the
//! seed's variable) sets `enabled` as `EVENTS_ENABLED` does.

use serde::{Deserialize, Serialize};

use crate::duration::GoDuration;

/// `events`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// Write events and deliver them. Off: nothing is written (no outbox rows, no
    /// worker).
    pub enabled: bool,
    /// Where events go; each event is sent to every sink. None: standard output.
    pub sinks: Vec<EventSinkConfig>,
    /// Delivered events (and ingest idempotency keys) are kept this long, then purged
    /// by the janitor. Default 168h.
    pub retention: GoDuration,
    /// How the delivery worker retries.
    pub delivery: EventDeliveryConfig,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            sinks: Vec::new(),
            retention: GoDuration::from_secs(168 * 3600),
            delivery: EventDeliveryConfig::default(),
        }
    }
}

/// `events.delivery`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EventDeliveryConfig {
    /// How often the worker looks for due events when it found none.
    pub poll_interval: GoDuration,
    /// The wait after a first failed delivery; it doubles with each failure.
    pub initial_backoff: GoDuration,
    /// The longest wait between two attempts (the doubling's cap).
    pub max_backoff: GoDuration,
    /// How long a claimed event is the claiming node's: if it dies mid-delivery,
    /// another node (or this one restarted) delivers the event after this.
    pub lease: GoDuration,
}

impl Default for EventDeliveryConfig {
    fn default() -> Self {
        Self {
            poll_interval: GoDuration::from_secs(1),
            initial_backoff: GoDuration::from_secs(1),
            max_backoff: GoDuration::from_secs(300),
            lease: GoDuration::from_secs(60),
        }
    }
}

/// One of `events.sinks[]`, chosen by `type`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventSinkConfig {
    /// POST each envelope to `url`, signed (Standard Webhooks).
    Webhook(WebhookSinkConfig),
    /// One JSON line per envelope on standard output (development).
    Stdout,
}

impl EventSinkConfig {
    /// The sink's name in metrics and `GET /events/health`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Webhook(_) => "webhook",
            Self::Stdout => "stdout",
        }
    }
}

/// `events.sinks[]` of `type: webhook`.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookSinkConfig {
    /// The operator's receiver; called through the outbound guard
    /// (`clients.http.disallow_private_ip_ranges`, `private_ip_exception_urls`).
    pub url: String,
    /// The HMAC-SHA256 key of the `webhook-signature` header, at least 16 characters.
    pub secret: String,
    /// How long one delivery may take, connection included. Default 10s.
    #[serde(default = "default_webhook_timeout")]
    pub timeout: GoDuration,
}

fn default_webhook_timeout() -> GoDuration {
    GoDuration::from_secs(10)
}

/// Never prints the secret.
impl std::fmt::Debug for WebhookSinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSinkConfig")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The shortest webhook secret accepted.
pub const MIN_EVENT_SECRET_LEN: usize = 16;

impl EventsConfig {
    /// `sinks`, or standard output when none is configured (the seed's
    /// `OAUTH2_EVENTS_ENABLED=true` alone).
    pub fn effective_sinks(&self) -> Vec<EventSinkConfig> {
        if self.sinks.is_empty() {
            vec![EventSinkConfig::Stdout]
        } else {
            self.sinks.clone()
        }
    }

    /// The problems of this configuration, as (key suffix, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (index, sink) in self.sinks.iter().enumerate() {
            if let EventSinkConfig::Webhook(hook) = sink {
                match url::Url::parse(&hook.url) {
                    Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                    _ => problems.push((
                        format!("sinks[{index}].url"),
                        "must be an http or https URL".into(),
                    )),
                }
                if hook.secret.chars().count() < MIN_EVENT_SECRET_LEN {
                    problems.push((
                        format!("sinks[{index}].secret"),
                        format!("must be at least {MIN_EVENT_SECRET_LEN} characters long"),
                    ));
                }
                if hook.timeout.as_std().is_zero() {
                    problems.push((format!("sinks[{index}].timeout"), "must be positive".into()));
                }
            }
        }
        let delivery = &self.delivery;
        for (key, value) in [
            ("delivery.poll_interval", delivery.poll_interval),
            ("delivery.initial_backoff", delivery.initial_backoff),
            ("delivery.lease", delivery.lease),
        ] {
            if value.as_std().is_zero() {
                problems.push((key.into(), "must be positive".into()));
            }
        }
        if delivery.max_backoff.as_std() < delivery.initial_backoff.as_std() {
            problems.push((
                "delivery.max_backoff".into(),
                "must not be shorter than delivery.initial_backoff".into(),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinks_parse_by_type_and_bad_ones_are_named() {
        let config: EventsConfig = serde_json::from_value(serde_json::json!({
            "enabled": true,
            "sinks": [
                {"type": "webhook", "url": "ftp://x", "secret": "short"},
                {"type": "stdout"}
            ]
        }))
        .unwrap();
        assert_eq!(config.sinks[1], EventSinkConfig::Stdout);
        let keys: Vec<String> = config.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["sinks[0].url", "sinks[0].secret"]);
        assert_eq!(config.retention.as_std().as_secs(), 168 * 3600);
    }

    #[test]
    fn the_seed_variable_turns_events_on_and_the_key_s_own_wins() {
        let load = |pairs: &'static [(&'static str, &'static str)]| {
            crate::config::load(None, &move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            })
            .unwrap()
        };
        assert!(!load(&[]).events.enabled);
        assert!(load(&[("OAUTH2_EVENTS_ENABLED", "true")]).events.enabled);
        let both = load(&[
            ("OAUTH2_EVENTS_ENABLED", "true"),
            ("EVENTS_ENABLED", "false"),
        ]);
        assert!(!both.events.enabled);
    }

    #[test]
    fn no_sinks_means_stdout() {
        assert_eq!(
            EventsConfig::default().effective_sinks(),
            [EventSinkConfig::Stdout]
        );
    }

    #[test]
    fn the_secret_is_not_printed() {
        let hook = WebhookSinkConfig {
            url: "https://example.com/".into(),
            secret: "0123456789abcdef-secret".into(),
            timeout: default_webhook_timeout(),
        };
        assert!(!format!("{hook:?}").contains("secret\""));
        assert!(!format!("{hook:?}").contains("0123456789abcdef"));
    }
}
