//! One GET of a metadata document through the outbound clients (`outbound::
//! GuardedClients`: the SSRF guard, a timeout covering connection and body, no proxy),
//! with no redirect followed (the document must be at its `client_id` URL, and a
//! redirect could point anywhere), a size cap, and the freshness its HTTP caching
//! headers give (RFC 9111 §4.2.1, §5.2.2). A cached document with an `ETag` is
//! revalidated with `If-None-Match` (RFC 9110 §13.1.2, RFC 9111 §4.3.1): a `304` keeps
//! it without downloading or validating it again.

use chrono::{DateTime, Duration, Utc};
use reqwest::header::{CACHE_CONTROL, ETAG, EXPIRES, HeaderMap, IF_NONE_MATCH};

use crate::outbound::describe;

/// The longest `ETag` kept: a validator, not a place to store data.
const MAX_ETAG_LEN: usize = 256;

/// A fetched document: its bytes, how long it says it stays fresh (`None`: it does not
/// say), and its entity tag, if it has a usable one.
#[derive(Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub freshness: Option<Duration>,
    pub etag: Option<String>,
}

/// What a GET found.
#[derive(Debug)]
pub enum Fetch {
    /// A document.
    Document(Fetched),
    /// `304 Not Modified` to a conditional GET: the cached document is still current,
    /// fresh for this long.
    NotModified { freshness: Option<Duration> },
}

/// GETs `url` with `client`, reading at most `max_bytes`; with `if_none_match` (the
/// `ETag` of the cached document) a conditional GET. The error says why it failed.
pub async fn fetch(
    client: &reqwest::Client,
    url: url::Url,
    max_bytes: usize,
    now: DateTime<Utc>,
    if_none_match: Option<&str>,
) -> Result<Fetch, String> {
    let mut request = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(etag) = if_none_match {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let mut response = crate::outbound::send(request)
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED && if_none_match.is_some() {
        return Ok(Fetch::NotModified {
            freshness: freshness(response.headers(), now),
        });
    }
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
    let etag = etag(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len().saturating_add(chunk.len()) > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetch::Document(Fetched {
        body,
        freshness,
        etag,
    }))
}

/// The response's entity tag (RFC 9110 §8.8.3: `W/"…"` or `"…"`), if it is well formed
/// and short; anything else is not worth revalidating with.
pub fn etag(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(ETAG)?.to_str().ok()?;
    let opaque = value.strip_prefix("W/").unwrap_or(value);
    let well_formed = value.len() <= MAX_ETAG_LEN
        && opaque.len() >= 2
        && opaque.starts_with('"')
        && opaque.ends_with('"')
        && opaque[1..opaque.len() - 1]
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b));
    well_formed.then(|| value.to_owned())
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
    fn only_well_formed_entity_tags_are_kept() {
        let of = |value: &str| etag(&headers(&[(&ETAG, value)]));
        assert_eq!(of("\"v1\"").as_deref(), Some("\"v1\""));
        assert_eq!(of("W/\"v1\"").as_deref(), Some("W/\"v1\""));
        assert_eq!(of("\"\"").as_deref(), Some("\"\""));
        for bad in ["v1", "\"v1", "\"a\"b\"", "W/v1", "\""] {
            assert_eq!(of(bad), None, "{bad}");
        }
        assert_eq!(of(&format!("\"{}\"", "a".repeat(MAX_ETAG_LEN))), None);
        assert_eq!(etag(&HeaderMap::new()), None);
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
