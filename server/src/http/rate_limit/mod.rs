//! Rate limits (issue 14 §3, `rate_limit`): a GCRA budget per endpoint
//! group and client address, kept in this node's memory (`memory.rs`) or in Redis
//! (`redis.rs`) so all nodes share it. The middleware that applies it is
//! `http/middleware/rate_limit.rs`. A store that fails (Redis down) lets the request
//! through: a limiter outage must never become an authorization server outage.
//! Refusals are reported as the sampled `rate_limit.exceeded` audit event
//! (`events::report_rate_limit`) when events are on.

pub mod memory;
pub mod openapi;
pub mod redis;

use std::net::IpAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::config::{Cidr, GroupLimit, RateLimitConfig};
use crate::events::SampledEvents;
use crate::events::report_rate_limit::{RateLimited, rate_limit_exceeded};
use crate::redis_client::{SharedRedis, SharedRedisError};

/// The endpoint groups that have budgets of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Authorize,
    Token,
    Introspect,
    Default,
}

/// How many groups there are (the stores keep one limiter per group).
pub const GROUPS: usize = 4;

impl Group {
    /// The group's name in configuration keys, metrics and the `RateLimit` headers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Token => "token",
            Self::Introspect => "introspect",
            Self::Default => "default",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Authorize => 0,
            Self::Token => 1,
            Self::Introspect => 2,
            Self::Default => 3,
        }
    }

    /// The group of a request for `path` on the public (`admin == false`) or admin
    /// listener; `None` when the path is never limited. Health and version stay
    /// unlimited for load balancers and probes; the admin API is limited only at
    /// introspection, which resource servers call per request.
    pub fn of(path: &str, admin: bool) -> Option<Group> {
        match path {
            "/admin/oauth2/introspect" | "/oauth2/introspect" => Some(Self::Introspect),
            _ if admin => None,
            // The seed service's aliases (`/oauth/*`) share their endpoint's budget.
            "/oauth/introspect" => Some(Self::Introspect),
            "/oauth2/auth" | "/oauth/authorize" => Some(Self::Authorize),
            "/oauth2/token" | "/oauth/token" => Some(Self::Token),
            "/health/alive" | "/health/ready" | "/version" | "/health" | "/ready" | "/ping" => None,
            _ => Some(Self::Default),
        }
    }

    /// Whether `path` is a page browsers navigate to, so a refusal is an HTML page.
    pub fn is_browser_page(path: &str) -> bool {
        matches!(
            path,
            "/oauth2/auth"
                | "/oauth/authorize"
                | "/oauth2/sessions/logout"
                | "/oauth2/sign_out"
                | "/oauth2/device/verify"
        ) || path.starts_with("/ui/")
    }
}

/// The outcome of spending one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests left right now after this one.
    pub remaining: u32,
    /// When denied: how long until one request is allowed again.
    pub retry_after: Duration,
    /// How long until the whole burst is available again.
    pub reset: Duration,
}

impl Decision {
    fn allowed(remaining: u32, limit: GroupLimit) -> Self {
        let spent = limit.burst.saturating_sub(remaining);
        let interval = Duration::from_secs(60) / limit.per_minute.max(1);
        Self {
            allowed: true,
            remaining,
            retry_after: Duration::ZERO,
            reset: interval.saturating_mul(spent),
        }
    }

    fn denied(retry_after: Duration) -> Self {
        Self {
            allowed: false,
            remaining: 0,
            retry_after,
            reset: retry_after,
        }
    }
}

enum Store {
    // Boxed: the memory store's limiters are large beside the Redis handle.
    Memory(Box<memory::MemoryStore>),
    Redis(redis::RedisStore),
}

/// The configured limits and their store, shared by every worker of both listeners.
pub struct RateLimiter {
    limits: [GroupLimit; GROUPS],
    allow_list: Vec<Cidr>,
    store: Store,
    /// Where refusals are reported (`rate_limit.exceeded`); a no-op with events off.
    refusals: SampledEvents,
}

/// Where Redis keys start (`<prefix><group>:<client address>`).
pub const DEFAULT_KEY_PREFIX: &str = "portunus:rate_limit:";

/// `rate_limit.key_prefix`, or [`DEFAULT_KEY_PREFIX`].
pub fn key_prefix(config: &RateLimitConfig) -> String {
    config
        .key_prefix
        .clone()
        .unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned())
}

impl RateLimiter {
    /// The limiter of `config`, or `None` when rate limits are off. `shared` is the
    /// Redis of `rate_limit.store` (`SharedRedis::for_store`), `None` for `memory`;
    /// `refusals` reports the requests it refuses (`rate_limit.exceeded`).
    pub fn from_config(
        config: &RateLimitConfig,
        shared: Option<Arc<SharedRedis>>,
        refusals: SampledEvents,
    ) -> Option<Arc<Self>> {
        if !config.enabled {
            return None;
        }
        let groups = &config.groups;
        let limits = [
            groups.authorize,
            groups.token,
            groups.introspect,
            groups.default,
        ];
        let store = match shared {
            None => Store::Memory(Box::new(memory::MemoryStore::new(&limits))),
            Some(shared) => Store::Redis(redis::RedisStore::new(shared, key_prefix(config))),
        };
        let allow_list = config
            .allow_list
            .cidrs
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect();
        let limiter = Arc::new(Self {
            limits,
            allow_list,
            store,
            refusals,
        });
        if matches!(limiter.store, Store::Memory(_)) {
            spawn_pruning(Arc::downgrade(&limiter));
        }
        Some(limiter)
    }

    /// The configured limit of `group`.
    pub fn limit(&self, group: Group) -> GroupLimit {
        self.limits
            .get(group.index())
            .copied()
            .unwrap_or(GroupLimit::new(1))
    }

    /// Whether `ip` is on the allow-list (never limited).
    pub fn is_allowed(&self, ip: IpAddr) -> bool {
        self.allow_list.iter().any(|range| range.contains(ip))
    }

    /// Spends one request of `ip`'s budget in `group`; `None` when the store failed
    /// (the caller lets the request through, counted and logged here).
    pub async fn check(&self, group: Group, ip: IpAddr) -> Option<Decision> {
        let limit = self.limit(group);
        match &self.store {
            Store::Memory(store) => Some(store.check(group, ip.to_canonical().to_string(), limit)),
            Store::Redis(store) => {
                match store
                    .check(group, &ip.to_canonical().to_string(), limit)
                    .await
                {
                    Ok(decision) => Some(decision),
                    Err(err) => {
                        crate::prometheus::rate_limit_failed_open(group.name());
                        if !matches!(err, SharedRedisError::BackingOff(_)) {
                            tracing::warn!(
                                group = group.name(),
                                error = %err,
                                "rate limit store unavailable: request allowed (fail open)"
                            );
                        }
                        None
                    }
                }
            }
        }
    }
}

impl RateLimiter {
    /// Reports a refused request (sampled): its group, listener and path, and the
    /// network of the address whose budget was spent.
    pub fn report_refusal(&self, group: Group, admin: bool, path: &str, ip: IpAddr) {
        rate_limit_exceeded(
            &self.refusals,
            &RateLimited {
                limit: group.name(),
                listener: if admin { "admin" } else { "public" },
                route: path,
                ip,
            },
        );
    }
}

/// Prunes the memory store every `PRUNE_EVERY` while the limiter lives.
fn spawn_pruning(limiter: Weak<RateLimiter>) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(memory::PRUNE_EVERY);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(limiter) = limiter.upgrade() else {
                return;
            };
            if let Store::Memory(store) = &limiter.store {
                store.prune();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_groups() {
        assert_eq!(Group::of("/oauth2/auth", false), Some(Group::Authorize));
        assert_eq!(Group::of("/oauth2/token", false), Some(Group::Token));
        assert_eq!(Group::of("/userinfo", false), Some(Group::Default));
        assert_eq!(Group::of("/health/ready", false), None);
        assert_eq!(Group::of("/ping", false), None);
        assert_eq!(Group::of("/oauth/token", false), Some(Group::Token));
        assert_eq!(Group::of("/oauth/authorize", false), Some(Group::Authorize));
        assert_eq!(
            Group::of("/oauth/introspect", false),
            Some(Group::Introspect)
        );
        assert_eq!(
            Group::of("/admin/oauth2/introspect", true),
            Some(Group::Introspect)
        );
        assert_eq!(Group::of("/admin/clients", true), None);
    }

    #[test]
    fn an_allowed_decision_says_when_the_burst_is_back() {
        let limit = GroupLimit {
            per_minute: 60,
            burst: 10,
        };
        let decision = Decision::allowed(7, limit);
        assert_eq!(decision.reset, Duration::from_secs(3));
        assert!(decision.allowed);
    }
}
