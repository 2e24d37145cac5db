//! Counting failed credential checks per key (a username, a client id, an address) in
//! this node's memory, for the checks an online guesser would hammer: the password
//! grant's (`oauth2::grants::password`) and the login UI's sign-in
//! (`login_ui::sign_in_limit`). Each key may fail `max` times within a fixed
//! window that starts at its first failure; after that it is blocked until the window
//! ends. Successes do not count, so a busy legitimate key is never slowed.
//!
//! Memory is bounded: at most `capacity` keys are tracked; when full, expired windows
//! are dropped first, then the window that started earliest (which is the one nearest
//! its end), so an attacker flooding with fresh keys cannot grow the map, and can at
//! worst shorten the lockout of old keys. Windows are also kept in the order they
//! started (every window lasts as long, so that is the order they end): making room
//! pops from the front, O(1) amortised, instead of scanning every tracked key under
//! the lock on each new key of a flood.
//!
//! With a Redis `rate_limit.store`, the budgets are shared by every node
//! ([`shared::Budget`]), and this node's memory is their fallback.

pub mod shared;

pub use shared::Budget;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// The keys one budget tracks at most.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Failed attempts per key within a window.
#[derive(Debug)]
pub struct FailedAttempts {
    max: u32,
    window: Duration,
    capacity: usize,
    windows: Mutex<Windows>,
}

/// The windows by key, and (start, key) in the order they started. An entry of
/// `order` whose key has since started a newer window is stale and skipped.
#[derive(Debug, Default)]
struct Windows {
    by_key: HashMap<String, Window>,
    order: VecDeque<(DateTime<Utc>, String)>,
}

impl Windows {
    /// Whether `entry` of `order` is its key's current window.
    fn is_current(&self, entry: &(DateTime<Utc>, String)) -> bool {
        self.by_key
            .get(&entry.1)
            .is_some_and(|window| window.started == entry.0)
    }

    /// Starts a window of `key` at `now`.
    fn start(&mut self, key: &str, now: DateTime<Utc>) {
        self.by_key.insert(
            key.to_owned(),
            Window {
                started: now,
                failures: 1,
            },
        );
        self.order.push_back((now, key.to_owned()));
        // Restarted windows leave stale entries behind: drop them once they are as
        // many as the live ones, so `order` stays within twice the capacity.
        if self.order.len() > 2 * self.by_key.len().max(1) {
            let by_key = &self.by_key;
            self.order
                .retain(|(started, key)| by_key.get(key).is_some_and(|w| w.started == *started));
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    failures: u32,
}

impl FailedAttempts {
    /// A budget of `max` failures per `window` per key, over at most `capacity` keys.
    pub fn new(max: u32, window: Duration, capacity: usize) -> Self {
        Self {
            max,
            window,
            capacity: capacity.max(1),
            windows: Mutex::new(Windows::default()),
        }
    }

    fn ends(&self, window: &Window) -> DateTime<Utc> {
        window
            .started
            .checked_add_signed(self.window)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// When `key` may try again, if it has used up its failures of the current window.
    pub fn blocked_until(&self, key: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.by_key.get(key)?;
        let ends = self.ends(window);
        (window.failures >= self.max && now < ends).then_some(ends)
    }

    /// Counts one failure of `key` at `now`.
    pub fn record_failure(&self, key: &str, now: DateTime<Utc>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = windows.by_key.get_mut(key) {
            if now < self.ends(window) {
                window.failures = window.failures.saturating_add(1);
            } else {
                windows.start(key, now);
            }
            return;
        }
        // Make room from the front: stale entries, then expired windows (they end in
        // the order they started), then, still full, the window that started first.
        while windows.by_key.len() >= self.capacity {
            let Some(front) = windows.order.pop_front() else {
                break;
            };
            if !windows.is_current(&front) {
                continue;
            }
            windows.by_key.remove(&front.1);
        }
        while let Some(front) = windows.order.front() {
            let current = windows.is_current(front);
            let expired = windows
                .by_key
                .get(&front.1)
                .is_some_and(|w| now >= self.ends(w));
            if current && !expired {
                break;
            }
            if let Some((_, key)) = windows.order.pop_front()
                && current
            {
                windows.by_key.remove(&key);
            }
        }
        windows.start(key, now);
    }

    /// How many keys are tracked (for tests of the bound).
    pub fn tracked(&self) -> usize {
        self.windows
            .lock()
            .map_or(0, |windows| windows.by_key.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_key_is_blocked_after_max_failures_until_its_window_ends() {
        let budget = FailedAttempts::new(3, Duration::seconds(60), 10);
        for second in 0..2 {
            budget.record_failure("ada", at(second));
            assert_eq!(budget.blocked_until("ada", at(second)), None);
        }
        budget.record_failure("ada", at(2));
        assert_eq!(budget.blocked_until("ada", at(2)), Some(at(60)));
        assert_eq!(budget.blocked_until("ada", at(59)), Some(at(60)));
        assert_eq!(budget.blocked_until("ada", at(60)), None);
        assert_eq!(budget.blocked_until("bob", at(2)), None);
        // A failure after the window starts a new one.
        budget.record_failure("ada", at(61));
        assert_eq!(budget.blocked_until("ada", at(61)), None);
    }

    #[test]
    fn the_map_never_grows_past_its_capacity() {
        let budget = FailedAttempts::new(1, Duration::seconds(60), 3);
        for n in 0..10 {
            budget.record_failure(&format!("key-{n}"), at(n));
            assert!(budget.tracked() <= 3);
        }
        // The newest keys are the ones kept.
        assert_eq!(budget.blocked_until("key-9", at(10)), Some(at(69)));
        assert_eq!(budget.blocked_until("key-0", at(10)), None);
    }

    #[test]
    fn expired_windows_make_room_first() {
        let budget = FailedAttempts::new(1, Duration::seconds(10), 2);
        budget.record_failure("old", at(0));
        budget.record_failure("recent", at(15));
        budget.record_failure("new", at(16));
        assert_eq!(budget.blocked_until("recent", at(16)), Some(at(25)));
        assert_eq!(budget.blocked_until("new", at(16)), Some(at(26)));
    }

    #[test]
    fn restarted_windows_do_not_grow_the_order_or_lose_their_place() {
        let budget = FailedAttempts::new(5, Duration::seconds(10), 2);
        // "ada" restarts her window many times: one live window, bounded bookkeeping.
        for n in 0..100 {
            budget.record_failure("ada", at(n * 11));
        }
        let ada_start = at(99 * 11);
        budget.record_failure("bob", ada_start + Duration::seconds(1));
        // Full (2): a third key evicts the earliest live window, ada's latest, not bob's.
        budget.record_failure("cy", ada_start + Duration::seconds(2));
        assert_eq!(budget.tracked(), 2);
        let windows = budget.windows.lock().unwrap();
        assert!(windows.order.len() <= 4, "{}", windows.order.len());
        assert!(windows.by_key.contains_key("bob") && windows.by_key.contains_key("cy"));
    }
}
