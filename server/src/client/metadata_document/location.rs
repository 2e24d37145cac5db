//! Which `client_id` URLs may be fetched (draft-ietf-oauth-client-id-metadata-document
//! §3): `https`, a path, no dot segments, no fragment, no user or password. Plain `http`
//! only for loopback hosts in dev mode. Then the operator's host allow and deny lists.
//! Every refusal happens before any network traffic.

use url::Url;

use crate::client::validate::{MAX_INDEXED_LEN, is_loopback};
use crate::config::ClientIdMetadataDocumentConfig;

/// Where a document is fetched from, and whether it is a dev-mode loopback URL (fetched
/// without the SSRF guard: it can only reach this machine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentUrl {
    pub url: Url,
    pub dev_loopback: bool,
}

/// Whether `client_id` looks like a URL at all (`http://` or `https://`): only such ids
/// are metadata document candidates; any other id is an ordinary registered client.
pub fn is_candidate(client_id: &str) -> bool {
    let lower = |prefix: &str| {
        client_id
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    lower("https://") || lower("http://")
}

/// Checks `client_id` as a document URL; the error completes the sentence "The
/// client_id ... cannot be used as a Client ID Metadata Document URL: ...".
pub fn document_url(
    client_id: &str,
    dev: bool,
    config: &ClientIdMetadataDocumentConfig,
) -> Result<DocumentUrl, String> {
    if client_id.len() > MAX_INDEXED_LEN {
        return Err(format!("it is longer than {MAX_INDEXED_LEN} characters"));
    }
    let url = Url::parse(client_id).map_err(|e| format!("it is not a URL ({e})"))?;
    let dev_loopback = dev && url.scheme() == "http" && is_loopback(&url);
    if url.scheme() != "https" && !dev_loopback {
        return Err("it must use https (plain http only for loopback hosts in dev mode)".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it must not contain a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("it must not contain a fragment".into());
    }
    if url.path() == "/" {
        return Err("it must contain a path".into());
    }
    // The document's client_id is compared as a simple string (RFC 3986 §6.2.1), so the
    // URL must already be in the form it is fetched as: this also refuses dot segments,
    // which parsing removes, upper-case hosts and default ports.
    if url.as_str() != client_id {
        return Err(format!(
            "it is not in normalized form (that is {})",
            url.as_str()
        ));
    }
    let host = url.host_str().unwrap_or_default();
    if ClientIdMetadataDocumentConfig::host_matches(&config.denied_hosts, host) {
        return Err(format!(
            "the host {host} is denied (oauth2.client_id_metadata_document.denied_hosts)"
        ));
    }
    if !config.allowed_hosts.is_empty()
        && !ClientIdMetadataDocumentConfig::host_matches(&config.allowed_hosts, host)
    {
        return Err(format!(
            "the host {host} is not allowed (oauth2.client_id_metadata_document.allowed_hosts)"
        ));
    }
    Ok(DocumentUrl { url, dev_loopback })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: &str, dev: bool) -> Result<bool, String> {
        document_url(id, dev, &ClientIdMetadataDocumentConfig::default()).map(|u| u.dev_loopback)
    }

    #[test]
    fn candidates_are_http_and_https_urls_only() {
        assert!(is_candidate("https://app.example/client.json"));
        assert!(is_candidate("HTTP://127.0.0.1/c"));
        assert!(!is_candidate("my-client"));
        assert!(!is_candidate("urn:example:client"));
        assert!(!is_candidate("https:"));
    }

    #[test]
    fn draft_section_3_rules() {
        assert_eq!(check("https://app.example/client.json", false), Ok(false));
        assert_eq!(check("https://app.example:8443/c?x=1", false), Ok(false));
        for (id, why) in [
            ("http://app.example/client.json", "https"),
            ("https://app.example/", "path"),
            ("https://app.example", "path"),
            ("https://app.example/a/../client.json", "normalized"),
            ("https://app.example/./client.json", "normalized"),
            ("https://APP.example/client.json", "normalized"),
            ("https://app.example:443/client.json", "normalized"),
            ("https://user:pw@app.example/client.json", "user name"),
            ("https://app.example/client.json#x", "fragment"),
            ("https://app example/c", "not a URL"),
        ] {
            let err = check(id, false).expect_err(id);
            assert!(err.contains(why), "{id}: {err}");
        }
        let long = format!("https://app.example/{}", "a".repeat(300));
        assert!(check(&long, false).unwrap_err().contains("longer"));
    }

    #[test]
    fn http_only_for_loopback_in_dev_mode() {
        assert_eq!(check("http://127.0.0.1:8080/c.json", true), Ok(true));
        assert_eq!(check("http://localhost:8080/c.json", true), Ok(true));
        assert!(check("http://127.0.0.1:8080/c.json", false).is_err());
        assert!(check("http://app.example/c.json", true).is_err());
        // https to loopback is not a dev exception: the SSRF guard decides.
        assert_eq!(check("https://127.0.0.1/c.json", true), Ok(false));
    }

    #[test]
    fn deny_list_wins_over_allow_list() {
        let config = ClientIdMetadataDocumentConfig {
            allowed_hosts: vec!["*.apps.example".into()],
            denied_hosts: vec!["bad.apps.example".into()],
            ..Default::default()
        };
        let check = |id| document_url(id, false, &config);
        assert!(check("https://good.apps.example/c").is_ok());
        assert!(
            check("https://bad.apps.example/c")
                .unwrap_err()
                .contains("denied")
        );
        assert!(
            check("https://other.example/c")
                .unwrap_err()
                .contains("not allowed")
        );
    }
}
