//! Signing with arbitrary JOSE header members, for tests of code that verifies tokens
//! other parties make (DPoP proofs carry their key in the header, RFC 9449 §4.2).

use josekit::jws::{self, JwsHeader};
use serde_json::{Map, Value};

use super::key::to_josekit;
use super::{Algorithm, JsonWebKey};

/// A compact JWS of `claims`, signed with the private `key` by `alg`, its header
/// exactly `alg` and `header`'s members. Panics on failure (tests only).
pub fn sign_with_header(
    key: &JsonWebKey,
    alg: Algorithm,
    header: &Map<String, Value>,
    claims: &Value,
) -> String {
    let jwk = to_josekit(key).expect("a JWK josekit reads");
    let signer = alg.signer(&jwk).expect("a signer for the key");
    let mut jose = JwsHeader::new();
    for (name, value) in header {
        jose.set_claim(name, Some(value.clone()))
            .expect("a header member");
    }
    let payload = serde_json::to_vec(claims).expect("claims");
    jws::serialize_compact(&payload, &jose, signer.as_ref()).expect("signed")
}
