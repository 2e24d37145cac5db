//! Fuzz target: JWT bearer grant assertions (RFC 7523 §2.1, §3): the compact JWS read
//! before its key is known (`Unverified::parse`), and the claim rules on verified claims
//! (`check`), with numbers at the edges of every type and both optional settings.

use chrono::{Duration, TimeZone, Utc};
use rand::Rng;
use serde_json::{Map, Value};

use super::assertion::{Rules, Unverified, check};
use crate::fuzz::{check_rejection, run, seeds};

const HEADERS: &[&str] = &[
    r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
    r#"{"alg":"ES256"}"#,
    r#"{"alg":"none"}"#,
    r#"{"alg":"HS256","kid":7}"#,
];

const CLAIMS: &[&str] = &[
    r#"{"iss":"https://idp","sub":"alice","aud":"https://auth.example/oauth2/token","jti":"0190a0c0","exp":1800000300,"iat":1800000000,"nbf":1799999990}"#,
    r#"{"iss":"https://idp","sub":"bob","aud":["https://auth.example/","x"],"jti":"j","exp":1.8000003e9}"#,
    r#"{"iss":"","sub":"alice","aud":[],"exp":-1,"iat":9223372036854775807,"nbf":1e308}"#,
    r#"{"iss":"https://idp","sub":"alice","aud":"https://auth.example/","jti":"","exp":18446744073709551615}"#,
];

/// `Unverified::parse` on tokens built from changed headers and claims, and on changed
/// text: an asymmetric algorithm with non-empty `iss` and `sub`, or 4xx.
#[test]
fn fuzz_jwt_grant_assertion_parse() {
    let mut all = seeds(HEADERS);
    all.extend(seeds(CLAIMS));
    run("jwt grant assertion parse", &all, |g, input| {
        let token = g.compact_jws(HEADERS, CLAIMS);
        *input = token.clone().into_bytes();
        match Unverified::parse(&token) {
            Ok(parsed) => {
                g.reached();
                assert!(!parsed.alg.is_symmetric());
                assert!(!parsed.issuer.is_empty() && !parsed.subject.is_empty());
            }
            Err(err) => check_rejection(&err),
        }
    });
}

/// `check` on changed claim sets: accepted only with an `aud` of ours, an `exp` after
/// now and within `max_ttl`, and `iat`/`jti` unless optional; otherwise 4xx.
#[test]
fn fuzz_jwt_grant_assertion_claims() {
    let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let ours = vec![
        "https://auth.example/oauth2/token".to_owned(),
        "https://auth.example/".to_owned(),
    ];
    run("jwt grant assertion claims", &seeds(CLAIMS), |g, input| {
        *input = g.mutated();
        let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(input) else {
            return;
        };
        g.reached();
        let optional = g.rng.random_bool(0.5);
        let rules = Rules {
            audiences: &ours,
            max_ttl: Duration::hours(1),
            iat_optional: optional,
            jti_optional: optional,
        };
        match check(&claims, &rules, now) {
            Ok(checked) => {
                assert!(checked.expires_at > now);
                assert!(checked.expires_at <= now + Duration::hours(1) + Duration::minutes(1));
                assert!(optional || checked.jti.is_some());
                assert!(checked.audience.iter().any(|a| ours.contains(a)));
            }
            Err(err) => check_rejection(&err),
        }
    });
}
