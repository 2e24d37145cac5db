//! Fuzz targets: the JSON bodies of the admin API (`client/wire.rs`, `flow/wire.rs`,
//! `jwk/wire.rs`) as serde_json reads them, and what the server does with them next:
//! client metadata validation (RFC 7591 §2), lifespans, JSON Patch on a client
//! (RFC 6902), JSON Web Key validation and JWK Set verifiers (RFC 7517).

use std::sync::OnceLock;

use rand::Rng;

use super::{check_rejection, run, seeds};
use crate::client::admin::apply_patch;
use crate::client::validate::{UriPolicy, validate, validate_lifespans};
use crate::client::wire::{OAuth2Client, OAuth2ClientTokenLifespans};
use crate::flow::wire::{
    AcceptOAuth2ConsentRequest, AcceptOAuth2LoginRequest, RejectOAuth2Request,
};
use crate::jwk::alg::{Algorithm, KeyUse};
use crate::jwk::generate::generate;
use crate::jwk::key::{public_part, validate as validate_key};
use crate::jwk::verifier::Verifier;
use crate::jwk::wire::{CreateJsonWebKeySet, JsonWebKey, JsonWebKeySet};

const CLIENT_SEEDS: &[&str] = &[
    r#"{"client_id":"app","client_name":"App","client_secret":"a-secret-of-some-length","redirect_uris":["https://app.example/cb","http://127.0.0.1/cb"],"grant_types":["authorization_code","refresh_token"],"response_types":["code","code id_token"],"scope":"openid offline_access","audience":["https://api.example"],"token_endpoint_auth_method":"client_secret_basic","post_logout_redirect_uris":["https://app.example/bye"],"frontchannel_logout_uri":"https://app.example/fc","backchannel_logout_uri":"https://app.example/bc","allowed_cors_origins":["https://app.example"],"subject_type":"public","metadata":{"a":[1,{"b":null}]},"authorization_code_grant_access_token_lifespan":"1h30m","skip_consent":false}"#,
    r#"{"client_id":"m2m","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1","use":"sig","alg":"ES256"}]},"access_token_strategy":"jwt"}"#,
    r#"{"token_endpoint_auth_method":"none","redirect_uris":["com.example.app:/cb"],"response_types":["code"],"request_object_signing_alg":"RS256","userinfo_signed_response_alg":"ES256","id_token_signed_response_alg":"RS256"}"#,
    r#"{"sector_identifier_uri":"https://app.example/sector.json","subject_type":"pairwise","jwks_uri":"https://app.example/jwks","logo_uri":"https://app.example/logo.png","contacts":["a@b.c"]}"#,
    "{}",
];

const LIFESPAN_SEEDS: &[&str] = &[
    r#"{"authorization_code_grant_access_token_lifespan":"1h","authorization_code_grant_id_token_lifespan":"30m0s","authorization_code_grant_refresh_token_lifespan":"720h","client_credentials_grant_access_token_lifespan":"1.5h","implicit_grant_access_token_lifespan":"300ms","refresh_token_grant_refresh_token_lifespan":"2562047h47m16.854775807s"}"#,
    r#"{"jwt_bearer_grant_access_token_lifespan":null,"device_authorization_grant_access_token_lifespan":""}"#,
];

const PATCH_SEEDS: &[&str] = &[
    r#"[{"op":"replace","path":"/client_name","value":"New"}]"#,
    r#"[{"op":"add","path":"/redirect_uris/-","value":"https://app.example/cb2"}]"#,
    r#"[{"op":"remove","path":"/scope"},{"op":"copy","from":"/client_name","path":"/owner"}]"#,
    r#"[{"op":"test","path":"/client_id","value":"app"},{"op":"move","from":"/metadata","path":"/audience"}]"#,
];

const FLOW_SEEDS: &[&str] = &[
    r#"{"subject":"alice","remember":true,"remember_for":3600,"acr":"1","amr":["pwd","otp"],"context":{"x":1},"extend_session_lifespan":false,"force_subject_identifier":"p","identity_provider_session_id":"s"}"#,
    r#"{"grant_scope":["openid"],"grant_access_token_audience":["https://api"],"remember":true,"remember_for":0,"session":{"access_token":{"r":"a"},"id_token":{"email":"a@b.c"}},"context":null}"#,
    r#"{"error":"access_denied","error_description":"no","error_hint":"h","error_debug":"d","status_code":403}"#,
];

/// A client with every field set, as the admin API reads it: validated or 4xx.
#[test]
fn fuzz_client_json() {
    run("client json", &seeds(CLIENT_SEEDS), |g, input| {
        *input = g.mutated();
        if let Ok(client) = serde_json::from_slice::<OAuth2Client>(input) {
            g.reached();
            if let Err(err) = validate(client, UriPolicy::default()) {
                check_rejection(&err);
            }
        }
    });
}

#[test]
fn fuzz_client_lifespans_json() {
    run(
        "client lifespans json",
        &seeds(LIFESPAN_SEEDS),
        |g, input| {
            *input = g.mutated();
            if let Ok(wire) = serde_json::from_slice::<OAuth2ClientTokenLifespans>(input) {
                g.reached();
                if let Err(err) = validate_lifespans(&wire) {
                    check_rejection(&err);
                }
            }
        },
    );
}

/// RFC 6902 patches on a valid client (`PATCH /admin/clients/{id}`): the patched
/// document is validated like a new one.
#[test]
fn fuzz_client_json_patch() {
    let base: serde_json::Value = serde_json::from_str(CLIENT_SEEDS[0]).unwrap();
    run("client json patch", &seeds(PATCH_SEEDS), |g, input| {
        *input = g.mutated();
        let Ok(patch) = serde_json::from_slice::<json_patch::Patch>(input) else {
            return;
        };
        let mut doc = base.clone();
        if let Err(err) = apply_patch(&mut doc, &patch) {
            check_rejection(&err);
            return;
        }
        if let Ok(client) = serde_json::from_value::<OAuth2Client>(doc) {
            g.reached();
            if let Err(err) = validate(client, UriPolicy::default()) {
                check_rejection(&err);
            }
        }
    });
}

/// The login/consent apps' accept and reject bodies.
#[test]
fn fuzz_flow_json() {
    run("flow json", &seeds(FLOW_SEEDS), |g, input| {
        *input = g.mutated();
        let parsed = [
            serde_json::from_slice::<AcceptOAuth2LoginRequest>(input).is_ok(),
            serde_json::from_slice::<AcceptOAuth2ConsentRequest>(input).is_ok(),
            serde_json::from_slice::<RejectOAuth2Request>(input).is_ok(),
        ];
        if parsed.contains(&true) {
            g.reached();
        }
    });
}

/// Generated keys (private and public) of each family, as JWK JSON.
fn key_seeds() -> &'static Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut seeds = Vec::new();
        for (alg, kid) in [
            (Algorithm::ES256, "es"),
            (Algorithm::RS256, "rs"),
            (Algorithm::EdDSA, "ed"),
            (Algorithm::HS256, "hs"),
        ] {
            let Ok(key) = generate(alg, kid, KeyUse::Sig, 2048) else {
                continue;
            };
            if let Some(public) = public_part(&key) {
                seeds.push(serde_json::to_vec(&public).unwrap_or_default());
            }
            seeds.push(serde_json::to_vec(&key).unwrap_or_default());
        }
        seeds.push(br#"{"alg":"RS256","kid":"k","use":"sig"}"#.to_vec());
        seeds
    })
}

/// One JWK (`PUT /admin/keys/{set}/{kid}`, client `jwks`): valid or refused, and a
/// JWK Set of the same keys builds verifiers without a panic.
#[test]
fn fuzz_jwk_json() {
    let seeds = key_seeds().clone();
    assert!(seeds.len() >= 8, "key generation failed");
    run("jwk json", &seeds, |g, input| {
        *input = g.mutated();
        let Ok(key) = serde_json::from_slice::<JsonWebKey>(input) else {
            let _ = serde_json::from_slice::<CreateJsonWebKeySet>(input);
            return;
        };
        g.reached();
        let set = JsonWebKeySet {
            keys: vec![key.clone(); g.rng.random_range(1..3)],
        };
        let _ = Verifier::from_jwk_set(&set);
        let _ = public_part(&key);
        let _ = validate_key("keys[0].", key);
        let _ = Verifier::from_json(&String::from_utf8_lossy(input));
    });
}
