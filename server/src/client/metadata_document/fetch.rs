//! One GET of a metadata document through the outbound clients (`outbound::
//! GuardedClients`: the SSRF guard, a timeout covering connection and body, no proxy),
//! with no redirect followed (the document must be at its `client_id` URL, and a
//! redirect could point anywhere), a size cap, and the freshness its HTTP caching
//! headers give (RFC 9111 §4.2.1, §5.2.2).

use chrono::{DateTime, Duration, Utc};
use reqwest::header::{CACHE_CONTROL, EXPIRES, HeaderMap};

use crate::outbound::describe;

/// A fetched document: its bytes, and how long it says it stays fresh (`None`: it does
/// not say).
#[derive(Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub freshness: Option<Duration>,
}

/// GETs `url` with `client`, reading at most `max_bytes`; the error says why.
pub async fn fetch(
    client: &reqwest::Client,
    url: url::Url,
    max_bytes: usize,
    now: DateTime<Utc>,
) -> Result<Fetched, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "it answered HTTP {} (a redirect; redirects are not followed, the document must be served at the client_id URL itself)",
            status.as_u16()
        ));
    }
    if !status.is_success() {
        return Err(format!("it answered HTTP {}", status.as_u16()));
    }
    let too_large = || format!("the document is larger than {max_bytes} bytes");
    if response
        .content_length()
        .is_some_and(|len| len > max_bytes as u64)
    {
        return Err(too_large());
    }
    let freshness = freshness(response.headers(), now);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len().saturating_add(chunk.len()) > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { body, freshness })
}

/// The freshness lifetime the headers give: `Cache-Control` `no-store`/`no-cache` → 0,
/// else `max-age`; without `Cache-Control` directives, `Expires` − now (an invalid
/// `Expires` means already stale, RFC 9111 §5.3).
pub fn freshness(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let directives: Vec<String> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache")
    {
        return Some(Duration::zero());
    }
    let max_age = directives.iter().find_map(|d| {
        d.strip_prefix("max-age=")
            .map(|secs| secs.trim_matches('"').parse::<u32>().unwrap_or(0))
    });
    if let Some(secs) = max_age {
        return Some(Duration::seconds(i64::from(secs)));
    }
    let expires = headers.get(EXPIRES)?;
    let at = expires
        .to_str()
        .ok()
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok());
    Some(match at {
        Some(at) => (at.with_timezone(&Utc) - now).max(Duration::zero()),
        None => Duration::zero(),
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&reqwest::header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn caching_headers_give_the_freshness() {
        let now = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let of = |pairs: &[(&reqwest::header::HeaderName, &str)]| freshness(&headers(pairs), now);
        assert_eq!(of(&[]), None);
        assert_eq!(
            of(&[(&CACHE_CONTROL, "public, max-age=600")]),
            Some(Duration::seconds(600))
        );
        assert_eq!(
            of(&[(&CACHE_CONTROL, "max-age=600, no-store")]),
            Some(Duration::zero())
        );
        assert_eq!(of(&[(&CACHE_CONTROL, "No-Cache")]), Some(Duration::zero()));
        assert_eq!(
            of(&[(&CACHE_CONTROL, "max-age=junk")]),
            Some(Duration::zero())
        );
        assert_eq!(
            of(&[
                (&CACHE_CONTROL, "max-age=60"),
                (&EXPIRES, "Wed, 01 Jan 2031 00:00:00 GMT")
            ]),
            Some(Duration::seconds(60)),
            "max-age wins over Expires"
        );
        assert_eq!(
            of(&[(&EXPIRES, "Tue, 01 Jan 2030 01:00:00 GMT")]),
            Some(Duration::hours(1))
        );
        assert_eq!(
            of(&[(&EXPIRES, "Mon, 01 Jan 2029 00:00:00 GMT")]),
            Some(Duration::zero())
        );
        assert_eq!(of(&[(&EXPIRES, "0")]), Some(Duration::zero()));
    }
}
