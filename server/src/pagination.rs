//! Keyset pagination as Hydra's admin lists do it: `page_size` (default 250, clamped to
//! 1..=1000) and an opaque `page_token` naming the last item of the previous page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::OAuth2Error;

pub const DEFAULT_PAGE_SIZE: usize = 250;
pub const MAX_PAGE_SIZE: usize = 1000;

/// Hydra clamps rather than refusing: out-of-range sizes become the default or maximum.
pub fn page_size(requested: Option<i64>) -> usize {
    match requested {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if n < 1 => DEFAULT_PAGE_SIZE,
        Some(n) => usize::try_from(n)
            .unwrap_or(MAX_PAGE_SIZE)
            .min(MAX_PAGE_SIZE),
    }
}

/// The token of the page after `last_key`; `kind` keeps tokens of different lists apart.
pub fn encode_token(kind: &str, last_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{last_key}"))
}

/// The key a token names; `None` for no token; `invalid_request` for a malformed one.
pub fn decode_token(kind: &str, token: Option<&str>) -> Result<Option<String>, OAuth2Error> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let malformed = || {
        OAuth2Error::invalid_request(
            "The page_token is malformed; use the token from the Link header.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    text.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(|key| Some(key.to_owned()))
        .ok_or_else(malformed)
}

/// Trims a `limit + 1` fetch to the page and returns the next page's token, if any.
pub fn split_page<T>(
    items: &mut Vec<T>,
    size: usize,
    kind: &str,
    key: impl Fn(&T) -> &str,
) -> Option<String> {
    if items.len() <= size {
        return None;
    }
    items.truncate(size);
    items.last().map(|last| encode_token(kind, key(last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_kind_bound() {
        let token = encode_token("c1", "client-42");
        assert_eq!(
            decode_token("c1", Some(&token)).unwrap().as_deref(),
            Some("client-42")
        );
        assert!(decode_token("s1", Some(&token)).is_err());
        assert!(decode_token("c1", Some("!!!")).is_err());
        assert_eq!(decode_token("c1", Some("")).unwrap(), None);
    }

    #[test]
    fn sizes_clamp() {
        assert_eq!(page_size(None), 250);
        assert_eq!(page_size(Some(0)), 250);
        assert_eq!(page_size(Some(5000)), 1000);
        assert_eq!(page_size(Some(7)), 7);
    }

    #[test]
    fn split_page_detects_a_next_page() {
        let mut items = vec!["a", "b", "c"];
        let next = split_page(&mut items, 2, "k", |s| s);
        assert_eq!(items, ["a", "b"]);
        assert_eq!(
            decode_token("k", next.as_deref()).unwrap().as_deref(),
            Some("b")
        );
        let mut short = vec!["a"];
        assert_eq!(split_page(&mut short, 2, "k", |s| s), None);
    }
}
