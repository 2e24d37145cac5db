//! ID tokens (OIDC Core §2, §3.1.3.6, §12.2): the claims of an authentication, signed
//! with the `hydra.openid.id-token` set.
//!
//! - `iss` is the configured issuer, `sub` the grant's subject, `aud` the client alone
//!   (so no `azp` is needed: OIDC Core §2 asks for it only with more audiences);
//! - `exp` = `iat` + the client's `*_grant_id_token_lifespan` or `ttl.id_token`;
//! - `auth_time`, `acr`, `amr`, `sid` come from the login, `nonce` from the
//!   authorization request — echoed by the code grant only: a refreshed ID token keeps
//!   `sub`, `auth_time` and `sid` (§12.2) but has no nonce, since the refresh request
//!   sent none;
//! - `at_hash` (§3.1.3.6) is the left half of the hash of the access token, with the
//!   hash of the signing algorithm (SHA-256 for *256, SHA-384, SHA-512; SHA-512 for
//!   EdDSA/Ed25519);
//! - the consent's `session.id_token` claims are merged in, but never replace a claim
//!   listed in [`RESERVED_CLAIMS`].
//!
//! Algorithm: the client's `id_token_signed_response_alg` when set (the set must have a
//! usable key of that algorithm, else the token request fails with `invalid_request`
//! naming the algorithm: keys are never generated on a request path); otherwise RS256,
//! the default of OIDC Registration §2, when the set has an RS256 key, else the set's
//! newest key. A client held to the FAPI 2.0 Security Profile gets ES256, PS256 or
//! EdDSA, the first the set has a key for (§5.4.1: never RS256); a set with none of them
//! is `invalid_request` naming the clause (`oauth2.profile: fapi2` makes the set's
//! first key ES256 at startup, `jwk::bootstrap`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::client::model::Client;
use crate::config::SecurityProfile;
use crate::error::OAuth2Error;
use crate::jwk::{Algorithm, ID_TOKEN_SET};
use crate::oidc::OidcContext;

/// Claims the consent app's `session.id_token` cannot set (OIDC Core §2, RFC 7519 §4.1,
/// OIDC Front-/Back-Channel Logout `sid`).
pub const RESERVED_CLAIMS: [&str; 15] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "sid",
    "jti",
];

/// What an ID token of this grant states about the authentication (OIDC Core §2),
/// sealed with the code or refresh token until the token endpoint signs it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdTokenContext {
    pub auth_time: Option<DateTime<Utc>>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub sid: Option<String>,
    pub nonce: Option<String>,
    /// The consent app's `session.id_token` claims.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl IdTokenContext {
    /// The consent app's `session.id_token`: its members when it is an object, else none.
    pub fn from_claims(
        claims: Option<serde_json::Value>,
    ) -> serde_json::Map<String, serde_json::Value> {
        match claims {
            Some(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }
}

/// What an ID token of one token response states.
#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenPlan {
    pub context: IdTokenContext,
    /// Echo the authorization request's `nonce` (code grant only).
    pub include_nonce: bool,
    pub lifespan: Duration,
    /// The client's `id_token_signed_response_alg`, parsed.
    pub alg: Option<Algorithm>,
    /// The client's own `fapi_profile`; with `oauth2.profile` it decides whether the
    /// FAPI 2.0 algorithms apply when `alg` is unset.
    pub fapi_profile: SecurityProfile,
}

impl IdTokenPlan {
    /// A plan for `client`; an `id_token_signed_response_alg` this server cannot sign
    /// with (e.g. `none`) is `invalid_request`.
    pub fn for_client(
        client: &Client,
        context: IdTokenContext,
        include_nonce: bool,
        lifespan: Duration,
    ) -> Result<Self, OAuth2Error> {
        let name = client.id_token_signed_response_alg.as_str();
        let alg = match name {
            "" => None,
            name => Some(Algorithm::parse(name).ok_or_else(|| unsupported_alg(name))?),
        };
        Ok(Self {
            context,
            include_nonce,
            lifespan,
            alg,
            fapi_profile: client.fapi_profile,
        })
    }
}

fn unsupported_alg(name: &str) -> OAuth2Error {
    OAuth2Error::invalid_request(format!(
        "The client's id_token_signed_response_alg {name:?} cannot be served: the JSON Web Key Set {ID_TOKEN_SET:?} has no key of that algorithm that may sign now."
    ))
}

/// The FAPI 2.0 algorithms in the order a covered client without
/// `id_token_signed_response_alg` gets them: ES256 first, the cheapest to sign.
const FAPI2_ID_TOKEN_PREFERENCE: [Algorithm; 3] =
    [Algorithm::ES256, Algorithm::PS256, Algorithm::EdDSA];

/// FAPI 2.0 Security Profile §5.4.1 for an ID token whose client named no algorithm.
async fn fapi2_default_alg(ctx: &OidcContext) -> Result<Algorithm, OAuth2Error> {
    for alg in FAPI2_ID_TOKEN_PREFERENCE {
        if let Some(alg) = ctx.key_manager.signing_alg(ID_TOKEN_SET, Some(alg)).await? {
            return Ok(alg);
        }
    }
    Err(OAuth2Error::invalid_request(format!(
        "FAPI 2.0 Security Profile Section 5.4.1: ID tokens of this client must be signed with PS256, ES256 or EdDSA, and the JSON Web Key Set {ID_TOKEN_SET:?} has no such key that may sign now."
    )))
}

/// OIDC Core §3.1.3.6: "the base64url encoding of the left-most half of the hash of
/// the octets of the ASCII representation of the access_token value, where the hash
/// algorithm used is the hash algorithm used in the alg Header Parameter".
pub fn at_hash(alg: Algorithm, access_token: &str) -> String {
    let bytes = access_token.as_bytes();
    let digest: Vec<u8> = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => {
            Sha384::digest(bytes).to_vec()
        }
        Algorithm::RS512
        | Algorithm::PS512
        | Algorithm::ES512
        | Algorithm::HS512
        | Algorithm::EdDSA => Sha512::digest(bytes).to_vec(),
        _ => Sha256::digest(bytes).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(digest.get(..digest.len() / 2).unwrap_or_default())
}

/// The inputs of [`claims`] that do not come from the plan.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    pub issued_at: DateTime<Utc>,
}

/// The claims of an ID token signed with `alg`, for `access_token` when one is issued
/// beside it.
pub fn claims(
    who: Subject<'_>,
    plan: &IdTokenPlan,
    alg: Algorithm,
    access_token: Option<&str>,
) -> Result<Value, OAuth2Error> {
    let ctx = &plan.context;
    let mut claims: Map<String, Value> = ctx
        .claims
        .iter()
        .filter(|(name, _)| !RESERVED_CLAIMS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let expires_at = who
        .issued_at
        .checked_add_signed(plan.lifespan)
        .ok_or_else(|| OAuth2Error::server_error("ID token lifespan out of range"))?;
    let standard = json!({
        "iss": who.issuer,
        "sub": who.subject,
        "aud": [who.client_id],
        "iat": who.issued_at.timestamp(),
        "exp": expires_at.timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    if let Value::Object(standard) = standard {
        claims.extend(standard);
    }
    let mut set = |name: &str, value: Value| {
        claims.insert(name.to_owned(), value);
    };
    if let Some(auth_time) = ctx.auth_time {
        set("auth_time", json!(auth_time.timestamp()));
    }
    if let Some(nonce) = ctx.nonce.as_ref().filter(|_| plan.include_nonce) {
        set("nonce", json!(nonce));
    }
    if let Some(acr) = &ctx.acr {
        set("acr", json!(acr));
    }
    if !ctx.amr.is_empty() {
        set("amr", json!(ctx.amr));
    }
    if let Some(sid) = &ctx.sid {
        set("sid", json!(sid));
    }
    if let Some(token) = access_token {
        set("at_hash", json!(at_hash(alg, token)));
    }
    Ok(Value::Object(claims))
}

/// Signs the ID token of `plan` for `client_id`/`subject` (OIDC Core §3.1.3.3).
pub async fn sign(
    ctx: &OidcContext,
    client_id: &str,
    subject: &str,
    plan: &IdTokenPlan,
    access_token: Option<&str>,
) -> Result<String, OAuth2Error> {
    sign_with_code(ctx, client_id, subject, plan, access_token, None).await
}

/// [`sign`] for an authorization response that also returns `code`: the ID token then
/// carries `c_hash` (OIDC Core §3.3.2.11), computed like `at_hash`.
pub async fn sign_with_code(
    ctx: &OidcContext,
    client_id: &str,
    subject: &str,
    plan: &IdTokenPlan,
    access_token: Option<&str>,
    code: Option<&str>,
) -> Result<String, OAuth2Error> {
    let keys = &ctx.key_manager;
    let alg = match plan.alg {
        Some(alg) => keys
            .signing_alg(ID_TOKEN_SET, Some(alg))
            .await?
            .ok_or_else(|| unsupported_alg(alg.name()))?,
        None if ctx.config.oauth2.profile.covers_fapi2(plan.fapi_profile) => {
            fapi2_default_alg(ctx).await?
        }
        None => match keys
            .signing_alg(ID_TOKEN_SET, Some(Algorithm::RS256))
            .await?
        {
            Some(alg) => alg,
            None => keys.signing_alg(ID_TOKEN_SET, None).await?.ok_or_else(|| {
                OAuth2Error::server_error(format!("the key set {ID_TOKEN_SET:?} cannot sign"))
            })?,
        },
    };
    let issuer = ctx.config.issuer();
    let who = Subject {
        issuer: &issuer,
        client_id,
        subject,
        issued_at: ctx.clock.now(),
    };
    let mut claims = claims(who, plan, alg, access_token)?;
    if let (Some(code), Value::Object(map)) = (code, &mut claims) {
        map.insert("c_hash".to_owned(), json!(at_hash(alg, code)));
    }
    let signed = keys
        .sign_with(ID_TOKEN_SET, claims, "JWT", Some(alg))
        .await?;
    Ok(signed.token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn at_hash_matches_oidc_core_appendix_a4() {
        // OIDC Core Appendix A.4 (RS256): this access token's at_hash.
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        assert_eq!(at_hash(Algorithm::RS256, token), "77QmUPtjPfzWtF2AnpK9RQ");
        assert_eq!(at_hash(Algorithm::ES384, token).len(), 32);
        assert_eq!(at_hash(Algorithm::EdDSA, token).len(), 43);
    }

    #[test]
    fn consent_claims_never_replace_reserved_ones() {
        let mut context = IdTokenContext {
            auth_time: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
            acr: Some("urn:acr:mfa".into()),
            amr: vec!["pwd".into(), "otp".into()],
            sid: Some("sid-1".into()),
            nonce: Some("n-0S6_WzA2Mj".into()),
            claims: Map::new(),
        };
        for name in RESERVED_CLAIMS {
            context.claims.insert(name.into(), json!("forged"));
        }
        context
            .claims
            .insert("email".into(), json!("ada@example.com"));
        let plan = IdTokenPlan {
            context,
            include_nonce: false,
            lifespan: Duration::minutes(5),
            alg: None,
            fapi_profile: SecurityProfile::default(),
        };
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 10, 0).unwrap();
        let who = Subject {
            issuer: "https://issuer.test/",
            client_id: "client-1",
            subject: "ada",
            issued_at: now,
        };
        let claims = claims(who, &plan, Algorithm::RS256, Some("token")).unwrap();
        assert_eq!(claims["iss"], "https://issuer.test/");
        assert_eq!(claims["sub"], "ada");
        assert_eq!(claims["aud"], json!(["client-1"]));
        assert_eq!(claims["exp"], now.timestamp() + 300);
        assert_eq!(claims["auth_time"], now.timestamp() - 600);
        assert_eq!(claims["amr"], json!(["pwd", "otp"]));
        assert_eq!(claims["sid"], "sid-1");
        assert_eq!(claims["email"], "ada@example.com");
        assert_eq!(claims["at_hash"], at_hash(Algorithm::RS256, "token"));
        assert!(claims.get("nonce").is_none(), "no nonce unless asked");
        for name in ["azp", "c_hash", "nbf"] {
            assert!(claims.get(name).is_none(), "{name}");
        }
        assert_ne!(claims["jti"], "forged");
    }
}
