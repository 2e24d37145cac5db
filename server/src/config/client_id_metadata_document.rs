//! `oauth2.client_id_metadata_document`: clients that identify themselves by an `https`
//! URL serving their metadata (OAuth Client ID Metadata Document, draft-ietf-oauth-
//! client-id-metadata-document), resolved by `client::metadata_document`. Off by
//! default; the bounds here keep one fetch small, quick and rare.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::duration::GoDuration;

/// The largest `max_document_size` accepted (the fetcher's own cap for other documents).
pub const MAX_DOCUMENT_SIZE_LIMIT: usize = 256 * 1024;
/// The longest `fetch_timeout` accepted: a fetch holds an authorization request open.
pub const MAX_FETCH_TIMEOUT_SECS: u64 = 30;
/// The longest `cache.max_ttl` accepted.
pub const MAX_CACHE_TTL_SECS: u64 = 7 * 24 * 3600;
/// The most cached documents `cache.max_entries` may ask for.
pub const MAX_CACHE_ENTRIES: usize = 100_000;

/// Client ID Metadata Documents (`client::metadata_document`, docs/configuration.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClientIdMetadataDocumentConfig {
    /// Resolve a `client_id` that is an `https` URL by fetching it; off by default.
    pub enabled: bool,
    /// Hosts documents may be fetched from: `example.com` (exactly) or `*.example.com`
    /// (any name below it). Empty: any host the SSRF guard allows.
    pub allowed_hosts: Vec<String>,
    /// Hosts never fetched from, in the same forms; wins over `allowed_hosts`.
    pub denied_hosts: Vec<String>,
    /// The largest document accepted, in bytes (the draft suggests 5 KiB).
    pub max_document_size: usize,
    /// How long one fetch may take, connection and body included.
    pub fetch_timeout: GoDuration,
    pub cache: ClientIdMetadataDocumentCacheConfig,
}

impl Default for ClientIdMetadataDocumentConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            allowed_hosts: Vec::new(),
            denied_hosts: Vec::new(),
            max_document_size: 5 * 1024,
            fetch_timeout: GoDuration::from_secs(5),
            cache: ClientIdMetadataDocumentCacheConfig::default(),
        }
    }
}

/// How long fetched documents are reused: the document's HTTP caching headers
/// (`Cache-Control: max-age`, `no-cache`, `no-store`, `Expires`) clamped to
/// `[min_ttl, max_ttl]`, `default_ttl` without such headers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClientIdMetadataDocumentCacheConfig {
    /// Documents kept at most; past that the one expiring soonest goes.
    pub max_entries: usize,
    /// The shortest reuse, also for `no-store` documents: one authorization needs the
    /// client several times (authorize, login, consent, token).
    pub min_ttl: GoDuration,
    /// The longest reuse, whatever the document's headers say.
    pub max_ttl: GoDuration,
    /// The reuse of a document served without caching headers.
    pub default_ttl: GoDuration,
}

impl Default for ClientIdMetadataDocumentCacheConfig {
    fn default() -> Self {
        Self {
            max_entries: 1000,
            min_ttl: GoDuration::from_secs(60),
            max_ttl: GoDuration::from_secs(24 * 3600),
            default_ttl: GoDuration::from_secs(3600),
        }
    }
}

/// Whether `pattern` is a host pattern: a lower-case DNS name or IP address, optionally
/// behind `*.`, without scheme, port or path.
fn is_host_pattern(pattern: &str) -> bool {
    let name = pattern.strip_prefix("*.").unwrap_or(pattern);
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | ':'))
        && !name.starts_with('.')
        && !name.ends_with('.')
}

impl ClientIdMetadataDocumentConfig {
    /// Whether `host` (lower case, as `url` serializes it) matches one of `patterns`.
    pub fn host_matches(patterns: &[String], host: &str) -> bool {
        patterns
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(parent) => host
                    .strip_suffix(parent)
                    .is_some_and(|below| below.ends_with('.') && below.len() > 1),
                None => pattern == host,
            })
    }

    /// Startup checks; each error names its key.
    pub fn validate(&self, errors: &mut Vec<ConfigError>) {
        const KEY: &str = "oauth2.client_id_metadata_document";
        let invalid = |key: String, message: String| ConfigError::Invalid { key, message };
        for (name, list) in [
            ("allowed_hosts", &self.allowed_hosts),
            ("denied_hosts", &self.denied_hosts),
        ] {
            for (index, pattern) in list.iter().enumerate() {
                if !is_host_pattern(pattern) {
                    errors.push(invalid(
                        format!("{KEY}.{name}[{index}]"),
                        format!(
                            "{pattern:?} is not a lower-case host name or *.name (no scheme, port or path)"
                        ),
                    ));
                }
            }
        }
        if !(256..=MAX_DOCUMENT_SIZE_LIMIT).contains(&self.max_document_size) {
            errors.push(invalid(
                format!("{KEY}.max_document_size"),
                format!("must be between 256 and {MAX_DOCUMENT_SIZE_LIMIT} bytes"),
            ));
        }
        let timeout = self.fetch_timeout.as_std();
        if timeout.is_zero() || timeout.as_secs() > MAX_FETCH_TIMEOUT_SECS {
            errors.push(invalid(
                format!("{KEY}.fetch_timeout"),
                format!("must be more than 0s and at most {MAX_FETCH_TIMEOUT_SECS}s"),
            ));
        }
        let cache = &self.cache;
        if cache.max_entries == 0 || cache.max_entries > MAX_CACHE_ENTRIES {
            errors.push(invalid(
                format!("{KEY}.cache.max_entries"),
                format!("must be between 1 and {MAX_CACHE_ENTRIES}"),
            ));
        }
        let (min, default, max) = (
            cache.min_ttl.as_std(),
            cache.default_ttl.as_std(),
            cache.max_ttl.as_std(),
        );
        if !(min <= default && default <= max) || max.as_secs() > MAX_CACHE_TTL_SECS {
            errors.push(invalid(
                format!("{KEY}.cache"),
                "min_ttl <= default_ttl <= max_ttl <= 168h must hold".to_owned(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns_match_exactly_or_strictly_below() {
        let patterns = vec!["example.com".to_owned(), "*.apps.test".to_owned()];
        let matches = |host| ClientIdMetadataDocumentConfig::host_matches(&patterns, host);
        assert!(matches("example.com"));
        assert!(!matches("www.example.com"));
        assert!(!matches("badexample.com"));
        assert!(matches("a.apps.test"));
        assert!(matches("a.b.apps.test"));
        assert!(!matches("apps.test"));
        assert!(!matches("evilapps.test"));
    }

    #[test]
    fn bad_patterns_and_bounds_are_reported_by_key() {
        let config = ClientIdMetadataDocumentConfig {
            allowed_hosts: vec!["https://example.com".into(), "ok.example".into()],
            denied_hosts: vec!["*.".into()],
            max_document_size: 10,
            fetch_timeout: GoDuration::from_secs(0),
            cache: ClientIdMetadataDocumentCacheConfig {
                max_entries: 0,
                min_ttl: GoDuration::from_secs(10),
                default_ttl: GoDuration::from_secs(5),
                max_ttl: GoDuration::from_secs(60),
            },
            ..Default::default()
        };
        let mut errors = Vec::new();
        config.validate(&mut errors);
        let keys: Vec<String> = errors
            .iter()
            .map(|e| match e {
                ConfigError::Invalid { key, .. } => key.clone(),
                other => other.to_string(),
            })
            .collect();
        let prefix = "oauth2.client_id_metadata_document";
        assert_eq!(
            keys,
            [
                format!("{prefix}.allowed_hosts[0]"),
                format!("{prefix}.denied_hosts[0]"),
                format!("{prefix}.max_document_size"),
                format!("{prefix}.fetch_timeout"),
                format!("{prefix}.cache.max_entries"),
                format!("{prefix}.cache"),
            ]
        );
        let mut none = Vec::new();
        ClientIdMetadataDocumentConfig::default().validate(&mut none);
        assert!(none.is_empty());
    }
}
