//! The relying party's logout request (RP-Initiated Logout 1.0 §2, §3): which client
//! asks, for which subject, and where the user agent may go afterwards.
//!
//! §3: "the OP MUST NOT perform post-logout redirection if the
//! post_logout_redirect_uri value supplied does not exactly match one of the
//! previously registered post_logout_redirect_uris values", and the client must be
//! known (from `id_token_hint` or `client_id`) to match against its registration — so
//! a URI without a known client, or another client's URI, is refused with an error
//! page: never an open redirect.

use crate::client::model::Client;
use crate::client::validate::{Navigation, UriPolicy, check_navigation};
use crate::error::{OAuth2Error, quoted};
use crate::flow::context::FlowContext;
use crate::oauth2::form::FormParams;

use crate::oidc::logout::hint::{self, IdTokenHint};

/// A validated logout request.
#[derive(Debug, Clone)]
pub struct RpLogout {
    /// The client that asked, from the hint or `client_id`.
    pub client: Option<Client>,
    pub hint: Option<IdTokenHint>,
    /// The registered `post_logout_redirect_uri`, with `state` appended (§3).
    pub post_logout_uri: Option<String>,
}

fn non_empty<'a>(params: &'a FormParams, name: &str) -> Result<Option<&'a str>, OAuth2Error> {
    Ok(params.get(name)?.filter(|v| !v.is_empty()))
}

/// Validates the RP's parameters (`logout_hint` and `ui_locales` are accepted and
/// ignored: the logout app has its own UI).
pub async fn validate(ctx: &FlowContext, params: &FormParams) -> Result<RpLogout, OAuth2Error> {
    let hint = match non_empty(params, "id_token_hint")? {
        Some(token) => Some(hint::verify(&ctx.oidc(), token).await?),
        None => None,
    };
    let client_id = match (non_empty(params, "client_id")?, &hint) {
        (Some(id), Some(hint)) if !hint.audience.iter().any(|a| a == id) => {
            return Err(OAuth2Error::invalid_request(
                "The client_id does not match the audience of the id_token_hint.",
            ));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(hint)) => hint.client_id().map(str::to_owned),
        (None, None) => None,
    };
    let client = match client_id {
        Some(id) => Some(ctx.clients.get_client(&id).await?.ok_or_else(|| {
            OAuth2Error::invalid_request(format!("The client {id:?} is unknown."))
        })?),
        None => None,
    };
    let post_logout_uri = match non_empty(params, "post_logout_redirect_uri")? {
        None => None,
        Some(uri) => Some(registered_uri(
            client.as_ref(),
            uri,
            non_empty(params, "state")?,
            UriPolicy::from_config(&ctx.config),
        )?),
    };
    Ok(RpLogout {
        client,
        hint,
        post_logout_uri,
    })
}

/// RP-Initiated Logout §3: exact match against the client's registration; `state` is
/// passed back as a query parameter. The URI must also have a scheme registration
/// allows under `policy` today, so that a client stored before the rule existed
/// (`client::validate::uris`) does not send the user agent to a `javascript:` URI.
fn registered_uri(
    client: Option<&Client>,
    uri: &str,
    rp_state: Option<&str>,
    policy: UriPolicy,
) -> Result<String, OAuth2Error> {
    let client = client.ok_or_else(|| {
        OAuth2Error::invalid_request(
            "A post_logout_redirect_uri needs an id_token_hint or a client_id naming the client that registered it.",
        )
    })?;
    if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        return Err(OAuth2Error::invalid_request(
            "The post_logout_redirect_uri is not one of the client's registered post_logout_redirect_uris.",
        ));
    }
    let mut url = url::Url::parse(uri).map_err(|_| {
        OAuth2Error::invalid_request("The post_logout_redirect_uri is not an absolute URL.")
    })?;
    check_navigation(&url, Navigation::Redirect, policy).map_err(|why| {
        OAuth2Error::invalid_request(format!(
            "The post_logout_redirect_uri {} {why}; the client must register another.",
            quoted(uri)
        ))
    })?;
    if let Some(rp_state) = rp_state {
        url.query_pairs_mut().append_pair("state", rp_state);
    }
    Ok(url.into())
}
