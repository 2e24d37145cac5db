//! The signature of a proof, by the key in its own `jwk` header (RFC 9449 §4.3 steps
//! 7–8).
//!
//! ECDSA proofs (RFC 7518 §3.4; ES256 is what clients use) are verified here with
//! aws-lc-rs, which the server already links for TLS: the key is the uncompressed
//! point `x ‖ y` (RFC 7518 §6.2.1.2–3: each coordinate exactly the curve's size), the
//! JWS signature is the fixed-size `R ‖ S`, and aws-lc checks that the point lies on the
//! curve and that `R` and `S` are in range. The general path
//! ([`JwtReader::verify_with_embedded_key`]) builds an OpenSSL key from a DER
//! document for each proof, and parsing that document through OpenSSL 3's decoders
//! cost more than the verification itself (docs/benchmarks.md, issue 18). The other
//! algorithms (RSA, EdDSA) take the general path.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ECDSA_P521_SHA512_FIXED,
    EcdsaVerificationAlgorithm, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::error::OAuth2Error;
use crate::jwk::key::is_private;
use crate::jwk::{Algorithm, JsonWebKey};
use crate::oauth2::jwt_claims::{Claims, JwtReader};

/// aws-lc-rs's verifier of an ECDSA `alg` and the size of one coordinate; `None` for
/// the algorithms that take the general path.
fn ecdsa(alg: Algorithm) -> Option<(&'static EcdsaVerificationAlgorithm, usize)> {
    match alg {
        Algorithm::ES256 => Some((&ECDSA_P256_SHA256_FIXED, 32)),
        Algorithm::ES384 => Some((&ECDSA_P384_SHA384_FIXED, 48)),
        Algorithm::ES512 => Some((&ECDSA_P521_SHA512_FIXED, 66)),
        _ => None,
    }
}

/// Verifies `proof` (whose decoded header is `header` and whose `alg` is `alg`, already
/// accepted) with the public key of its `jwk` header, and returns that key (without
/// `kid`: the header chooses nothing) and the verified claims. Refusals are those of
/// [`JwtReader::verify_with_embedded_key`], worded alike.
pub fn verify(
    reader: &JwtReader,
    proof: &str,
    header: &Claims,
    alg: Algorithm,
) -> Result<(JsonWebKey, Claims), OAuth2Error> {
    let Some((verifier, size)) = ecdsa(alg) else {
        return reader.verify_with_embedded_key(proof, header, alg);
    };
    let what = reader.what;
    let value = header
        .get("jwk")
        .ok_or_else(|| reader.invalid(format!("{what} has no 'jwk' header.")))?;
    let mut key = JsonWebKey::deserialize(value)
        .map_err(|_| reader.invalid(format!("{what}'s 'jwk' header is not a JSON Web Key.")))?;
    if is_private(&key) {
        return Err(reader.invalid(format!(
            "{what}'s 'jwk' header contains a private key; it must be the public key only."
        )));
    }
    // As the general path: a key for encryption (RFC 7517 §4.2) or for another
    // algorithm (§4.4) verifies nothing.
    if !alg.fits(&key.kty, key.crv.as_deref())
        || key.use_.as_deref() == Some("enc")
        || key.alg.as_deref().is_some_and(|name| name != alg.name())
    {
        return Err(reader.invalid(format!("{what}'s 'jwk' is not a key for {alg}.")));
    }
    key.kid = None;
    let bad_signature = || {
        reader.invalid(format!(
            "{what}'s signature does not verify with its 'jwk'."
        ))
    };
    let point = uncompressed_point(&key, size).ok_or_else(bad_signature)?;
    let [header_segment, payload, signature] = reader.segments(proof)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| bad_signature())?;
    // The JWS signing input (RFC 7515 §5.2 step 8): the first two segments and their dot.
    let signed = proof
        .get(..header_segment.len() + 1 + payload.len())
        .ok_or_else(bad_signature)?;
    UnparsedPublicKey::new(verifier, point)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| bad_signature())?;
    let claims = reader.json(payload, "payload")?;
    Ok((key, claims))
}

/// `0x04 ‖ x ‖ y` (SEC 1 §2.3.3), each coordinate exactly `size` bytes.
fn uncompressed_point(key: &JsonWebKey, size: usize) -> Option<Vec<u8>> {
    let x = URL_SAFE_NO_PAD.decode(key.x.as_deref()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(key.y.as_deref()?).ok()?;
    if x.len() != size || y.len() != size {
        return None;
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Some(point)
}
