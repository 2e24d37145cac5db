//! Client assertions for `private_key_jwt` tests (RFC 7523), signed with the
//! `jsonwebtoken` crate (code we did not write, never our own signer), with fixed test
//! keys, and a tiny JWK Set server on 127.0.0.1 standing in for a client's `jwks_uri`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::TestApp;

/// A test signing key: its private PEM (PKCS#8) and its public JWK.
pub struct TestKey {
    pub kid: &'static str,
    pub alg: Algorithm,
    pem: &'static str,
    public: fn() -> Value,
}

pub const EC_1: TestKey = TestKey {
    kid: "ec-1",
    alg: Algorithm::ES256,
    pem: EC_1_PEM,
    public: || {
        json!({"kty": "EC", "crv": "P-256", "kid": "ec-1", "alg": "ES256", "use": "sig",
        "x": "QpjUJzOp5Djz0xhg_BXyzrHIhTWnd2dbpnZdtzNeUhw", "y": "uo-v9pgEsFnzxWBuGymkzZPQenXf1VcQRoRldHp7E1g"})
    },
};

pub const EC_2: TestKey = TestKey {
    kid: "ec-2",
    alg: Algorithm::ES256,
    pem: EC_2_PEM,
    public: || {
        json!({"kty": "EC", "crv": "P-256", "kid": "ec-2", "alg": "ES256", "use": "sig",
        "x": "uRDOuYAmIetjw4xYn_zpv1Iv8NuBnHHR_wThQ-AHWFE", "y": "BM9wbWF1agBxNHCEdXr_q0uYf1toqhXjDy2maR6Z9NE"})
    },
};

pub const RSA_1: TestKey = TestKey {
    kid: "rsa-1",
    alg: Algorithm::RS256,
    pem: RSA_1_PEM,
    public: || {
        json!({"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig", "e": "AQAB",
        "n": "uuJAW3ft3eOFhGgN2yv3lbWPU5UJKqE1ulPEraCylY-8-dL70-45ERb7aN8uXV4Pa98CYmldZLqMDLlLqD1nAoW3LVJ6X0ic9s2CBcRAKHGuyV_H-NcNH1YktICETIbaXE2puW87Qeq7D0iNpjG9riciLANQiPVVQmZyiKm4oPqyBoNdEusZdDvffewbsYJ_lkdgiHCzwC-Dz7-3Lz-aMKA1yBo4sdJXP6Buqw0keNgy2V_M3icMTIcvfkAsmRWPw7uI5MIdGrYci2QASpLL_77tT0XDbrlccgFeFUVjPyv-faYcIfVB0Pen8cUNoZJhSMmiaoWtO2VC0SYIkenfsw"})
    },
};

const EC_1_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJOlKBCRJm7cW75En
R4o2ffsjzA4P/Oj1ud/2aoR897KhRANCAARCmNQnM6nkOPPTGGD8FfLOsciFNad3
Z1umdl23M15SHLqPr/aYBLBZ88VgbhsppM2T0Hp139VXEEaEZXR6exNY
-----END PRIVATE KEY-----";

const EC_2_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgB6D9XBxOq1BLKI5v
jxVUJmkXNfkrrioEwFAWwfl6iMChRANCAAS5EM65gCYh62PDjFif/Om/Ui/w24Gc
cdH/BOFD4AdYUQTPcG1hdWoAcTRwhHV6/6tLmH9baKoV4w8tpmkemfTR
-----END PRIVATE KEY-----";

const RSA_1_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC64kBbd+3d44WE
aA3bK/eVtY9TlQkqoTW6U8StoLKVj7z50vvT7jkRFvto3y5dXg9r3wJiaV1kuowM
uUuoPWcChbctUnpfSJz2zYIFxEAoca7JX8f41w0fViS0gIRMhtpcTam5bztB6rsP
SI2mMb2uJyIsA1CI9VVCZnKIqbig+rIGg10S6xl0O9997Buxgn+WR2CIcLPAL4PP
v7cvP5owoDXIGjix0lc/oG6rDSR42DLZX8zeJwxMhy9+QCyZFY/Du4jkwh0athyL
ZABKksv/vu1PRcNuuVxyAV4VRWM/K/59phwh9UHQ96fxxQ2hkmFIyaJqha07ZULR
JgiR6d+zAgMBAAECggEABBOpdGqyWAkoQXzaSIdgraBkpwh08bwgkEGsObQWu+fY
fIQGFa0jC49lHqLiamEB6cgspM7y8vPq2DWL7qNK8FAlxdRVx7xYHZOFcZttYYnR
VqKYmddpzt7cisopmK3HF6+4syCND2FlK+6DleDh6BRXIin/A23ZVUsngSRgBbWe
HtVwWIeIk35RV2S6GdlcqIZ+DfkMqkhfC3XHU0ozXRzEekGdz2oIVUhtzKXIK1WJ
QWsaJXCUZp6MeNxAQene5MeJ7SMiT6WxBkyi25B/5xC4GD1xS60eM62vGNlMG45k
P1pkU2rkaNeuVwZZyUajZnKdGtNAqVrTq+6HNBsgGQKBgQDgFkBl0UnPU3EDae/h
nRKiyOeleyxp+UyrIxvM6qX0MDleUMDt5gom4lohvKdukNM9Ch7w1J7P9bZvyOdx
7nhj0ZVBZ68/7sGUhw8E2yyy8Xz2B316Bgrvo18mtzsyeI7RW3RqJUGawCoYSA2X
qRZQ4+3oQyPzDLo0ZVodEst//QKBgQDVf6Z+GKVy48+LfesgnAYf6UffBRIn3+OB
BgYzA83/La5cciOfAnvkzZbsdmGBa5BYLs8NuDoiGcOZ6Z9wFlO7FGR3eceyWu3J
I0BNWasSoK3pf/i3gt6spk4oHH3uulkq6UHPB4aek+ucbdiAe5oVz2XsoXBDeW3P
6Wcz50Y1bwKBgC2b+dF/bpF3P0pdloiKKs/dKmDhGCIdrsAqbi8gF1UDN7n9n7cM
GkbdzVCOkFmNuqDy3WdRL13Oeip4brseuXw/nSxpyR6vHtF3R9RKM+fcBP4ieiSK
9FDgJK7BnpfgN9lezuwH1zmDIU495B5ZOQSPz811VOzUS1X8xwGh4K+VAoGAKrEg
6Nwi0WuOh/VA/D9W1jC+x3DrJYAWrSk4OiFLovhOgnvsdZJ4ldMql9RAQTHyJkAN
9U9eiI0gWPmngTFlwuYcBOwcK6UVIYBkDlOc6teojyWg5YlM37dNr6Wq5P7sb7E/
EJgPqkwn9BrfDSoqMKxNVFkf6s4wUD/6/B0GJA8CgYBH4T+u1/XN7TojTZvVgDzK
/4/yxi5LJm8NNQzw3REz+enlXKsp2H882Gu/4kWk/rGYOkwT3x/QlWr0DJi6bMxY
P69IndYLYuwCLgtGVKmewTm0k9GZh0wj1mBEgwr+NAx/xpv0f6Q+QxL+48y4ynS/
F92ew2Q1Rn+t+squXCU/sA==
-----END PRIVATE KEY-----";

impl TestKey {
    pub fn jwk(&self) -> Value {
        (self.public)()
    }

    /// Signs `claims` with this key, naming `kid` in the header (or none).
    pub fn sign_with_kid(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = kid.map(str::to_owned);
        let key = match self.alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(self.pem.as_bytes()),
            _ => EncodingKey::from_ec_pem(self.pem.as_bytes()),
        }
        .expect("test key");
        jsonwebtoken::encode(&header, claims, &key).expect("sign assertion")
    }

    /// A DPoP proof (RFC 9449 §4.2) of `claims`: header `typ` (`dpop+jwt` unless
    /// given), `alg` and this key's public `jwk`, signed by the `jsonwebtoken` crate.
    pub fn sign_dpop(&self, typ: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.typ = Some(typ.unwrap_or("dpop+jwt").to_owned());
        header.jwk = Some(serde_json::from_value(self.jwk()).expect("a JWK"));
        self.sign_header(header, claims)
    }

    /// A DPoP proof signed by this key whose `jwk` header names `jwk` instead.
    pub fn sign_dpop_naming(&self, jwk: Value, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.typ = Some("dpop+jwt".to_owned());
        header.jwk = Some(serde_json::from_value(jwk).expect("a JWK"));
        self.sign_header(header, claims)
    }

    fn sign_header(&self, header: Header, claims: &Value) -> String {
        let key = match self.alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(self.pem.as_bytes()),
            _ => EncodingKey::from_ec_pem(self.pem.as_bytes()),
        }
        .expect("test key");
        jsonwebtoken::encode(&header, claims, &key).expect("sign")
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key, computed here (not by the
    /// server's code).
    pub fn thumbprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let jwk = self.jwk();
        let canonical = match jwk["kty"].as_str() {
            Some("EC") => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                jwk["crv"].as_str().unwrap(),
                jwk["x"].as_str().unwrap(),
                jwk["y"].as_str().unwrap()
            ),
            _ => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                jwk["e"].as_str().unwrap(),
                jwk["n"].as_str().unwrap()
            ),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Signs `claims` with this key and its own kid.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(Some(self.kid), claims)
    }
}

/// A JWK Set of the keys' public parts.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
}

/// RFC 7523 §3 claims for `client_id`, valid at the app's now, for its token endpoint.
pub fn claims(app: &TestApp, client_id: &str) -> Value {
    let now = app.state.clock.now().timestamp();
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": app.public_path("/oauth2/token"),
        "iat": now,
        "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// `claims` with `changes` merged in (`null` removes a claim).
pub fn with(mut claims: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().expect("changes object") {
        if value.is_null() {
            claims.as_object_mut().expect("claims").remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

/// An unsecured JWT (`alg: none`, RFC 7519 §6), which must never authenticate.
pub fn unsecured(claims: &Value) -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
    format!(
        "{}.{}.",
        part(json!({"alg": "none", "kid": "ec-1"})),
        part(claims.clone())
    )
}

/// The form of a client-credentials request authenticated by `assertion`.
pub fn assertion_form(assertion: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".to_owned()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
        ),
        ("client_assertion", assertion.to_owned()),
    ]
}

/// A client's `jwks_uri`: serves a JWK Set that tests can change, counting fetches.
pub struct JwksServer {
    pub url: String,
    keys: Arc<Mutex<Value>>,
    hits: Arc<AtomicUsize>,
    handle: actix_web::dev::ServerHandle,
}

impl JwksServer {
    pub async fn start(initial: Value) -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        let keys = Arc::new(Mutex::new(initial));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (keys.clone(), hits.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let (served, counted) = (served.clone(), counted.clone());
            App::new().route(
                "/jwks.json",
                web::get().to(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = served.lock().unwrap().clone();
                    async move { HttpResponse::Ok().json(body) }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            keys,
            hits,
            handle,
        }
    }

    /// Serves `jwks` from now on.
    pub fn set(&self, jwks: Value) {
        *self.keys.lock().unwrap() = jwks;
    }

    /// How many times the set was fetched.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)));
    }
}

/// Trusts `key` for JWT bearer grants (RFC 7523 §2.1) of `issuer` about `subject` (any
/// subject when `None`) with `scope`, for an hour of the app's clock, through the SDK;
/// returns the relationship's id.
pub async fn trust(
    app: &TestApp,
    issuer: &str,
    subject: Option<&str>,
    key: &TestKey,
    scope: &[&str],
) -> String {
    let expires_at = app.state.clock.now() + chrono::Duration::hours(1);
    let mut body = json!({
        "issuer": issuer,
        "scope": scope,
        "jwk": key.jwk(),
        "expires_at": expires_at.to_rfc3339(),
    });
    match subject {
        Some(subject) => body["subject"] = json!(subject),
        None => body["allow_any_subject"] = json!(true),
    }
    let created = app
        .admin
        .trust_o_auth2_jwt_grant_issuer()
        .body(
            serde_json::from_value::<portunus_sdk::types::TrustOAuth2JwtGrantIssuer>(body).unwrap(),
        )
        .send()
        .await
        .expect("trust the issuer");
    created.into_inner().id
}

/// RFC 7523 §3 claims of a JWT bearer grant by `issuer` about `subject`, valid at the
/// app's now, for its token endpoint.
pub fn grant_claims(app: &TestApp, issuer: &str, subject: &str) -> Value {
    let now = app.state.clock.now().timestamp();
    json!({
        "iss": issuer,
        "sub": subject,
        "aud": app.public_path("/oauth2/token"),
        "iat": now,
        "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// `grant_type` of RFC 7523 §2.1.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
