//! Scopes (RFC 6749 §3.3) and audiences: parsing the request parameters and matching
//! requested values against what a client may ask for, with `strategies.scope`.

use crate::config::ScopeStrategy;

/// RFC 6749 §3.3: "a list of space-delimited, case-sensitive strings". Empty items are
/// dropped and repeats removed, keeping the first occurrence's order.
pub fn parse_scope(value: Option<&str>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for item in value.unwrap_or_default().split(' ') {
        if !item.is_empty() && !scopes.iter().any(|s| s == item) {
            scopes.push(item.to_owned());
        }
    }
    scopes
}

/// The `audience` parameter (Hydra's extension): given once with space-separated
/// values, or repeated. Empty items are dropped and repeats removed.
pub fn parse_audience(values: &[&str]) -> Vec<String> {
    parse_scope(Some(&values.join(" ")))
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

/// Hydra's wildcard strategy (fosite's `WildcardScopeStrategy`): scopes are
/// dot-separated parts. A `*` part matches any one non-empty part, and a trailing `*`
/// any non-empty remainder; every other part must be equal. `foo.*` covers `foo.bar`
/// and `foo.bar.baz` but not `foo`; `foo` covers only `foo`.
fn wildcard_matches(matcher: &str, requested: &str) -> bool {
    let matcher: Vec<&str> = matcher.split('.').collect();
    let requested: Vec<&str> = requested.split('.').collect();
    if matcher.len() > requested.len() {
        return false;
    }
    let last = matcher.len() - 1;
    matcher
        .iter()
        .zip(&requested)
        .enumerate()
        .all(|(i, (m, r))| {
            if *m == "*" {
                !r.is_empty()
            } else {
                m == r && (i != last || matcher.len() == requested.len())
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(parse_scope(Some(" a  b a c ")), vec!["a", "b", "c"]);
        assert!(parse_scope(None).is_empty());
        assert_eq!(
            parse_audience(&["https://a https://b", "https://c", "https://a"]),
            vec!["https://a", "https://b", "https://c"]
        );
    }
}
