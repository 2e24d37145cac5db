//! The dashboard's user pages: the local users of the login UI (`users.md`), a page at
//! a time, create one (with an optional password, hashed by the operation), edit one
//! (`replace`, which keeps the password), set a new password (`set_password`: Argon2id),
//! delete one after a confirmation page. Each calls the `users::admin` operation the
//! `/admin/users` handlers call; no page shows a password or its hash.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::SecondsFormat;

use super::{Visit, error_text, refusal};
use crate::dashboard::pages::{self, UserEditValues, UserFormValues, UserPage, UserRow, UsersPage};
use crate::dashboard::{PREFIX, field, sessions_href, user_href};
use crate::http::form_body::FormPairs;
use crate::state::AppState;
use crate::users::admin::{self, ListRequest};
use crate::users::wire::UserBody;

/// Users per page of the list.
const PAGE_SIZE: i64 = 50;
/// The longest page token the list reads.
const MAX_TOKEN_LEN: usize = 255;

/// The list page with `form`'s values in the create form.
async fn users_page(
    state: &AppState,
    visit: &Visit,
    req: &HttpRequest,
    status: u16,
    form: &UserFormValues,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let token = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "page_token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN);
    let first = if token.is_some() {
        format!("{PREFIX}/users")
    } else {
        String::new()
    };
    let mut status = status;
    let mut load_error = None;
    let mut rows = Vec::new();
    let mut next = None;
    let listed = admin::list(
        state.users.as_ref(),
        ListRequest {
            page_size: Some(PAGE_SIZE),
            page_token: token,
            username: None,
        },
    )
    .await;
    match listed {
        Ok(page) => {
            rows = page
                .users
                .iter()
                .map(|user| UserRow {
                    href: user_href(&user.id),
                    sessions_href: sessions_href(&user.id),
                    delete_href: format!("{}/delete", user_href(&user.id)),
                    id: user.id.clone(),
                    username: user.username.clone(),
                    email: user.email.clone(),
                    email_verified: user.email_verified,
                    name: user.name.clone().unwrap_or_default(),
                    has_password: user.password_hash.is_some(),
                    disabled: user.disabled,
                })
                .collect();
            next = page
                .next_page_token
                .map(|token| crate::dashboard::next_page_href("users", &token));
        }
        Err(err) => {
            let (code, text) = error_text(&err);
            status = code;
            load_error = Some(text);
        }
    }
    let chrome = visit.chrome("Users");
    visit.page(pages::render(
        &UsersPage {
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

/// `GET /admin/ui/users[?page_token=…]`: a page of users and the create form.
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let notice = match req.query_string() {
        "created" => Some("The user was created."),
        "deleted" => Some("The user was deleted."),
        _ => None,
    };
    users_page(
        &state,
        &visit,
        &req,
        200,
        &UserFormValues::default(),
        notice,
        None,
    )
    .await
}

/// `POST /admin/ui/users`: creates the user (`users::admin::create`); a refused form
/// comes back with the operation's error and status, without the password.
pub async fn create(state: web::Data<AppState>, req: HttpRequest, form: FormPairs) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let values = UserFormValues {
        username: field(&form.0, "username").trim().to_owned(),
        email: field(&form.0, "email").trim().to_owned(),
        email_verified: field(&form.0, "email_verified") == "true",
        name: field(&form.0, "name").trim().to_owned(),
    };
    let password = field(&form.0, "password");
    let body = UserBody {
        username: values.username.clone(),
        email: values.email.clone(),
        email_verified: Some(values.email_verified),
        name: Some(values.name.clone()).filter(|n| !n.is_empty()),
        password: Some(password.to_owned()).filter(|p| !p.is_empty()),
        disabled: None,
    };
    match admin::create(state.users.as_ref(), state.clock.as_ref(), body).await {
        Ok(_) => visit.redirect(&format!("{PREFIX}/users?created")),
        Err(err) => {
            let (status, text) = error_text(&err);
            users_page(&state, &visit, &req, status, &values, None, Some(&text)).await
        }
    }
}

/// `GET /admin/ui/users/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let user = match admin::get(state.users.as_ref(), &id).await {
        Ok(user) => user,
        Err(err) => {
            let (status, text) = error_text(&err);
            return visit.error(status, &text, &format!("{PREFIX}/users"));
        }
    };
    let message = format!(
        "Delete the user {:?} ({})? They can no longer sign in; it cannot be undone.",
        user.username, user.email
    );
    let action = format!("{}/delete", user_href(&id));
    let cancel = format!("{PREFIX}/users");
    visit.confirm("Delete user", &message, &action, &cancel)
}

/// `POST /admin/ui/users/{id}/delete`: deletes the user (`users::admin::delete`).
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
    match admin::delete(state.users.as_ref(), &id).await {
        Ok(()) => visit.redirect(&format!("{PREFIX}/users?deleted")),
        Err(err) => {
            let (status, text) = error_text(&err);
            visit.error(status, &text, &format!("{PREFIX}/users"))
        }
    }
}

/// What the user page shows besides the edit form's values.
struct Shown<'a> {
    notice: Option<&'a str>,
    error: Option<&'a str>,
    password_error: Option<&'a str>,
}

/// The page of user `id` with `status`; `form` overrides the stored values (a refused
/// edit comes back as typed). An unknown id is the operation's 404.
async fn user_page(
    state: &AppState,
    visit: &Visit,
    id: &str,
    status: u16,
    form: Option<&UserEditValues>,
    shown: Shown<'_>,
) -> HttpResponse {
    let user = match admin::get(state.users.as_ref(), id).await {
        Ok(user) => user,
        Err(err) => {
            let (status, text) = error_text(&err);
            return visit.error(status, &text, &format!("{PREFIX}/users"));
        }
    };
    let stored = UserEditValues {
        username: user.username.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        name: user.name.clone().unwrap_or_default(),
        disabled: user.disabled,
    };
    let chrome = visit.chrome(&format!("User {}", user.username));
    let href = user_href(&user.id);
    let sessions = sessions_href(&user.id);
    let created_at = user.created_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let updated_at = user.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    visit.page(pages::render(
        &UserPage {
            chrome: &chrome,
            id: &user.id,
            href: &href,
            form: form.unwrap_or(&stored),
            has_password: user.password_hash.is_some(),
            created_at: &created_at,
            updated_at: &updated_at,
            sessions_href: &sessions,
            notice: shown.notice,
            error: shown.error,
            password_error: shown.password_error,
        },
        status,
    ))
}

/// `GET /admin/ui/users/{id}[?saved|?password]`: the user, its edit and password forms.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let notice = match req.query_string() {
        "saved" => Some("The user was saved."),
        "password" => Some("The new password was set."),
        _ => None,
    };
    let shown = Shown {
        notice,
        error: None,
        password_error: None,
    };
    user_page(&state, &visit, &id, 200, None, shown).await
}

/// `POST /admin/ui/users/{id}`: replaces the user's fields (`users::admin::replace`,
/// which keeps the password); a refused form comes back as typed, with the
/// operation's error and status.
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
    let values = UserEditValues {
        username: field(&form.0, "username").trim().to_owned(),
        email: field(&form.0, "email").trim().to_owned(),
        email_verified: field(&form.0, "email_verified") == "true",
        name: field(&form.0, "name").trim().to_owned(),
        disabled: field(&form.0, "disabled") == "true",
    };
    let body = UserBody {
        username: values.username.clone(),
        email: values.email.clone(),
        email_verified: Some(values.email_verified),
        name: Some(values.name.clone()).filter(|n| !n.is_empty()),
        password: None,
        disabled: Some(values.disabled),
    };
    match admin::replace(state.users.as_ref(), state.clock.as_ref(), &id, body).await {
        Ok(user) => visit.redirect(&format!("{}?saved", user_href(&user.id))),
        Err(err) => {
            let (status, text) = error_text(&err);
            let shown = Shown {
                notice: None,
                error: Some(&text),
                password_error: None,
            };
            user_page(&state, &visit, &id, status, Some(&values), shown).await
        }
    }
}

/// `POST /admin/ui/users/{id}/password`: sets a new password
/// (`users::admin::set_password`, Argon2id); a refused one is shown on the form,
/// never the password itself.
pub async fn set_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let password = field(&form.0, "password");
    match admin::set_password(state.users.as_ref(), state.clock.as_ref(), &id, password).await {
        Ok(user) => visit.redirect(&format!("{}?password", user_href(&user.id))),
        Err(err) => {
            let (status, text) = error_text(&err);
            let shown = Shown {
                notice: None,
                error: None,
                password_error: Some(&text),
            };
            user_page(&state, &visit, &id, status, None, shown).await
        }
    }
}
