//! Failed sign-ins counted per username and per client address
//! (`login_ui.sign_in_rate_limit`): once either has spent its budget within the
//! window, the sign-in form answers 429 without checking the password, so a guesser
//! cannot try passwords faster than the budget, for one account from many addresses
//! or for many accounts from one address. Only failures count: a user who signs in
//! correctly is never limited by their own successes.
//!
//! The budgets of `crate::failed_attempts` (also the password grant's): fixed windows
//! starting at a key's first failure, shared by every node through Redis when
//! `rate_limit.store` is a Redis URL, else per node in memory (at most [`MAX_KEYS`]
//! keys per budget).

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::config::SignInRateLimit;
use crate::failed_attempts::Budget;
use crate::redis_client::SharedCounters;

/// Most keys kept at once, per budget.
pub const MAX_KEYS: usize = crate::failed_attempts::DEFAULT_CAPACITY;

/// The failure counters of the sign-in form.
#[derive(Debug)]
pub struct SignInLimiter {
    usernames: Budget,
    addresses: Budget,
}

fn username_key(username: &str) -> String {
    // Usernames compare case-insensitively (`users::model`): one budget per account.
    username.trim().to_lowercase()
}

impl SignInLimiter {
    /// The limiter of `limit`, its counters in `shared` when given.
    pub fn new(limit: SignInRateLimit, shared: Option<&SharedCounters>) -> Self {
        let window = limit.window.as_chrono();
        Self {
            usernames: Budget::new(
                "sign_in_username",
                limit.per_username,
                window,
                MAX_KEYS,
                shared,
            ),
            addresses: Budget::new("sign_in_address", limit.per_ip, window, MAX_KEYS, shared),
        }
    }

    /// Whether the username or the address has no failed sign-in left at `now`.
    pub async fn is_limited(&self, username: &str, ip: Option<IpAddr>, now: DateTime<Utc>) -> bool {
        if self
            .usernames
            .blocked_until(&username_key(username), now)
            .await
            .is_some()
        {
            return true;
        }
        match ip {
            Some(ip) => self
                .addresses
                .blocked_until(&ip.to_string(), now)
                .await
                .is_some(),
            None => false,
        }
    }

    /// Counts one failed sign-in for the username and the address.
    pub async fn record_failure(&self, username: &str, ip: Option<IpAddr>, now: DateTime<Utc>) {
        self.usernames
            .record_failure(&username_key(username), now)
            .await;
        if let Some(ip) = ip {
            self.addresses.record_failure(&ip.to_string(), now).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::duration::GoDuration;

    fn limiter() -> SignInLimiter {
        SignInLimiter::new(
            SignInRateLimit {
                per_username: 2,
                per_ip: 3,
                window: GoDuration::from_secs(60),
            },
            None,
        )
    }

    #[tokio::test]
    async fn failures_spend_the_username_budget_then_the_window_ends() {
        let limiter = limiter();
        let t0 = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(!limiter.is_limited("alice", Some(ip), t0).await);
        limiter.record_failure("Alice", Some(ip), t0).await;
        assert!(!limiter.is_limited("alice", Some(ip), t0).await);
        limiter.record_failure("alice", Some(ip), t0).await;
        assert!(
            limiter.is_limited("ALICE", None, t0).await,
            "case-insensitive"
        );
        assert!(
            !limiter.is_limited("bob", None, t0).await,
            "another account"
        );
        assert!(
            !limiter
                .is_limited("alice", None, t0 + Duration::seconds(60))
                .await
        );
    }

    #[tokio::test]
    async fn failures_spend_the_address_budget_across_usernames() {
        let limiter = limiter();
        let t0 = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        for name in ["a", "b", "c"] {
            assert!(!limiter.is_limited("d", Some(ip), t0).await);
            limiter.record_failure(name, Some(ip), t0).await;
        }
        assert!(limiter.is_limited("d", Some(ip), t0).await);
        assert!(
            !limiter
                .is_limited("d", Some("2001:db8::2".parse().unwrap()), t0)
                .await
        );
    }
}
