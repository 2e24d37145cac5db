//! `/admin/oauth2/auth/sessions/{consent,login}`: Hydra's session administration.

use actix_web::http::header::LINK;
use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ErrorBody, OAuth2Error};
use crate::flow::sessions;
use crate::flow::wire::OAuth2ConsentSession;
use crate::http::pagination::link_header;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListConsentSessionsQuery {
    /// Items per page: default 250, at most 1000.
    #[param(minimum = 1, maximum = 1000, default = 250)]
    pub page_size: Option<i64>,
    /// The next page token, from the `Link` header of the previous page.
    pub page_token: Option<String>,
    /// The subject whose consents to list.
    pub subject: String,
    /// Only consents given within this authentication session.
    pub login_session_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevokeConsentSessionsQuery {
    /// The subject whose consents to revoke.
    pub subject: String,
    /// Revoke only this client's consents.
    pub client: Option<String>,
    /// Revoke the consents of every client.
    pub all: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevokeLoginSessionsQuery {
    /// End every authentication session of this subject.
    pub subject: Option<String>,
    /// End this one authentication session.
    pub sid: Option<String>,
}

/// List OAuth 2.0 consent sessions of a subject
///
/// Every consent the subject granted, with client and granted scope; an empty array for
/// an unknown subject. Pages are linked with an RFC 8288 `Link` header.
#[utoipa::path(
    tag = "oAuth2",
    params(ListConsentSessionsQuery),
    responses(
        (status = 200, description = "A page of consent sessions.", body = Vec<OAuth2ConsentSession>,
            headers(("Link" = String, description = "RFC 8288 links to the first and next page"))),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[get("/oauth2/auth/sessions/consent")]
pub async fn list_o_auth2_consent_sessions(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListConsentSessionsQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    let page = sessions::list_consents(
        &state,
        &query.subject,
        query.login_session_id.as_deref(),
        query.page_size,
        query.page_token.as_deref(),
    )
    .await?;
    let link = link_header(
        req.path(),
        page.page_size,
        &[
            ("subject", Some(&query.subject)),
            ("login_session_id", query.login_session_id.as_deref()),
        ],
        page.next_page_token.as_deref(),
    );
    Ok(HttpResponse::Ok()
        .insert_header((LINK, link))
        .json(page.sessions))
}

/// Revoke OAuth 2.0 consent sessions of a subject
///
/// Revokes the subject's consents for `client`, or for every client with `all=true`,
/// and every token issued under them.
#[utoipa::path(
    tag = "oAuth2",
    params(RevokeConsentSessionsQuery),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/oauth2/auth/sessions/consent")]
pub async fn revoke_o_auth2_consent_sessions(
    state: web::Data<AppState>,
    query: web::Query<RevokeConsentSessionsQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    sessions::revoke_consents(
        &state,
        &query.subject,
        query.client.as_deref(),
        query.all.unwrap_or(false),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke OAuth 2.0 login sessions
///
/// Ends one authentication session (`sid`) or all of a subject's (`subject`): the next
/// authorization request of that user agent asks the login app again.
#[utoipa::path(
    tag = "oAuth2",
    params(RevokeLoginSessionsQuery),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "Bad request.", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin API key.", body = ErrorBody),
        (status = 500, description = "Internal error.", body = ErrorBody),
        (status = 503, description = "Database unavailable.", body = ErrorBody)
    )
)]
#[delete("/oauth2/auth/sessions/login")]
pub async fn revoke_o_auth2_login_sessions(
    state: web::Data<AppState>,
    query: web::Query<RevokeLoginSessionsQuery>,
) -> Result<HttpResponse, OAuth2Error> {
    sessions::revoke_login_sessions(&state, query.subject.as_deref(), query.sid.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
