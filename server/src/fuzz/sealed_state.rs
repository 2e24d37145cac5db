//! Fuzz target: challenges, verifiers and the session cookie (`flow/sealed.rs`,
//! `flow/challenge_state.rs`, `flow/logout/challenge_state.rs`). Sealed state round-trips;
//! no change to a sealed text opens; no kind opens as another; and the JSON behind the
//! seal, changed (as a leaked-secret attacker could), deserializes or is refused without
//! a panic.

use chrono::{TimeZone, Utc};
use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Gen, run};
use crate::flow::challenge_state::{
    AcceptedConsent, AcceptedLogin, ConsentChallengeState, ConsentOutcome, ConsentVerifierState,
    LoginChallengeState, LoginOutcome, LoginResult, LoginVerifierState, SessionCookie,
};
use crate::flow::device::{DeviceChallengeState, DeviceVerifierState};
use crate::flow::logout::challenge_state::{LogoutChallengeState, LogoutVerifierState};
use crate::flow::sealed::{SealedKind, open, seal};
use crate::flow::wire::ConsentSessionData;
use crate::oauth2::authorize::request::{AuthorizeRequest, Prompt, RedirectTarget, ResponseMode};
use crate::oauth2::authorize::response_type::ResponseType;
use crate::oauth2::pkce::PkceMethod;
use crate::secrets::KeyRing;

const KINDS: [SealedKind; 9] = [
    SealedKind::LoginChallenge,
    SealedKind::LoginVerifier,
    SealedKind::ConsentChallenge,
    SealedKind::ConsentVerifier,
    SealedKind::LogoutChallenge,
    SealedKind::LogoutVerifier,
    SealedKind::SessionCookie,
    SealedKind::DeviceChallenge,
    SealedKind::DeviceVerifier,
];

fn request() -> AuthorizeRequest {
    AuthorizeRequest {
        client_id: "app".into(),
        response_type: ResponseType::default(),
        target: RedirectTarget {
            redirect_uri: "https://app.example/cb".into(),
            state: Some("xyz".into()),
            response_mode: ResponseMode::Query,
            issuer: "https://issuer.example/".into(),
        },
        redirect_uri_given: true,
        scope: vec!["openid".into(), "offline_access".into()],
        audience: vec!["https://api.example".into()],
        resource: Vec::new(),
        authorization_details: Vec::new(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        code_challenge_method: Some(PkceMethod::S256),
        prompt: vec![Prompt::Consent],
        max_age: Some(3600),
        login_hint: None,
        acr_values: vec!["urn:acr:1".into()],
        ui_locales: Vec::new(),
        display: None,
        id_token_hint: None,
        id_token_hint_claims: None,
        claims: serde_json::from_str(r#"{"id_token":{"email":{"essential":true}}}"#).ok(),
        dpop_jkt: None,
        fapi2: false,
        request_url: "https://auth.example/oauth2/auth?client_id=app".into(),
        requested_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
        device: None,
    }
}

fn login_challenge() -> LoginChallengeState {
    LoginChallengeState {
        flow_id: "0190a0c0-0000-7000-8000-000000000000".into(),
        request: request(),
        skip: false,
        subject: "".into(),
        session_id: "0190a0c0-0000-7000-8000-000000000001".into(),
        authenticated_at: None,
        csrf_hash: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU".into(),
        issued_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
    }
}

fn login_result() -> LoginResult {
    LoginResult {
        subject: "alice".into(),
        session_id: "0190a0c0-0000-7000-8000-000000000001".into(),
        authenticated_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
        acr: Some("1".into()),
        amr: vec!["pwd".into()],
        context: Some(serde_json::json!({"k": [1, 2.5, null]})),
    }
}

fn consent_challenge() -> ConsentChallengeState {
    ConsentChallengeState {
        flow_id: "0190a0c0-0000-7000-8000-000000000002".into(),
        request: request(),
        login: login_result(),
        skip: false,
        csrf_hash: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU".into(),
        issued_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
    }
}

fn logout_challenge() -> LogoutChallengeState {
    LogoutChallengeState {
        flow_id: "0190a0c0-0000-7000-8000-000000000003".into(),
        subject: "alice".into(),
        sid: "0190a0c0-0000-7000-8000-000000000001".into(),
        client_id: Some("app".into()),
        post_logout_uri: Some("https://app.example/bye".into()),
        request_url: "https://auth.example/oauth2/sessions/logout".into(),
        csrf_hash: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU".into(),
        issued_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
    }
}

/// One value of each sealed kind, as JSON, and its kind.
fn states() -> Vec<(SealedKind, serde_json::Value)> {
    let json = |v: &dyn erased::Json| v.json();
    vec![
        (SealedKind::LoginChallenge, json(&login_challenge())),
        (
            SealedKind::LoginVerifier,
            json(&LoginVerifierState {
                challenge: login_challenge(),
                outcome: LoginOutcome::Accepted(AcceptedLogin {
                    subject: "alice".into(),
                    remember: true,
                    remember_for: 3600,
                    acr: None,
                    amr: vec!["pwd".into()],
                    context: None,
                    extend_session_lifespan: false,
                }),
            }),
        ),
        (SealedKind::ConsentChallenge, json(&consent_challenge())),
        (
            SealedKind::ConsentVerifier,
            json(&ConsentVerifierState {
                challenge: consent_challenge(),
                outcome: ConsentOutcome::Accepted(Box::new(AcceptedConsent {
                    grant_scope: vec!["openid".into()],
                    grant_audience: Vec::new(),
                    grant_resource: Vec::new(),
                    grant_authorization_details: Vec::new(),
                    remember: true,
                    remember_for: 0,
                    session: ConsentSessionData {
                        access_token: Some(serde_json::json!({"role": "admin"})),
                        id_token: None,
                    },
                    context: None,
                    handled_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
                })),
            }),
        ),
        (SealedKind::LogoutChallenge, json(&logout_challenge())),
        (
            SealedKind::LogoutVerifier,
            json(&LogoutVerifierState {
                challenge: logout_challenge(),
            }),
        ),
        (
            SealedKind::SessionCookie,
            json(&SessionCookie {
                sid: "0190a0c0-0000-7000-8000-000000000001".into(),
            }),
        ),
        (SealedKind::DeviceChallenge, json(&device_challenge())),
        (
            SealedKind::DeviceVerifier,
            json(&DeviceVerifierState {
                challenge: device_challenge(),
                device_code_key: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                    .into(),
            }),
        ),
    ]
}

fn device_challenge() -> DeviceChallengeState {
    DeviceChallengeState {
        challenge_id: "0190a0c0-0000-7000-8000-000000000002".into(),
        csrf_hash: "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg".into(),
        issued_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
    }
}

/// Serializing through a trait object keeps `states()` one list.
mod erased {
    pub trait Json {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}

/// Opens `text` as the state type of `kind`; whether it opened.
fn open_as(keys: &KeyRing, kind: SealedKind, text: &str) -> bool {
    fn opened<T: DeserializeOwned>(keys: &KeyRing, kind: SealedKind, text: &str) -> bool {
        open::<T>(keys, kind, text).is_some()
    }
    match kind {
        SealedKind::LoginChallenge => opened::<LoginChallengeState>(keys, kind, text),
        SealedKind::LoginVerifier => opened::<LoginVerifierState>(keys, kind, text),
        SealedKind::ConsentChallenge => opened::<ConsentChallengeState>(keys, kind, text),
        SealedKind::ConsentVerifier => opened::<ConsentVerifierState>(keys, kind, text),
        SealedKind::LogoutChallenge => opened::<LogoutChallengeState>(keys, kind, text),
        SealedKind::LogoutVerifier => opened::<LogoutVerifierState>(keys, kind, text),
        SealedKind::SessionCookie => opened::<SessionCookie>(keys, kind, text),
        SealedKind::DeviceChallenge => opened::<DeviceChallengeState>(keys, kind, text),
        SealedKind::DeviceVerifier => opened::<DeviceVerifierState>(keys, kind, text),
    }
}

fn sealed<T: Serialize>(keys: &KeyRing, kind: SealedKind, value: &T) -> String {
    seal(keys, kind, value).unwrap()
}

#[test]
fn fuzz_sealed_flow_state() {
    let keys = KeyRing::new(&["flow-secret-0123456789abcdefghij".to_owned()]);
    let states = states();
    let samples: Vec<Vec<u8>> = states
        .iter()
        .map(|(kind, value)| sealed(&keys, *kind, value).into_bytes())
        .collect();
    run("sealed flow state", &samples, |g, input| {
        let (kind, value) = &states[g.rng.random_range(0..states.len())];
        let text = sealed(&keys, *kind, value);
        *input = text.clone().into_bytes();
        // Round trip into the real state type; no other kind opens it.
        assert!(
            open_as(&keys, *kind, &text),
            "a sealed {kind:?} did not open"
        );
        let other = KINDS[g.rng.random_range(0..KINDS.len())];
        if other != *kind {
            assert!(
                !open_as(&keys, other, &text),
                "{kind:?} opened as {other:?}"
            );
        }
        // A changed text never opens (AEAD), whatever the kind.
        let changed = g.mutate_text(&text);
        *input = changed.clone().into_bytes();
        // (A splice may copy a whole sample, which is validly sealed.)
        if changed.trim() != text && !samples.contains(&changed.trim().as_bytes().to_vec()) {
            assert!(!open_as(&keys, *kind, &changed), "a changed text opened");
            g.reached();
        }
        // Arbitrary text: no panic.
        let other = g.mutated_text();
        *input = other.clone().into_bytes();
        open_as(&keys, KINDS[g.rng.random_range(0..KINDS.len())], &other);
    });
}

/// The deserialization behind the seal, on changed JSON: no panic, whatever opens.
#[test]
fn fuzz_sealed_state_json() {
    let states = states();
    let samples: Vec<Vec<u8>> = states
        .iter()
        .map(|(_, v)| serde_json::to_vec(v).unwrap_or_default())
        .collect();
    let keys = KeyRing::new(&["flow-secret-0123456789abcdefghij".to_owned()]);
    run("sealed state json", &samples, |g: &mut Gen<'_>, input| {
        *input = g.mutated();
        let kind = KINDS[g.rng.random_range(0..KINDS.len())];
        // Sealing raw JSON text as a string would add quotes: seal the parsed value, so
        // that `open` deserializes exactly the changed document.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(input) {
            let text = sealed(&keys, kind, &value);
            if open_as(&keys, kind, &text) {
                g.reached();
            }
        }
    });
}
