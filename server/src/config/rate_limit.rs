//! `rate_limit` (issue 14 §3): request budgets per endpoint group, kept in
//! this process's memory or in Redis so every node shares them. Off by default so an
//! upgrade changes nothing; the production example turns it on (docs/operations.md,
//! "Rate limits").

use serde::{Deserialize, Serialize};

/// `rate_limit`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Limit requests at all (off by default).
    pub enabled: bool,
    /// `memory` (each node counts for itself) or `redis://host:port[/db]` (all nodes
    /// pointed at one Redis share the counters).
    pub store: String,
    /// Start of every Redis key (default `portunus:rate_limit:`): lets deployments
    /// share one Redis without sharing budgets.
    pub key_prefix: Option<String>,
    pub groups: RateLimitGroups,
    /// Sources that are never limited.
    pub allow_list: RateLimitAllowList,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            store: "memory".into(),
            key_prefix: None,
            groups: RateLimitGroups::default(),
            allow_list: RateLimitAllowList::default(),
        }
    }
}

/// One budget per endpoint group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitGroups {
    /// `GET /oauth2/auth`, per client address.
    pub authorize: GroupLimit,
    /// `POST /oauth2/token`, per client address (docs/security.md: why not per client).
    pub token: GroupLimit,
    /// Token introspection on the admin listener, per client address.
    pub introspect: GroupLimit,
    /// Every other public endpoint but health, per client address.
    pub default: GroupLimit,
}

impl Default for RateLimitGroups {
    fn default() -> Self {
        Self {
            authorize: GroupLimit::new(10),
            token: GroupLimit::new(20),
            introspect: GroupLimit::new(100),
            default: GroupLimit::new(100),
        }
    }
}

/// A sustained rate and how many requests may come at once (GCRA: the budget refills
/// one request every `60 s / per_minute`, up to `burst`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct GroupLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl GroupLimit {
    /// `per_minute` with a burst of the same size (a full minute's budget at once).
    pub const fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            burst: per_minute,
        }
    }
}

impl Default for GroupLimit {
    fn default() -> Self {
        Self::new(100)
    }
}

/// `rate_limit.allow_list`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitAllowList {
    /// CIDR ranges of client addresses never limited (monitoring, your own backends).
    pub cidrs: Vec<String>,
}

/// Largest accepted `per_minute` / `burst`: beyond it a limit means nothing.
pub const MAX_RATE: u32 = 1_000_000;

impl RateLimitConfig {
    /// The problems of this configuration, as (key suffix, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let store = self.store.as_str();
        if store != "memory" && !store.starts_with("redis://") {
            problems.push(("store".into(), "must be memory or a redis:// URL".into()));
        }
        let groups = [
            ("authorize", self.groups.authorize),
            ("token", self.groups.token),
            ("introspect", self.groups.introspect),
            ("default", self.groups.default),
        ];
        for (name, limit) in groups {
            for (field, value) in [("per_minute", limit.per_minute), ("burst", limit.burst)] {
                if !(1..=MAX_RATE).contains(&value) {
                    problems.push((
                        format!("groups.{name}.{field}"),
                        format!("must be between 1 and {MAX_RATE}"),
                    ));
                }
            }
        }
        for (index, value) in self.allow_list.cidrs.iter().enumerate() {
            if let Err(err) = value.parse::<super::Cidr>() {
                problems.push((format!("allow_list.cidrs[{index}]"), err.to_string()));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_issue_budgets_and_valid() {
        let config = RateLimitConfig::default();
        assert!(!config.enabled);
        assert_eq!(config.groups.authorize.per_minute, 10);
        assert_eq!(config.groups.token.per_minute, 20);
        assert_eq!(config.groups.introspect.per_minute, 100);
        assert!(config.problems().is_empty());
    }

    #[test]
    fn bad_values_are_named() {
        let mut config = RateLimitConfig {
            store: "memcached://x".into(),
            ..RateLimitConfig::default()
        };
        config.groups.token.burst = 0;
        config.allow_list.cidrs = vec!["10.0.0.0/99".into()];
        let keys: Vec<String> = config.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["store", "groups.token.burst", "allow_list.cidrs[0]"]);
    }
}
