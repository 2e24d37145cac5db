//! Fuzz targets: the authorization request's parameters — `claims` (OIDC Core §5.5),
//! `prompt`, `response_type`, `scope` and `audience` (RFC 6749 §3.3), PKCE
//! (RFC 7636 §4) — redirect URIs at registration and at the authorization endpoint
//! (RFC 6749 §3.1.2, RFC 8252 §7.3), and Go durations (configuration, client lifespans).

use rand::Rng;

use super::{check_rejection, run, seeds};
use crate::client::model::Client;
use crate::client::validate::{UriPolicy, validate};
use crate::client::wire::OAuth2Client;
use crate::config::ScopeStrategy;
use crate::duration::GoDuration;
use crate::oauth2::authorize::oidc_params::{parse_claims, parse_prompt};
use crate::oauth2::authorize::redirect_uri::resolve;
use crate::oauth2::authorize::response_type::ResponseType;
use crate::oauth2::pkce::{self, PkceMethod};
use crate::oauth2::scope::{is_allowed, parse_audience, parse_scope};

const CLAIMS_SEEDS: &[&str] = &[
    r#"{"id_token":{"email":{"essential":true},"acr":{"values":["urn:a","urn:b"]}},"userinfo":{"name":null,"picture":{"value":"x"}}}"#,
    r#"{"id_token":{"auth_time":{"essential":true}}}"#,
    r#"{"userinfo":{"https://example.com/claim":{"essential":false,"value":[1,2.5e10,-0,true,null,"\u00e9\ud83d\ude00"]}}}"#,
    r#"[{"id_token":{}}]"#,
    "null",
];

/// `claims`: a JSON object or `invalid_request`; deeply nested input included.
#[test]
fn fuzz_claims_parameter() {
    run("claims parameter", &seeds(CLAIMS_SEEDS), |g, input| {
        *input = g.mutated();
        let text = String::from_utf8_lossy(input);
        match parse_claims(Some(&text)) {
            Ok(Some(_)) => {
                g.reached();
                assert!(text.contains('{'));
            }
            Ok(None) => assert!(text.is_empty()),
            Err(err) => check_rejection(&err),
        }
    });
}

const WORD_SEEDS: &[&str] = &[
    "openid profile email offline_access",
    "read:users write.users.* a.b.c",
    "none",
    "login consent select_account",
    "code id_token token",
    "  code   token ",
    "https://api.example/ https://api.example/v2",
];

/// Space-separated words: `scope`, `audience`, `prompt`, `response_type`.
#[test]
fn fuzz_space_separated_parameters() {
    run(
        "scope, audience, prompt, response_type",
        &seeds(WORD_SEEDS),
        |g, input| {
            *input = g.mutated();
            let text = String::from_utf8_lossy(input).into_owned();
            let words = match parse_scope(Some(&text)) {
                Ok(words) => words,
                Err(err) => {
                    // Over a cap (oauth2::limits): refused as a whole, never cut.
                    check_rejection(&err);
                    return;
                }
            };
            if !words.is_empty() {
                g.reached();
            }
            for (i, word) in words.iter().enumerate() {
                assert!(!word.is_empty() && !word.contains(' '), "bad word {word:?}");
                assert!(!words[..i].contains(word), "repeated word {word:?}");
            }
            let halves: Vec<&str> = text.splitn(2, '&').collect();
            match (
                parse_audience(&halves),
                parse_scope(Some(&halves.join(" "))),
            ) {
                (Ok(audience), Ok(scope)) => assert_eq!(audience.len(), scope.len()),
                (Err(err), _) | (_, Err(err)) => check_rejection(&err),
            }
            for strategy in [ScopeStrategy::Exact, ScopeStrategy::Wildcard] {
                for requested in &words {
                    // Every word covers itself; the empty list covers nothing.
                    assert!(is_allowed(
                        strategy,
                        words.iter().map(String::as_str),
                        requested
                    ));
                    assert!(!is_allowed(strategy, std::iter::empty(), requested));
                }
            }
            match parse_prompt(Some(&text)) {
                Ok(prompts) => assert!(prompts.len() <= 4),
                Err(err) => check_rejection(&err),
            }
            if let Some(parsed) = ResponseType::parse(&text) {
                assert!(parsed.code || parsed.token || parsed.id_token);
            }
        },
    );
}

/// PKCE: a verifier answers its own challenge under both methods and nothing changed
/// answers; no input panics.
#[test]
fn fuzz_pkce() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sha2::{Digest, Sha256};
    let verifier_seeds = seeds(&[
        "dBjftJeZ4CVP-mJ92K9xvVWAFBEKDx3Fs0VRMENxEDE",
        "0123456789abcdefghijklmnopqrstuvwxyz-._~ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ]);
    run("pkce", &verifier_seeds, |g, input| {
        *input = g.mutated();
        let verifier = String::from_utf8_lossy(input).into_owned();
        let s256 = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let well_formed = pkce::is_well_formed(&verifier);
        if well_formed {
            g.reached();
        }
        assert_eq!(
            pkce::verify(PkceMethod::S256, &s256, &verifier),
            well_formed
        );
        assert_eq!(
            pkce::verify(PkceMethod::Plain, &verifier, &verifier),
            well_formed
        );
        let other = g.mutated_text();
        if other != verifier {
            assert!(!pkce::verify(PkceMethod::S256, &s256, &other));
            assert!(!pkce::verify(PkceMethod::Plain, &verifier, &other));
        }
        let _ = PkceMethod::parse(&other);
    });
}

const REDIRECT_SEEDS: &[&str] = &[
    "https://app.example/cb",
    "https://app.example:8443/cb?x=1",
    "http://127.0.0.1/cb",
    "http://127.0.0.1:49152/cb",
    "http://[::1]:8080/callback",
    "http://localhost:3000/cb",
    "com.example.app:/oauth2redirect",
    "https://app.example/cb#fragment",
    "https://user:pw@app.example/cb",
    "javascript:alert(1)",
];

/// RFC 8252 §7.3's one exception to exact matching: loopback IP, `http`, any port.
fn is_port_variant(registered: &str, given: &str) -> bool {
    let (Ok(r), Ok(mut g)) = (url::Url::parse(registered), url::Url::parse(given)) else {
        return false;
    };
    let loopback = |u: &url::Url| {
        u.scheme() == "http"
            && match u.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            }
    };
    loopback(&r) && loopback(&g) && g.set_port(r.port()).is_ok() && g == r
}

/// Registration: a redirect URI is valid or refused with a 4xx. Authorization: the
/// URI used is the one given, and equals a registered one or is its loopback port
/// variant; nothing else is ever accepted.
#[test]
fn fuzz_redirect_uris() {
    run("redirect uris", &seeds(REDIRECT_SEEDS), |g, input| {
        let registered: Vec<String> = (0..g.rng.random_range(1..4))
            .map(|_| g.mutated_text())
            .collect();
        *input = registered.join("\n").into_bytes();
        let wire = OAuth2Client {
            redirect_uris: Some(registered.clone()),
            ..OAuth2Client::default()
        };
        match validate(wire, UriPolicy::default()) {
            Ok(_) => g.reached(),
            Err(err) => check_rejection(&err),
        }
        let client = Client {
            client_id: "app".into(),
            redirect_uris: registered.clone(),
            ..Client::default()
        };
        let given = if g.rng.random_bool(0.5) {
            g.mutate_text(&registered[0])
        } else {
            g.mutated_text()
        };
        *input = format!("{}\n{given}", registered.join("\n")).into_bytes();
        let given = g.rng.random_ratio(15, 16).then_some(given.as_str());
        match resolve(&client, given, UriPolicy::default()) {
            Ok(uri) => match given {
                Some(given) => {
                    assert_eq!(uri, given);
                    assert!(
                        registered
                            .iter()
                            .any(|r| r == given || is_port_variant(r, given)),
                        "{given:?} accepted for {registered:?}"
                    );
                }
                None => assert_eq!(registered, vec![uri]),
            },
            Err(err) => check_rejection(&err),
        }
    });
}

const DURATION_SEEDS: &[&str] = &[
    "1h30m",
    "720h",
    "1.5s",
    "300ms",
    "10us",
    "10\u{b5}s",
    "42ns",
    "0",
    "0s",
    "2562047h47m16.854775807s",
    "-1h",
    "1h1h",
];

/// Go durations: parsed or refused; a parsed one prints (`Display`) as text that
/// parses back to the same duration.
#[test]
fn fuzz_go_durations() {
    run("go durations", &seeds(DURATION_SEEDS), |g, input| {
        *input = g.mutated();
        let text = String::from_utf8_lossy(input);
        if let Ok(duration) = GoDuration::parse(&text) {
            g.reached();
            let printed = duration.to_string();
            let again = GoDuration::parse(&printed);
            assert_eq!(
                again.ok(),
                Some(duration),
                "{text:?} printed as {printed:?}"
            );
            let _ = duration.as_chrono();
        }
    });
}
