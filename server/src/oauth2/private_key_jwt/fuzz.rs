//! Fuzz target: client assertions (RFC 7523 §3, OIDC Core §9): the compact JWS split
//! and decoded before its key is known (`Assertion::parse`), and the claim rules on
//! verified claims (`claims::check`), with numbers at the edges of every type.

use chrono::{TimeZone, Utc};
use serde_json::{Map, Value};

use super::claims::{Assertion, check};
use crate::fuzz::{check_rejection, run, seeds};

const HEADERS: &[&str] = &[
    r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
    r#"{"alg":"ES256"}"#,
    r#"{"alg":"none"}"#,
    r#"{"alg":"HS256","kid":"k1"}"#,
];

const CLAIMS: &[&str] = &[
    r#"{"iss":"app","sub":"app","aud":"https://auth.example/oauth2/token","jti":"0190a0c0","exp":1800000300,"iat":1800000000,"nbf":1799999990}"#,
    r#"{"iss":"app","sub":"app","aud":["https://auth.example/","x"],"jti":"j","exp":1.8000003e9}"#,
    r#"{"iss":"app","sub":"other","aud":[],"exp":-1,"iat":9223372036854775807,"nbf":1e308}"#,
    r#"{"iss":"app","sub":"app","aud":"https://auth.example/","jti":"","exp":18446744073709551615}"#,
];

fn audiences() -> Vec<String> {
    vec![
        "https://auth.example/oauth2/token".to_owned(),
        "https://auth.example/".to_owned(),
    ]
}

/// `Assertion::parse` on tokens built from changed headers and claims, and on
/// changed text: an assertion naming an asymmetric algorithm and its client, or 4xx.
#[test]
fn fuzz_client_assertion_parse() {
    let mut all = seeds(HEADERS);
    all.extend(seeds(CLAIMS));
    run("client assertion parse", &all, |g, input| {
        let token = g.compact_jws(HEADERS, CLAIMS);
        *input = token.clone().into_bytes();
        match Assertion::parse(&token) {
            Ok(assertion) => {
                g.reached();
                assert!(!assertion.alg.is_symmetric());
                assert!(!assertion.client_id.is_empty());
                assert_eq!(assertion.token, token);
            }
            Err(err) => check_rejection(&err),
        }
    });
}

/// `claims::check` on changed claim sets: accepted only with a jti, an `aud` of ours,
/// `iss` = `sub` = the client and an `exp` after now; otherwise 4xx.
#[test]
fn fuzz_client_assertion_claims() {
    let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let ours = audiences();
    run("client assertion claims", &seeds(CLAIMS), |g, input| {
        *input = g.mutated();
        let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(input) else {
            return;
        };
        g.reached();
        match check(&claims, "app", &ours, now) {
            Ok(checked) => {
                assert!(!checked.jti.is_empty());
                assert!(checked.expires_at > now);
                assert_eq!(claims.get("iss").and_then(Value::as_str), Some("app"));
                assert_eq!(claims.get("sub").and_then(Value::as_str), Some("app"));
            }
            Err(err) => check_rejection(&err),
        }
    });
}
