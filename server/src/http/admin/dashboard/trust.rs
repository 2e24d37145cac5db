//! The dashboard's trusted JWT issuer pages (Hydra's
//! `/admin/trust/grants/jwt-bearer/issuers`, RFC 7523): the relationships a page at a
//! time, trust a new issuer with a pasted public key, delete one after a confirmation
//! page. Each calls the `trust::admin` operation the API's handlers call, through the
//! same `ReportingTrusts` (so changes are audited alike).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Visit, error_text, refusal};
use crate::dashboard::pages::{self, TrustFormValues, TrustRow, TrustsPage};
use crate::dashboard::trust_form::{body_of, delete_href, row_of, values_of};
use crate::dashboard::{PREFIX, field};
use crate::events::ReportingTrusts;
use crate::http::form_body::FormPairs;
use crate::state::AppState;
use crate::trust::admin::{self, ListRequest};

/// Relationships per page of the list.
const PAGE_SIZE: i64 = 50;
/// The longest page token the list reads.
const MAX_TOKEN_LEN: usize = 255;

fn list_href() -> String {
    format!("{PREFIX}/trust")
}

/// The list page with `form`'s values in the create form.
async fn trusts_page(
    state: &AppState,
    visit: &Visit,
    req: &HttpRequest,
    status: u16,
    form: &TrustFormValues,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let query: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let token = Some(field(&query, "page_token"))
        .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN)
        .map(str::to_owned);
    let first = if token.is_some() {
        list_href()
    } else {
        String::new()
    };
    let mut status = status;
    let mut load_error = None;
    let mut rows: Vec<TrustRow> = Vec::new();
    let mut next = None;
    let listed = admin::list(
        state.trusts.as_ref(),
        ListRequest {
            page_size: Some(PAGE_SIZE),
            page_token: token,
            issuer: None,
        },
    )
    .await;
    match listed {
        Ok(page) => {
            let now = state.clock.now();
            rows = page.trusts.iter().map(|t| row_of(t, now)).collect();
            next = page
                .next_page_token
                .map(|token| crate::dashboard::next_page_href("trust", &token));
        }
        Err(err) => {
            let (code, text) = error_text(&err);
            status = code;
            load_error = Some(text);
        }
    }
    let chrome = visit.chrome("Trusted JWT issuers");
    visit.page(pages::render(
        &TrustsPage {
            chrome: &chrome,
            rows: &rows,
            first: &first,
            next: next.as_deref(),
            form,
            notice,
            error: error.or(load_error.as_deref()),
        },
        status,
    ))
}

/// `GET /admin/ui/trust[?page_token=…]`: a page of relationships and the create form.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let notice = match req.query_string() {
        "created" => Some("The issuer is trusted."),
        "deleted" => Some("The trust relationship was deleted."),
        _ => None,
    };
    let form = TrustFormValues::default();
    trusts_page(&state, &visit, &req, 200, &form, notice, None).await
}

/// `POST /admin/ui/trust`: trusts the issuer (`trust::admin::create`); a refused form
/// comes back as typed, with the operation's error and status.
pub async fn create(state: web::Data<AppState>, req: HttpRequest, form: FormPairs) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let values = values_of(&form.0);
    let body = match body_of(&values) {
        Ok(body) => body,
        Err(message) => {
            return trusts_page(&state, &visit, &req, 400, &values, None, Some(&message)).await;
        }
    };
    let trusts = ReportingTrusts::new(state.trusts.as_ref(), &state.config, state.clock.as_ref());
    match admin::create(&trusts, state.clock.as_ref(), body).await {
        Ok(_) => visit.redirect(&format!("{PREFIX}/trust?created")),
        Err(err) => {
            let (status, text) = error_text(&err);
            trusts_page(&state, &visit, &req, status, &values, None, Some(&text)).await
        }
    }
}

/// `GET /admin/ui/trust/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let trust = match admin::get(state.trusts.as_ref(), &id).await {
        Ok(trust) => trust,
        Err(err) => {
            let (status, text) = error_text(&err);
            return visit.error(status, &text, &list_href());
        }
    };
    let subject = if trust.allow_any_subject {
        "any subject".to_owned()
    } else {
        format!("subject {:?}", trust.subject)
    };
    let message = format!(
        "Stop trusting {:?} (key {:?}, {subject})? Its assertions are refused from now on.",
        trust.issuer, trust.kid
    );
    visit.confirm(
        "Delete trust relationship",
        &message,
        &delete_href(&trust.id),
        &list_href(),
    )
}

/// `POST /admin/ui/trust/{id}/delete`: deletes the relationship (`trust::admin::delete`).
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let trusts = ReportingTrusts::new(state.trusts.as_ref(), &state.config, state.clock.as_ref());
    match admin::delete(&trusts, &id).await {
        Ok(()) => visit.redirect(&format!("{PREFIX}/trust?deleted")),
        Err(err) => {
            let (status, text) = error_text(&err);
            visit.error(status, &text, &list_href())
        }
    }
}
