//! Fuzz targets: form bodies (RFC 6749 §3.2, as `web::Form` and the query decode them),
//! the HTTP Basic header (RFC 6749 §2.3.1) and the bearer token (RFC 6750 §2).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

use super::{check_rejection, run, seeds};
use crate::oauth2::bearer;
use crate::oauth2::client_auth::Credentials;
use crate::oauth2::form::FormParams;

const FORM_SEEDS: &[&str] = &[
    "grant_type=authorization_code&code=ptn_ac_abc.def&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&client_id=app&code_verifier=dBjftJeZ4CVP-mJ92K9xv",
    "grant_type=client_credentials&scope=read+write&audience=https%3A%2F%2Fapi&audience=https%3A%2F%2Fapi2",
    "grant_type=refresh_token&refresh_token=ptn_rt_x.y&client_id=app&client_secret=s%20e+c",
    "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJ.eyJ.sig&client_id=app",
    "token=ptn_at_a.b&token_type_hint=access_token",
    "access_token=ptn_at_a.b",
    "response_type=code&client_id=app&scope=openid+profile&state=xyz&nonce=n&claims=%7B%22id_token%22%3A%7B%7D%7D",
    "a=&=b&&c",
];

/// The parameter names the endpoints read.
const NAMES: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "scope",
    "audience",
    "refresh_token",
    "token",
    "token_type_hint",
    "access_token",
    "code_verifier",
];

fn form_of(body: &[u8]) -> FormParams {
    FormParams::new(url::form_urlencoded::parse(body).into_owned().collect())
}

/// Every accessor of every parameter: a value or a 4xx, and `get` agrees with `all`.
#[test]
fn fuzz_form_bodies() {
    run("form bodies", &seeds(FORM_SEEDS), |g, input| {
        *input = g.mutated();
        let form = form_of(input);
        for name in NAMES {
            match (form.get(name), form.all(name)) {
                (Ok(Some(value)), Ok(all)) => assert_eq!(all, vec![value]),
                (Ok(None), Ok(all)) => assert!(all.is_empty() && !form.has(name)),
                (Err(err), Ok(all)) => {
                    check_rejection(&err);
                    assert!(all.len() > 1, "get({name}) refused {} value(s)", all.len());
                }
                // Too many pairs: every read of the form fails alike.
                (Err(err), Err(all_err)) => {
                    check_rejection(&err);
                    check_rejection(&all_err);
                    assert!(!form.has(name));
                }
                (Ok(value), Err(err)) => {
                    panic!("all({name}) refused ({err:?}) what get read: {value:?}")
                }
            }
            if let Err(err) = form.require(name) {
                check_rejection(&err);
            }
        }
        if form.all("client_id").is_ok_and(|ids| !ids.is_empty()) {
            g.reached();
        }
        match Credentials::extract(None, &form) {
            Ok(credentials) => assert!(credentials.client_id().is_none_or(|id| !id.is_empty())),
            Err(err) => check_rejection(&err),
        }
        if let Err(err) = bearer::extract(None, Some(&form)) {
            check_rejection(&err);
        }
    });
}

/// Pairs serialized as a form body parse back to the same pairs.
#[test]
fn fuzz_form_round_trip() {
    run("form round trip", &seeds(FORM_SEEDS), |g, input| {
        let count = g.rng.random_range(0..6);
        let pairs: Vec<(String, String)> = (0..count)
            .map(|_| (g.mutated_text(), g.mutated_text()))
            .collect();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        *input = body.clone().into_bytes();
        g.reached();
        let parsed: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(parsed, pairs);
    });
}

const BASIC_SEEDS: &[&str] = &[
    "Basic YXBwOnNlY3JldA==",
    "Basic YXBwOnNlY3JldA",
    "basic   YSUzQWI6cyUyNWVj  ",
    "Basic OnNlY3JldA==",
    "Basic YXBw",
    "Bearer ptn_at_a.b",
    "Digest username=x",
];

/// Any header with any form: credentials or a 4xx; a Basic header is either used or
/// refused, never silently ignored.
#[test]
fn fuzz_basic_header() {
    let forms = [
        form_of(b""),
        form_of(b"client_id=app"),
        form_of(b"client_id=other&client_secret=x"),
        form_of(b"client_assertion=a.b.c"),
    ];
    let plain = seeds(&["app:secret", "a%3Ab:s%25ec", "app%ZZ:x", "+:+", ":"]);
    run("basic header", &seeds(BASIC_SEEDS), |g, input| {
        // Half the cases encode changed plaintext, so base64 decodes and the
        // form-decoding of id and secret is what gets fuzzed.
        *input = if g.rng.random_bool(0.5) {
            let text = plain[g.rng.random_range(0..plain.len())].clone();
            let changed = g.mutate_text(&String::from_utf8_lossy(&text));
            format!("Basic {}", STANDARD.encode(changed)).into_bytes()
        } else {
            g.mutated()
        };
        let header = String::from_utf8_lossy(input).into_owned();
        let form = &forms[g.rng.random_range(0..forms.len())];
        let is_basic = header
            .trim()
            .split_once(' ')
            .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"));
        match Credentials::extract(Some(&header), form) {
            Ok(Credentials::ClientSecretBasic { .. }) => {
                g.reached();
                assert!(is_basic);
            }
            Ok(_) => assert!(!is_basic, "a Basic header was ignored: {header:?}"),
            Err(err) => check_rejection(&err),
        }
    });
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded, joined by ':', base64-encoded;
/// whatever they contain, the server reads back the same two strings.
#[test]
fn fuzz_basic_header_round_trip() {
    let empty = FormParams::default();
    run(
        "basic header round trip",
        &seeds(BASIC_SEEDS),
        |g, input| {
            let id = g.mutated_text();
            let secret = g.mutated_text();
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let header = format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", encode(&id), encode(&secret)))
            );
            *input = header.clone().into_bytes();
            g.reached();
            match Credentials::extract(Some(&header), &empty) {
                Ok(Credentials::ClientSecretBasic {
                    client_id,
                    secret: got,
                }) => {
                    assert_eq!(client_id, id);
                    assert_eq!(got, secret);
                }
                other => panic!("a well-formed Basic header was not read back: {other:?}"),
            }
        },
    );
}

const BEARER_SEEDS: &[&str] = &[
    "Bearer ptn_at_AAAA.BBBB",
    "bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
    "BEARER  spaced  ",
    "Bearer",
    "Basic YXBwOnNlY3JldA==",
];

/// Any header with or without a body token: the token, or a 4xx (401 included).
#[test]
fn fuzz_bearer_header() {
    let forms = [
        None,
        Some(form_of(b"access_token=ptn_at_x.y")),
        Some(form_of(b"a=b")),
    ];
    run("bearer header", &seeds(BEARER_SEEDS), |g, input| {
        *input = g.mutated();
        let header = String::from_utf8_lossy(input).into_owned();
        let form = forms[g.rng.random_range(0..forms.len())].as_ref();
        let header = g.rng.random_ratio(7, 8).then_some(header.as_str());
        match bearer::extract(header, form) {
            Ok(token) => {
                g.reached();
                assert!(!token.is_empty());
            }
            Err(err) => check_rejection(&err),
        }
    });
}
