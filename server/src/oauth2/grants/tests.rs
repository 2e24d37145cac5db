//! Every grant through [`GrantRegistry::exchange`] on the memory store with a fixed
//! clock: the happy path, each `invalid_grant`/`invalid_scope` path, and reuse
//! detection (RFC 6749 §4.1.2, §6, §10.4; RFC 9700 §4.14.2).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sha2::{Digest, Sha256};

use super::*;
use crate::client::secret;
use crate::clock::{Clock, FixedClock};
use crate::config::Config;
use crate::error::ErrorKind;
use crate::oauth2::authorize::code::{CodeGrant, issue_code};
use crate::oauth2::authorize::request::{AuthorizeRequest, RedirectTarget, ResponseMode};
use crate::oauth2::authorize::response::AuthorizeResponse;
use crate::oauth2::authorize::response_type::ResponseType;
use crate::oauth2::introspect::find_active;
use crate::oauth2::pkce::PkceMethod;
use crate::oauth2::request_context::RequestContext;
use crate::oidc::id_token::IdTokenContext;
use crate::state::AppState;
use crate::storage::ClientStore;

const REDIRECT: &str = "https://app.example.com/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct Rig {
    state: AppState,
    clock: Arc<FixedClock>,
    client_id: String,
    secret: String,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap()
}

async fn rig() -> Rig {
    let mut config = Config::default();
    config.secrets.system = vec!["grant-tests-system-secret-0123456789".to_owned()];
    config.urls.self_.issuer = Some("https://auth.example.com/".to_owned());
    let clock = Arc::new(FixedClock::new(start()));
    let (state, store) = AppState::in_memory(config, clock.clone()).await;
    let secret = secret::generate_secret();
    let client = Client {
        client_id: "app".into(),
        secret_hash: Some(secret::hash_generated(&secret)),
        grant_types: vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ],
        scope: "openid offline read write".into(),
        audience: vec!["https://api.example.com".into()],
        redirect_uris: vec![REDIRECT.into()],
        ..Client::default()
    };
    store.create_client(&client).await.unwrap();
    Rig {
        state,
        clock,
        client_id: client.client_id,
        secret,
    }
}

impl Rig {
    async fn exchange(&self, pairs: &[(&str, &str)]) -> Result<TokenResponse, OAuth2Error> {
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.client_id, self.secret))
        );
        let http =
            RequestContext::new("POST", "https://auth.example.com/oauth2/token".into(), None)
                .with_header("authorization", basic.as_bytes());
        let form = FormParams::from_pairs(pairs);
        self.state.grants.exchange(&self.state, &http, &form).await
    }

    async fn active(&self, token: &str) -> bool {
        find_active(&self.state, token, None)
            .await
            .unwrap()
            .is_some()
    }

    fn advance(&self, by: Duration) {
        self.clock.set(self.clock.now() + by);
    }

    /// An authorization code for `scope`, as the end of the consent step issues it,
    /// bound to an S256 challenge of [`VERIFIER`].
    async fn code(&self, scope: &[&str]) -> String {
        let challenge = s256(VERIFIER);
        let request = AuthorizeRequest {
            client_id: self.client_id.clone(),
            response_type: ResponseType::CODE,
            target: RedirectTarget {
                redirect_uri: REDIRECT.into(),
                state: Some("xyz".into()),
                response_mode: ResponseMode::Query,
                issuer: self.state.config.issuer(),
            },
            redirect_uri_given: true,
            scope: scope.iter().map(|s| (*s).to_owned()).collect(),
            audience: Vec::new(),
            resource: Vec::new(),
            authorization_details: Vec::new(),
            nonce: Some("n-0S6".into()),
            code_challenge: Some(challenge),
            code_challenge_method: Some(PkceMethod::S256),
            prompt: Vec::new(),
            max_age: None,
            login_hint: None,
            acr_values: Vec::new(),
            ui_locales: Vec::new(),
            display: None,
            id_token_hint: None,
            id_token_hint_claims: None,
            claims: None,
            dpop_jkt: None,
            fapi2: false,
            request_url: "https://auth.example.com/oauth2/auth".into(),
            requested_at: self.clock.now(),
            device: None,
        };
        let grant = CodeGrant {
            request: &request,
            subject: "ada",
            scope: request.scope.clone(),
            audience: Vec::new(),
            access_token_claims: None,
            id_token: IdTokenContext {
                auth_time: Some(self.clock.now()),
                nonce: request.nonce.clone(),
                ..IdTokenContext::default()
            },
            obfuscated_subject: None,
            authorization_details: Vec::new(),
        };
        let AuthorizeResponse::Redirect(url) = issue_code(&self.state, grant).await.unwrap() else {
            panic!("a code response is a redirect");
        };
        let url = url::Url::parse(&url).unwrap();
        url.query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
            .unwrap()
    }

    async fn redeem(&self, code: &str) -> Result<TokenResponse, OAuth2Error> {
        self.exchange(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await
    }
}

fn kind(result: Result<TokenResponse, OAuth2Error>) -> ErrorKind {
    result.map(|_| ()).unwrap_err().kind
}

// client_credentials (RFC 6749 §4.4)

#[tokio::test]
async fn client_credentials_issues_a_bearer_token_of_the_requested_scope() {
    let rig = rig().await;
    let response = rig
        .exchange(&[
            ("grant_type", "client_credentials"),
            ("scope", "read"),
            ("audience", "https://api.example.com"),
        ])
        .await
        .unwrap();
    assert_eq!(response.token_type, "bearer");
    assert_eq!(response.scope.as_deref(), Some("read"));
    assert_eq!(response.expires_in, 3600);
    assert!(response.refresh_token.is_none() && response.id_token.is_none());
    assert!(rig.active(&response.access_token).await);
    rig.advance(Duration::seconds(3600));
    assert!(
        !rig.active(&response.access_token).await,
        "expired at expires_in"
    );
}

#[tokio::test]
async fn client_credentials_refuses_scope_and_audience_beyond_the_registration() {
    let rig = rig().await;
    let scope = rig
        .exchange(&[("grant_type", "client_credentials"), ("scope", "admin")])
        .await;
    assert_eq!(kind(scope), ErrorKind::InvalidScope);
    let audience = rig
        .exchange(&[
            ("grant_type", "client_credentials"),
            ("audience", "https://other.example.com"),
        ])
        .await;
    assert_eq!(kind(audience), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn unknown_and_unregistered_grants_are_refused_before_anything_is_issued() {
    let rig = rig().await;
    let unknown = rig.exchange(&[("grant_type", "password")]).await;
    assert_eq!(kind(unknown), ErrorKind::UnsupportedGrantType);
    let missing = rig.exchange(&[]).await;
    assert_eq!(kind(missing), ErrorKind::InvalidRequest);
}

// authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6)

#[tokio::test]
async fn a_code_is_exchanged_once_for_access_refresh_and_id_tokens() {
    let rig = rig().await;
    let code = rig.code(&["openid", "offline", "read"]).await;
    let response = rig.redeem(&code).await.unwrap();
    assert_eq!(response.token_type, "bearer");
    assert_eq!(response.scope.as_deref(), Some("openid offline read"));
    assert!(response.id_token.is_some(), "openid was granted");
    let refresh = response.refresh_token.clone().expect("offline was granted");
    assert!(rig.active(&response.access_token).await);
    assert!(rig.active(&refresh).await);
}

#[tokio::test]
async fn a_reused_code_is_invalid_grant_and_revokes_what_it_issued() {
    let rig = rig().await;
    let code = rig.code(&["offline", "read"]).await;
    let first = rig.redeem(&code).await.unwrap();
    assert_eq!(kind(rig.redeem(&code).await), ErrorKind::InvalidGrant);
    assert!(
        !rig.active(&first.access_token).await,
        "RFC 6749 §4.1.2: revoked"
    );
    assert!(!rig.active(&first.refresh_token.unwrap()).await);
}

#[tokio::test]
async fn a_code_needs_its_verifier_its_redirect_uri_and_its_lifetime() {
    let rig = rig().await;
    let code = rig.code(&["read"]).await;
    let wrong_verifier = rig
        .exchange(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &"x".repeat(43)),
        ])
        .await;
    assert_eq!(kind(wrong_verifier), ErrorKind::InvalidGrant);
    let other_redirect = rig
        .exchange(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example.com/other"),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(kind(other_redirect), ErrorKind::InvalidGrant);
    // Failed attempts do not spend the code.
    assert!(rig.redeem(&code).await.is_ok());

    let late = rig.code(&["read"]).await;
    rig.advance(Duration::minutes(10));
    assert_eq!(kind(rig.redeem(&late).await), ErrorKind::InvalidGrant);
    let unknown = rig.redeem("ptn_ac_not-a-code.mac").await;
    assert_eq!(kind(unknown), ErrorKind::InvalidGrant);
}

// refresh_token (RFC 6749 §6, RFC 9700 §4.14.2)

async fn refresh_token(rig: &Rig) -> TokenResponse {
    let code = rig.code(&["offline", "read", "write"]).await;
    rig.redeem(&code).await.unwrap()
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_may_narrow_the_scope() {
    let rig = rig().await;
    let first = refresh_token(&rig).await;
    let old = first.refresh_token.unwrap();
    let second = rig
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &old),
            ("scope", "read"),
        ])
        .await
        .unwrap();
    assert_eq!(second.scope.as_deref(), Some("read"));
    let new = second.refresh_token.unwrap();
    assert_ne!(new, old);
    assert!(rig.active(&new).await);
    assert!(!rig.active(&old).await, "rotated");
    // RFC 6749 §6: the new refresh token keeps the original scope.
    let third = rig
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &new),
            ("scope", "write"),
        ])
        .await
        .unwrap();
    assert_eq!(third.scope.as_deref(), Some("write"));
}

#[tokio::test]
async fn a_refresh_cannot_widen_the_scope() {
    let rig = rig().await;
    let code = rig.code(&["offline", "read"]).await;
    let refresh = rig.redeem(&code).await.unwrap().refresh_token.unwrap();
    let wider = rig
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("scope", "read write"),
        ])
        .await;
    assert_eq!(kind(wider), ErrorKind::InvalidScope);
    assert!(
        rig.active(&refresh).await,
        "a refused refresh spends nothing"
    );
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_grant() {
    let rig = rig().await;
    let first = refresh_token(&rig).await;
    let old = first.refresh_token.unwrap();
    let rotated = rig
        .exchange(&[("grant_type", "refresh_token"), ("refresh_token", &old)])
        .await
        .unwrap();
    let reuse = rig
        .exchange(&[("grant_type", "refresh_token"), ("refresh_token", &old)])
        .await;
    assert_eq!(kind(reuse), ErrorKind::InvalidGrant);
    assert!(!rig.active(&rotated.access_token).await);
    assert!(!rig.active(&rotated.refresh_token.unwrap()).await);
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let rig = rig().await;
    let refresh = refresh_token(&rig).await.refresh_token.unwrap();
    rig.advance(Duration::days(31));
    let late = rig
        .exchange(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await;
    assert_eq!(kind(late), ErrorKind::InvalidGrant);
}

/// RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))).
fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[test]
fn the_rig_uses_the_rfc7636_appendix_b_pair() {
    assert_eq!(
        s256(VERIFIER),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}
