//! A minimal login and consent app for Portunus, using the SDK: what an operator writes
//! to plug their user database into the OAuth 2.0 / OpenID Connect flow (docs/login-consent.md).
//!
//! Run: `cargo run -p portunus-sdk --example login_consent_app`, then start Portunus with
//! `URLS_LOGIN=http://127.0.0.1:3000/login URLS_CONSENT=http://127.0.0.1:3000/consent`.
//! The demo user is `ada@example.com` / `lovelace`. Environment: `PORTUNUS_ADMIN_URL`
//! (default http://127.0.0.1:4445), `PORTUNUS_ADMIN_API_KEY` (when the admin API has
//! one), `LISTEN` (default 127.0.0.1:3000).

use actix_web::http::header::LOCATION;
use actix_web::{App, HttpResponse, HttpServer, web};
use portunus_sdk::types::{AcceptOAuth2ConsentRequest, RejectOAuth2Request};
use portunus_sdk::{ApiError, Client, Portunus};
use serde::Deserialize;
use serde_json::json;

const DEMO_USER: (&str, &str) = ("ada@example.com", "lovelace");

#[derive(Deserialize)]
struct LoginQuery {
    login_challenge: String,
}

#[derive(Deserialize)]
struct LoginForm {
    challenge: String,
    email: String,
    password: String,
    remember: Option<String>,
    action: String,
}

#[derive(Deserialize)]
struct ConsentQuery {
    consent_challenge: String,
}

#[derive(Deserialize)]
struct ConsentForm {
    challenge: String,
    action: String,
    remember: Option<String>,
    /// Space-separated scopes the user ticked (one hidden field per scope, joined here).
    #[serde(default)]
    scopes: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!DOCTYPE html><html><head><title>Portunus demo</title></head><body>{body}</body></html>"
    ))
}

fn redirect(to: String) -> HttpResponse {
    HttpResponse::Found().insert_header((LOCATION, to)).finish()
}

fn failure(err: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::BadGateway().body(format!("Portunus admin API error: {err}"))
}

fn login_form(challenge: &str, error: &str) -> HttpResponse {
    page(format!(
        "<h1>Sign in</h1><p style=\"color:red\">{}</p><form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"challenge\" value=\"{}\"/>\
         <label>Email <input name=\"email\" value=\"{}\"/></label>\
         <label>Password <input type=\"password\" name=\"password\"/></label>\
         <label><input type=\"checkbox\" name=\"remember\" value=\"1\"/> Remember me</label>\
         <button name=\"action\" value=\"accept\">Sign in</button>\
         <button name=\"action\" value=\"deny\">Cancel</button></form>",
        escape(error),
        escape(challenge),
        DEMO_USER.0
    ))
}

/// The login app's entry: Portunus sends the browser here with a login challenge.
async fn show_login(api: web::Data<Client>, query: web::Query<LoginQuery>) -> HttpResponse {
    let request = match api
        .get_o_auth2_login_request()
        .login_challenge(&query.login_challenge)
        .send()
        .await
    {
        Ok(request) => request.into_inner(),
        Err(err) => return failure(ApiError::from(err)),
    };
    if request.skip {
        // The user has a session: accept without asking again (Hydra's contract).
        return accept_login(&api, &query.login_challenge, request.subject, None).await;
    }
    login_form(&query.login_challenge, "")
}

/// Accepts the login of `subject`; `remember` (when the user chose) keeps the session
/// for an hour so that the next login request comes with `skip`.
async fn accept_login(
    api: &Client,
    challenge: &str,
    subject: String,
    remember: Option<bool>,
) -> HttpResponse {
    match api
        .accept_o_auth2_login_request()
        .login_challenge(challenge)
        // The body's generated builder: required fields are checked at `send()`.
        .body_map(|body| {
            body.subject(subject)
                .remember(remember)
                .remember_for(remember.map(|_| 3600_i64))
        })
        .send()
        .await
    {
        Ok(answer) => redirect(answer.into_inner().redirect_to),
        Err(err) => failure(ApiError::from(err)),
    }
}

async fn submit_login(api: web::Data<Client>, form: web::Form<LoginForm>) -> HttpResponse {
    if form.action != "accept" {
        let body = RejectOAuth2Request {
            error: Some("access_denied".into()),
            error_description: Some("The user cancelled the login.".into()),
            ..Default::default()
        };
        return match api
            .reject_o_auth2_login_request()
            .login_challenge(&form.challenge)
            .body(body)
            .send()
            .await
        {
            Ok(answer) => redirect(answer.into_inner().redirect_to),
            Err(err) => failure(ApiError::from(err)),
        };
    }
    if (form.email.as_str(), form.password.as_str()) != DEMO_USER {
        return login_form(&form.challenge, "Wrong email or password.");
    }
    let remember = Some(form.remember.is_some());
    accept_login(&api, &form.challenge, form.email.clone(), remember).await
}

/// The consent app's entry: Portunus sends the browser here with a consent challenge.
async fn show_consent(api: web::Data<Client>, query: web::Query<ConsentQuery>) -> HttpResponse {
    let request = match api
        .get_o_auth2_consent_request()
        .consent_challenge(&query.consent_challenge)
        .send()
        .await
    {
        Ok(request) => request.into_inner(),
        Err(err) => return failure(ApiError::from(err)),
    };
    let scopes = request.requested_scope.clone().unwrap_or_default();
    if request.skip == Some(true) {
        return accept_consent(
            &api,
            &query.consent_challenge,
            scopes,
            false,
            request.subject,
        )
        .await;
    }
    let client = request
        .client
        .as_ref()
        .and_then(|c| c.client_name.clone())
        .unwrap_or_default();
    let items: String = scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    page(format!(
        "<h1>{} wants access</h1><ul>{items}</ul><form method=\"post\" action=\"/consent\">\
         <input type=\"hidden\" name=\"challenge\" value=\"{}\"/>\
         <input type=\"hidden\" name=\"scopes\" value=\"{}\"/>\
         <label><input type=\"checkbox\" name=\"remember\" value=\"1\"/> Remember this decision</label>\
         <button name=\"action\" value=\"accept\">Allow</button>\
         <button name=\"action\" value=\"deny\">Deny</button></form>",
        escape(&client),
        escape(&query.consent_challenge),
        escape(&scopes.join(" "))
    ))
}

async fn accept_consent(
    api: &Client,
    challenge: &str,
    scopes: Vec<String>,
    remember: bool,
    subject: Option<String>,
) -> HttpResponse {
    // Claims for the ID token and userinfo come from the operator's user database.
    let body: AcceptOAuth2ConsentRequest = match serde_json::from_value(json!({
        "grant_scope": scopes,
        "remember": remember,
        "remember_for": 0,
        "session": {"id_token": {"email": subject, "email_verified": true}},
    })) {
        Ok(body) => body,
        Err(err) => return failure(err),
    };
    match api
        .accept_o_auth2_consent_request()
        .consent_challenge(challenge)
        .body(body)
        .send()
        .await
    {
        Ok(answer) => redirect(answer.into_inner().redirect_to),
        Err(err) => failure(ApiError::from(err)),
    }
}

async fn submit_consent(api: web::Data<Client>, form: web::Form<ConsentForm>) -> HttpResponse {
    if form.action != "accept" {
        return match api
            .reject_o_auth2_consent_request()
            .consent_challenge(&form.challenge)
            .body(RejectOAuth2Request::default())
            .send()
            .await
        {
            Ok(answer) => redirect(answer.into_inner().redirect_to),
            Err(err) => failure(ApiError::from(err)),
        };
    }
    let request = match api
        .get_o_auth2_consent_request()
        .consent_challenge(&form.challenge)
        .send()
        .await
    {
        Ok(request) => request.into_inner(),
        Err(err) => return failure(ApiError::from(err)),
    };
    let scopes = form
        .scopes
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    accept_consent(
        &api,
        &form.challenge,
        scopes,
        form.remember.is_some(),
        request.subject,
    )
    .await
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let admin =
        std::env::var("PORTUNUS_ADMIN_URL").unwrap_or_else(|_| "http://127.0.0.1:4445".into());
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let mut portunus = Portunus::builder().admin_url(&admin);
    if let Ok(key) = std::env::var("PORTUNUS_ADMIN_API_KEY") {
        portunus = portunus.admin_api_key(key);
    }
    let portunus = portunus.build().map_err(std::io::Error::other)?;
    let api = web::Data::new(portunus.admin().clone());
    println!("login/consent app on http://{listen} (admin API {admin})");
    HttpServer::new(move || {
        App::new()
            .app_data(api.clone())
            .route("/login", web::get().to(show_login))
            .route("/login", web::post().to(submit_login))
            .route("/consent", web::get().to(show_consent))
            .route("/consent", web::post().to(submit_consent))
    })
    .bind(listen)?
    .run()
    .await
}
