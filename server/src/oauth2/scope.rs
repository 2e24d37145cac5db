//! Scopes (RFC 6749 §3.3) and audiences: parsing the request parameters and matching
//! requested values against what a client may ask for, with `strategies.scope`. The
//! other space-separated list parameters (`prompt`, `acr_values`, `ui_locales`) are
//! parsed here too. Every parser is linear in its input and bounded by the caps of
//! [`limits`].

use std::collections::HashSet;
use std::hash::Hash;

use crate::config::ScopeStrategy;
use crate::error::{ErrorKind, OAuth2Error, quoted};
use crate::oauth2::limits::{self, ListLimit};

/// RFC 6749 §3.3: "a list of space-delimited, case-sensitive strings". Empty items are
/// dropped and repeats removed, keeping the first occurrence's order; more than
/// [`limits::SCOPE`] allows is `invalid_scope`.
pub fn parse_scope(value: Option<&str>) -> Result<Vec<String>, OAuth2Error> {
    parse_list(value, &limits::SCOPE)
}

/// The `audience` parameter (Hydra's extension): given once with space-separated
/// values, or repeated. Empty items are dropped and repeats removed; more than
/// [`limits::AUDIENCE`] allows is `invalid_request`.
pub fn parse_audience(values: &[&str]) -> Result<Vec<String>, OAuth2Error> {
    parse_list(values.iter().copied(), &limits::AUDIENCE)
}

/// Splits each of `values` on spaces into its distinct non-empty items, in order of
/// first occurrence. More than `limit.max_values` items (repeats counted, so the work is
/// bounded before de-duplication) or an item longer than `limit.max_value_len` is an
/// error naming the parameter and the limit.
pub fn parse_list<'a>(
    values: impl IntoIterator<Item = &'a str>,
    limit: &ListLimit,
) -> Result<Vec<String>, OAuth2Error> {
    let mut items: Vec<&str> = Vec::new();
    for value in values {
        for item in value.split(' ').filter(|item| !item.is_empty()) {
            if items.len() == limit.max_values {
                return Err(limit.too_many());
            }
            if item.len() > limit.max_value_len {
                return Err(limit.too_long());
            }
            items.push(item);
        }
    }
    Ok(dedup(items).into_iter().map(str::to_owned).collect())
}

/// Keeps the first occurrence of each item, in order: one hash-set insertion per item,
/// so the work is linear in the number of items. (Comparing each item with those kept
/// before it was quadratic: 54k distinct scope words took 5.9 s of CPU.)
pub fn dedup<T: Hash + Eq + Copy>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let items = items.into_iter();
    let mut seen = HashSet::with_capacity(items.size_hint().0);
    items.filter(|item| seen.insert(*item)).collect()
}

/// Whether one of the `allowed` scopes (the client's, or a token's granted scopes)
/// covers `requested` under `strategy`.
pub fn is_allowed<'a>(
    strategy: ScopeStrategy,
    allowed: impl IntoIterator<Item = &'a str>,
    requested: &str,
) -> bool {
    allowed.into_iter().any(|matcher| match strategy {
        ScopeStrategy::Exact => matcher == requested,
        ScopeStrategy::Wildcard => wildcard_matches(matcher, requested),
    })
}

/// The first of `requested` that no scope of `allowed` covers under `strategy`. Exact
/// matching is one hash lookup per requested scope; wildcard matching compares each
/// requested scope with each allowed one, bounded by the cap on requested scopes.
pub fn first_not_allowed<'r>(
    strategy: ScopeStrategy,
    allowed: &[&str],
    requested: &'r [String],
) -> Option<&'r str> {
    let mut requested = requested.iter().map(String::as_str);
    match strategy {
        ScopeStrategy::Exact => {
            let allowed: HashSet<&str> = allowed.iter().copied().collect();
            requested.find(|scope| !allowed.contains(scope))
        }
        ScopeStrategy::Wildcard => requested.find(|scope| {
            !allowed
                .iter()
                .any(|matcher| wildcard_matches(matcher, scope))
        }),
    }
}

/// The `scope` parameter `raw`, parsed, when the client (whose registered `scope` is
/// `client_scope`) may request each of them under `strategy`; otherwise
/// `invalid_scope` (RFC 6749 §3.3, §5.2) naming the first it may not.
pub fn requested_by_client(
    strategy: ScopeStrategy,
    client_scope: &str,
    raw: Option<&str>,
) -> Result<Vec<String>, OAuth2Error> {
    let requested = parse_scope(raw)?;
    let allowed: Vec<&str> = client_scope.split(' ').filter(|s| !s.is_empty()).collect();
    if let Some(denied) = first_not_allowed(strategy, &allowed, &requested) {
        return Err(OAuth2Error::new(ErrorKind::InvalidScope).with_hint(format!(
            "The OAuth 2.0 Client is not allowed to request scope {}.",
            quoted(denied)
        )));
    }
    Ok(requested)
}

/// The `audience` parameters `raw`, parsed, when each is one of the client's
/// registered `audience`; otherwise `invalid_request`, as Hydra answers.
pub fn audience_of_client(
    client_audience: &[String],
    raw: &[&str],
) -> Result<Vec<String>, OAuth2Error> {
    let audience = parse_audience(raw)?;
    if let Some(denied) = audience.iter().find(|a| !client_audience.contains(a)) {
        return Err(OAuth2Error::invalid_request(format!(
            "The OAuth 2.0 Client is not allowed to request audience {}.",
            quoted(denied)
        )));
    }
    Ok(audience)
}

/// Hydra's wildcard strategy (fosite's `WildcardScopeStrategy`): scopes are
/// dot-separated parts. A `*` part matches any one non-empty part, and a trailing `*`
/// any non-empty remainder; every other part must be equal. `foo.*` covers `foo.bar`
/// and `foo.bar.baz` but not `foo`; `foo` covers only `foo`.
fn wildcard_matches(matcher: &str, requested: &str) -> bool {
    let parts = matcher.split('.').count();
    let requested_parts = requested.split('.').count();
    if parts > requested_parts {
        return false;
    }
    matcher
        .split('.')
        .zip(requested.split('.'))
        .enumerate()
        .all(|(i, (m, r))| {
            if m == "*" {
                !r.is_empty()
            } else {
                m == r && (i + 1 != parts || parts == requested_parts)
            }
        })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::error::ErrorKind;

    fn wildcard(matcher: &str, requested: &str) -> bool {
        is_allowed(ScopeStrategy::Wildcard, [matcher], requested)
    }

    #[test]
    fn wildcard_follows_hydra() {
        let cases = [
            ("foo", "foo", true),
            ("foo", "foo.bar", false),
            ("foo", "fo", false),
            ("foo.*", "foo.bar", true),
            ("foo.*", "foo.bar.baz", true),
            ("foo.*", "foo", false),
            ("foo.*", "foo.", false),
            ("foo.*", "bar.baz", false),
            ("*", "anything", true),
            ("*", "any.thing", true),
            ("*", "", false),
            ("foo.*.baz", "foo.bar.baz", true),
            ("foo.*.baz", "foo.bar.qux", false),
            ("foo.*.baz", "foo..baz", false),
            ("foo.*.baz", "foo.bar.baz.qux", false),
            ("foo.bar", "foo.*", false),
            ("offline_access", "offline_access", true),
        ];
        for (matcher, requested, expected) in cases {
            assert_eq!(
                wildcard(matcher, requested),
                expected,
                "{matcher} ⊇ {requested}"
            );
        }
    }

    #[test]
    fn first_not_allowed_agrees_with_is_allowed() {
        let allowed = ["read", "foo.*", "openid"];
        let requested: Vec<String> = ["openid", "foo.bar", "read", "write"]
            .map(str::to_owned)
            .to_vec();
        for strategy in [ScopeStrategy::Exact, ScopeStrategy::Wildcard] {
            let expected = requested
                .iter()
                .map(String::as_str)
                .find(|s| !is_allowed(strategy, allowed, s));
            assert_eq!(first_not_allowed(strategy, &allowed, &requested), expected);
        }
        assert_eq!(
            first_not_allowed(ScopeStrategy::Exact, &allowed, &requested),
            Some("foo.bar")
        );
        assert_eq!(
            first_not_allowed(ScopeStrategy::Wildcard, &allowed, &requested),
            Some("write")
        );
        assert_eq!(first_not_allowed(ScopeStrategy::Exact, &[], &[]), None);
    }

    #[test]
    fn exact_is_string_equality() {
        let allowed = ["read", "foo.*"];
        assert!(is_allowed(ScopeStrategy::Exact, allowed, "read"));
        assert!(is_allowed(ScopeStrategy::Exact, allowed, "foo.*"));
        assert!(!is_allowed(ScopeStrategy::Exact, allowed, "foo.bar"));
        assert!(!is_allowed(ScopeStrategy::Exact, allowed, "Read"));
        assert!(is_allowed(ScopeStrategy::Wildcard, allowed, "foo.bar"));
        assert!(!is_allowed(ScopeStrategy::Wildcard, [], "read"));
    }

    #[test]
    fn parameters_split_on_spaces_and_deduplicate() {
        assert_eq!(
            parse_scope(Some(" a  b a c ")).unwrap(),
            vec!["a", "b", "c"]
        );
        assert!(parse_scope(None).unwrap().is_empty());
        assert_eq!(
            parse_audience(&["https://a https://b", "https://c", "https://a"]).unwrap(),
            vec!["https://a", "https://b", "https://c"]
        );
    }

    /// An item that counts every hash and equality operation done on it.
    #[derive(Clone, Copy)]
    struct Counted<'a> {
        word: u32,
        operations: &'a Cell<u64>,
    }

    impl PartialEq for Counted<'_> {
        fn eq(&self, other: &Self) -> bool {
            self.operations.set(self.operations.get() + 1);
            self.word == other.word
        }
    }

    impl Eq for Counted<'_> {}

    impl Hash for Counted<'_> {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.operations.set(self.operations.get() + 1);
            self.word.hash(state);
        }
    }

    /// Issue 12 item 2: 54k distinct scope words cost 5.9 s of CPU, because every word
    /// was compared with every word before it. De-duplication must do a bounded number
    /// of operations per item (counted, not timed).
    #[test]
    fn deduplication_is_linear() {
        let operations = Cell::new(0);
        let distinct = 20_000u32;
        // Every word twice: the second half is all repeats.
        let items = (0..distinct).chain(0..distinct).map(|word| Counted {
            word,
            operations: &operations,
        });
        let unique = dedup(items);
        assert_eq!(unique.len(), distinct as usize);
        assert!(unique.iter().enumerate().all(|(i, c)| c.word == i as u32));
        let per_item = operations.get() / u64::from(2 * distinct);
        assert!(
            per_item <= 8,
            "{} hash/eq operations for {} items",
            operations.get(),
            2 * distinct
        );
    }

    #[test]
    fn lists_over_a_cap_are_refused_with_the_limit_named() {
        let words: Vec<String> = (0..54_000).map(|i| format!("s{i}")).collect();
        let err = parse_scope(Some(&words.join(" "))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidScope);
        assert!(
            err.description()
                .contains("scope parameter has more than 256 values")
        );
        let at_cap = words[..256].join(" ");
        assert_eq!(parse_scope(Some(&at_cap)).unwrap().len(), 256);
        // Repeats count: the work before de-duplication is bounded too.
        assert!(parse_scope(Some(&"a ".repeat(257))).is_err());

        let long = "x".repeat(513);
        let err = parse_scope(Some(&long)).unwrap_err();
        assert!(
            err.description().contains("longer than 512 bytes"),
            "{}",
            err.description()
        );
        assert!(parse_scope(Some(&long[1..])).is_ok());

        let audiences: Vec<String> = (0..65).map(|i| format!("https://a{i}")).collect();
        let refs: Vec<&str> = audiences.iter().map(String::as_str).collect();
        let err = parse_audience(&refs).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
        assert!(
            err.description()
                .contains("audience parameter has more than 64 values")
        );
        assert_eq!(parse_audience(&refs[..64]).unwrap().len(), 64);
    }
}
