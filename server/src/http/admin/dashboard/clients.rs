//! The dashboard's client pages: list and search, view, create, edit, delete (after a
//! confirmation page), rotate the secret. Each calls the `client::admin` operation the
//! `/admin/clients` handlers call; a refused form comes back with the operation's
//! error on it and the operation's 4xx status. A generated secret is on the page that
//! answers the creation or rotation, and on no other.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Visit, error_text, refusal};
use crate::client::admin::{self, ListRequest};
use crate::client::wire::OAuth2Client;
use crate::dashboard::client_form::{body_of, choices, row_of, values_from, values_of, view_of};
use crate::dashboard::pages::{
    self, ClientFormPage, ClientFormValues, ClientPage, ClientRow, ClientsPage,
};
use crate::dashboard::{client_href, field};
use crate::error::ErrorKind;
use crate::events::ClientActor;
use crate::http::form_body::FormPairs;
use crate::state::AppState;

/// Clients per page of the list.
const PAGE_SIZE: i64 = 50;
/// The longest search text or page token the list reads.
const MAX_QUERY_LEN: usize = 255;

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .take(crate::dashboard::MAX_FORM_FIELDS)
        .collect()
}

/// `GET /admin/ui/clients[?q=…][&page_token=…]`: a page of clients; `q` finds the
/// client with that id and the clients with exactly that name.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let pairs = query_pairs(&req);
    let query: String = field(&pairs, "q")
        .trim()
        .chars()
        .take(MAX_QUERY_LEN)
        .collect();
    let token = Some(field(&pairs, "page_token"))
        .filter(|t| !t.is_empty() && t.len() <= MAX_QUERY_LEN)
        .map(str::to_owned);
    let first_page = token.is_none();
    let mut rows: Vec<ClientRow> = Vec::new();
    let mut error = None;
    let mut status = 200;
    if !query.is_empty() && first_page {
        match admin::get(state.clients.as_ref(), &query).await {
            Ok(client) => rows.push(row_of(&OAuth2Client::from_model(&client, None))),
            Err(err) if err.kind == ErrorKind::NotFound => {}
            Err(err) => (status, error) = error_of(&err),
        }
    }
    let mut next = None;
    match admin::list(
        state.clients.as_ref(),
        ListRequest {
            page_size: Some(PAGE_SIZE),
            page_token: token,
            client_name: Some(query.clone()).filter(|q| !q.is_empty()),
            owner: None,
        },
    )
    .await
    {
        Ok(page) => {
            for client in &page.clients {
                if !rows.iter().any(|r| r.client_id == client.client_id) {
                    rows.push(row_of(&OAuth2Client::from_model(client, None)));
                }
            }
            next = page
                .next_page_token
                .map(|token| list_href(&query, Some(&token)));
        }
        Err(err) => (status, error) = error_of(&err),
    }
    let first = if first_page {
        String::new()
    } else {
        list_href(&query, None)
    };
    let chrome = visit.chrome("Clients");
    visit.page(pages::render(
        &ClientsPage {
            chrome: &chrome,
            query: &query,
            rows: &rows,
            first: &first,
            next: next.as_deref(),
            error: error.as_deref(),
        },
        status,
    ))
}

fn error_of(err: &crate::error::OAuth2Error) -> (u16, Option<String>) {
    let (status, text) = error_text(err);
    (status, Some(text))
}

fn list_href(query: &str, token: Option<&str>) -> String {
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    if !query.is_empty() {
        params.append_pair("q", query);
    }
    if let Some(token) = token {
        params.append_pair("page_token", token);
    }
    let params = params.finish();
    if params.is_empty() {
        "/admin/ui/clients".to_owned()
    } else {
        format!("/admin/ui/clients?{params}")
    }
}

/// The client form, for a new client (`id` `None`) or client `id`.
fn form_page(
    visit: &Visit,
    id: Option<&str>,
    values: &ClientFormValues,
    status: u16,
    error: Option<&str>,
) -> HttpResponse {
    let (grant_types, response_types, auth_methods) = choices(values);
    let (heading, action, cancel) = match id {
        None => (
            "Create a client".to_owned(),
            "/admin/ui/clients".to_owned(),
            "/admin/ui/clients".to_owned(),
        ),
        Some(id) => (
            "Edit client".to_owned(),
            format!("{}/edit", client_href(id)),
            client_href(id),
        ),
    };
    let chrome = visit.chrome(&heading);
    visit.page(pages::render(
        &ClientFormPage {
            chrome: &chrome,
            heading: &heading,
            action: &action,
            submit: if id.is_none() {
                "Create client"
            } else {
                "Save"
            },
            cancel: &cancel,
            is_new: id.is_none(),
            form: values,
            grant_types: &grant_types,
            response_types: &response_types,
            auth_methods: &auth_methods,
            error,
        },
        status,
    ))
}

/// The page of `client`, with `secret` when this answer just set it.
fn client_page(
    visit: &Visit,
    client: &OAuth2Client,
    status: u16,
    secret: Option<&str>,
    notice: Option<&str>,
) -> HttpResponse {
    let view = view_of(client);
    let title = if view.client_name.is_empty() {
        view.client_id.clone()
    } else {
        view.client_name.clone()
    };
    let chrome = visit.chrome(&title);
    visit.page(pages::render(
        &ClientPage {
            chrome: &chrome,
            client: &view,
            secret,
            notice,
        },
        status,
    ))
}

/// The page of an operation's error on client `id` (a 404 for an unknown client).
fn failed(visit: &Visit, err: &crate::error::OAuth2Error) -> HttpResponse {
    let (status, text) = error_text(err);
    visit.error(status, &text, "/admin/ui/clients")
}

/// `GET /admin/ui/create-client`: the empty client form.
pub async fn create_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let values = ClientFormValues {
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        response_types: vec!["code".into()],
        token_endpoint_auth_method: "client_secret_basic".into(),
        ..ClientFormValues::default()
    };
    form_page(&visit, None, &values, 200, None)
}

/// `POST /admin/ui/clients`: creates the client (`client::admin::create`) and shows
/// it with its secret, once.
pub async fn create(state: web::Data<AppState>, req: HttpRequest, form: FormPairs) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let values = values_of(&form.0);
    let created = admin::create(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &state.keys,
        &state.config,
        body_of(&values, None),
    )
    .await;
    match created {
        Ok(created) => {
            let client = OAuth2Client::from_model(&created.client, None);
            client_page(
                &visit,
                &client,
                201,
                created.secret.as_deref(),
                Some("The client was created."),
            )
        }
        Err(err) => {
            let (status, text) = error_text(&err);
            form_page(&visit, None, &values, status, Some(&text))
        }
    }
}

/// `GET /admin/ui/clients/{id}`: the client, never its secret.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let saved = req.query_string() == "saved";
    match admin::get(state.clients.as_ref(), &id).await {
        Ok(client) => client_page(
            &visit,
            &OAuth2Client::from_model(&client, None),
            200,
            None,
            saved.then_some("The client was saved."),
        ),
        Err(err) => failed(&visit, &err),
    }
}

/// `GET /admin/ui/clients/{id}/edit`: the form with the client's values.
pub async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    match admin::get(state.clients.as_ref(), &id).await {
        Ok(client) => {
            let values = values_from(&OAuth2Client::from_model(&client, None));
            form_page(&visit, Some(&id), &values, 200, None)
        }
        Err(err) => failed(&visit, &err),
    }
}

/// `POST /admin/ui/clients/{id}/edit`: replaces the form's fields of the client
/// (`client::admin::replace`; the rest of its metadata and its secret are kept).
pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let values = values_of(&form.0);
    let existing = match admin::get(state.clients.as_ref(), &id).await {
        Ok(client) => OAuth2Client::from_model(&client, None),
        Err(err) => return failed(&visit, &err),
    };
    let replaced = admin::replace(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &state.keys,
        &state.config,
        &id,
        body_of(&values, Some(existing)),
    )
    .await;
    match replaced {
        Ok(_) => visit.redirect(&format!("{}?saved", client_href(&id))),
        Err(err) => {
            let (status, text) = error_text(&err);
            form_page(&visit, Some(&id), &values, status, Some(&text))
        }
    }
}

/// `GET /admin/ui/clients/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let client = match admin::get(state.clients.as_ref(), &id).await {
        Ok(client) => client,
        Err(err) => return failed(&visit, &err),
    };
    let message = format!(
        "Delete the client {:?}{}? Its tokens stop working and it cannot be undone.",
        client.client_id,
        if client.client_name.is_empty() {
            String::new()
        } else {
            format!(" ({})", client.client_name)
        }
    );
    let action = format!("{}/delete", client_href(&id));
    let cancel = client_href(&id);
    visit.confirm("Delete client", &message, &action, &cancel)
}

/// `POST /admin/ui/clients/{id}/delete`: deletes the client (`client::admin::delete`).
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
    match admin::delete(&state.reporting_clients(ClientActor::Admin), &id).await {
        Ok(()) => visit.redirect("/admin/ui/clients"),
        Err(err) => failed(&visit, &err),
    }
}

/// `POST /admin/ui/clients/{id}/rotate-secret`: a generated secret replaces the
/// current one, which keeps working for `oauth2.client_secret_rotation.grace_period`
/// (`client::admin::rotate_secret`); the new one is on this page only.
pub async fn rotate_secret(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let rotated = admin::rotate_secret(
        &state.reporting_clients(ClientActor::Admin),
        state.clock.as_ref(),
        &state.config,
        &id,
        None,
        None,
    )
    .await;
    match rotated {
        Ok(rotated) => {
            let notice = format!(
                "The secret was rotated. The previous secret keeps working until {}.",
                rotated
                    .previous_secret_expires_at
                    .format("%Y-%m-%d %H:%M:%S UTC")
            );
            client_page(
                &visit,
                &OAuth2Client::from_model(&rotated.client, None),
                200,
                Some(&rotated.secret),
                Some(&notice),
            )
        }
        Err(err) => failed(&visit, &err),
    }
}
