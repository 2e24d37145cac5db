//! RFC 8693: token exchange. A gateway client exchanges a user's token (issued to a
//! frontend client and naming the gateway in its audience) for a token to a backend:
//! impersonation, delegation with nested `act` (§4.1), `may_act` (§4.4), the client's
//! `token_exchange` policy, the scope ceiling, each requested token type, subject
//! tokens of trusted issuers, every error (§2.2.2), and the family rule: exchanged
//! tokens are revoked with the subject token's family. Issued JWTs are verified with
//! the `jsonwebtoken` crate; trusted-issuer tokens are signed with it
//! (`support::assertion`).

use portunus_server::oauth2::issue::{Grant, issue};
use portunus_server::oauth2::session::TokenSession;
use serde_json::{Value, json};

use crate::support::assertion::{EC_1, EC_2, trust};
use crate::support::oauth::Registered;
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    impersonation_issues_a_token_for_the_subject,
    delegation_nests_act_in_a_verifiable_jwt,
    may_act_names_who_may_act,
    the_policy_decides_and_absent_means_deny,
    scope_never_exceeds_the_subject_tokens,
    parameter_and_token_errors_are_rfc_errors,
    refresh_and_id_tokens_are_issued_where_allowed,
    id_tokens_are_subject_tokens,
    trusted_issuers_jwts_are_subject_tokens,
    exchanged_families_are_revoked_with_the_subject_family,
    the_policy_round_trips_through_the_admin_api,
    authorization_details_narrow_the_subject_tokens,
);

pub const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const REFRESH: &str = "urn:ietf:params:oauth:token-type:refresh_token";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const BACKEND: &str = "https://backend.example.com";
const OTHER: &str = "https://other.example.com/api";
const ISSUER: &str = "https://idp.example.com";

struct Rig {
    app: TestApp,
    frontend: Registered,
    gateway: Registered,
}

fn policy() -> Value {
    json!({
        "allow_impersonation": true,
        "allow_delegation": true,
        "allowed_audiences": [BACKEND, OTHER],
        "allowed_subject_token_issuers": [ISSUER],
    })
}

/// A frontend client (holds the user's tokens) and a gateway client with `policy`
/// (`Value::Null`: none).
async fn rig(backend: TestBackend, policy: Value) -> Rig {
    let app = TestApp::spawn(backend).await;
    let frontend = app
        .register(json!({
            "client_id": "frontend",
            "grant_types": ["client_credentials"],
            "scope": "read write openid offline_access",
        }))
        .await;
    let mut gateway = json!({
        "client_id": "gateway",
        "grant_types": [EXCHANGE, "refresh_token", "client_credentials"],
        "scope": "read write openid offline_access",
    });
    if !policy.is_null() {
        gateway["token_exchange"] = policy;
    }
    let gateway = app.register(gateway).await;
    Rig {
        app,
        frontend,
        gateway,
    }
}

/// An access and a refresh token of the frontend for `user-1`, naming the gateway in
/// their audience, issued in-process (the flow that issues them is not under test).
async fn user_token(app: &TestApp, scope: &[&str], session: TokenSession) -> (String, String) {
    let grant = Grant::new(
        "frontend",
        "user-1",
        scope.iter().map(|s| (*s).to_owned()).collect(),
        vec!["gateway".to_owned()],
        session,
        app.state.clock.now(),
    );
    let hour = chrono::Duration::hours(1);
    let response = issue(&app.state, &grant, hour, Some(hour * 2))
        .await
        .expect("issue the subject token");
    (response.access_token, response.refresh_token.unwrap())
}

fn session_with(ext: Value, act: Option<Value>) -> TokenSession {
    TokenSession {
        ext: ext.as_object().cloned().unwrap_or_default(),
        act,
        ..TokenSession::default()
    }
}

/// POSTs a token exchange as `client` with `form`.
async fn exchange_as(app: &TestApp, client: &Registered, form: &[(&str, &str)]) -> (u16, Value) {
    let mut full = vec![("grant_type", EXCHANGE)];
    full.extend_from_slice(form);
    let secret = client.secret.clone().unwrap_or_default();
    let (status, headers, body) = app
        .post_form("/oauth2/token", Some((&client.id, &secret)), &full)
        .await;
    assert_eq!(headers["cache-control"], "no-store", "RFC 8693 §2.2.1");
    (status, body)
}

async fn exchange(rig: &Rig, form: &[(&str, &str)]) -> (u16, Value) {
    exchange_as(&rig.app, &rig.gateway, form).await
}

/// Asserts `400 error` (or another status) whose description contains `needle`.
fn refused(result: (u16, Value), status: u16, error: &str, needle: &str) {
    let (got, body) = result;
    assert_eq!(got, status, "{needle}: {body}");
    assert_eq!(body["error"], error, "{needle}: {body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(needle),
        "{needle:?} not in {description:?}"
    );
    assert!(body.get("access_token").is_none());
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.introspect_raw(&[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Verifies a JWT with `jsonwebtoken` against the public JWKS, for `audience`; returns
/// the claims.
async fn verify_jwt(app: &TestApp, token: &str, audience: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.public_path("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[app.state.config.issuer()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("JWT rejected: {e}"))
        .claims
}

async fn impersonation_issues_a_token_for_the_subject(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let (subject, _) = user_token(&rig.app, &["read", "write"], TokenSession::default()).await;
    let (status, body) = exchange(
        &rig,
        &[
            ("subject_token", &subject),
            ("subject_token_type", ACCESS),
            ("audience", BACKEND),
            ("resource", OTHER),
            ("scope", "read"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], ACCESS, "RFC 8693 §2.2.1");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "read");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let expires_in = body["expires_in"].as_i64().unwrap();
    assert!(expires_in > 0 && expires_in <= 3600, "{expires_in}");
    let issued = body["access_token"].as_str().unwrap();
    let introspected = introspect(&rig.app, issued).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["sub"], "user-1", "the subject's token");
    assert_eq!(introspected["client_id"], "gateway");
    assert_eq!(introspected["aud"], json!([BACKEND, OTHER]));
    assert_eq!(introspected["scope"], "read");
    assert!(
        introspected.get("act").is_none(),
        "impersonation: {introspected}"
    );
    // The subject token is untouched.
    assert_eq!(introspect(&rig.app, &subject).await["active"], true);
}

async fn delegation_nests_act_in_a_verifiable_jwt(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    // The subject token was itself delegated to svc-a before.
    let (subject, _) = user_token(
        &rig.app,
        &["read"],
        session_with(json!({}), Some(json!({"sub": "svc-a"}))),
    )
    .await;
    // The gateway acts with its own client credentials token.
    let secret = rig.gateway.secret.clone().unwrap();
    let (status, _, actor) = rig
        .app
        .post_form(
            "/oauth2/token",
            Some(("gateway", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200, "{actor}");
    let actor = actor["access_token"].as_str().unwrap();
    let (status, body) = exchange(
        &rig,
        &[
            ("subject_token", &subject),
            ("subject_token_type", ACCESS),
            ("actor_token", actor),
            ("actor_token_type", ACCESS),
            ("requested_token_type", JWT),
            ("resource", BACKEND),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], JWT);
    let claims = verify_jwt(&rig.app, body["access_token"].as_str().unwrap(), BACKEND).await;
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["client_id"], "gateway");
    assert_eq!(claims["aud"], json!([BACKEND]));
    assert_eq!(claims["scope"], "read", "the subject token's scope");
    // §4.1: the current actor outermost, the least recent most deeply nested.
    let expected = json!({"sub": "gateway", "act": {"sub": "svc-a"}});
    assert_eq!(claims["act"], expected);
    let introspected = introspect(&rig.app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["act"], expected);

    // A chain: the delegated token exchanged again (the gateway names itself in no
    // audience, so it presents it as a JWT it was issued).
    let delegated = body["access_token"].as_str().unwrap().to_owned();
    let (status, again) = exchange(
        &rig,
        &[
            ("subject_token", &delegated),
            ("subject_token_type", JWT),
            ("actor_token", actor),
            ("actor_token_type", ACCESS),
        ],
    )
    .await;
    assert_eq!(status, 200, "{again}");
    let introspected = introspect(&rig.app, again["access_token"].as_str().unwrap()).await;
    assert_eq!(
        introspected["act"],
        json!({"sub": "gateway", "act": {"sub": "gateway", "act": {"sub": "svc-a"}}})
    );
}

async fn may_act_names_who_may_act(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let base = |subject: &str| {
        vec![
            ("subject_token", subject.to_owned()),
            ("subject_token_type", ACCESS.to_owned()),
        ]
    };
    let send = |pairs: Vec<(&'static str, String)>| {
        let rig = &rig;
        async move {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            exchange(rig, &borrowed).await
        }
    };
    // may_act names someone else: neither the gateway (impersonating) nor its actor
    // token's subject may act.
    let (other, _) = user_token(
        &rig.app,
        &["read"],
        session_with(json!({"may_act": {"sub": "someone-else"}}), None),
    )
    .await;
    refused(send(base(&other)).await, 400, "invalid_request", "may_act");
    let (gateway_may, _) = user_token(
        &rig.app,
        &["read"],
        session_with(json!({"may_act": {"sub": "gateway"}}), None),
    )
    .await;
    let (status, body) = send(base(&gateway_may)).await;
    assert_eq!(status, 200, "may_act names the client: {body}");
    // With an actor token, the actor is whom may_act must name.
    let (actor, _) = user_token(&rig.app, &["read"], TokenSession::default()).await;
    let mut delegated = base(&gateway_may);
    delegated.push(("actor_token", actor.clone()));
    delegated.push(("actor_token_type", ACCESS.to_owned()));
    refused(send(delegated).await, 400, "invalid_request", "may_act");
    let (user_may, _) = user_token(
        &rig.app,
        &["read"],
        session_with(json!({"may_act": {"sub": "user-1"}}), None),
    )
    .await;
    let mut delegated = base(&user_may);
    delegated.push(("actor_token", actor));
    delegated.push(("actor_token_type", ACCESS.to_owned()));
    let (status, body) = send(delegated).await;
    assert_eq!(status, 200, "{body}");
}

async fn the_policy_decides_and_absent_means_deny(backend: TestBackend) {
    let rig = rig(backend, Value::Null).await;
    let (subject, _) = user_token(&rig.app, &["read"], TokenSession::default()).await;
    let impersonate = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", ACCESS),
    ];
    refused(
        exchange(&rig, &impersonate).await,
        400,
        "unauthorized_client",
        "no token_exchange policy",
    );

    let app = &rig.app;
    let only_delegation = app
        .register(json!({
            "client_id": "delegator",
            "grant_types": [EXCHANGE],
            "scope": "read",
            "token_exchange": {"allow_delegation": true, "allowed_audiences": [BACKEND]},
        }))
        .await;
    refused(
        exchange_as(app, &only_delegation, &impersonate).await,
        400,
        "invalid_request",
        "allow_impersonation",
    );
    let only_impersonation = app
        .register(json!({
            "client_id": "impersonator",
            "grant_types": [EXCHANGE],
            "scope": "read",
            "token_exchange": {"allow_impersonation": true, "allowed_audiences": [BACKEND]},
        }))
        .await;
    let mut with_actor = impersonate.to_vec();
    with_actor.extend([
        ("actor_token", subject.as_str()),
        ("actor_token_type", ACCESS),
    ]);
    refused(
        exchange_as(app, &only_impersonation, &with_actor).await,
        400,
        "invalid_request",
        "allow_delegation",
    );
    // Not registered for the grant type: the registry's unauthorized_client.
    let unregistered = app
        .register(json!({
            "client_id": "unregistered",
            "grant_types": ["client_credentials"],
            "token_exchange": policy(),
        }))
        .await;
    refused(
        exchange_as(app, &unregistered, &impersonate).await,
        400,
        "unauthorized_client",
        "grant_type",
    );

    // The subject token names "gateway", not "impersonator", in its audience.
    refused(
        exchange_as(app, &only_impersonation, &impersonate).await,
        400,
        "invalid_request",
        "neither issued to the OAuth 2.0 Client",
    );
    // Targets outside allowed_audiences, or malformed, are invalid_target.
    let policied = rig_with_policy(backend).await;
    let (subject, _) = user_token(&policied.app, &["read"], TokenSession::default()).await;
    for (name, value, needle) in [
        ("audience", "https://evil.example.com", "allowed_audiences"),
        ("resource", "https://evil.example.com", "allowed_audiences"),
        ("resource", "https://backend.example.com#x", "absolute URI"),
        ("resource", "not-a-uri", "absolute URI"),
    ] {
        let form = [
            ("subject_token", subject.as_str()),
            ("subject_token_type", ACCESS),
            (name, value),
        ];
        refused(
            exchange(&policied, &form).await,
            400,
            "invalid_target",
            needle,
        );
    }
}

async fn rig_with_policy(backend: TestBackend) -> Rig {
    rig(backend, policy()).await
}

async fn scope_never_exceeds_the_subject_tokens(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let (subject, _) = user_token(&rig.app, &["read", "admin"], TokenSession::default()).await;
    let form = |scope: &'static str| {
        [
            ("subject_token", subject.clone()),
            ("subject_token_type", ACCESS.to_owned()),
            ("scope", scope.to_owned()),
        ]
    };
    let send = |pairs: [(&'static str, String); 3]| {
        let rig = &rig;
        async move {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            exchange(rig, &borrowed).await
        }
    };
    refused(
        send(form("read write")).await,
        400,
        "invalid_scope",
        "not in the subject_token's scope",
    );
    refused(
        send(form("admin")).await,
        400,
        "invalid_scope",
        "not allowed to request scope 'admin'",
    );
    // Without scope: the subject token's scopes the client may request.
    let (status, body) = exchange(
        &rig,
        &[("subject_token", &subject), ("subject_token_type", ACCESS)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "read");
}

/// A token request's form fields.
type Form<'a> = Vec<(&'a str, &'a str)>;

async fn parameter_and_token_errors_are_rfc_errors(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let (subject, refresh) = user_token(&rig.app, &["read"], TokenSession::default()).await;
    let s = subject.as_str();
    let long = "a".repeat(17 * 1024);
    let cases: Vec<(Form, &str, &str)> = vec![
        (
            vec![("subject_token_type", ACCESS)],
            "invalid_request",
            "'subject_token' is missing",
        ),
        (
            vec![("subject_token", s)],
            "invalid_request",
            "'subject_token_type' is missing",
        ),
        (
            vec![("subject_token", s), ("subject_token_type", "urn:x")],
            "invalid_request",
            "subject_token_type 'urn:x' is not supported",
        ),
        (
            vec![
                ("subject_token", refresh.as_str()),
                ("subject_token_type", REFRESH),
            ],
            "invalid_request",
            "is not supported",
        ),
        (
            vec![
                ("subject_token", s),
                ("subject_token_type", ACCESS),
                ("actor_token", s),
            ],
            "invalid_request",
            "actor_token_type is required",
        ),
        (
            vec![
                ("subject_token", s),
                ("subject_token_type", ACCESS),
                ("actor_token_type", ACCESS),
            ],
            "invalid_request",
            "must not be sent without an actor_token",
        ),
        (
            vec![
                ("subject_token", s),
                ("subject_token_type", ACCESS),
                (
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:saml2",
                ),
            ],
            "invalid_request",
            "requested_token_type",
        ),
        (
            vec![("subject_token", "garbage"), ("subject_token_type", ACCESS)],
            "invalid_request",
            "not an active access token",
        ),
        (
            vec![
                ("subject_token", refresh.as_str()),
                ("subject_token_type", ACCESS),
            ],
            "invalid_request",
            "not an active access token",
        ),
        (
            vec![("subject_token", "garbage"), ("subject_token_type", JWT)],
            "invalid_request",
            "compact JWS",
        ),
        (
            vec![
                ("subject_token", "e30.e30.sig"),
                ("subject_token_type", JWT),
            ],
            "invalid_request",
            "claim 'iss'",
        ),
        (
            vec![
                ("subject_token", "e30.e30.sig"),
                ("subject_token_type", ID_TOKEN),
            ],
            "invalid_request",
            "not an ID token of this server",
        ),
        (
            vec![
                ("subject_token", long.as_str()),
                ("subject_token_type", ACCESS),
            ],
            "invalid_request",
            "longer than",
        ),
        (
            vec![
                ("subject_token", s),
                ("subject_token_type", ACCESS),
                ("subject_token", s),
            ],
            "invalid_request",
            "more than once",
        ),
    ];
    for (form, error, needle) in cases {
        refused(exchange(&rig, &form).await, 400, error, needle);
    }
    // A revoked subject token is refused too.
    let secret = rig.frontend.secret.clone().unwrap();
    let (status, _, _) = rig
        .app
        .post_form(
            "/oauth2/revoke",
            Some(("frontend", &secret)),
            &[("token", s)],
        )
        .await;
    assert_eq!(status, 200);
    refused(
        exchange(
            &rig,
            &[("subject_token", s), ("subject_token_type", ACCESS)],
        )
        .await,
        400,
        "invalid_request",
        "not an active access token",
    );
    // Wrong client credentials: invalid_client, as for every grant.
    let (status, _, body) = rig
        .app
        .post_form(
            "/oauth2/token",
            Some(("gateway", "wrong")),
            &[
                ("grant_type", EXCHANGE),
                ("subject_token", s),
                ("subject_token_type", ACCESS),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn refresh_and_id_tokens_are_issued_where_allowed(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let (plain, _) = user_token(&rig.app, &["read"], TokenSession::default()).await;
    let ask = |subject: &str, requested: &'static str| {
        vec![
            ("subject_token", subject.to_owned()),
            ("subject_token_type", ACCESS.to_owned()),
            ("requested_token_type", requested.to_owned()),
        ]
    };
    let send = |pairs: Vec<(&'static str, String)>| {
        let rig = &rig;
        async move {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            exchange(rig, &borrowed).await
        }
    };
    refused(
        send(ask(&plain, REFRESH)).await,
        400,
        "invalid_request",
        "offline",
    );
    refused(
        send(ask(&plain, ID_TOKEN)).await,
        400,
        "invalid_scope",
        "openid",
    );

    let (offline, _) = user_token(
        &rig.app,
        &["read", "offline_access", "openid"],
        TokenSession::default(),
    )
    .await;
    let (status, body) = send(ask(&offline, REFRESH)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], REFRESH);
    assert_eq!(body["token_type"], "N_A", "RFC 8693 §2.2.1");
    let refresh = body["access_token"].as_str().unwrap().to_owned();
    assert!(refresh.starts_with("ptn_rt_"), "{refresh}");
    // The exchanged refresh token works with the refresh grant.
    let secret = rig.gateway.secret.clone().unwrap();
    let (status, _, refreshed) = rig
        .app
        .post_form(
            "/oauth2/token",
            Some(("gateway", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let introspected = introspect(&rig.app, refreshed["access_token"].as_str().unwrap()).await;
    assert_eq!(introspected["sub"], "user-1");
    assert_eq!(introspected["client_id"], "gateway");

    let (status, body) = send(ask(&offline, ID_TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], ID_TOKEN);
    assert_eq!(body["token_type"], "N_A");
    let claims = verify_jwt(&rig.app, body["access_token"].as_str().unwrap(), "gateway").await;
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["aud"], json!(["gateway"]));
    // An ID token's audience is the client: no other target.
    let mut targeted = ask(&offline, ID_TOKEN);
    targeted.push(("audience", BACKEND.to_owned()));
    refused(
        send(targeted).await,
        400,
        "invalid_target",
        "audience is the OAuth 2.0 Client",
    );
}

async fn id_tokens_are_subject_tokens(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let (offline, _) = user_token(&rig.app, &["openid"], TokenSession::default()).await;
    let (status, body) = exchange(
        &rig,
        &[
            ("subject_token", &offline),
            ("subject_token_type", ACCESS),
            ("requested_token_type", ID_TOKEN),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id_token = body["access_token"].as_str().unwrap().to_owned();
    for kind in [ID_TOKEN, JWT] {
        let (status, body) = exchange(
            &rig,
            &[
                ("subject_token", &id_token),
                ("subject_token_type", kind),
                ("audience", BACKEND),
            ],
        )
        .await;
        assert_eq!(status, 200, "{kind}: {body}");
        assert_eq!(body["scope"], "openid", "an ID token's ceiling");
        let introspected = introspect(&rig.app, body["access_token"].as_str().unwrap()).await;
        assert_eq!(introspected["sub"], "user-1");
        assert_eq!(introspected["aud"], json!([BACKEND]));
    }
    // An ID token of another client is refused.
    let other = rig
        .app
        .register(json!({
            "client_id": "other",
            "grant_types": [EXCHANGE],
            "scope": "openid",
            "token_exchange": policy(),
        }))
        .await;
    refused(
        exchange_as(
            &rig.app,
            &other,
            &[
                ("subject_token", &id_token),
                ("subject_token_type", ID_TOKEN),
            ],
        )
        .await,
        400,
        "invalid_request",
        "issued to another OAuth 2.0 Client",
    );
}

/// RFC 7523-style claims of a trusted issuer's token about `alice`.
fn foreign_claims(app: &TestApp, changes: Value) -> Value {
    let now = app.state.clock.now().timestamp();
    let mut claims = json!({
        "iss": ISSUER,
        "sub": "alice",
        "aud": "gateway",
        "iat": now,
        "exp": now + 300,
        "scope": "read write",
    });
    if let (Some(claims), Some(changes)) = (claims.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            claims.insert(k.clone(), v.clone());
        }
    }
    claims
}

async fn trusted_issuers_jwts_are_subject_tokens(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    trust(&rig.app, ISSUER, Some("alice"), &EC_1, &["read"]).await;
    let good = EC_1.sign(&foreign_claims(&rig.app, json!({})));
    let (status, body) = exchange(
        &rig,
        &[
            ("subject_token", &good),
            ("subject_token_type", JWT),
            ("audience", BACKEND),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"], "read",
        "the token's scope within the trust's"
    );
    let introspected = introspect(&rig.app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(introspected["sub"], "alice");

    let now = rig.app.state.clock.now().timestamp();
    let cases = [
        (
            EC_2.sign_with_kid(Some(EC_1.kid), &foreign_claims(&rig.app, json!({}))),
            "does not verify",
        ),
        (
            EC_1.sign(&foreign_claims(&rig.app, json!({"exp": now - 10}))),
            "has expired",
        ),
        (
            EC_1.sign(&foreign_claims(&rig.app, json!({"nbf": now + 600}))),
            "not valid yet",
        ),
        (
            EC_1.sign(&foreign_claims(&rig.app, json!({"sub": "mallory"}))),
            "does not verify",
        ),
        (
            EC_1.sign(&foreign_claims(
                &rig.app,
                json!({"iss": "https://untrusted.example.com"}),
            )),
            "allowed_subject_token_issuers",
        ),
    ];
    for (token, needle) in cases {
        refused(
            exchange(
                &rig,
                &[("subject_token", &token), ("subject_token_type", JWT)],
            )
            .await,
            400,
            "invalid_request",
            needle,
        );
    }
    // A trusted issuer's JWT is not an access token of this server.
    refused(
        exchange(
            &rig,
            &[("subject_token", &good), ("subject_token_type", ACCESS)],
        )
        .await,
        400,
        "invalid_request",
        "not an active access token",
    );
}

async fn exchanged_families_are_revoked_with_the_subject_family(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let (subject, subject_refresh) = user_token(
        &rig.app,
        &["read", "offline_access"],
        TokenSession::default(),
    )
    .await;
    let ask = |token: &str, requested: &'static str| {
        vec![
            ("subject_token", token.to_owned()),
            ("subject_token_type", ACCESS.to_owned()),
            ("requested_token_type", requested.to_owned()),
        ]
    };
    let send = |pairs: Vec<(&'static str, String)>| {
        let rig = &rig;
        async move {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = exchange(rig, &borrowed).await;
            assert_eq!(status, 200, "{body}");
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let first = send(ask(&subject, ACCESS)).await;
    let exchanged_refresh = send(ask(&subject, REFRESH)).await;
    // A chain: the exchanged token exchanged again (issued to the gateway itself).
    let second = send(ask(&first, ACCESS)).await;
    // Refreshing the exchanged refresh token keeps the link to the subject's family.
    let secret = rig.gateway.secret.clone().unwrap();
    let (status, _, refreshed) = rig
        .app
        .post_form(
            "/oauth2/token",
            Some(("gateway", &secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &exchanged_refresh),
            ],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let refreshed_access = refreshed["access_token"].as_str().unwrap().to_owned();
    let refreshed_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();

    // Revoking a child leaves its parent alone.
    let (status, _, _) = rig
        .app
        .post_form(
            "/oauth2/revoke",
            Some(("gateway", &secret)),
            &[("token", &second)],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(introspect(&rig.app, &second).await["active"], false);
    assert_eq!(introspect(&rig.app, &first).await["active"], true);
    assert_eq!(introspect(&rig.app, &subject).await["active"], true);

    // Revoking the subject token's family (RFC 7009, by its client) revokes every
    // family exchanged from it, refreshed ones included.
    let frontend_secret = rig.frontend.secret.clone().unwrap();
    let (status, _, _) = rig
        .app
        .post_form(
            "/oauth2/revoke",
            Some(("frontend", &frontend_secret)),
            &[("token", &subject_refresh)],
        )
        .await;
    assert_eq!(status, 200);
    for (name, token) in [
        ("subject", &subject),
        ("first", &first),
        ("refreshed access", &refreshed_access),
        ("refreshed refresh", &refreshed_refresh),
    ] {
        assert_eq!(
            introspect(&rig.app, token).await["active"],
            false,
            "{name} must be revoked with the subject's family"
        );
    }
    let (status, _, body) = rig
        .app
        .post_form(
            "/oauth2/token",
            Some(("gateway", &secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refreshed_refresh),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

async fn the_policy_round_trips_through_the_admin_api(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let client = rig
        .app
        .admin
        .get_o_auth2_client()
        .id("gateway")
        .send()
        .await
        .unwrap()
        .into_inner();
    let stored = serde_json::to_value(&client).unwrap();
    assert_eq!(stored["token_exchange"], policy());
    // Discovery lists the grant type (from the registry).
    let doc: Value = rig
        .app
        .http
        .get(rig.app.public_path("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(EXCHANGE)),
        "{doc}"
    );
    // Invalid policies are refused by the admin API.
    for bad in [
        json!({"allowed_audiences": ["not a uri"]}),
        json!({"allowed_audiences": ["https://a.example#frag"]}),
        json!({"allowed_subject_token_issuers": ["urn:not-http"]}),
    ] {
        let response = rig
            .app
            .http
            .post(rig.app.admin_path("/admin/clients"))
            .json(&json!({"grant_types": [EXCHANGE], "token_exchange": bad}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    }
    // Dynamic client registration may not set it.
    let dcr = TestApp::builder(backend)
        .config(|c| c.oidc.dynamic_client_registration.enabled = true)
        .build()
        .await;
    let response = dcr
        .http
        .post(dcr.public_path("/oauth2/register"))
        .json(&json!({"redirect_uris": ["https://c.example/cb"], "token_exchange": policy()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("token_exchange"),
        "{body}"
    );
}

/// RFC 9396 at the token exchange: the exchanged token carries the subject token's
/// granted details unless the request narrows them; it never widens them, and a subject
/// token without details gives none.
async fn authorization_details_narrow_the_subject_tokens(backend: TestBackend) {
    let rig = rig(backend, policy()).await;
    let granted = json!({
        "type": "account_information",
        "actions": ["list_accounts", "read_balances"],
        "locations": ["https://bank.example.com/"],
    });
    let session = TokenSession {
        authorization_details: vec![granted.clone()],
        ..TokenSession::default()
    };
    let (subject, _) = user_token(&rig.app, &["read"], session).await;
    let base = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", ACCESS),
    ];

    // Without authorization_details: the subject token's, in the response and the token.
    let (status, body) = exchange(&rig, &base).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorization_details"], json!([granted]), "{body}");
    let issued = body["access_token"].as_str().unwrap();
    let introspected = introspect(&rig.app, issued).await;
    assert_eq!(introspected["authorization_details"], json!([granted]));

    // Narrowed: one of the two actions.
    let narrow = json!([{
        "type": "account_information",
        "actions": ["list_accounts"],
        "locations": ["https://bank.example.com/"],
    }]);
    let narrow_text = narrow.to_string();
    let mut form = base.to_vec();
    form.push(("authorization_details", &narrow_text));
    let (status, body) = exchange(&rig, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorization_details"], narrow);
    let issued = body["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&rig.app, issued).await["authorization_details"],
        narrow
    );

    // Wider: an action the subject token was not granted.
    let wider = json!([{
        "type": "account_information",
        "actions": ["list_accounts", "transfer"],
        "locations": ["https://bank.example.com/"],
    }])
    .to_string();
    let mut form = base.to_vec();
    form.push(("authorization_details", &wider));
    refused(
        exchange(&rig, &form).await,
        400,
        "invalid_authorization_details",
        "never widen",
    );

    // Not JSON.
    let mut form = base.to_vec();
    form.push(("authorization_details", "[{"));
    let (status, body) = exchange(&rig, &form).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_authorization_details");

    // A subject token granted no details: none may be asked for, none are carried.
    let (plain, _) = user_token(&rig.app, &["read"], TokenSession::default()).await;
    let mut form = vec![
        ("subject_token", plain.as_str()),
        ("subject_token_type", ACCESS),
    ];
    let (status, body) = exchange(&rig, &form).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("authorization_details").is_none(), "{body}");
    form.push(("authorization_details", &narrow_text));
    refused(
        exchange(&rig, &form).await,
        400,
        "invalid_authorization_details",
        "was not granted",
    );
}
