//! OIDC Core §3.1.2.1 `id_token_hint`: "If the End-User identified by the ID Token is
//! logged in or is logged in by the request, then the Authorization Server returns a
//! positive response; otherwise, it SHOULD return an error". A remembered session of
//! another subject is therefore not reused: with `prompt=none` the client gets
//! `login_required`, otherwise the login app must authenticate (`skip` is false).

use serde_json::Value;

use crate::client::model::Client;
use crate::flow::context::FlowContext;
use crate::oauth2::authorize::request::AuthorizeRequest;
use crate::oidc::subject;

/// Whether the session's `subject` is the End-User of the request's verified hint
/// (true when there is no hint). The hint's `sub` is the one its client saw: pairwise
/// for pairwise clients (OIDC Core §8.1).
pub fn matches(
    ctx: &FlowContext,
    client: &Client,
    request: &AuthorizeRequest,
    subject: &str,
) -> bool {
    let Some(claims) = &request.id_token_hint_claims else {
        return true;
    };
    let expected = subject::for_client(&ctx.config, client, subject);
    claims.get("sub").and_then(Value::as_str) == Some(expected.as_str())
}
