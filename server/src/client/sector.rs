//! Registration checks of OIDC Core §8 that need configuration or the network: the
//! client's `subject_type` must be one the server supports
//! (`oidc.subject_identifiers.supported_types`), a `sector_identifier_uri` is fetched
//! and must list every redirect URI (OIDC Registration §2, OIDC Core §8.1), and a
//! pairwise client without one must have redirect URIs on a single host.

use crate::client::model::{Client, SubjectType};
use crate::config::Config;
use crate::error::OAuth2Error;
use crate::outbound::GuardedFetcher;

/// Checks `client` as registered (after [`super::validate::validate`]).
pub async fn check(config: &Config, client: &Client) -> Result<(), OAuth2Error> {
    let bad = OAuth2Error::invalid_client_metadata;
    let supported = &config.oidc.subject_identifiers.supported_types;
    let wanted = client.subject_type.as_str();
    if !supported.iter().any(|t| t == wanted) {
        return Err(bad(format!(
            "Subject type {wanted} is not supported by server, only {supported:?} are allowed."
        )));
    }
    if !client.sector_identifier_uri.is_empty() {
        return check_sector_document(config, client).await;
    }
    if client.subject_type == SubjectType::Pairwise && sector_identifier_host(client).is_none() {
        return Err(bad(
            "A pairwise client whose redirect_uris have more than one host needs a sector_identifier_uri (OIDC Core §8.1).".to_owned(),
        ));
    }
    Ok(())
}

/// OIDC Registration §2 `sector_identifier_uri`: "URL using the https scheme to be used
/// in calculating Pseudonymous Identifiers ... The URL references a file with a single
/// JSON array of redirect_uri values." `http` only for a loopback host while
/// `clients.http.disallow_private_ip_ranges` is off (development and tests).
async fn check_sector_document(config: &Config, client: &Client) -> Result<(), OAuth2Error> {
    let bad = OAuth2Error::invalid_client_metadata;
    let uri = client.sector_identifier_uri.as_str();
    let url = url::Url::parse(uri)
        .map_err(|e| bad(format!("Field sector_identifier_uri is not a URL: {e}.")))?;
    let loopback_dev = !config.clients.http.disallow_private_ip_ranges
        && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() != "https" && !loopback_dev {
        return Err(bad(
            "Field sector_identifier_uri must be an https URL (OIDC Registration §2).".to_owned(),
        ));
    }
    let fetcher = GuardedFetcher::new(&config.clients.http)
        .map_err(|e| OAuth2Error::server_error(format!("HTTP client: {e}")))?;
    let body = fetcher.fetch(uri).await.map_err(|why| {
        bad(format!(
            "The sector_identifier_uri {uri:?} could not be fetched: {why}."
        ))
    })?;
    let listed: Vec<String> = serde_json::from_str(&body).map_err(|_| {
        bad(format!(
            "The sector_identifier_uri {uri:?} must return a JSON array of redirect URIs."
        ))
    })?;
    if let Some(missing) = client.redirect_uris.iter().find(|r| !listed.contains(r)) {
        return Err(bad(format!(
            "The redirect URI {missing:?} is not listed in the sector_identifier_uri document."
        )));
    }
    Ok(())
}

/// The sector identifier host of `client` (OIDC Core §8.1), if it has one: the host of
/// its `sector_identifier_uri`, else the one host all its redirect URIs share.
pub fn sector_identifier_host(client: &Client) -> Option<String> {
    if !client.sector_identifier_uri.is_empty() {
        return host(&client.sector_identifier_uri);
    }
    let mut hosts = client.redirect_uris.iter().filter_map(|uri| host(uri));
    let first = hosts.next()?;
    hosts.all(|h| h == first).then_some(first)
}

fn host(uri: &str) -> Option<String> {
    url::Url::parse(uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_is_the_sector_uri_host_or_the_one_redirect_host() {
        let mut client = Client {
            redirect_uris: vec![
                "https://a.example.com/cb".into(),
                "https://a.example.com/other".into(),
            ],
            ..Client::default()
        };
        assert_eq!(
            sector_identifier_host(&client).as_deref(),
            Some("a.example.com")
        );
        client.redirect_uris.push("https://b.example.com/cb".into());
        assert_eq!(sector_identifier_host(&client), None);
        client.sector_identifier_uri = "https://sector.example.com/uris.json".into();
        assert_eq!(
            sector_identifier_host(&client).as_deref(),
            Some("sector.example.com")
        );
    }
}
