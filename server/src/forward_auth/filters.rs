//! The query parameters of `GET /oauth2/forward-auth` that narrow who may pass, with
//! the reverse-proxy service's names (`allowed_groups`, `allowed_emails`,
//! `allowed_email_domains`: comma-separated) and two of OAuth's (`scope`, `audience`:
//! space-separated, as RFC 6749 §3.3 and Hydra's `audience` parameter write them).
//! Every list is bounded in count and length; a malformed one is `invalid_request`, so
//! a typo in a proxy's configuration shows at once instead of letting everyone in.

use crate::error::OAuth2Error;

/// The longest query string read (bytes): far above any sane filter set.
pub const MAX_QUERY_LEN: usize = 4096;
/// At most this many entries per parameter.
pub const MAX_ENTRIES: usize = 32;
/// At most this many bytes per entry (RFC 5321 §4.5.3.1 caps a path at 256 octets).
pub const MAX_ENTRY_LEN: usize = 256;

/// What a request must satisfy besides being authenticated; empty lists ask nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// The user must be in at least one of these groups.
    pub groups: Vec<String>,
    /// The user's (verified) e-mail must be one of these, compared case-insensitively.
    pub emails: Vec<String>,
    /// The user's (verified) e-mail domain must be one of these; `*.example.com`
    /// admits the subdomains of `example.com`.
    pub email_domains: Vec<String>,
    /// Every one of these scopes must have been granted (the scope strategy applies).
    pub scope: Vec<String>,
    /// Every one of these audiences must have been granted.
    pub audience: Vec<String>,
}

impl Filters {
    /// Whether any filter needs the user's claims or grant.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.emails.is_empty()
            && self.email_domains.is_empty()
            && self.scope.is_empty()
            && self.audience.is_empty()
    }
}

#[derive(Clone, Copy)]
enum Separator {
    Comma,
    Space,
}

/// Parses the raw query string. Other parameters (a proxy's `rd`, say) are ignored:
/// they decide nothing here, and nothing here redirects.
pub fn parse(query: &str) -> Result<Filters, OAuth2Error> {
    if query.len() > MAX_QUERY_LEN {
        return Err(OAuth2Error::invalid_request(format!(
            "The query string is longer than {MAX_QUERY_LEN} bytes."
        )));
    }
    let mut filters = Filters::default();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let (target, separator, kind) = match name.as_ref() {
            "allowed_groups" => (&mut filters.groups, Separator::Comma, Kind::Plain),
            "allowed_emails" => (&mut filters.emails, Separator::Comma, Kind::Email),
            "allowed_email_domains" => (&mut filters.email_domains, Separator::Comma, Kind::Domain),
            "scope" => (&mut filters.scope, Separator::Space, Kind::Plain),
            "audience" => (&mut filters.audience, Separator::Space, Kind::Plain),
            _ => continue,
        };
        if seen.iter().any(|s| s == name.as_ref()) {
            return Err(OAuth2Error::invalid_request(format!(
                "The parameter '{name}' must not be repeated."
            )));
        }
        seen.push(name.to_string());
        *target = entries(&name, &value, separator, kind)?;
    }
    Ok(filters)
}

#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Email,
    Domain,
}

fn entries(
    name: &str,
    value: &str,
    separator: Separator,
    kind: Kind,
) -> Result<Vec<String>, OAuth2Error> {
    let bad = |why: &str| OAuth2Error::invalid_request(format!("The parameter '{name}' {why}."));
    let items: Vec<&str> = match separator {
        Separator::Comma => value.split(',').map(str::trim).collect(),
        Separator::Space => value.split(' ').filter(|s| !s.is_empty()).collect(),
    };
    if items.len() > MAX_ENTRIES {
        return Err(bad(&format!("has more than {MAX_ENTRIES} entries")));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if item.is_empty() {
            return Err(bad("has an empty entry"));
        }
        if item.len() > MAX_ENTRY_LEN {
            return Err(bad(&format!(
                "has an entry longer than {MAX_ENTRY_LEN} bytes"
            )));
        }
        // Visible ASCII only: the values are compared with claims and never echoed, but
        // a control character can only be a mistake or an attack.
        if !item.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad("has an entry with characters other than visible ASCII"));
        }
        match kind {
            Kind::Plain => {}
            Kind::Email
                if item
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && valid_domain(d)) => {}
            Kind::Email => return Err(bad("has an entry that is not an e-mail address")),
            Kind::Domain if valid_domain(item.strip_prefix("*.").unwrap_or(item)) => {}
            Kind::Domain => return Err(bad("has an entry that is not a domain")),
        }
        out.push(item.to_owned());
    }
    Ok(out)
}

/// A domain name as far as matching needs: dot-separated non-empty labels, no `@`.
fn valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && !domain.contains('@')
        && !domain.contains('*')
        && domain.split('.').all(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_parsed_and_bounded() {
        let f =
            parse("allowed_groups=admins,%20ops&scope=read+write&rd=https://x.test/&audience=api")
                .unwrap();
        assert_eq!(f.groups, ["admins", "ops"]);
        assert_eq!(f.scope, ["read", "write"]);
        assert_eq!(f.audience, ["api"]);
        assert!(parse("").unwrap().is_empty());
        assert!(parse("rd=https://evil.test/").unwrap().is_empty());
        let many = vec!["g"; MAX_ENTRIES + 1].join(",");
        for bad in [
            format!("allowed_groups={many}"),
            "allowed_groups=a,,b".to_owned(),
            "allowed_groups=a&allowed_groups=b".to_owned(),
            format!("allowed_groups={}", "x".repeat(MAX_ENTRY_LEN + 1)),
            "allowed_groups=a%0Ab".to_owned(),
            "allowed_emails=ada".to_owned(),
            "allowed_emails=@example.com".to_owned(),
            "allowed_email_domains=ada@example.com".to_owned(),
            "allowed_email_domains=example..com".to_owned(),
            format!("x={}", "y".repeat(MAX_QUERY_LEN)),
        ] {
            let err = parse(&bad).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
        let f = parse("allowed_email_domains=*.example.com,example.org").unwrap();
        assert_eq!(f.email_domains, ["*.example.com", "example.org"]);
    }
}
