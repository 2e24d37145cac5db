//! The dashboard's sessions page: a subject's consent sessions (Hydra's
//! `GET /admin/oauth2/auth/sessions/consent?subject=`), revoked per client or all
//! (`DELETE …/sessions/consent`, which revokes their tokens too), and its login
//! sessions ended one by one (`sid`) or all (`DELETE …/sessions/login`). Each calls the
//! `flow::sessions` operation those handlers call. Hydra's API lists no login
//! sessions, so the page shows the ones the subject's consents name.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::SecondsFormat;

use super::{Visit, error_text, refusal};
use crate::dashboard::pages::{self, ConsentRow, SessionsPage};
use crate::dashboard::{PREFIX, field, sessions_href};
use crate::flow::sessions;
use crate::flow::wire::OAuth2ConsentSession;
use crate::http::form_body::FormPairs;
use crate::state::AppState;

/// Consents per page.
const PAGE_SIZE: i64 = 100;
/// The longest subject the page searches for (the login UI's and Hydra's subjects
/// are far shorter); the longest page token it reads.
const MAX_SUBJECT_LEN: usize = 255;
const MAX_TOKEN_LEN: usize = 255;

/// Why `subject` or `page_token` is out of bounds, if it is.
fn bounded(subject: &str, page_token: Option<&str>) -> Result<(), &'static str> {
    if subject.len() > MAX_SUBJECT_LEN {
        return Err("The subject is at most 255 characters.");
    }
    if page_token.is_some_and(|t| t.len() > MAX_TOKEN_LEN) {
        return Err("The page token is at most 255 characters.");
    }
    Ok(())
}

fn row_of(session: &OAuth2ConsentSession) -> ConsentRow {
    let request = session.consent_request.as_ref();
    let client = request.and_then(|r| r.client.as_ref());
    ConsentRow {
        client_id: client.and_then(|c| c.client_id.clone()).unwrap_or_default(),
        client_name: client
            .and_then(|c| c.client_name.clone())
            .unwrap_or_default(),
        scope: session.grant_scope.clone().unwrap_or_default().join(" "),
        audience: session
            .grant_access_token_audience
            .clone()
            .unwrap_or_default()
            .join(" "),
        handled_at: session
            .handled_at
            .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default(),
        login_session_id: request
            .and_then(|r| r.login_session_id.clone())
            .unwrap_or_default(),
        remember: session.remember.unwrap_or(false),
    }
}

/// `GET /admin/ui/sessions[?subject=…[&page_token=…][&done=…]]`: the subject search,
/// and the subject's consents and login sessions.
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let query: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let subject = field(&query, "subject").trim();
    let token = Some(field(&query, "page_token")).filter(|t| !t.is_empty());
    let notice = match field(&query, "done") {
        "consent" => Some("The client's consent was revoked, with its tokens."),
        "consents" => Some("Every consent of the subject was revoked, with its tokens."),
        "session" => Some("The login session was ended."),
        "sessions" => Some("Every login session of the subject was ended."),
        _ => None,
    };
    let chrome = visit.chrome("Sessions");
    let render = |status: u16,
                  rows: &[ConsentRow],
                  login_sessions: &[String],
                  first: &str,
                  next: Option<&str>,
                  error: Option<&str>| {
        visit.page(pages::render(
            &SessionsPage {
                chrome: &chrome,
                subject,
                rows,
                login_sessions,
                first,
                next,
                notice,
                error,
            },
            status,
        ))
    };
    if subject.is_empty() {
        return render(200, &[], &[], "", None, None);
    }
    if let Err(message) = bounded(subject, token) {
        return render(400, &[], &[], "", None, Some(message));
    }
    let listed = sessions::list_consents(&state.flow, subject, None, Some(PAGE_SIZE), token).await;
    let page = match listed {
        Ok(page) => page,
        Err(err) => {
            let (status, text) = error_text(&err);
            return render(status, &[], &[], "", None, Some(&text));
        }
    };
    let rows: Vec<ConsentRow> = page.sessions.iter().map(row_of).collect();
    let mut login_sessions: Vec<String> = Vec::new();
    for sid in rows.iter().map(|r| &r.login_session_id) {
        if !sid.is_empty() && !login_sessions.contains(sid) {
            login_sessions.push(sid.clone());
        }
    }
    let first = if token.is_some() {
        sessions_href(subject)
    } else {
        String::new()
    };
    let next = page.next_page_token.map(|token| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("subject", subject)
            .append_pair("page_token", &token)
            .finish();
        format!("{PREFIX}/sessions?{query}")
    });
    render(200, &rows, &login_sessions, &first, next.as_deref(), None)
}

/// Back to the subject's page with what was `done`.
fn done(visit: &Visit, subject: &str, done: &str) -> HttpResponse {
    visit.redirect(&format!("{}&done={done}", sessions_href(subject)))
}

/// `POST /admin/ui/sessions/revoke-consent` (`subject`, then `client` or `all=true`):
/// `flow::sessions::revoke_consents`.
pub async fn revoke_consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let subject = field(&form.0, "subject");
    if let Err(message) = bounded(subject, None) {
        return visit.error(400, message, &format!("{PREFIX}/sessions"));
    }
    let client = Some(field(&form.0, "client")).filter(|c| !c.is_empty());
    let all = field(&form.0, "all") == "true";
    match sessions::revoke_consents(&state.flow, subject, client, all).await {
        Ok(()) => done(
            &visit,
            subject,
            if client.is_some() {
                "consent"
            } else {
                "consents"
            },
        ),
        Err(err) => {
            let (status, text) = error_text(&err);
            visit.error(status, &text, &sessions_href(subject))
        }
    }
}

/// `POST /admin/ui/sessions/revoke-login` (`subject`, and `sid` for one session):
/// `flow::sessions::revoke_login_sessions`.
pub async fn revoke_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let subject = field(&form.0, "subject");
    if let Err(message) = bounded(subject, None) {
        return visit.error(400, message, &format!("{PREFIX}/sessions"));
    }
    let sid = Some(field(&form.0, "sid")).filter(|s| !s.is_empty());
    if subject.is_empty() && sid.is_none() {
        return visit.error(
            400,
            "Name the subject whose login sessions to end.",
            &format!("{PREFIX}/sessions"),
        );
    }
    // With a sid, only that session ends (and its relying parties are told).
    let by_subject = if sid.is_some() { None } else { Some(subject) };
    match sessions::revoke_login_sessions(&state.flow, by_subject, sid).await {
        Ok(()) => done(
            &visit,
            subject,
            if sid.is_some() { "session" } else { "sessions" },
        ),
        Err(err) => {
            let (status, text) = error_text(&err);
            visit.error(status, &text, &sessions_href(subject))
        }
    }
}
