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
//! worst shorten the lockout of old keys.

use std::collections::HashMap;
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
    windows: Mutex<HashMap<String, Window>>,
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
            windows: Mutex::new(HashMap::new()),
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
        let window = windows.get(key)?;
        let ends = self.ends(window);
        (window.failures >= self.max && now < ends).then_some(ends)
    }

    /// Counts one failure of `key` at `now`.
    pub fn record_failure(&self, key: &str, now: DateTime<Utc>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = windows.get_mut(key) {
            if now < self.ends(window) {
                window.failures = window.failures.saturating_add(1);
            } else {
                *window = Window {
                    started: now,
                    failures: 1,
                };
            }
            return;
        }
        if windows.len() >= self.capacity {
            windows.retain(|_, window| now < self.ends(window));
        }
        if windows.len() >= self.capacity
            && let Some(oldest) = windows
                .iter()
                .min_by_key(|(_, window)| window.started)
                .map(|(key, _)| key.clone())
        {
            windows.remove(&oldest);
        }
        windows.insert(
            key.to_owned(),
            Window {
                started: now,
                failures: 1,
            },
        );
    }

    /// How many keys are tracked (for tests of the bound).
    pub fn tracked(&self) -> usize {
        self.windows.lock().map_or(0, |windows| windows.len())
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
}
