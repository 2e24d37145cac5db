//! Unit tests: generation, sign/verify per algorithm, public parts, validation, key
//! choice by schedule, and the manager over the memory store.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use super::admin::CreateKeyRequest;
use super::generate::generate;
use super::key::{is_private, public_part, validate};
use super::signer::{Signer, SigningKey};
use super::*;
use crate::clock::FixedClock;
use crate::secrets::KeyRing;
use crate::storage::memory::MemoryStore;

const GENERATED: [Algorithm; 7] = [
    Algorithm::RS256,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES512,
    Algorithm::EdDSA,
    Algorithm::HS256,
    Algorithm::HS512,
];

fn signing_key(key: &JsonWebKey, alg: Algorithm, not_before_secs: i64) -> SigningKey {
    let at = Utc
        .timestamp_opt(1_700_000_000 + not_before_secs, 0)
        .unwrap();
    SigningKey {
        kid: key.kid.clone().unwrap(),
        alg,
        created_at: at,
        not_before: at,
        retired_at: None,
        signer: alg.signer(&key::to_josekit(key).unwrap()).unwrap(),
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0).unwrap()
}

#[test]
fn every_algorithm_signs_and_verifies() {
    for alg in GENERATED {
        let key = generate(alg, &format!("k-{alg}"), KeyUse::Sig, 2048).unwrap();
        assert_eq!(key.alg.as_deref(), Some(alg.name()));
        assert!(is_private(&key), "{alg}");
        let signer = Signer::new("s", vec![signing_key(&key, alg, 0)]);
        let claims = json!({"sub": "alice", "n": 1});
        let signed = signer.sign(&claims, "at+jwt", now()).unwrap();
        assert_eq!(signed.alg, alg);

        // Verify with the published part (or the secret, for HMAC).
        let verify_with = if alg.is_symmetric() {
            key.clone()
        } else {
            public_part(&key).unwrap()
        };
        let verified = Verifier::from_keys(vec![verify_with])
            .verify(&signed.token)
            .unwrap();
        assert_eq!(verified.claims, *claims.as_object().unwrap(), "{alg}");
        assert_eq!(verified.kid.as_deref(), Some(signed.kid.as_str()));
        assert_eq!(verified.typ.as_deref(), Some("at+jwt"));

        let mut forged = signed.token.clone();
        forged.push('A');
        assert!(
            Verifier::from_keys(vec![key.clone()])
                .verify(&forged)
                .is_err(),
            "{alg}"
        );
    }
}

#[test]
fn public_parts_never_carry_private_members() {
    for alg in GENERATED {
        let key = generate(alg, "k", KeyUse::Sig, 2048).unwrap();
        match public_part(&key) {
            None => assert!(alg.is_symmetric()),
            Some(public) => {
                assert!(!is_private(&public), "{alg}");
                let text = serde_json::to_value(&public).unwrap();
                for member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                    assert!(text.get(member).is_none(), "{alg} leaks {member}");
                }
                assert_eq!(public.kid.as_deref(), Some("k"));
                assert_eq!(public.use_.as_deref(), Some("sig"));
            }
        }
    }
}

#[test]
fn signer_uses_the_newest_key_that_may_sign() {
    let old = generate(Algorithm::ES256, "old", KeyUse::Sig, 0).unwrap();
    let new = generate(Algorithm::ES256, "new", KeyUse::Sig, 0).unwrap();
    let mut pending = signing_key(&new, Algorithm::ES256, 100);
    pending.not_before = now() + Duration::seconds(60);
    let signer = Signer::new("s", vec![signing_key(&old, Algorithm::ES256, 0), pending]);
    assert_eq!(signer.current(now()).unwrap().kid, "old");
    assert_eq!(
        signer.current(now() + Duration::seconds(60)).unwrap().kid,
        "new"
    );
    let empty = Signer::new("empty", Vec::new());
    assert!(matches!(
        empty.sign(&json!({}), "JWT", now()),
        Err(JwkError::NoSigningKey(_))
    ));
}

#[test]
fn verifier_refuses_algorithm_confusion_and_none() {
    let rsa = generate(Algorithm::RS256, "r", KeyUse::Sig, 2048).unwrap();
    let public = public_part(&rsa).unwrap();
    // An HS256 token whose HMAC key is the RSA public key's modulus must not verify.
    let fake_secret = JsonWebKey {
        kty: "oct".into(),
        kid: Some("r".into()),
        k: public.n.clone(),
        ..JsonWebKey::default()
    };
    let hs = Signer::new("s", vec![signing_key(&fake_secret, Algorithm::HS256, 0)]);
    let token = hs.sign(&json!({"sub": "x"}), "JWT", now()).unwrap().token;
    let verifier = Verifier::from_keys(vec![public]);
    assert!(verifier.verify(&token).is_err());
    let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    assert!(verifier.verify(unsigned).is_err());
}

#[test]
fn validation_names_the_bad_member() {
    let key = generate(Algorithm::ES256, "k", KeyUse::Sig, 0).unwrap();
    let cases = [
        (
            JsonWebKey {
                alg: Some("XS999".into()),
                ..key.clone()
            },
            "keys[0].alg",
        ),
        (
            JsonWebKey {
                use_: Some("wrap".into()),
                ..key.clone()
            },
            "keys[0].use",
        ),
        (
            JsonWebKey {
                kid: None,
                ..key.clone()
            },
            "keys[0].kid",
        ),
        (
            JsonWebKey {
                alg: Some("RS256".into()),
                ..key.clone()
            },
            "keys[0].kty",
        ),
        (
            JsonWebKey {
                x: Some("AAAA".into()),
                ..key.clone()
            },
            "keys[0]",
        ),
    ];
    for (bad, field) in cases {
        match validate("keys[0].", bad) {
            Err(JwkError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(validate("", key).is_ok());
}

#[tokio::test]
async fn manager_rotates_with_publish_before_use_and_keeps_old_keys_published() {
    let clock = Arc::new(FixedClock::new(now()));
    let store = Arc::new(MemoryStore::new());
    let ring = Arc::new(KeyRing::new(&["a-secret-of-enough-length".to_owned()]));
    let settings = KeySettings {
        publish_before_use: Duration::seconds(300),
        ..KeySettings::default()
    };
    let manager = KeyManager::new(store.clone(), ring, clock.clone(), settings);
    let request = |kid: &str| CreateKeyRequest {
        alg: "ES256".into(),
        kid: kid.into(),
        use_: "sig".into(),
    };
    manager.create_key("s", &request("first")).await.unwrap();
    let before = manager.sign("s", &json!({"a": 1}), "JWT").await.unwrap();
    assert_eq!(before.kid, "first");

    manager.create_key("s", &request("second")).await.unwrap();
    let jwks = manager.public_jwks(&["s"]).await.unwrap();
    assert_eq!(jwks.keys.len(), 2, "the new key is published at once");
    assert_eq!(
        manager.sign("s", &json!({}), "JWT").await.unwrap().kid,
        "first"
    );
    clock.advance(Duration::seconds(300));
    manager.invalidate("s");
    assert_eq!(
        manager.sign("s", &json!({}), "JWT").await.unwrap().kid,
        "second"
    );
    // Tokens of the retired key still verify: it stays published.
    manager.verify("s", &before.token).await.unwrap();
    let rows = crate::storage::JsonWebKeyStore::get_json_web_key_set(store.as_ref(), "s")
        .await
        .unwrap();
    assert_eq!(rows[0].retired_at, Some(now() + Duration::seconds(300)));
    assert!(rows.iter().all(|r| !r.public_jwk.contains("\"d\"")));
}

/// A key store whose reads of a set can fail as an unreachable database does, counting
/// the reads that reach it.
struct Unreachable {
    inner: MemoryStore,
    down: std::sync::atomic::AtomicBool,
    reads: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl store::JsonWebKeyStore for Unreachable {
    async fn add_json_web_keys(
        &self,
        set: &str,
        keys: &[store::StoredJsonWebKey],
        retire_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<(), crate::error::StorageError> {
        self.inner.add_json_web_keys(set, keys, retire_at).await
    }
    async fn add_json_web_keys_if_set_empty(
        &self,
        set: &str,
        keys: &[store::StoredJsonWebKey],
    ) -> Result<bool, crate::error::StorageError> {
        self.inner.add_json_web_keys_if_set_empty(set, keys).await
    }
    async fn replace_json_web_key_set(
        &self,
        set: &str,
        keys: &[store::StoredJsonWebKey],
    ) -> Result<(), crate::error::StorageError> {
        self.inner.replace_json_web_key_set(set, keys).await
    }
    async fn put_json_web_key(
        &self,
        key: &store::StoredJsonWebKey,
    ) -> Result<(), crate::error::StorageError> {
        self.inner.put_json_web_key(key).await
    }
    async fn get_json_web_key_set(
        &self,
        set: &str,
    ) -> Result<Vec<store::StoredJsonWebKey>, crate::error::StorageError> {
        use std::sync::atomic::Ordering;
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(crate::error::StorageError::Unavailable("gone".into()));
        }
        self.inner.get_json_web_key_set(set).await
    }
    async fn get_json_web_key(
        &self,
        set: &str,
        kid: &str,
    ) -> Result<Option<store::StoredJsonWebKey>, crate::error::StorageError> {
        self.inner.get_json_web_key(set, kid).await
    }
    async fn delete_json_web_key(
        &self,
        set: &str,
        kid: &str,
    ) -> Result<bool, crate::error::StorageError> {
        self.inner.delete_json_web_key(set, kid).await
    }
    async fn delete_json_web_key_set(&self, set: &str) -> Result<bool, crate::error::StorageError> {
        self.inner.delete_json_web_key_set(set).await
    }
    async fn list_json_web_keys(
        &self,
        sets: &[String],
    ) -> Result<Vec<store::StoredJsonWebKey>, crate::error::StorageError> {
        self.inner.list_json_web_keys(sets).await
    }
}

/// Issue 23: with the database away, an expired entry keeps serving and the store is
/// asked again only once per `UNAVAILABLE_RETRY_EVERY`, not by every request (which
/// would queue them all on the reload lock); a set never loaded cannot be served.
#[tokio::test]
async fn an_unreachable_store_is_retried_once_per_second_while_the_old_keys_serve() {
    use std::sync::atomic::Ordering;
    let store = Arc::new(Unreachable {
        inner: MemoryStore::new(),
        down: false.into(),
        reads: 0.into(),
    });
    let ring = Arc::new(KeyRing::new(&["a-secret-of-enough-length".to_owned()]));
    let settings = KeySettings {
        refresh_every: std::time::Duration::ZERO,
        ..KeySettings::default()
    };
    let clock = Arc::new(FixedClock::new(now()));
    let manager = KeyManager::new(store.clone(), ring, clock, settings);
    let request = CreateKeyRequest {
        alg: "ES256".into(),
        kid: "k1".into(),
        use_: "sig".into(),
    };
    manager.create_key("s", &request).await.unwrap();
    assert_eq!(manager.public_jwks(&["s"]).await.unwrap().keys.len(), 1);
    // Up, with every entry expired at once: each use reads the store.
    let before = store.reads.load(Ordering::SeqCst);
    manager.public_jwks(&["s"]).await.unwrap();
    manager.public_jwks(&["s"]).await.unwrap();
    assert_eq!(store.reads.load(Ordering::SeqCst) - before, 2);

    store.down.store(true, Ordering::SeqCst);
    let before = store.reads.load(Ordering::SeqCst);
    let started = std::time::Instant::now();
    for _ in 0..50 {
        let jwks = manager.public_jwks(&["s"]).await.unwrap();
        assert_eq!(jwks.keys[0].kid.as_deref(), Some("k1"));
        manager.sign("s", &json!({"a": 1}), "JWT").await.unwrap();
    }
    // One read fails, then the old keys serve for a second (a loaded machine may take
    // longer than a second for the loop: one more read per second it took).
    let reads = store.reads.load(Ordering::SeqCst) - before;
    let allowed = 1 + started.elapsed().as_secs() as usize;
    assert!(
        (1..=allowed).contains(&reads),
        "{reads} reads, {allowed} allowed"
    );
    assert!(manager.public_jwks(&["never-loaded"]).await.is_err());
}

/// The configuration names the algorithms an upstream ID token may be pinned to without
/// depending on this module (`config::ID_TOKEN_ALGORITHMS`): the same names, and the
/// HMAC ones with a minimum secret of the hash's length (RFC 7518 §3.2).
#[test]
fn the_configurations_algorithm_names_are_these() {
    let configured: Vec<&str> = crate::config::ID_TOKEN_ALGORITHMS
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let ours: Vec<&str> = Algorithm::ALL.iter().map(|alg| alg.name()).collect();
    assert_eq!(configured, ours);
    for (name, min_secret) in crate::config::ID_TOKEN_ALGORITHMS {
        let alg = Algorithm::parse(name).unwrap();
        let expected = match alg {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => 0,
        };
        assert_eq!(min_secret, expected, "{name}");
    }
}
