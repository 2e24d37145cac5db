//! Admission to the slow secret verifier (Argon2id, one computation at a time): a
//! bounded queue that is fair between clients and fails fast when full.
//!
//! Without it, every token request needing a slow verification waited its turn: 150
//! concurrent wrong secrets for one client made another client's first authentication
//! wait 6.6 s (issue 12 item 7). Now a request is admitted only while fewer than
//! `max_waiting` verifications are in the queue (waiting or running) and fewer than
//! `max_waiting_per_client` of them are its client's; otherwise it is answered at once
//! with `temporarily_unavailable` (503, `Retry-After`), RFC 6749 §5.2 / §4.1.2.1. Turns
//! are first come, first served, so a client's flood holds at most its share of places
//! and another client's verification waits for at most `max_waiting` computations, in
//! the single-client flood of the issue for at most `max_waiting_per_client`.
//! Unknown client ids count as clients of their own: their stand-in verifications
//! (`secret_check.rs`) queue like real ones.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ErrorKind, OAuth2Error};

/// How many slow verifications may be queued, in all and per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_waiting: NonZeroUsize,
    pub max_waiting_per_client: NonZeroUsize,
}

#[derive(Debug, Default)]
struct Queued {
    total: usize,
    per_client: HashMap<String, usize>,
}

/// The queue in front of the slow verifier.
#[derive(Debug)]
pub struct Admission {
    limits: Limits,
    queued: Mutex<Queued>,
    /// One computation at a time (`client::argon2id` holds one memory area at most).
    worker: Arc<Semaphore>,
}

/// A place in the queue; dropping it (done, or the request went away) frees it.
#[derive(Debug)]
pub struct Place<'a> {
    admission: &'a Admission,
    client_id: String,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut queued = self.admission.queued();
        queued.total = queued.total.saturating_sub(1);
        if let Some(count) = queued.per_client.get_mut(&self.client_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                queued.per_client.remove(&self.client_id);
            }
        }
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            queued: Mutex::new(Queued::default()),
            worker: Arc::new(Semaphore::new(1)),
        }
    }

    /// A panic cannot leave the counts half-updated (each use is a few integer writes).
    fn queued(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a place in the queue for `client_id`, or refuses at once when the queue or
    /// the client's share of it is full.
    pub fn enter(&self, client_id: &str) -> Result<Place<'_>, OAuth2Error> {
        let mut queued = self.queued();
        let mine = queued.per_client.get(client_id).copied().unwrap_or(0);
        if mine >= self.limits.max_waiting_per_client.get() {
            return Err(busy(
                "Too many authentications of this client are waiting for its secret to be verified; retry shortly.",
            ));
        }
        if queued.total >= self.limits.max_waiting.get() {
            return Err(busy(
                "Too many client authentications are waiting for their secrets to be verified; retry shortly.",
            ));
        }
        queued.total += 1;
        *queued.per_client.entry(client_id.to_owned()).or_insert(0) += 1;
        Ok(Place {
            admission: self,
            client_id: client_id.to_owned(),
        })
    }

    /// Waits for the verifier (first come, first served). The permit travels with the
    /// computation, so an abandoned request's computation still holds the verifier
    /// until it ends.
    pub async fn turn(&self, _place: &Place<'_>) -> Result<OwnedSemaphorePermit, OAuth2Error> {
        self.worker
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| OAuth2Error::server_error(format!("secret verifier closed: {e}")))
    }

    /// Verifications queued (waiting or running), in all.
    pub fn queued_total(&self) -> usize {
        self.queued().total
    }
}

fn busy(hint: &str) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::TemporarilyUnavailable).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_client: usize) -> Limits {
        Limits {
            max_waiting: NonZeroUsize::new(total).unwrap(),
            max_waiting_per_client: NonZeroUsize::new(per_client).unwrap(),
        }
    }

    #[test]
    fn places_are_bounded_per_client_and_in_all_and_given_back() {
        let admission = Admission::new(limits(3, 2));
        let a1 = admission.enter("a").unwrap();
        let _a2 = admission.enter("a").unwrap();
        let refused = admission.enter("a").unwrap_err();
        assert_eq!(refused.kind, ErrorKind::TemporarilyUnavailable);
        assert!(refused.description().contains("this client"));
        let _b1 = admission.enter("b").unwrap();
        let full = admission.enter("c").unwrap_err();
        assert_eq!(full.kind, ErrorKind::TemporarilyUnavailable);
        assert_eq!(admission.queued_total(), 3);
        drop(a1);
        assert_eq!(admission.queued_total(), 2);
        let _c1 = admission.enter("c").unwrap();
        assert!(
            admission.enter("a").is_err(),
            "a still holds its share with c queued"
        );
    }

    #[tokio::test]
    async fn turns_are_one_at_a_time() {
        let admission = Admission::new(limits(4, 4));
        let (first, second) = (admission.enter("a").unwrap(), admission.enter("b").unwrap());
        let permit = admission.turn(&first).await.unwrap();
        assert_eq!(
            admission.worker.available_permits(),
            0,
            "the verifier is busy"
        );
        drop(permit);
        assert!(admission.turn(&second).await.is_ok());
    }
}
