//! `GET|POST /auth/logout` (issue 22 §1, the reference service's logout route): the
//! signed-in user ends their Portunus session without a relying party asking. GET shows
//! a confirmation form; POST, with this browser's CSRF token for it (`csrf`,
//! `FormKind::SessionLogout`), ends the session as an accepted logout does
//! (`flow::logout::session_end`) and sends the browser to `login_ui.logout_redirect`
//! (else `urls.post_logout_redirect`, else the logged-out page).

use std::collections::HashMap;

use super::csrf::{self, FormKind};
use super::pages::{self, LogoutPage, View};
use super::{Browser, Outcome};
use crate::flow::context::FlowContext;
use crate::flow::logout::browser::LogoutResult;
use crate::flow::logout::session_end::end_browser_session;
use crate::html::origin_source;
use crate::oauth2::form::FormParams;

/// The route.
pub const PATH: &str = "/auth/logout";

/// `GET /auth/logout`: "Sign out?".
pub fn show(ctx: &FlowContext, browser: &Browser) -> Outcome {
    let token = csrf::token(
        &ctx.cookie_keys,
        FormKind::SessionLogout,
        "",
        &browser.nonce,
    )
    .unwrap_or_default();
    let action = format!("{}{PATH}", ctx.config.public_url());
    let mut targets = vec![ctx.config.public_url()];
    targets.extend(ctx.config.login_ui.logout_redirect.clone());
    targets.extend(ctx.config.urls.post_logout_redirect.clone());
    let targets: Vec<String> = targets.iter().filter_map(|u| origin_source(u)).collect();
    Outcome::Page(pages::page(
        View::Logout(LogoutPage {
            title: "Sign out".into(),
            action,
            csrf_token: token,
            ..LogoutPage::default()
        }),
        200,
        targets,
        None,
    ))
}

/// `POST /auth/logout`: the session ended, or the page of a refused form (no CSRF
/// token of this browser) or of "No, stay signed in".
pub async fn submit(
    ctx: &FlowContext,
    params: &FormParams,
    browser: &Browser,
    cookies: &HashMap<String, String>,
) -> Result<LogoutResult, Outcome> {
    let token = params.get("csrf_token").map_err(|e| super::bad_form(&e))?;
    if !csrf::verify(
        &ctx.cookie_keys,
        FormKind::SessionLogout,
        "",
        Some(&browser.nonce),
        token,
    ) {
        return Err(super::csrf_failure());
    }
    if params.get("action").map_err(|e| super::bad_form(&e))? == Some("reject") {
        return Err(Outcome::Page(pages::notice(
            "You are still signed in",
            "You chose not to sign out. You can close this page.",
        )));
    }
    let request_url = format!("{}{PATH}", ctx.config.public_url());
    Ok(end_browser_session(
        ctx,
        cookies,
        ctx.config.login_ui.logout_redirect.clone(),
        &request_url,
    )
    .await)
}
