//! Who a forward-auth request is, from an access token's grant or a browser session,
//! and whether that identity passes the request's filters. Claims come from what the
//! consent app put in the grant's session (`session.id_token`, standard claims only
//! with their scope as userinfo gives them, OIDC Core §5.4; then
//! `session.access_token`, which resource servers see through introspection anyway).

use serde_json::{Map, Value};

use super::filters::Filters;
use crate::config::ScopeStrategy;
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::bearer::insufficient_scope;
use crate::oauth2::scope;

/// The longest claim value passed on in a header; longer ones are left out.
const MAX_HEADER_VALUE_LEN: usize = 1024;

/// What an access token was granted; a browser session has no grant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    pub scopes: Vec<String>,
    pub audience: Vec<String>,
}

/// The authenticated user as the answer's headers describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `X-Auth-Request-User`: the subject (pairwise where the client has one).
    pub user: String,
    /// `X-Auth-Request-Email`: only an address not marked `email_verified: false`.
    pub email: Option<String>,
    /// `X-Auth-Request-Preferred-Username`.
    pub preferred_username: Option<String>,
    /// `X-Auth-Request-Groups`, comma-joined.
    pub groups: Vec<String>,
    pub grant: Option<Grant>,
}

/// A value that can travel in a header and be read back unchanged: no control
/// characters (RFC 9110 §5.5 forbids CR, LF and NUL; the others confuse proxies).
fn header_safe(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_HEADER_VALUE_LEN && !value.chars().any(char::is_control)
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| header_safe(v))
        .map(str::to_owned)
}

/// `groups` as an array of strings (or one string); entries that cannot be joined with
/// commas unambiguously, or cannot travel in a header, are left out.
fn groups_claim(claims: &Map<String, Value>) -> Vec<String> {
    let values: Vec<&Value> = match claims.get("groups") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::String(_)) => vec![single],
        _ => Vec::new(),
    };
    values
        .into_iter()
        .filter_map(Value::as_str)
        .filter(|g| header_safe(g) && !g.contains(','))
        .map(str::to_owned)
        .collect()
}

impl Identity {
    /// The identity of `user` with `claims` (the first claim set wins per name).
    pub fn from_claims(
        user: String,
        claim_sets: &[&Map<String, Value>],
        grant: Option<Grant>,
    ) -> Self {
        let first = |name: &str| claim_sets.iter().find_map(|c| string_claim(c, name));
        // `email_verified` belongs to the claim set the e-mail address comes from.
        let verified = claim_sets
            .iter()
            .find(|c| c.contains_key("email"))
            .and_then(|c| c.get("email_verified"));
        let email = first("email").filter(|_| verified != Some(&Value::Bool(false)));
        let groups = claim_sets
            .iter()
            .find(|c| c.contains_key("groups"))
            .map(|c| groups_claim(c))
            .unwrap_or_default();
        Self {
            user,
            email,
            preferred_username: first("preferred_username"),
            groups,
            grant,
        }
    }

    /// 403 unless every filter is satisfied: `insufficient_scope` for scope and
    /// audience (RFC 6750 §3.1), `access_denied` for the user filters. The hints name
    /// the filter, never the user's values.
    pub fn check(&self, filters: &Filters, strategy: ScopeStrategy) -> Result<(), OAuth2Error> {
        if !filters.scope.is_empty() || !filters.audience.is_empty() {
            let Some(grant) = &self.grant else {
                return Err(insufficient_scope(
                    "A browser session carries no granted scope or audience: present an access token.",
                ));
            };
            let granted = || grant.scopes.iter().map(String::as_str);
            if !filters
                .scope
                .iter()
                .all(|s| scope::is_allowed(strategy, granted(), s))
            {
                return Err(insufficient_scope(
                    "The access token was not granted every scope the 'scope' parameter requires.",
                ));
            }
            if !filters.audience.iter().all(|a| grant.audience.contains(a)) {
                return Err(insufficient_scope(
                    "The access token was not granted every audience the 'audience' parameter requires.",
                ));
            }
        }
        if !filters.groups.is_empty() && !self.groups.iter().any(|g| filters.groups.contains(g)) {
            return Err(denied(
                "The user is in none of the groups of 'allowed_groups'.",
            ));
        }
        if !filters.emails.is_empty() {
            let listed = self
                .email
                .as_deref()
                .is_some_and(|e| filters.emails.iter().any(|a| a.eq_ignore_ascii_case(e)));
            if !listed {
                return Err(denied(
                    "The user's verified e-mail address is not in 'allowed_emails'.",
                ));
            }
        }
        if !filters.email_domains.is_empty() {
            let domain = self
                .email
                .as_deref()
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, d)| d);
            if !domain.is_some_and(|d| filters.email_domains.iter().any(|a| domain_matches(a, d))) {
                return Err(denied(
                    "The user's verified e-mail domain is not in 'allowed_email_domains'.",
                ));
            }
        }
        Ok(())
    }
}

fn denied(hint: &str) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::AccessDenied).with_hint(hint)
}

/// `allowed` is `example.com` (that domain only) or `*.example.com` (its subdomains,
/// not itself); ASCII case-insensitive (RFC 4343).
fn domain_matches(allowed: &str, domain: &str) -> bool {
    match allowed.strip_prefix("*.") {
        Some(parent) => domain
            .len()
            .checked_sub(parent.len() + 1)
            .and_then(|cut| domain.get(cut..))
            .and_then(|tail| tail.strip_prefix('.'))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(parent)),
        None => allowed.eq_ignore_ascii_case(domain),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn identity(claims: Value, grant: Option<Grant>) -> Identity {
        Identity::from_claims("ada".into(), &[claims.as_object().unwrap()], grant)
    }

    #[test]
    fn claims_become_header_safe_values() {
        let id = identity(
            json!({"email": "ada@example.com", "preferred_username": "ada\r\nX-Evil: 1",
                   "groups": ["admins", "a,b", "ops", 7]}),
            None,
        );
        assert_eq!(id.email.as_deref(), Some("ada@example.com"));
        assert_eq!(id.preferred_username, None);
        assert_eq!(id.groups, ["admins", "ops"]);
        let unverified = identity(
            json!({"email": "ada@example.com", "email_verified": false}),
            None,
        );
        assert_eq!(unverified.email, None);
        let single = identity(json!({"groups": "admins"}), None);
        assert_eq!(single.groups, ["admins"]);
    }

    #[test]
    fn filters_allow_and_deny() {
        let grant = Grant {
            scopes: vec!["read".into()],
            audience: vec!["api".into()],
        };
        let id = identity(
            json!({"email": "Ada@Sub.Example.com", "groups": ["ops"]}),
            Some(grant),
        );
        let check = |f: Filters| id.check(&f, ScopeStrategy::Exact).map_err(|e| e.status());
        let f = |g: &[&str], e: &[&str], d: &[&str], s: &[&str], a: &[&str]| Filters {
            groups: g.iter().map(|s| s.to_string()).collect(),
            emails: e.iter().map(|s| s.to_string()).collect(),
            email_domains: d.iter().map(|s| s.to_string()).collect(),
            scope: s.iter().map(|s| s.to_string()).collect(),
            audience: a.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(check(f(&[], &[], &[], &[], &[])), Ok(()));
        assert_eq!(check(f(&["admins", "ops"], &[], &[], &[], &[])), Ok(()));
        assert_eq!(check(f(&["admins"], &[], &[], &[], &[])), Err(403));
        assert_eq!(
            check(f(&[], &["ada@sub.example.com"], &[], &[], &[])),
            Ok(())
        );
        assert_eq!(
            check(f(&[], &["bob@sub.example.com"], &[], &[], &[])),
            Err(403)
        );
        assert_eq!(check(f(&[], &[], &["*.example.com"], &[], &[])), Ok(()));
        assert_eq!(check(f(&[], &[], &["sub.example.com"], &[], &[])), Ok(()));
        assert_eq!(check(f(&[], &[], &["example.com"], &[], &[])), Err(403));
        assert_eq!(
            check(f(&[], &[], &["*.sub.example.com"], &[], &[])),
            Err(403)
        );
        assert_eq!(check(f(&[], &[], &[], &["read"], &["api"])), Ok(()));
        assert_eq!(check(f(&[], &[], &[], &["write"], &[])), Err(403));
        assert_eq!(check(f(&[], &[], &[], &[], &["other"])), Err(403));
        let session = identity(json!({}), None);
        assert_eq!(
            session
                .check(&f(&[], &[], &[], &["read"], &[]), ScopeStrategy::Exact)
                .map_err(|e| e.status()),
            Err(403)
        );
        assert!(!domain_matches("*.example.com", "badexample.com"));
        assert!(!domain_matches("*.example.com", "example.com"));
    }
}
