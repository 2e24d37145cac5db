//! `GET /ui/demo/callback`: the demo client's redirect URI. Checks `state` against the
//! browser's sealed flow (RFC 6749 §10.12), exchanges the code through the grant
//! registry in process (the token endpoint's own logic, no HTTP call to itself), checks
//! the ID token's `nonce` (OIDC Core §3.1.3.7 step 11) and shows the ID token's claims
//! and the access token's introspection. Any failure is an error page.

use std::net::IpAddr;

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use super::flow_cookie::{self, FlowCookie};
use super::{CLIENT_ID, START_PATH, callback_url};
use crate::error::OAuth2Error;
use crate::login_ui::look::Chrome;
use crate::login_ui::pages::{self, Page, View};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::form::FormParams;
use crate::oauth2::grants::GrantRegistry;
use crate::oauth2::introspect;
use crate::oauth2::request_context::RequestContext;
use crate::secrets::KeyRing;

/// The most characters of an `error` or `error_description` shown from the query.
const MAX_ERROR_ECHO: usize = 256;

/// The tokens page (not overridable: dev mode only).
#[derive(Template, Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[template(path = "login_ui/demo.html")]
pub struct DemoPage {
    #[serde(flatten)]
    pub chrome: Chrome,
    title: String,
    client_id: String,
    scope: String,
    id_token_claims: String,
    access_token_claims: String,
    again: String,
    home: String,
}

fn bad_request(message: &str) -> Page {
    pages::error(400, "invalid_request", message)
}

/// The page for the callback's `query`, with the browser's flow cookie (opened with
/// `cookie_keys`, the keys of `secrets.cookie`, else `secrets.system`) and address.
pub async fn finish(
    ctx: &OAuth2Context,
    grants: &GrantRegistry,
    cookie_keys: &KeyRing,
    query: &FormParams,
    cookie: Option<&str>,
    peer: Option<IpAddr>,
) -> Page {
    let now = ctx.clock.now();
    let Some(flow) = cookie.and_then(|c| flow_cookie::open(cookie_keys, c, now)) else {
        return bad_request(
            "This demo sign-in has expired or was started in another browser. \
             Start again with Try a login on the start page.",
        );
    };
    match checked(ctx, grants, query, &flow, peer).await {
        Ok(page) => page,
        Err(page) => page,
    }
}

async fn checked(
    ctx: &OAuth2Context,
    grants: &GrantRegistry,
    query: &FormParams,
    flow: &FlowCookie,
    peer: Option<IpAddr>,
) -> Result<Page, Page> {
    let form_error = |err: OAuth2Error| bad_request(&err.description());
    let returned = query.get("state").map_err(form_error)?.unwrap_or_default();
    // RFC 6749 §10.12: a response whose state is not this browser's is not its own.
    if !bool::from(returned.as_bytes().ct_eq(flow.state.as_bytes())) {
        return Err(bad_request(
            "The state parameter does not match the sign-in this browser started \
             (RFC 6749 section 10.12). Start again with Try a login on the start page.",
        ));
    }
    // RFC 6749 §4.1.2.1: the authorization server reported an error.
    if let Some(error) = query.get("error").map_err(form_error)? {
        let code = if !error.is_empty()
            && error.len() <= MAX_ERROR_ECHO
            && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            error
        } else {
            "invalid_request"
        };
        let description: String = query
            .get("error_description")
            .map_err(form_error)?
            .unwrap_or("The authorization server returned an error.")
            .chars()
            .take(MAX_ERROR_ECHO)
            .collect();
        return Err(pages::error(400, code, &description));
    }
    let code = query.require("code").map_err(form_error)?;
    let redirect_uri = callback_url(&ctx.config);
    let form = FormParams::new(
        [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", CLIENT_ID),
            ("code_verifier", flow.verifier.as_str()),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
    );
    let token_url = format!("{}/oauth2/token", ctx.config.public_url());
    let http = RequestContext::new("POST", token_url, peer);
    let tokens = grants
        .exchange(ctx, &http, &form)
        .await
        .map_err(|err| pages::error(err.status(), err.kind.code(), &err.description()))?;
    let id_claims = tokens
        .id_token
        .as_deref()
        .and_then(jwt_claims)
        .ok_or_else(|| bad_request("The token response has no readable ID token."))?;
    let nonce = id_claims
        .get("nonce")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    // OIDC Core §3.1.3.7 step 11: the ID token is for this browser's request.
    if !bool::from(nonce.as_bytes().ct_eq(flow.nonce.as_bytes())) {
        return Err(bad_request(
            "The ID token's nonce does not match the sign-in this browser started.",
        ));
    }
    let introspected = introspect::introspect(ctx, &tokens.access_token, None)
        .await
        .map_err(|err| pages::error(err.status(), err.kind.code(), &err.description()))?;
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let access = serde_json::to_value(&introspected).unwrap_or_default();
    let again = format!("{}{START_PATH}", ctx.config.public_url());
    let home = format!("{}/", ctx.config.public_url());
    Ok(pages::page(
        View::Demo(DemoPage {
            title: "Signed in: your tokens".into(),
            client_id: CLIENT_ID.into(),
            scope: tokens.scope.clone().unwrap_or_default(),
            id_token_claims: pretty(&id_claims),
            access_token_claims: pretty(&access),
            again,
            home,
            ..DemoPage::default()
        }),
        200,
        Vec::new(),
        None,
    ))
}

/// The claims of a compact JWS, unverified: the token came straight from the grant
/// registry in this process, not from the network, so there is no one to verify.
fn jwt_claims(jwt: &str) -> Option<serde_json::Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_payload_of_a_compact_jws() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"u1"}"#);
        let claims = jwt_claims(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims["sub"], "u1");
        assert!(jwt_claims("no-dots").is_none());
        assert!(jwt_claims("e30.!!!.sig").is_none());
    }
}
