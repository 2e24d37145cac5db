//! Slow secret verifications under way, so that concurrent requests presenting the same
//! secret for the same client share one computation instead of each taking a place in
//! the queue (`admission.rs`).
//!
//! Without it, the first burst of requests of a client with an operator-chosen
//! (Argon2id) secret — a service starting 16 workers at once, say — found the success
//! cache empty, queued one computation each, and all but `max_waiting_per_client` of
//! them were answered 503 although every one presented the same right secret. Now the
//! first request of a (client, stored hash, presented secret) triple leads: it queues
//! and computes; the others wait for its answer without queueing. If the leader goes
//! away or is refused a place, its followers fall back to queueing themselves.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// Verifications under way, by `secret_cache::verification_key`.
#[derive(Debug, Default)]
pub struct InFlight {
    running: Mutex<HashMap<[u8; 32], watch::Receiver<Option<bool>>>>,
}

/// What a request does about a verification of its triple.
pub enum Role<'a> {
    /// No one verifies it now: compute it, then [`Leader::finish`].
    Lead(Leader<'a>),
    /// Another request verifies it: wait for its answer.
    Follow(watch::Receiver<Option<bool>>),
}

/// The request computing a verification; dropping it without an answer (refused,
/// failed or cancelled) lets its followers queue for themselves.
pub struct Leader<'a> {
    in_flight: &'a InFlight,
    key: [u8; 32],
    answer: watch::Sender<Option<bool>>,
}

impl Leader<'_> {
    /// Hands `verified` to every follower.
    pub fn finish(self, verified: bool) {
        // No receiver left (all followers went away) is fine.
        let _ = self.answer.send(Some(verified));
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        self.in_flight.running().remove(&self.key);
    }
}

impl InFlight {
    /// One map operation per lock, so a panic cannot leave it half-written.
    fn running(&self) -> MutexGuard<'_, HashMap<[u8; 32], watch::Receiver<Option<bool>>>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Leads the verification named `key`, or follows the request already leading it.
    pub fn join(&self, key: [u8; 32]) -> Role<'_> {
        let mut running = self.running();
        if let Some(answer) = running.get(&key) {
            return Role::Follow(answer.clone());
        }
        let (answer, receiver) = watch::channel(None);
        running.insert(key, receiver);
        Role::Lead(Leader {
            in_flight: self,
            key,
            answer,
        })
    }

    /// Verifications under way now (for tests).
    pub fn len(&self) -> usize {
        self.running().len()
    }

    pub fn is_empty(&self) -> bool {
        self.running().is_empty()
    }
}

/// The leader's answer; `None` when it ended without one.
pub async fn answer_of(mut follower: watch::Receiver<Option<bool>>) -> Option<bool> {
    match follower.wait_for(Option::is_some).await {
        Ok(answer) => *answer,
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn followers_get_the_leaders_answer_and_the_entry_goes_with_the_leader() {
        let in_flight = InFlight::default();
        let Role::Lead(leader) = in_flight.join([1; 32]) else {
            panic!("the first request leads");
        };
        let Role::Follow(first) = in_flight.join([1; 32]) else {
            panic!("a second request with the same key follows");
        };
        let Role::Follow(second) = in_flight.join([1; 32]) else {
            panic!("a third request with the same key follows");
        };
        assert!(
            matches!(in_flight.join([2; 32]), Role::Lead(_)),
            "another key leads"
        );
        assert_eq!(in_flight.len(), 1, "the other key's leader was dropped");
        leader.finish(true);
        assert!(in_flight.is_empty());
        assert_eq!(answer_of(first).await, Some(true));
        assert_eq!(answer_of(second).await, Some(true));
    }

    #[tokio::test]
    async fn a_leader_ending_without_an_answer_releases_its_followers() {
        let in_flight = InFlight::default();
        let Role::Lead(leader) = in_flight.join([3; 32]) else {
            panic!("the first request leads");
        };
        let Role::Follow(follower) = in_flight.join([3; 32]) else {
            panic!("the second request follows");
        };
        drop(leader);
        assert_eq!(answer_of(follower).await, None);
        assert!(matches!(in_flight.join([3; 32]), Role::Lead(_)));
    }
}
