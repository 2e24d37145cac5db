//! Failed sign-ins counted per username and per client address
//! (`login_ui.sign_in_rate_limit`): once either has spent its budget within the
//! window, the sign-in form answers 429 without checking the password, so a guesser
//! cannot try passwords faster than the budget, for one account from many addresses
//! or for many accounts from one address. Only failures count: a user who signs in
//! correctly is never limited by their own successes.
//!
//! Per node, in memory; fixed windows starting at a key's first failure. Memory is
//! bounded: at most [`MAX_KEYS`] keys are kept, expired ones are dropped first, and a
//! full table stops adding keys (failing open for new keys, never locking everyone out).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::config::SignInRateLimit;
use crate::duration::later;

/// Most keys kept at once.
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    ends_at: DateTime<Utc>,
}

/// The failure counters of one node.
#[derive(Debug)]
pub struct SignInLimiter {
    limit: SignInRateLimit,
    windows: Mutex<HashMap<String, Window>>,
}

fn username_key(username: &str) -> String {
    // Usernames compare case-insensitively (`users::model`): one budget per account.
    format!("u:{}", username.trim().to_lowercase())
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

impl SignInLimiter {
    pub fn new(limit: SignInRateLimit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn keys(&self, username: &str, ip: Option<IpAddr>) -> Vec<(String, u32)> {
        let mut keys = vec![(username_key(username), self.limit.per_username)];
        if let Some(ip) = ip {
            keys.push((ip_key(ip), self.limit.per_ip));
        }
        keys
    }

    /// Whether the username or the address has no failed sign-in left at `now`.
    pub fn is_limited(&self, username: &str, ip: Option<IpAddr>, now: DateTime<Utc>) -> bool {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        self.keys(username, ip).iter().any(|(key, budget)| {
            windows
                .get(key)
                .is_some_and(|w| now < w.ends_at && w.failures >= *budget)
        })
    }

    /// Counts one failed sign-in for the username and the address.
    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>, now: DateTime<Utc>) {
        let window = self.limit.window.as_chrono();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in self.keys(username, ip) {
            if !windows.contains_key(&key) && windows.len() >= MAX_KEYS {
                windows.retain(|_, w| now < w.ends_at);
                if windows.len() >= MAX_KEYS {
                    continue;
                }
            }
            let entry = windows.entry(key).or_insert(Window {
                failures: 0,
                ends_at: later(now, window),
            });
            if now >= entry.ends_at {
                *entry = Window {
                    failures: 0,
                    ends_at: later(now, window),
                };
            }
            entry.failures = entry.failures.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::duration::GoDuration;

    fn limiter() -> SignInLimiter {
        SignInLimiter::new(SignInRateLimit {
            per_username: 2,
            per_ip: 3,
            window: GoDuration::from_secs(60),
        })
    }

    #[test]
    fn failures_spend_the_username_budget_then_the_window_ends() {
        let limiter = limiter();
        let t0 = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(!limiter.is_limited("alice", Some(ip), t0));
        limiter.record_failure("Alice", Some(ip), t0);
        assert!(!limiter.is_limited("alice", Some(ip), t0));
        limiter.record_failure("alice", Some(ip), t0);
        assert!(limiter.is_limited("ALICE", None, t0), "case-insensitive");
        assert!(!limiter.is_limited("bob", None, t0), "another account");
        assert!(!limiter.is_limited("alice", None, t0 + Duration::seconds(60)));
    }

    #[test]
    fn failures_spend_the_address_budget_across_usernames() {
        let limiter = limiter();
        let t0 = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        for name in ["a", "b", "c"] {
            assert!(!limiter.is_limited("d", Some(ip), t0));
            limiter.record_failure(name, Some(ip), t0);
        }
        assert!(limiter.is_limited("d", Some(ip), t0));
        assert!(!limiter.is_limited("d", Some("2001:db8::2".parse().unwrap()), t0));
    }
}
