use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::claims::{Assertion, check};
use crate::error::ErrorKind;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

fn audiences() -> Vec<String> {
    vec![
        "https://auth.test/oauth2/token".to_owned(),
        "https://auth.test/".to_owned(),
    ]
}

fn claims(changes: Value) -> serde_json::Map<String, Value> {
    let mut claims = json!({
        "iss": "client-1",
        "sub": "client-1",
        "aud": "https://auth.test/oauth2/token",
        "exp": (now() + Duration::minutes(5)).timestamp(),
        "iat": now().timestamp(),
        "jti": "jti-1",
    });
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims.as_object().unwrap().clone()
}

fn hint_of(changes: Value) -> String {
    let err = check(&claims(changes), "client-1", &audiences(), now()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidClient);
    err.hint.unwrap()
}

#[test]
fn valid_claims_yield_jti_and_expiry() {
    let checked = check(&claims(json!({})), "client-1", &audiences(), now()).unwrap();
    assert_eq!(checked.jti, "jti-1");
    assert_eq!(checked.expires_at, now() + Duration::minutes(5));
    let issuer_aud = claims(json!({"aud": ["https://other", "https://auth.test/"]}));
    assert!(check(&issuer_aud, "client-1", &audiences(), now()).is_ok());
}

#[test]
fn each_rule_names_itself() {
    assert!(hint_of(json!({"iss": "client-2"})).contains("'iss' and 'sub'"));
    assert!(hint_of(json!({"aud": "https://elsewhere"})).contains("'aud'"));
    assert!(hint_of(json!({"aud": null})).contains("'aud'"));
    assert!(hint_of(json!({"exp": null})).contains("no 'exp'"));
    assert!(hint_of(json!({"exp": now().timestamp()})).contains("expired"));
    assert!(hint_of(json!({"exp": "soon"})).contains("NumericDate"));
    let future = (now() + Duration::minutes(2)).timestamp();
    assert!(hint_of(json!({"iat": future})).contains("'iat'"));
    assert!(hint_of(json!({"nbf": future})).contains("'nbf'"));
    assert!(hint_of(json!({"jti": null})).contains("no 'jti'"));
    assert!(hint_of(json!({"jti": ""})).contains("no 'jti'"));
    let within_skew = (now() + Duration::seconds(30)).timestamp();
    assert!(
        check(
            &claims(json!({"iat": within_skew})),
            "client-1",
            &audiences(),
            now()
        )
        .is_ok()
    );
}

fn compact(header: Value, claims: Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!("{}.{}.c2ln", enc(&header), enc(&claims))
}

#[test]
fn parse_reads_client_alg_and_kid_and_refuses_the_rest() {
    let ok = Assertion::parse(&compact(
        json!({"alg": "ES256", "kid": "k1"}),
        json!({"iss": "c", "sub": "c"}),
    ))
    .unwrap();
    assert_eq!((ok.client_id.as_str(), ok.alg.name()), ("c", "ES256"));
    assert_eq!(ok.kid.as_deref(), Some("k1"));
    for (header, claims) in [
        (json!({"alg": "none"}), json!({"iss": "c", "sub": "c"})),
        (json!({"alg": "HS256"}), json!({"iss": "c", "sub": "c"})),
        (json!({"alg": "RS256"}), json!({"iss": "c", "sub": "d"})),
        (json!({"alg": "RS256"}), json!({"sub": "c"})),
    ] {
        let err = Assertion::parse(&compact(header, claims)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClient);
    }
    for garbage in ["", "a.b", "a.b.c.d", "!!.e30.x"] {
        assert!(Assertion::parse(garbage).is_err(), "{garbage}");
    }
}
