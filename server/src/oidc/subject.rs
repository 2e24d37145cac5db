//! Subject identifiers (OIDC Core §8): `public` clients see the local subject;
//! `pairwise` clients see a value no other sector can correlate (§8.1):
//! base64url(SHA-256(sector ‖ local subject ‖ salt)), where the sector is the host of
//! the client's `sector_identifier_uri`, or of its one redirect-URI host when it has
//! none (registration refuses pairwise clients whose redirect URIs span several hosts
//! without a sector identifier URI: `client/sector.rs`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::client::model::{Client, SubjectType};
use crate::client::sector::sector_identifier_host;
use crate::config::Config;

/// The `sub` that `client` sees for the local `subject`.
pub fn for_client(config: &Config, client: &Client, subject: &str) -> String {
    match client.subject_type {
        SubjectType::Public => subject.to_owned(),
        SubjectType::Pairwise => {
            // Registration guarantees a sector; the client id is a last resort that
            // still never reveals the local subject.
            let sector = sector_identifier_host(client).unwrap_or_else(|| client.client_id.clone());
            let salt = &config.oidc.subject_identifiers.pairwise.salt;
            pairwise(&sector, subject, salt)
        }
    }
}

/// OIDC Core §8.1: "sub = SHA-256 ( sector_identifier || local_sub || salt )", in
/// base64url without padding.
pub fn pairwise(sector: &str, subject: &str, salt: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(sector.as_bytes());
    hash.update(subject.as_bytes());
    hash.update(salt.as_bytes());
    URL_SAFE_NO_PAD.encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_subjects_differ_per_sector_and_hide_the_local_one() {
        let one = pairwise("a.example.com", "ada", "salt-salt-salt-salt");
        assert_eq!(one, pairwise("a.example.com", "ada", "salt-salt-salt-salt"));
        assert_ne!(one, pairwise("b.example.com", "ada", "salt-salt-salt-salt"));
        assert_eq!(one.len(), 43);
        assert!(!one.contains("ada"));
    }
}
