//! Request objects (RFC 9101, OIDC Core §6): an authorization request as a JWT, passed
//! by value (`request`) or by reference (`request_uri` naming a URL the client
//! registered in `request_uris`, fetched through the SSRF guard).
//!
//! The object must be signed by one of the client's keys (`jwks` or `jwks_uri`, the
//! same key resolution as `private_key_jwt`) with the algorithm it registered as
//! `request_object_signing_alg`; unsigned objects (`alg: none`) only when it registered
//! `none`. Encrypted objects (JWE) are refused. RFC 9101 §6.3: only the object's
//! parameters are used; `client_id` and `response_type` given beside it must match.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::Digest;

use crate::client::model::Client;
use crate::clock::Clock;
use crate::config::{Config, SecurityProfile};
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::jwk::Algorithm;
use crate::oauth2::fapi2;
use crate::oauth2::form::FormParams;
use crate::oauth2::jwt_claims::{JwtReader, audience, string};
use crate::oauth2::private_key_jwt::{CLOCK_SKEW, ClientKeys};
use crate::outbound::GuardedFetcher;
use crate::storage::JtiStore;

/// The longest request object accepted, in bytes (a request with every OpenID Connect
/// parameter and a large `claims` object is a few KiB).
pub const MAX_REQUEST_OBJECT_LEN: usize = 64 * 1024;
/// The longest `jti` recorded (as for DPoP proofs).
const MAX_JTI_LEN: usize = 256;

/// The JWT claims that describe the object itself, not the authorization request
/// (RFC 7519 §4.1); they are not turned into parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

/// Request objects are `invalid_request_object` (RFC 9101 §6.3, OIDC Core §3.1.2.6).
const READER: JwtReader = JwtReader {
    what: "The request object",
    kind: ErrorKind::InvalidRequestObject,
};

/// `invalid_request_object` with `hint`.
pub fn invalid(hint: impl Into<String>) -> OAuth2Error {
    READER.invalid(hint)
}

/// `invalid_request_uri` (OIDC Core §3.1.2.6, RFC 9126 §4) with `hint`.
pub fn invalid_uri(hint: impl Into<String>) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidRequestUri).with_hint(hint)
}

/// Verifies request objects and turns them into the request's parameters.
pub struct RequestObjects {
    keys: ClientKeys,
    fetcher: GuardedFetcher,
    clock: Arc<dyn Clock>,
    /// RFC 9101 §4: the object's `aud` is the issuer identifier.
    issuer: String,
    /// `oauth2.request_object.jti_required`: `jti`s recorded in the shared replay table.
    jti_required: bool,
    jtis: Arc<dyn JtiStore>,
    /// `oauth2.profile`: FAPI 2.0 narrows the algorithms (no `none`, no RS256).
    profile: SecurityProfile,
}

/// The `JtiStore` namespace of request objects: a `jti` is unique per client.
const JTI_NAMESPACE: &str = "request-object:";

impl std::fmt::Debug for RequestObjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestObjects")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl RequestObjects {
    pub fn new(
        config: &Config,
        jtis: Arc<dyn JtiStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            keys: ClientKeys::new(GuardedFetcher::new(&config.clients.http)?),
            fetcher: GuardedFetcher::new(&config.clients.http)?,
            clock,
            issuer: config.issuer(),
            jti_required: config.oauth2.request_object.jti_required,
            jtis,
            profile: config.oauth2.profile,
        })
    }

    /// OIDC Core §6.2: the request object at `uri`, which `client` must have registered
    /// in `request_uris` (exactly), fetched through the SSRF guard.
    pub async fn fetch(&self, client: &Client, uri: &str) -> Result<String, OAuth2Error> {
        if !client
            .request_uris
            .iter()
            .any(|registered| registered == uri)
        {
            return Err(invalid_uri(format!(
                "The request_uri {} is not one of the OAuth 2.0 Client's registered request_uris.",
                quoted(uri)
            )));
        }
        let body = self.fetcher.fetch(uri).await.map_err(|why| {
            invalid_uri(format!(
                "The request_uri {} could not be fetched: {why}.",
                quoted(uri)
            ))
        })?;
        Ok(body.trim().to_owned())
    }

    /// The parameters of the request object `jwt` of `client` (RFC 9101 §6.3), checked
    /// against the parameters `outer` it came with.
    pub async fn resolve(
        &self,
        client: &Client,
        jwt: &str,
        outer: &FormParams,
    ) -> Result<FormParams, OAuth2Error> {
        let claims = self.verify(client, jwt).await?;
        let now = self.clock.now();
        check_claims(&claims, client, &self.issuer, now)?;
        if self.jti_required {
            self.record_jti(&claims, client, now).await?;
        }
        for name in ["client_id", "response_type"] {
            if let (Some(inside), Some(beside)) = (string(&claims, name), outer.get(name)?)
                && inside != beside
            {
                return Err(invalid(format!(
                    "The request object's {name} differs from the {name} parameter (RFC 9101 Section 6.3)."
                )));
            }
        }
        Ok(FormParams::new(parameters(&claims, &client.client_id)?))
    }

    /// `oauth2.request_object.jti_required`: the object's `jti` (with an `exp`, which
    /// bounds how long it is remembered) is accepted once per client on every node.
    async fn record_jti(
        &self,
        claims: &Map<String, Value>,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<(), OAuth2Error> {
        let jti = string(claims, "jti")
            .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN)
            .ok_or_else(|| {
                invalid(format!(
                    "The request object needs a 'jti' claim of 1 to {MAX_JTI_LEN} characters (oauth2.request_object.jti_required)."
                ))
            })?;
        let expires_at = READER.numeric_date(claims, "exp")?.ok_or_else(|| {
            invalid("The request object needs an 'exp' claim (oauth2.request_object.jti_required).")
        })?;
        // The namespace plus a client_id of 255 characters would not fit the table's
        // client_id column: its SHA-256 always does.
        let owner = format!(
            "{JTI_NAMESPACE}{:x}",
            sha2::Sha256::digest(client.client_id.as_bytes())
        );
        if !self.jtis.record_jti(jti, &owner, expires_at, now).await? {
            return Err(invalid(
                "The request object's jti has been used before; a request object may be used once (RFC 9101 Section 10.8).",
            ));
        }
        Ok(())
    }

    /// The verified claims: the JWS signature by one of the client's keys with the
    /// algorithm it registered, or `alg: none` when it registered `none`.
    async fn verify(&self, client: &Client, jwt: &str) -> Result<Map<String, Value>, OAuth2Error> {
        if jwt.len() > MAX_REQUEST_OBJECT_LEN {
            return Err(invalid(format!(
                "The request object is larger than {MAX_REQUEST_OBJECT_LEN} bytes."
            )));
        }
        if jwt.split('.').count() == 5 {
            return Err(invalid(
                "Encrypted request objects (JWE) are not supported; send a signed request object (JWS).",
            ));
        }
        let [header, payload, signature] = READER.segments(jwt)?;
        let header = READER.json(header, "header")?;
        let alg = string(&header, "alg").unwrap_or_default();
        if fapi2::applies(self.profile, client) {
            fapi2::request_object_alg(alg)?;
        }
        let registered = client.request_object_signing_alg.as_str();
        if alg == "none" {
            if registered != "none" {
                return Err(invalid(
                    "Unsigned request objects (alg none) are refused: the OAuth 2.0 Client has not registered request_object_signing_alg none.",
                ));
            }
            if !signature.is_empty() {
                return Err(invalid(
                    "An unsigned request object has an empty signature.",
                ));
            }
            return READER.json(payload, "payload");
        }
        let parsed = Algorithm::parse(alg)
            .filter(|alg| !alg.is_symmetric())
            .ok_or_else(|| {
                invalid(format!(
                    "The request object's algorithm {} is not accepted; sign it with the OAuth 2.0 Client's private key (e.g. RS256, PS256, ES256).",
                    quoted(alg)
                ))
            })?;
        if !registered.is_empty() && registered != parsed.name() {
            return Err(invalid(format!(
                "The request object is signed with {parsed}, but the OAuth 2.0 Client registered request_object_signing_alg {registered}."
            )));
        }
        let kid = string(&header, "kid");
        let verifier = self
            .keys
            .verifier(client, kid, self.clock.now())
            .await
            .map_err(|err| invalid(err.hint.unwrap_or_default()))?;
        let verified = verifier.verify(jwt).map_err(|e| {
            invalid(format!(
                "The request object could not be verified with the OAuth 2.0 Client's keys: {e}."
            ))
        })?;
        Ok(verified.claims)
    }
}

/// RFC 9101 §4 and §10.2: a signed object names the client as `iss` and the issuer in
/// `aud` (also checked when an unsigned object carries them); `exp` not passed, `nbf`
/// and `iat` not in the future beyond [`CLOCK_SKEW`]; no nested `request` or
/// `request_uri` (RFC 9101 §4: "MUST NOT").
fn check_claims(
    claims: &Map<String, Value>,
    client: &Client,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<(), OAuth2Error> {
    let signed = client.request_object_signing_alg != "none";
    match string(claims, "iss") {
        Some(iss) if iss == client.client_id => {}
        None if !signed => {}
        _ => {
            return Err(invalid(
                "The request object's claim 'iss' must be the client_id (RFC 9101 Section 4).",
            ));
        }
    }
    let aud = audience(claims);
    if (signed || claims.contains_key("aud")) && !aud.contains(&issuer) {
        return Err(invalid(format!(
            "The request object's claim 'aud' must contain the issuer {} (RFC 9101 Section 4).",
            quoted(issuer)
        )));
    }
    if let Some(exp) = READER.numeric_date(claims, "exp")?
        && exp <= now
    {
        return Err(invalid(format!("The request object expired at {exp}.")));
    }
    READER.not_in_future(claims, now, CLOCK_SKEW)?;
    for nested in ["request", "request_uri"] {
        if claims.contains_key(nested) {
            return Err(invalid(format!(
                "A request object must not contain the {nested} parameter (RFC 9101 Section 4)."
            )));
        }
    }
    Ok(())
}

/// The object's claims as request parameters: strings as they are, numbers and booleans
/// in their JSON form, objects (`claims`) as JSON text, arrays as one parameter per
/// element; the JWT's own claims left out; `client_id` added when the object lacks it.
fn parameters(
    claims: &Map<String, Value>,
    client_id: &str,
) -> Result<Vec<(String, String)>, OAuth2Error> {
    fn text(value: &Value) -> Option<String> {
        match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
    let mut pairs = Vec::new();
    for (name, value) in claims {
        if JWT_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        match value {
            // RFC 9396 §3: the details are one JSON array, not a repeated parameter.
            Value::Array(_) if name == "authorization_details" => {
                pairs.push((name.clone(), value.to_string()));
            }
            Value::Array(items) => {
                pairs.extend(items.iter().filter_map(text).map(|v| (name.clone(), v)));
            }
            other => pairs.extend(text(other).map(|v| (name.clone(), v))),
        }
    }
    if !claims.contains_key("client_id") {
        pairs.push(("client_id".to_owned(), client_id.to_owned()));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client(alg: &str) -> Client {
        Client {
            client_id: "app".into(),
            request_object_signing_alg: alg.into(),
            ..Client::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(2_000_000_000, 0).unwrap()
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    const ISSUER: &str = "https://auth.example.com";

    #[test]
    fn rfc9101_4_iss_and_aud_are_required_of_signed_objects() {
        let ok = object(json!({"iss": "app", "aud": ISSUER, "exp": 2_000_000_060}));
        check_claims(&ok, &client("ES256"), ISSUER, now()).unwrap();
        for bad in [
            json!({"aud": ISSUER}),
            json!({"iss": "other", "aud": ISSUER}),
            json!({"iss": "app"}),
            json!({"iss": "app", "aud": "https://elsewhere.example"}),
            json!({"iss": "app", "aud": ISSUER, "exp": 2_000_000_000}),
            json!({"iss": "app", "aud": ISSUER, "nbf": 2_000_000_100}),
            json!({"iss": "app", "aud": ISSUER, "exp": "tomorrow"}),
            json!({"iss": "app", "aud": ISSUER, "request_uri": "https://x.example"}),
        ] {
            let err = check_claims(&object(bad.clone()), &client(""), ISSUER, now()).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidRequestObject, "{bad}");
        }
        // An unsigned object may leave iss and aud out.
        check_claims(&object(json!({})), &client("none"), ISSUER, now()).unwrap();
    }

    #[test]
    fn rfc9101_6_3_claims_become_parameters() {
        let claims = object(json!({
            "iss": "app", "aud": ISSUER, "exp": 1, "jti": "x",
            "response_type": "code", "max_age": 300,
            "claims": {"id_token": {"email": null}},
            "audience": ["https://a.example", "https://b.example"],
            "state": null,
        }));
        let params = FormParams::new(parameters(&claims, "app").unwrap());
        assert_eq!(params.get("response_type").unwrap(), Some("code"));
        assert_eq!(params.get("max_age").unwrap(), Some("300"));
        assert_eq!(params.get("client_id").unwrap(), Some("app"));
        assert_eq!(params.all("audience").unwrap().len(), 2);
        assert!(params.get("claims").unwrap().unwrap().contains("email"));
        for jwt_claim in JWT_CLAIMS {
            assert!(!params.has(jwt_claim), "{jwt_claim}");
        }
        assert!(!params.has("state"));
    }

    #[test]
    fn rfc9396_3_authorization_details_stay_one_json_array() {
        let details = json!([{"type": "a", "actions": ["read"]}, {"type": "b"}]);
        let claims = object(json!({"authorization_details": details}));
        let params = FormParams::new(parameters(&claims, "app").unwrap());
        let text = params.get("authorization_details").unwrap().unwrap();
        assert_eq!(serde_json::from_str::<Value>(text).unwrap(), details);
    }
}
