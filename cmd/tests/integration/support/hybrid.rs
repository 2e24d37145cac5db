//! The implicit and hybrid flows (OIDC Core §3.2, §3.3) from the client's side: the
//! same login/consent walk as `support::flow`, with any `response_type`, and the
//! response parameters read from wherever the response mode put them.

use serde_json::json;

use super::TestApp;
use super::browser::{Browser, param};
use super::flow::{
    FlowClient, REDIRECT_URI, accept_consent, accept_login, consent_challenge, create_client,
    login_challenge, to_client,
};

pub const NONCE: &str = "n-0S6_WzA2Mj";

/// A client registered for every response type and the implicit grant.
pub async fn create_hybrid_client(app: &TestApp) -> FlowClient {
    create_client(
        app,
        json!({
            "grant_types": ["authorization_code", "implicit", "refresh_token"],
            "response_types": [
                "code", "token", "id_token", "id_token token", "code id_token",
                "code token", "code id_token token"
            ],
        }),
    )
    .await
}

/// `/oauth2/auth` with `response_type` and `params` (scope `openid` and the nonce
/// unless `params` says otherwise).
pub fn hybrid_url(
    app: &TestApp,
    client_id: &str,
    response_type: &str,
    params: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", response_type)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("state", "af0ifjsldkj");
    let given = |name: &str| params.iter().any(|(k, _)| *k == name);
    if !given("scope") {
        url.query_pairs_mut().append_pair("scope", "openid");
    }
    if !given("nonce") {
        url.query_pairs_mut().append_pair("nonce", NONCE);
    }
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.into()
}

/// The whole flow for `ada` granting `scopes`; returns the final redirect (to the
/// client) — or, with `response_mode=form_post`, the form page's body.
pub async fn run_hybrid_flow(
    app: &TestApp,
    browser: &Browser,
    url: &str,
    scopes: &[&str],
) -> String {
    let challenge = login_challenge(browser, url).await;
    let redirect = accept_login(app, &challenge, "ada", false).await;
    let consent = consent_challenge(browser, &redirect).await;
    let redirect = accept_consent(app, &consent, scopes, false).await;
    to_client(browser, &redirect).await
}

/// A response parameter in the fragment; asserts the query has none of them.
pub fn fragment_param(location: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(location).unwrap();
    assert!(
        parsed.query_pairs().all(|(k, _)| k != name),
        "{name} must not be in the query: {location}"
    );
    param(location, name)
}

/// Verifies `id_token` as the relying party must (OIDC Core §3.3.2.12): signature,
/// `iss`, `aud`, `nonce`, `at_hash` for `access_token` and `c_hash` for `code`, checked
/// by the `openidconnect` crate. Returns the claims.
pub async fn verify_response_id_token(
    app: &TestApp,
    client_id: &str,
    id_token: &str,
    access_token: Option<&str>,
    code: Option<&str>,
) -> super::oidc::IdClaims {
    use openidconnect::{AuthorizationCode, AuthorizationCodeHash, ClientId, Nonce};
    use std::str::FromStr;

    let expect = super::oidc::Expect {
        nonce: Some(NONCE),
        access_token,
    };
    let claims = app.verify_id_token(client_id, id_token, expect).await;
    if access_token.is_none() {
        assert!(claims.access_token_hash().is_none(), "no at_hash");
    }
    match code {
        Some(code) => {
            let verifier = openidconnect::core::CoreIdTokenVerifier::new_public_client(
                ClientId::new(client_id.to_owned()),
                app.issuer(),
                app.oidc_jwks().await,
            );
            let token = super::oidc::IdToken::from_str(id_token).unwrap();
            let clock = app.state.clock.clone();
            let verifier = verifier.set_time_fn(move || clock.now());
            let _ = token
                .claims(&verifier, &Nonce::new(NONCE.to_owned()))
                .unwrap();
            let expected = AuthorizationCodeHash::from_code(
                &AuthorizationCode::new(code.to_owned()),
                token.signing_alg().unwrap(),
                token.signing_key(&verifier).unwrap(),
            )
            .unwrap();
            assert_eq!(claims.code_hash(), Some(&expected), "c_hash");
        }
        None => assert!(claims.code_hash().is_none(), "no c_hash"),
    }
    claims
}
