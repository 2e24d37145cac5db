//! The device user-code page (`/ui/device?device_challenge=…[&user_code=…]`, RFC 8628
//! §3.3): the user types the code the device shows (prefilled from
//! `verification_uri_complete`, §3.3.1) and the page submits it with
//! `flow::device::accept_user_code`, the operation behind the admin API's
//! `PUT /admin/oauth2/auth/requests/device/accept`; the browser then goes on to sign-in
//! and consent. `/ui/device/done` is the page after the device is authorized
//! (`urls.device.success`).

use super::csrf::{self, FormKind};
use super::pages::{self, DevicePage, View};
use super::{Browser, Outcome, error_outcome};
use crate::error::{ErrorKind, OAuth2Error};
use crate::flow::context::FlowContext;
use crate::flow::device;
use crate::flow::wire::AcceptDeviceUserCodeRequest;
use crate::html::origin_source;
use crate::oauth2::form::FormParams;

/// The longest user code put back into the form (longer input cannot be a code).
const MAX_USER_CODE_ECHO: usize = 64;

/// The message of a code that is wrong, expired or used: one for all (RFC 8628 §5.1).
pub const WRONG_CODE: &str = "That code is not right, has expired, or was used already.";

fn form(
    ctx: &FlowContext,
    challenge: &str,
    browser: &Browser,
    user_code: &str,
    error: Option<&str>,
    status: u16,
) -> Outcome {
    let token = csrf::token(
        &ctx.cookie_keys,
        FormKind::Device,
        challenge,
        &browser.nonce,
    )
    .unwrap_or_default();
    let action = super::page_url(&ctx.config, "device");
    let user_code: String = user_code.chars().take(MAX_USER_CODE_ECHO).collect();
    // After the post: the verification endpoint, then sign-in and consent (all on the
    // public origin), or an error page at urls.error.
    let mut urls = vec![ctx.config.public_url()];
    urls.extend(ctx.config.urls.error.clone());
    let targets: Vec<String> = urls.iter().filter_map(|u| origin_source(u)).collect();
    Outcome::Page(pages::page(
        View::Device(DevicePage {
            title: "Connect a device".into(),
            action,
            challenge: challenge.to_owned(),
            csrf_token: token,
            user_code,
            error: error.map(str::to_owned),
            ..DevicePage::default()
        }),
        status,
        targets,
        None,
    ))
}

/// `GET /ui/device`: the form, with the code of `verification_uri_complete` filled in.
/// The challenge is checked when the form is posted (the device API has no read call).
pub fn show(ctx: &FlowContext, challenge: &str, user_code: &str, browser: &Browser) -> Outcome {
    form(ctx, challenge, browser, user_code, None, 200)
}

/// `POST /ui/device`: submits the code.
pub async fn submit(ctx: &FlowContext, params: &FormParams, browser: &Browser) -> Outcome {
    super::answered(submit_checked(ctx, params, browser).await)
}

async fn submit_checked(
    ctx: &FlowContext,
    params: &FormParams,
    browser: &Browser,
) -> Result<Outcome, OAuth2Error> {
    let challenge =
        match super::checked_challenge(ctx, params, browser, FormKind::Device, "device_challenge")?
        {
            Ok(challenge) => challenge,
            Err(refused) => return Ok(refused),
        };
    let typed = params.get("user_code")?.unwrap_or_default();
    let body = AcceptDeviceUserCodeRequest {
        user_code: Some(typed.to_owned()),
    };
    Ok(match device::accept_user_code(ctx, challenge, body).await {
        Ok(redirect_to) => Outcome::Redirect(redirect_to),
        // A wrong, expired or used code (or none): the form again, the attempt spent.
        Err(err) if err.kind == ErrorKind::InvalidRequest => {
            form(ctx, challenge, browser, typed, Some(WRONG_CODE), 400)
        }
        Err(err) => error_outcome(err),
    })
}

/// `GET /ui/device/done`: the page after the device is authorized.
pub fn done() -> Outcome {
    Outcome::Page(pages::notice(
        "Your device is connected",
        "You can close this page and go back to your device.",
    ))
}
