//! The overview page's numbers, read in process from what the server already keeps:
//! audit events from the outbox (`EventOutbox::recent`), a few sums from the
//! Prometheus registry's text exposition (`crate::prometheus::render`). Only event
//! types, times, subjects and client ids reach the page: never a token value, and
//! nothing of an event's data beyond those two fields.

use chrono::SecondsFormat;

use super::pages::{EventRow, MetricRow};
use crate::outbox_event::OutboxEvent;
use crate::prometheus::{
    CLIENT_AUTH_FAILURES, DB_BREAKER_OPEN, EVENTS_PENDING, HTTP_REQUESTS, TOKEN_ERRORS,
    TOKEN_REUSE, TOKENS_ISSUED,
};

/// How many events the overview shows at most.
pub const RECENT_EVENTS: usize = 20;

/// The longest subject or client id shown in an event row (longer ones are cut).
const MAX_SHOWN: usize = 200;

fn shown(value: Option<&serde_json::Value>) -> String {
    value
        .and_then(serde_json::Value::as_str)
        .map(|s| s.chars().take(MAX_SHOWN).collect())
        .unwrap_or_default()
}

/// The row of one outbox event: its type and time from the row, the subject and
/// client id from the CloudEvents `data` when it names them.
pub fn event_row(event: &OutboxEvent) -> EventRow {
    let envelope: serde_json::Value =
        serde_json::from_str(&event.envelope).unwrap_or(serde_json::Value::Null);
    let data = envelope.get("data");
    EventRow {
        event_type: event.event_type.clone(),
        time: event.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        subject: shown(data.and_then(|d| d.get("subject"))),
        client_id: shown(data.and_then(|d| d.get("client_id"))),
    }
}

/// The sum of every sample of series `name` in `exposition` (Prometheus text format
/// 0.0.4: `name{labels} value`), `None` when no sample of it is there yet.
fn sum(exposition: &str, name: &str) -> Option<f64> {
    let mut total = None;
    for line in exposition.lines().filter(|l| !l.starts_with('#')) {
        let series = line.split(['{', ' ']).next().unwrap_or_default();
        if series != name {
            continue;
        }
        let Some(value) = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        total = Some(total.unwrap_or(0.0) + value);
    }
    total
}

fn number(value: Option<f64>) -> String {
    match value {
        None => "0".to_owned(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

/// The overview's metrics out of the registry's `exposition`.
pub fn metric_rows(exposition: &str) -> Vec<MetricRow> {
    let counted = [
        ("HTTP requests", HTTP_REQUESTS),
        ("Tokens issued", TOKENS_ISSUED),
        ("Failed token requests", TOKEN_ERRORS),
        ("Failed client authentications", CLIENT_AUTH_FAILURES),
        ("Refresh token reuse detected", TOKEN_REUSE),
        ("Audit events pending delivery", EVENTS_PENDING),
    ];
    let mut rows: Vec<MetricRow> = counted
        .iter()
        .map(|(label, series)| MetricRow {
            label: (*label).to_owned(),
            value: number(sum(exposition, series)),
        })
        .collect();
    // The breaker gauge is 1 per backend while open.
    let open = sum(exposition, DB_BREAKER_OPEN).is_some_and(|v| v > 0.0);
    rows.push(MetricRow {
        label: "Database circuit breaker".to_owned(),
        value: if open { "open" } else { "closed" }.to_owned(),
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_summed_over_their_labels() {
        let text = "# HELP portunus_tokens_issued_total x\n\
            # TYPE portunus_tokens_issued_total counter\n\
            portunus_tokens_issued_total{grant_type=\"client_credentials\"} 3\n\
            portunus_tokens_issued_total{grant_type=\"refresh_token\"} 2\n\
            portunus_tokens_issued_total_other 7\n\
            portunus_http_requests_total{listener=\"public\"} 1.5\n\
            portunus_db_breaker_open{backend=\"sqlite\"} 1\n";
        let rows = metric_rows(text);
        let value = |label: &str| {
            rows.iter()
                .find(|r| r.label == label)
                .map(|r| r.value.clone())
                .unwrap()
        };
        assert_eq!(value("Tokens issued"), "5");
        assert_eq!(value("HTTP requests"), "1.50");
        assert_eq!(value("Failed token requests"), "0");
        assert_eq!(value("Database circuit breaker"), "open");
        assert_eq!(
            metric_rows("").last().map(|r| r.value.as_str()),
            Some("closed")
        );
    }

    #[test]
    fn an_event_row_shows_subject_and_client_only() {
        let event = OutboxEvent {
            id: "0".into(),
            aggregate_key: "family".into(),
            event_type: "token.issued".into(),
            envelope: serde_json::json!({
                "type": "token.issued",
                "data": {"subject": "alice", "client_id": "app", "token_family": "f"}
            })
            .to_string(),
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let row = event_row(&event);
        assert_eq!(row.event_type, "token.issued");
        assert_eq!(row.subject, "alice");
        assert_eq!(row.client_id, "app");
        assert_eq!(row.time, "1970-01-01T00:00:00Z");
        let broken = OutboxEvent {
            envelope: "not json".into(),
            ..event
        };
        assert_eq!(event_row(&broken).subject, "");
    }
}
