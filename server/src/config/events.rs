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
    /// How the events that report no change (`auth.client_failed`,
    /// `rate_limit.exceeded`) are sampled, so a flood of refusals cannot flood the outbox.
    pub sampling: EventSamplingConfig,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            sinks: Vec::new(),
            retention: GoDuration::from_secs(168 * 3600),
            delivery: EventDeliveryConfig::default(),
            sampling: EventSamplingConfig::default(),
        }
    }
}

/// `events.sampling` (docs/operations.md, "Sampled events"): per node, at most one event
/// per key (a `(client_id, reason)`, a rate-limit group) per `interval`, at most
/// `max_per_interval` events in all per `interval`; each event counts what was
/// suppressed before it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EventSamplingConfig {
    /// The sampling interval. Default 1m.
    pub interval: GoDuration,
    /// The most sampled events one node writes per `interval`, all keys together.
    /// Default 100.
    pub max_per_interval: u32,
}

impl Default for EventSamplingConfig {
    fn default() -> Self {
        Self {
            interval: GoDuration::from_secs(60),
            max_per_interval: 100,
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
    /// Publish each envelope to NATS JetStream under `<subject_prefix>.<type>`.
    Nats(NatsSinkConfig),
}

impl EventSinkConfig {
    /// The sink's name in metrics and `GET /events/health`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Webhook(_) => "webhook",
            Self::Stdout => "stdout",
            Self::Nats(_) => "nats",
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
    /// Events per request, 1 to [`MAX_WEBHOOK_BATCH_SIZE`]. 1 (the default) sends each
    /// event alone in structured mode (`application/cloudevents+json`); more sends up
    /// to that many events as one JSON array in batched mode
    /// (`application/cloudevents-batch+json`, CloudEvents HTTP binding §3.3), which
    /// costs the receiver and Portunus one request per batch instead of per event.
    #[serde(default = "default_webhook_batch_size")]
    pub batch_size: usize,
}

fn default_webhook_timeout() -> GoDuration {
    GoDuration::from_secs(10)
}

fn default_webhook_batch_size() -> usize {
    1
}

/// The most events a webhook request carries: the delivery worker's claim (a claimed
/// batch holds at most one event per aggregate, so one request never carries two
/// events whose order matters).
pub const MAX_WEBHOOK_BATCH_SIZE: usize = 64;

/// Never prints the secret.
impl std::fmt::Debug for WebhookSinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSinkConfig")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

/// `events.sinks[]` of `type: nats` (docs/operations.md, "Events"): a JetStream publish
/// per event, acknowledged by the stream that stored it.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NatsSinkConfig {
    /// `nats://host:port` (or `tls://`); several servers of one cluster separated by
    /// commas. Credentials go in `user`/`password` or `token`, never in the URL, so that
    /// the URL can be logged.
    pub url: String,
    /// The subject of an event is `<subject_prefix>.<type>`. Default `portunus.events`.
    #[serde(default = "default_subject_prefix")]
    pub subject_prefix: String,
    /// The stream expected to store the events: each publish carries
    /// `Nats-Expected-Stream`, so JetStream refuses it (and the worker retries) when the
    /// subject is captured by another stream or none. Unset: any stream.
    #[serde(default)]
    pub stream: Option<String>,
    /// How long one delivery may take until the stream's acknowledgement. Default 5s.
    #[serde(default = "default_nats_timeout")]
    pub timeout: GoDuration,
    /// User and password authentication (both or neither).
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Token authentication (instead of `user`/`password`).
    #[serde(default)]
    pub token: Option<String>,
    /// A PEM file of the CA certificate(s) that signed the NATS servers' certificates.
    /// Set: TLS is required (also for `nats://` URLs) and only these CAs are trusted,
    /// not the system's, as a private CA's operator expects. Unset: `tls://` URLs (or a
    /// server that requires TLS) are checked against the system's trusted roots. Read
    /// at startup: a file that is missing or holds no certificate stops `serve`.
    #[serde(default)]
    pub tls_ca_path: Option<String>,
}

fn default_subject_prefix() -> String {
    "portunus.events".into()
}

fn default_nats_timeout() -> GoDuration {
    GoDuration::from_secs(5)
}

/// Never prints the password or the token, only whether they are set.
impl std::fmt::Debug for NatsSinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsSinkConfig")
            .field("url", &self.url)
            .field("subject_prefix", &self.subject_prefix)
            .field("stream", &self.stream)
            .field("timeout", &self.timeout)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("tls_ca_path", &self.tls_ca_path)
            .finish()
    }
}

impl NatsSinkConfig {
    /// The sink's problems, as (key under `sinks[i]`, message).
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if let Some(why) = nats_url_problem(&self.url) {
            problems.push(("url", why));
        }
        if let Some(why) = subject_prefix_problem(&self.subject_prefix) {
            problems.push(("subject_prefix", why));
        }
        if let Some(stream) = &self.stream
            && (stream.is_empty()
                || stream
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\')))
        {
            // JetStream stream names: no whitespace, `.`, `*`, `>`, or path separators.
            problems.push((
                "stream",
                "must be a JetStream stream name: not empty, without whitespace, '.', '*', '>', '/' or '\\'".into(),
            ));
        }
        if self.timeout.as_std().is_zero() {
            problems.push(("timeout", "must be positive".into()));
        }
        match (&self.user, &self.password, &self.token) {
            (Some(_), Some(_), None) | (None, None, _) => {}
            (Some(_), None, _) | (None, Some(_), _) => {
                problems.push(("password", "user and password must be set together".into()))
            }
            (Some(_), Some(_), Some(_)) => problems.push((
                "token",
                "set either token or user and password, not both".into(),
            )),
        }
        if let Some(path) = &self.tls_ca_path
            && let Some(why) = ca_file_problem(path)
        {
            problems.push(("tls_ca_path", why));
        }
        problems
    }
}

/// The largest CA file read: a bundle of a few certificates is a few KiB; a bigger file
/// is a mistake, not a CA.
const MAX_CA_FILE_LEN: u64 = 1024 * 1024;

/// Why the file at `path` cannot be the sink's trusted CAs: unreadable, no PEM
/// certificate, or one that cannot be a trust anchor. Checked here, not when the client
/// connects, because async-nats reads the file on each connection attempt in the
/// background and would only retry the error forever.
fn ca_file_problem(path: &str) -> Option<String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    if path.is_empty() {
        return Some("must not be empty: remove the key to use the system's roots".into());
    }
    let len = match std::fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(e) => return Some(format!("{path}: {e}")),
    };
    if len > MAX_CA_FILE_LEN {
        return Some(format!("{path}: larger than {MAX_CA_FILE_LEN} bytes"));
    }
    let pem = match std::fs::read(path) {
        Ok(pem) => pem,
        Err(e) => return Some(format!("{path}: {e}")),
    };
    let certificates = match CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>() {
        Ok(certificates) => certificates,
        Err(e) => return Some(format!("{path}: {e}")),
    };
    if certificates.is_empty() {
        return Some(format!(
            "{path}: no PEM certificate (-----BEGIN CERTIFICATE-----) found"
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates {
        if let Err(e) = roots.add(certificate) {
            return Some(format!("{path}: not a usable CA certificate ({e})"));
        }
    }
    None
}

/// Why `url` is not a list of `nats://` or `tls://` server URLs without credentials.
fn nats_url_problem(url: &str) -> Option<String> {
    for server in url.split(',').map(str::trim) {
        match url::Url::parse(server) {
            Ok(parsed) if !matches!(parsed.scheme(), "nats" | "tls") => {
                return Some("must be nats:// or tls:// URLs (comma-separated)".into());
            }
            Ok(parsed) if parsed.host_str().is_none_or(str::is_empty) => {
                return Some(format!("{server:?} names no host"));
            }
            Ok(parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
                return Some(
                    "must not carry credentials: set user and password, or token, instead".into(),
                );
            }
            Ok(_) => {}
            Err(_) => return Some("must be nats:// or tls:// URLs (comma-separated)".into()),
        }
    }
    None
}

/// Why `prefix` cannot start a NATS subject we publish to: it must be dot-separated
/// tokens, each non-empty, without whitespace or the wildcards `*` and `>` (NATS
/// "Subject-Based Messaging", "Characters allowed and recommended for subject names").
fn subject_prefix_problem(prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return Some("must not be empty".into());
    }
    if prefix.split('.').any(str::is_empty) {
        return Some(format!(
            "{prefix:?} has an empty token: no leading, trailing or doubled '.'"
        ));
    }
    if let Some(bad) = prefix
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '*' | '>'))
    {
        return Some(format!(
            "{prefix:?} contains {bad:?}: subject tokens allow no whitespace and no wildcard ('*', '>')"
        ));
    }
    None
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
            if let EventSinkConfig::Nats(nats) = sink {
                problems.extend(
                    nats.problems()
                        .into_iter()
                        .map(|(key, why)| (format!("sinks[{index}].{key}"), why)),
                );
            }
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
                if !(1..=MAX_WEBHOOK_BATCH_SIZE).contains(&hook.batch_size) {
                    problems.push((
                        format!("sinks[{index}].batch_size"),
                        format!("must be between 1 and {MAX_WEBHOOK_BATCH_SIZE}"),
                    ));
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
        if self.sampling.interval.as_std().is_zero() {
            problems.push(("sampling.interval".into(), "must be positive".into()));
        }
        if self.sampling.max_per_interval == 0 {
            problems.push((
                "sampling.max_per_interval".into(),
                "must be at least 1".into(),
            ));
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

    fn nats(extra: serde_json::Value) -> EventsConfig {
        let mut sink = serde_json::json!({"type": "nats", "url": "nats://127.0.0.1:4222"});
        if let (Some(sink), Some(extra)) = (sink.as_object_mut(), extra.as_object()) {
            sink.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({"enabled": true, "sinks": [sink]})).unwrap()
    }

    fn keys(config: &EventsConfig) -> Vec<String> {
        config.problems().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn a_nats_sink_has_its_defaults_and_good_values_pass() {
        let config = nats(serde_json::json!({}));
        let EventSinkConfig::Nats(sink) = &config.sinks[0] else {
            panic!("{config:?}")
        };
        assert_eq!(sink.subject_prefix, "portunus.events");
        assert_eq!(sink.timeout.as_std().as_secs(), 5);
        assert_eq!(sink.stream, None);
        assert_eq!(config.sinks[0].name(), "nats");
        assert!(keys(&config).is_empty(), "{:?}", config.problems());
        let full = nats(serde_json::json!({
            "url": "nats://a.example:4222, tls://b.example:4222",
            "subject_prefix": "acme.audit-v1.portunus_events",
            "stream": "PORTUNUS_EVENTS",
            "user": "portunus", "password": "pw",
        }));
        assert!(keys(&full).is_empty(), "{:?}", full.problems());
    }

    #[test]
    fn bad_subject_prefixes_are_refused_with_the_reason() {
        for (prefix, reason) in [
            ("", "empty"),
            ("portunus events", "whitespace"),
            ("portunus.*", "wildcard"),
            ("portunus.>", "wildcard"),
            ("portunus..events", "empty token"),
            (".portunus", "empty token"),
            ("portunus.", "empty token"),
            ("port\tunus", "whitespace"),
        ] {
            let config = nats(serde_json::json!({"subject_prefix": prefix}));
            let problems = config.problems();
            assert_eq!(problems.len(), 1, "{prefix:?}: {problems:?}");
            assert_eq!(problems[0].0, "sinks[0].subject_prefix");
            assert!(
                problems[0].1.contains(reason),
                "{prefix:?}: {}",
                problems[0].1
            );
        }
    }

    #[test]
    fn bad_nats_urls_streams_and_credentials_are_named() {
        for (extra, key) in [
            (serde_json::json!({"url": "http://127.0.0.1:4222"}), "url"),
            (
                serde_json::json!({"url": "nats://u:p@127.0.0.1:4222"}),
                "url",
            ),
            (serde_json::json!({"url": "not a url"}), "url"),
            (serde_json::json!({"stream": "a.b"}), "stream"),
            (serde_json::json!({"stream": ""}), "stream"),
            (serde_json::json!({"timeout": "0s"}), "timeout"),
            (serde_json::json!({"user": "u"}), "password"),
            (
                serde_json::json!({"user": "u", "password": "p", "token": "t"}),
                "token",
            ),
        ] {
            let config = nats(extra.clone());
            assert_eq!(keys(&config), [format!("sinks[0].{key}")], "{extra}");
        }
        let unknown = serde_json::from_value::<EventsConfig>(serde_json::json!({
            "sinks": [{"type": "nats", "url": "nats://x:4222", "subject": "x"}]
        }));
        assert!(unknown.is_err(), "unknown keys are refused");
    }

    #[test]
    fn a_nats_ca_file_must_hold_a_usable_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let not_pem = dir.path().join("not.pem");
        std::fs::write(&not_pem, "not a certificate\n").unwrap();
        // Valid PEM framing around three zero bytes: no X.509 certificate inside.
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for (path, reason) in [
            (String::new(), "must not be empty"),
            (missing.display().to_string(), "missing.pem"),
            (not_pem.display().to_string(), "no PEM certificate"),
            (garbage.display().to_string(), "not a usable CA certificate"),
        ] {
            let config = nats(serde_json::json!({"tls_ca_path": path}));
            let problems = config.problems();
            assert_eq!(problems.len(), 1, "{path:?}: {problems:?}");
            assert_eq!(problems[0].0, "sinks[0].tls_ca_path");
            assert!(
                problems[0].1.contains(reason),
                "{path:?}: {}",
                problems[0].1
            );
        }
        let printed = format!(
            "{:?}",
            nats(serde_json::json!({"tls_ca_path": "/etc/ca.pem"}))
        );
        assert!(
            printed.contains("/etc/ca.pem"),
            "the path is no secret: {printed}"
        );
    }

    #[test]
    fn nats_credentials_are_not_printed() {
        let config = nats(serde_json::json!({"user": "u", "password": "pw-secret-1"}));
        let printed = format!("{config:?}");
        assert!(!printed.contains("pw-secret-1"), "{printed}");
        assert!(printed.contains("<redacted>"));
        let config = nats(serde_json::json!({"token": "tok-secret-2"}));
        assert!(!format!("{config:?}").contains("tok-secret-2"));
    }

    #[test]
    fn the_secret_is_not_printed() {
        let hook = WebhookSinkConfig {
            url: "https://example.com/".into(),
            secret: "0123456789abcdef-secret".into(),
            timeout: default_webhook_timeout(),
            batch_size: 1,
        };
        assert!(!format!("{hook:?}").contains("secret\""));
        assert!(!format!("{hook:?}").contains("0123456789abcdef"));
    }
}
