//! `POST /admin/events/ingest`: external CloudEvents envelopes into the same outbox as
//! Portunus's own events, delivered to the same sinks (`crate::events`). A retried
//! ingest is answered as a duplicate: by its `Idempotency-Key` header, else by the
//! envelope's `source` and `id` (CloudEvents 1.0 §3.1.1: together they identify an
//! event).

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ErrorBody, OAuth2Error};
use crate::events::Envelope;
use crate::state::AppState;
use crate::storage::{Enqueued, OutboxEvent};

/// The longest `Idempotency-Key` stored.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// What an ingest did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = eventIngestResult)]
pub struct IngestResult {
    /// `accepted`, or `duplicate` when the key was seen before.
    pub status: String,
    /// The outbox id the event is delivered under (the `webhook-id` of webhooks); for a
    /// duplicate, the first ingest's.
    pub id: String,
}

/// The answer while events are disabled: the error body's shape (`ErrorBody`), with
/// the seed's code.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventingDisabled {
    /// `eventing_disabled`.
    pub error: String,
    pub error_description: String,
}

fn required<'a>(envelope: &'a Value, name: &str) -> Result<&'a str, OAuth2Error> {
    envelope
        .get(name)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            OAuth2Error::invalid_request(format!(
                "The CloudEvents attribute '{name}' is missing or not a non-empty string."
            ))
        })
}

/// Ingest an external event
///
/// Queues a CloudEvents 1.0 JSON envelope (structured mode) for delivery to the
/// configured sinks, at least once and in order with the other events of its `source`.
/// `specversion` must be `1.0`; `id`, `source` and `type` are required. With an
/// `Idempotency-Key` header (at most 255 characters) a second ingest under the same key
/// queues nothing and answers `duplicate`; without one, `source` and `id` are the key.
#[utoipa::path(
    tag = "events",
    request_body(content = Envelope, description = "A CloudEvents 1.0 JSON envelope"),
    responses(
        (status = 202, description = "Queued.", body = IngestResult),
        (status = 200, description = "Seen before: nothing queued.", body = IngestResult),
        (status = 400, description = "Not a CloudEvents 1.0 envelope, or a bad Idempotency-Key.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 404, description = "Events are disabled (error eventing_disabled): the endpoint answers as an unmounted one, as dynamic registration does when off.", body = ErrorBody),
        (status = 413, description = "The body is larger than serve.request_body_limit.", body = ErrorBody),
        (status = 415, description = "A body that is not application/json (error invalid_request).", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody)
    )
)]
#[post("/events/ingest")]
pub async fn ingest_event(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, OAuth2Error> {
    let Some(outbox) = state.events.outbox() else {
        // A feature that is off, not a server in trouble: 404 as Hydra answers for its
        // unmounted optional endpoints (and dynamic registration here), never a 5xx.
        return Ok(HttpResponse::NotFound().json(EventingDisabled {
            error: "eventing_disabled".into(),
            error_description: "Events are disabled (events.enabled).".into(),
        }));
    };
    let envelope = body.into_inner();
    if !envelope.is_object() {
        return Err(OAuth2Error::invalid_request(
            "The body must be a JSON object.",
        ));
    }
    if required(&envelope, "specversion")? != "1.0" {
        return Err(OAuth2Error::invalid_request(
            "The 'specversion' must be \"1.0\".",
        ));
    }
    let (id, source) = (required(&envelope, "id")?, required(&envelope, "source")?);
    let event_type = required(&envelope, "type")?;
    let key = match request.headers().get("idempotency-key") {
        Some(value) => value
            .to_str()
            .ok()
            .filter(|key| !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_LEN)
            .map(|key| format!("key:{key}"))
            .ok_or_else(|| {
                OAuth2Error::invalid_request(format!(
                    "The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters."
                ))
            })?,
        None => format!("ce:{source}\n{id}"),
    };
    // The stored key is bounded; a long source and id are hashed into it.
    let key = if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        use sha2::Digest;
        format!("sha256:{:x}", sha2::Sha256::digest(key.as_bytes()))
    } else {
        key
    };
    let event = OutboxEvent {
        id: uuid::Uuid::now_v7().to_string(),
        aggregate_key: format!("ingest:{source}"),
        event_type: event_type.to_owned(),
        envelope: envelope.to_string(),
        created_at: state.clock.now(),
    };
    let (status, answer) = match outbox.enqueue_idempotent(&key, &event).await? {
        Enqueued::Queued => ("accepted", event.id),
        Enqueued::Duplicate(first) => ("duplicate", first),
    };
    let result = IngestResult {
        status: status.into(),
        id: answer,
    };
    Ok(if status == "accepted" {
        HttpResponse::Accepted().json(result)
    } else {
        HttpResponse::Ok().json(result)
    })
}
