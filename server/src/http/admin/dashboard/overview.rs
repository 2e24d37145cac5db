//! The dashboard's landing page (`/admin/ui/`): how many clients, users, trusted
//! issuers and keys the server holds (counted with the same list operations the admin
//! API's list endpoints call, up to [`COUNT_LIMIT`]), the newest audit events when
//! `events.enabled` (`EventOutbox::recent`), and a few numbers of the Prometheus
//! registry when `serve.metrics.enabled` — all read in process, nothing changed.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Visit, error_text};
use crate::dashboard::overview::{RECENT_EVENTS, event_row, metric_rows};
use crate::dashboard::pages::{self, Count, EventRow, MetricRow, OverviewPage};
use crate::dashboard::{PREFIX, key_set_href};
use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::{ACCESS_TOKEN_SET, ID_TOKEN_SET};
use crate::state::AppState;

/// The most items a count reads (one page of the list operations' largest size);
/// beyond it the page says "more than".
const COUNT_LIMIT: i64 = 1000;

/// A count of one list page: its length, or "more than N" when another page follows.
fn counted(len: usize, more: bool) -> String {
    if more {
        format!("more than {len}")
    } else {
        len.to_string()
    }
}

/// `GET /admin/ui/`: the overview.
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let mut counts = Vec::new();
    let mut errors = Vec::new();
    let mut note = |label: &str, href: String, result: Result<String, OAuth2Error>| match result {
        Ok(value) => counts.push(Count {
            label: label.to_owned(),
            value,
            href,
        }),
        Err(err) => errors.push(format!("{label}: {}", error_text(&err).1)),
    };

    let clients = crate::client::admin::list(
        state.clients.as_ref(),
        crate::client::admin::ListRequest {
            page_size: Some(COUNT_LIMIT),
            page_token: None,
            client_name: None,
            owner: None,
        },
    )
    .await
    .map(|page| counted(page.clients.len(), page.next_page_token.is_some()));
    note("OAuth 2.0 clients", format!("{PREFIX}/clients"), clients);

    let users = crate::users::admin::list(
        state.users.as_ref(),
        crate::users::admin::ListRequest {
            page_size: Some(COUNT_LIMIT),
            page_token: None,
            username: None,
        },
    )
    .await
    .map(|page| counted(page.users.len(), page.next_page_token.is_some()));
    note("Local users", format!("{PREFIX}/users"), users);

    let trusts = crate::trust::admin::list(
        state.trusts.as_ref(),
        crate::trust::admin::ListRequest {
            page_size: Some(COUNT_LIMIT),
            page_token: None,
            issuer: None,
        },
    )
    .await
    .map(|page| counted(page.trusts.len(), page.next_page_token.is_some()));
    note("Trusted JWT issuers", format!("{PREFIX}/trust"), trusts);

    for set in [ID_TOKEN_SET, ACCESS_TOKEN_SET] {
        let keys = match state.key_manager.get_key_set(set).await {
            Ok(found) => Ok(found.keys.len().to_string()),
            Err(err) => {
                let err = OAuth2Error::from(err);
                // A set not made yet holds no keys.
                if err.kind == ErrorKind::NotFound {
                    Ok("0".to_owned())
                } else {
                    Err(err)
                }
            }
        };
        note(&format!("Keys in {set}"), key_set_href(set), keys);
    }

    let mut events: Vec<EventRow> = Vec::new();
    let outbox = state.events.outbox();
    if let Some(outbox) = outbox {
        match outbox.recent(RECENT_EVENTS).await {
            Ok(recent) => events = recent.iter().map(event_row).collect(),
            Err(err) => errors.push(format!(
                "Audit events: {}",
                error_text(&OAuth2Error::from(err)).1
            )),
        }
    }

    let metrics_enabled = state.config.serve.metrics.enabled;
    let metrics: Vec<MetricRow> = if metrics_enabled {
        crate::prometheus::render()
            .map(|text| metric_rows(&text))
            .unwrap_or_default()
    } else {
        Vec::new()
    };

    let chrome = visit.chrome("Overview");
    visit.page(pages::render(
        &OverviewPage {
            chrome: &chrome,
            counts: &counts,
            events_enabled: outbox.is_some(),
            events: &events,
            metrics_enabled,
            metrics: &metrics,
            errors: &errors,
        },
        200,
    ))
}
