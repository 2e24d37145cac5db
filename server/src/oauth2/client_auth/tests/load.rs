//! Client authentication under load (issue 12 items 7 and 8), with a verifier that
//! counts its computations and holds slow ones until the test opens a gate: no timing,
//! only outcomes and counts.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use chrono::{TimeDelta, Utc};

use super::*;
use crate::clock::FixedClock;
use crate::oauth2::client_auth::admission::Limits;
use crate::oauth2::client_auth::secret_check::SecretHasher;

/// Slow hashes are `$fake$<secret>`; fast ones are real SHA-256 hashes. Counts both
/// kinds; slow computations wait while the gate is closed.
#[derive(Default)]
struct CountingHasher {
    fast: AtomicUsize,
    slow: AtomicUsize,
    closed: Mutex<bool>,
    opened: Condvar,
}

impl CountingHasher {
    fn set_closed(&self, closed: bool) {
        *self.closed.lock().unwrap() = closed;
        self.opened.notify_all();
    }

    fn counts(&self) -> (usize, usize) {
        (
            self.fast.load(Ordering::SeqCst),
            self.slow.load(Ordering::SeqCst),
        )
    }
}

impl SecretHasher for CountingHasher {
    fn verify(&self, presented: &str, stored: &str) -> bool {
        if !secret::is_slow(stored) {
            self.fast.fetch_add(1, Ordering::SeqCst);
            return secret::verify(presented, stored);
        }
        self.slow.fetch_add(1, Ordering::SeqCst);
        let mut closed = self.closed.lock().unwrap();
        while *closed {
            closed = self.opened.wait(closed).unwrap();
        }
        stored.strip_prefix("$fake$") == Some(presented)
    }
}

struct Rig {
    auth: Arc<ClientAuthenticator>,
    hasher: Arc<CountingHasher>,
    clock: Arc<FixedClock>,
    store: Arc<MemoryStore>,
}

async fn rig(total: usize, per_client: usize, clients: &[(&str, String)]) -> Rig {
    let store = Arc::new(MemoryStore::new());
    for (id, hash) in clients {
        let client = Client {
            client_id: (*id).to_owned(),
            secret_hash: Some(hash.clone()),
            ..Client::default()
        };
        store.create_client(&client).await.unwrap();
    }
    let keys = Arc::new(KeyRing::new(&["client-auth-secret-0123456789".to_owned()]));
    let start = chrono::DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let hasher = Arc::new(CountingHasher::default());
    let settings = SecretSettings {
        limits: Limits {
            max_waiting: NonZeroUsize::new(total).unwrap(),
            max_waiting_per_client: NonZeroUsize::new(per_client).unwrap(),
        },
        failure_ttl: TimeDelta::seconds(5),
    };
    let secrets = SecretVerifier::with_hasher(keys, clock.clone(), settings, hasher.clone());
    Rig {
        auth: Arc::new(ClientAuthenticator::new(store.clone(), secrets)),
        hasher,
        clock,
        store,
    }
}

type Outcome = Result<Client, OAuth2Error>;

fn spawn_basic(rig: &Rig, id: &str, secret: &str) -> tokio::task::JoinHandle<Outcome> {
    let (auth, header) = (rig.auth.clone(), basic(id, secret));
    tokio::spawn(async move { auth.authenticate(&http(Some(&header)), &form(&[])).await })
}

async fn basic_now(rig: &Rig, id: &str, secret: &str) -> Outcome {
    rig.auth
        .authenticate(&http(Some(&basic(id, secret))), &form(&[]))
        .await
}

/// Yields until `condition` holds; a bounded number of rounds, then the test fails.
async fn until(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if condition() {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!("never happened: {what}");
}

fn is_busy(outcome: &Outcome) -> bool {
    matches!(outcome, Err(e) if e.kind == ErrorKind::TemporarilyUnavailable && e.status() == 503)
}

/// Issue 12 item 7: client A floods with wrong secrets while the verifier is busy; the
/// queue takes A's share only, refuses the rest at once (503), and still admits client
/// B, whose authentication then succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_for_one_client_does_not_keep_another_out() {
    let rig = rig(
        8,
        2,
        &[("a", "$fake$right-a".into()), ("b", "$fake$right-b".into())],
    )
    .await;
    rig.hasher.set_closed(true);
    let first = spawn_basic(&rig, "a", "wrong-0");
    until("A's first computation started", || {
        rig.hasher.counts().1 == 1
    })
    .await;
    let second = spawn_basic(&rig, "a", "wrong-1");
    until("A's second is queued", || rig.auth.secrets().queued() == 2).await;
    for n in 2..10 {
        let refused = basic_now(&rig, "a", &format!("wrong-{n}")).await;
        assert!(is_busy(&refused), "A's flood beyond its share: {refused:?}");
    }
    let b = spawn_basic(&rig, "b", "right-b");
    until("B is admitted", || rig.auth.secrets().queued() == 3).await;
    assert!(!b.is_finished(), "B waits for its turn, it is not refused");
    assert!(is_busy(&basic_now(&rig, "a", "wrong-10").await));

    rig.hasher.set_closed(false);
    for a in [first, second] {
        let err = a.await.unwrap().unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClient);
    }
    assert_eq!(b.await.unwrap().unwrap().client_id, "b");
    assert_eq!(
        rig.hasher.counts(),
        (0, 3),
        "the refused requests computed nothing"
    );
    assert_eq!(rig.auth.secrets().queued(), 0, "every place was given back");
}

/// The queue in all is bounded too: clients of their own each (e.g. made-up client
/// ids) cannot hold more than `max_waiting` places.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_is_bounded_in_all() {
    let rig = rig(3, 2, &[]).await;
    rig.hasher.set_closed(true);
    let running = spawn_basic(&rig, "ghost-0", "x");
    until("the first computation started", || {
        rig.hasher.counts().1 == 1
    })
    .await;
    let waiting = [
        spawn_basic(&rig, "ghost-1", "x"),
        spawn_basic(&rig, "ghost-2", "x"),
    ];
    until("three queued", || rig.auth.secrets().queued() == 3).await;
    let refused = basic_now(&rig, "ghost-3", "x").await;
    assert!(is_busy(&refused), "{refused:?}");
    rig.hasher.set_closed(false);
    for task in std::iter::once(running).chain(waiting) {
        assert_eq!(
            task.await.unwrap().unwrap_err().kind,
            ErrorKind::InvalidClient
        );
    }
    assert_eq!(rig.hasher.counts(), (0, 3));
}

/// Repeating one wrong secret computes it once within the TTL, also when the repeats
/// arrive together; a new TTL, another secret or a changed stored secret computes again;
/// the right secret still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_wrong_secret_is_computed_once_within_the_ttl() {
    let rig = rig(8, 4, &[("a", "$fake$right".into())]).await;
    for _ in 0..5 {
        let err = basic_now(&rig, "a", "wrong").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidClient);
    }
    assert_eq!(rig.hasher.counts(), (0, 1));
    rig.clock.advance(TimeDelta::seconds(4));
    assert!(basic_now(&rig, "a", "wrong").await.is_err());
    assert_eq!(rig.hasher.counts(), (0, 1), "still within the TTL");
    rig.clock.advance(TimeDelta::seconds(2));
    assert!(basic_now(&rig, "a", "wrong").await.is_err());
    assert_eq!(rig.hasher.counts(), (0, 2), "the TTL is over");

    rig.hasher.set_closed(true);
    let together: Vec<_> = (0..3).map(|_| spawn_basic(&rig, "a", "again")).collect();
    until("the first of them computes", || rig.hasher.counts().1 == 3).await;
    assert_eq!(
        rig.auth.secrets().queued(),
        1,
        "the others wait for its answer without a place of their own"
    );
    rig.hasher.set_closed(false);
    for task in together {
        assert!(task.await.unwrap().is_err());
    }
    assert_eq!(
        rig.hasher.counts(),
        (0, 3),
        "one computation for three requests"
    );

    assert!(basic_now(&rig, "a", "other").await.is_err());
    assert_eq!(rig.hasher.counts(), (0, 4), "another secret");
    for _ in 0..2 {
        assert_eq!(basic_now(&rig, "a", "right").await.unwrap().client_id, "a");
    }
    assert_eq!(
        rig.hasher.counts(),
        (0, 5),
        "the right one, once, then cached"
    );

    // The remembered failure does not outlive the secret: "wrong" becomes the secret.
    let mut client = rig.store.get_client("a").await.unwrap().unwrap();
    client.secret_hash = Some("$fake$wrong".into());
    rig.store.update_client(&client).await.unwrap();
    assert_eq!(basic_now(&rig, "a", "wrong").await.unwrap().client_id, "a");
    assert_eq!(rig.hasher.counts(), (0, 6));
}

/// A burst of requests presenting the same right secret before it is cached (a service
/// starting its workers at once) shares one computation and one place: none is refused,
/// even with a share of one place per client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_the_same_right_secret_shares_one_computation() {
    let rig = rig(2, 1, &[("a", "$fake$right".into())]).await;
    rig.hasher.set_closed(true);
    let burst: Vec<_> = (0..16).map(|_| spawn_basic(&rig, "a", "right")).collect();
    until("the first of them computes", || rig.hasher.counts().1 == 1).await;
    assert_eq!(rig.auth.secrets().queued(), 1);
    let other = basic_now(&rig, "a", "another").await;
    assert!(
        is_busy(&other),
        "a different secret still needs a place: {other:?}"
    );
    rig.hasher.set_closed(false);
    for task in burst {
        assert_eq!(task.await.unwrap().unwrap().client_id, "a");
    }
    assert_eq!(
        rig.hasher.counts(),
        (0, 1),
        "one computation for sixteen requests"
    );
    assert_eq!(rig.auth.secrets().queued(), 0);
}

/// Issue 12 item 8: an unknown client costs a verification of the kind the presented
/// secret would need (and so does a client presenting a secret its hash cannot match),
/// and a client registered for another method costs one too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_clients_cost_the_same_verification() {
    let generated = secret::generate_secret();
    let rig = rig(
        8,
        4,
        &[
            ("fast", secret::hash_generated(&generated)),
            ("slow", "$fake$correct horse".into()),
        ],
    )
    .await;
    let cases: [(&str, String, (usize, usize)); 7] = [
        ("ghost", "correct horse".into(), (0, 1)),
        ("ghost", secret::generate_secret(), (1, 0)),
        ("slow", "wrong horse".into(), (0, 1)),
        ("slow", secret::generate_secret(), (0, 1)),
        ("fast", secret::generate_secret(), (1, 0)),
        ("fast", "correct horse".into(), (0, 1)),
        ("fast", generated.clone(), (1, 0)),
    ];
    for (id, presented, cost) in cases {
        let before = rig.hasher.counts();
        let outcome = basic_now(&rig, id, &presented).await;
        let after = rig.hasher.counts();
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            cost,
            "{id} with {presented:?}: {outcome:?}"
        );
        assert_eq!(outcome.is_ok(), presented == generated, "{id}");
    }
    // Registered for client_secret_basic, presented with client_secret_post.
    let before = rig.hasher.counts();
    let post = form(&[("client_id", "slow"), ("client_secret", "correct horse")]);
    let err = rig.auth.authenticate(&http(None), &post).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidClient);
    assert_eq!(
        rig.hasher.counts().1 - before.1,
        1,
        "another method costs the same"
    );
}
