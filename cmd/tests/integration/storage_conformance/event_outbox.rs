//! `EventOutbox` clauses and the outbox side of `TokenStore`'s reporting writes (the
//! transactional outbox, docs/operations.md "Events"), each on a fresh database of every
//! configured backend, and of the flow ports' reporting writes (a recorded decision, an
//! ended session). The outbox is SQL only: the memory store refuses to report.

use std::future::Future;
use std::sync::Arc;

use chrono::Duration;
use portunus_server::client::model::Client;
use portunus_server::storage::flows::{FlowStep, FlowStepStore, LoginSession, LoginSessionStore};
use portunus_server::storage::memory::{MemoryFlowStore, MemoryStore};
use portunus_server::storage::sql::SqlStore;
use portunus_server::storage::{
    ClientStore, Enqueued, EventOutbox, OutboxEvent, TokenKind, TokenStore,
};

use super::count_winners;
use super::migrated;
use super::tokens::{at, hash, token};
use crate::support::test_db::for_each_backend;

async fn on_every_sql_store<F, Fut>(clause: F)
where
    F: Fn(Arc<SqlStore>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    for_each_backend(move |db| async move {
        let store = Arc::new(migrated(&db).await);
        let client = Client {
            client_id: "c1".to_owned(),
            ..Client::default()
        };
        store.create_client(&client).await.unwrap();
        clause(store).await;
    })
    .await;
}

macro_rules! outbox_conformance {
    ($($clause:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                on_every_sql_store(clauses::$clause).await;
            }
        )+
    };
}

outbox_conformance!(
    a_reporting_insert_commits_its_events_with_its_tokens,
    a_failed_reporting_write_leaves_no_event,
    concurrent_reporting_inserts_keep_each_event_with_its_token,
    claims_take_the_oldest_event_of_each_aggregate_only,
    a_lease_that_expired_is_claimed_again_and_the_old_owner_loses_it,
    a_batch_is_marked_delivered_at_once_except_what_another_owner_took,
    a_failed_delivery_waits_for_its_backoff_and_counts_attempts,
    idempotency_keys_answer_duplicates,
    purges_delete_only_delivered_events_and_old_keys,
    concurrent_claims_never_share_an_event,
    a_flow_decision_reports_once_of_concurrent_decisions,
    an_ended_session_reports_and_a_missing_one_does_not,
    a_client_write_reports_only_what_it_changed,
);

/// An event of `aggregate` created at `seconds`; the id orders as `seq`.
fn event(seq: u32, aggregate: &str, seconds: i64) -> OutboxEvent {
    OutboxEvent {
        id: format!("0190{seq:028x}"),
        aggregate_key: aggregate.to_owned(),
        event_type: "test.event".to_owned(),
        envelope: format!("{{\"seq\":{seq}}}"),
        created_at: at(seconds) + Duration::microseconds(123_456),
    }
}

async fn ids(store: &SqlStore, owner: &str, now: i64) -> Vec<String> {
    store
        .claim_due(owner, at(now), at(now + 60), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|claimed| claimed.event.id)
        .collect()
}

mod clauses {
    use super::*;

    pub async fn a_reporting_insert_commits_its_events_with_its_tokens(store: Arc<SqlStore>) {
        let events = [event(1, "f1", 0)];
        store
            .insert_tokens_reporting(&[token(1, TokenKind::AccessToken, "f1", "c1")], &events)
            .await
            .unwrap();
        let claimed = store.claim_due("n1", at(1), at(60), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].event, events[0], "every field round-trips");
        assert_eq!(claimed[0].attempts, 0);
        assert_eq!(store.pending_count().await.unwrap(), 1);
        // A revocation that deactivates something reports; one that finds nothing
        // active does not.
        let revoked = [event(2, "f1", 1)];
        assert_eq!(
            store.revoke_family_reporting("f1", &revoked).await.unwrap(),
            1
        );
        assert_eq!(
            store
                .revoke_family_reporting("f1", &[event(3, "f1", 1)])
                .await
                .unwrap(),
            0
        );
        assert_eq!(store.pending_count().await.unwrap(), 2);
        // A successful redemption reports; a refused one (token now inactive) does not.
        store
            .insert_tokens(&[token(10, TokenKind::AuthorizationCode, "f2", "c1")])
            .await
            .unwrap();
        let redeem = |events: Vec<OutboxEvent>| {
            let store = store.clone();
            async move {
                store
                    .redeem_reporting(
                        TokenKind::AuthorizationCode,
                        &hash(10),
                        at(2),
                        Duration::zero(),
                        None,
                        &[],
                        &events,
                    )
                    .await
                    .unwrap()
            }
        };
        assert!(redeem(vec![event(4, "f2", 2)]).await);
        assert!(!redeem(vec![event(5, "f2", 2)]).await);
        assert_eq!(store.pending_count().await.unwrap(), 3);
    }

    pub async fn a_failed_reporting_write_leaves_no_event(store: Arc<SqlStore>) {
        store
            .insert_tokens(&[token(1, TokenKind::AccessToken, "f1", "c1")])
            .await
            .unwrap();
        // The second token exists: the insert rolls back, its event with it.
        let failed = store
            .insert_tokens_reporting(
                &[token(1, TokenKind::AccessToken, "f2", "c1")],
                &[event(1, "f2", 0)],
            )
            .await;
        assert!(failed.is_err());
        // An unknown client: the same.
        let failed = store
            .insert_tokens_reporting(
                &[token(2, TokenKind::AccessToken, "f3", "nobody")],
                &[event(2, "f3", 0)],
            )
            .await;
        assert!(failed.is_err());
        assert_eq!(store.pending_count().await.unwrap(), 0);
        assert!(ids(&store, "n1", 10).await.is_empty());
        // The memory store has no outbox: it refuses rather than drop the event.
        let memory = MemoryStore::new();
        let refused = memory
            .insert_tokens_reporting(&[], &[event(3, "f4", 0)])
            .await;
        assert!(refused.is_err());
    }

    /// Single-token inserts arriving together are written as one batch on PostgreSQL and
    /// MySQL (`token_batch.rs`), events included; a token that fails in that batch takes
    /// only its own events with it, every other token keeps its own.
    pub async fn concurrent_reporting_inserts_keep_each_event_with_its_token(store: Arc<SqlStore>) {
        store
            .insert_tokens(&[token(100, TokenKind::AccessToken, "taken", "c1")])
            .await
            .unwrap();
        let mut inserts = tokio::task::JoinSet::new();
        for seq in 200..224_u32 {
            let store = store.clone();
            inserts.spawn(async move {
                let family = format!("g{seq}");
                let token = token(seq, TokenKind::AccessToken, &family, "c1");
                let events = [event(seq, &family, 0), event(seq + 1000, &family, 0)];
                (seq, store.insert_tokens_reporting(&[token], &events).await)
            });
        }
        for (seq, family, client) in [(100, "dup", "c1"), (300, "lost", "nobody")] {
            let store = store.clone();
            inserts.spawn(async move {
                let token = token(seq, TokenKind::AccessToken, family, client);
                let events = [event(seq + 5000, family, 0)];
                (seq, store.insert_tokens_reporting(&[token], &events).await)
            });
        }
        let mut written = Vec::new();
        while let Some(joined) = inserts.join_next().await {
            let (seq, outcome) = joined.unwrap();
            match seq {
                100 | 300 => assert!(outcome.is_err(), "token {seq} must fail"),
                _ => {
                    outcome.unwrap();
                    written.push(seq);
                }
            }
        }
        assert_eq!(written.len(), 24);
        assert_eq!(store.pending_count().await.unwrap(), 48);
        let mut claimed = ids(&store, "n1", 10).await;
        // One event per aggregate is claimable at a time: the first of each family.
        claimed.sort();
        let mut expected: Vec<String> = (200..224_u32).map(|seq| event(seq, "", 0).id).collect();
        expected.sort();
        assert_eq!(claimed, expected);
    }

    pub async fn claims_take_the_oldest_event_of_each_aggregate_only(store: Arc<SqlStore>) {
        for e in [
            event(1, "a", 0),
            event(2, "a", 0),
            event(3, "b", 0),
            event(4, "a", 0),
        ] {
            store.enqueue_idempotent(&e.id.clone(), &e).await.unwrap();
        }
        let first = ids(&store, "n1", 1).await;
        assert_eq!(first, [event(1, "a", 0).id, event(3, "b", 0).id]);
        // Leased: nothing for another node, nor for the same one.
        assert!(ids(&store, "n2", 1).await.is_empty());
        assert!(store.mark_delivered(&first[0], "n1", at(2)).await.unwrap());
        assert_eq!(ids(&store, "n2", 2).await, [event(2, "a", 0).id]);
        // Not due before it was created (next_attempt_at starts at created_at).
        store
            .enqueue_idempotent("late", &event(9, "c", 100))
            .await
            .unwrap();
        assert!(ids(&store, "n3", 3).await.is_empty());
        assert_eq!(store.pending_count().await.unwrap(), 4);
    }

    pub async fn a_lease_that_expired_is_claimed_again_and_the_old_owner_loses_it(
        store: Arc<SqlStore>,
    ) {
        let e = event(1, "a", 0);
        store.enqueue_idempotent("k", &e).await.unwrap();
        let claimed = store.claim_due("killed", at(1), at(10), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(
            store
                .claim_due("n2", at(10), at(70), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let again = store.claim_due("n2", at(11), at(70), 10).await.unwrap();
        assert_eq!(again.len(), 1, "the lease ran out at 10");
        assert!(!store.mark_delivered(&e.id, "killed", at(12)).await.unwrap());
        assert!(!store.retry_later(&e.id, "killed", at(12)).await.unwrap());
        assert!(store.mark_delivered(&e.id, "n2", at(12)).await.unwrap());
        assert!(
            !store.mark_delivered(&e.id, "n2", at(13)).await.unwrap(),
            "once"
        );
        assert_eq!(store.pending_count().await.unwrap(), 0);
    }

    pub async fn a_batch_is_marked_delivered_at_once_except_what_another_owner_took(
        store: Arc<SqlStore>,
    ) {
        let events = [event(1, "a", 0), event(2, "b", 0), event(3, "c", 0)];
        for (n, e) in events.iter().enumerate() {
            store.enqueue_idempotent(&n.to_string(), e).await.unwrap();
        }
        // n1's lease on the first two runs out at 10; n2 takes them over at 11, and the
        // third is n1's own by then too, claimed under a fresh lease.
        assert_eq!(
            store.claim_due("n1", at(1), at(10), 2).await.unwrap().len(),
            2
        );
        let taken: Vec<String> = store
            .claim_due("n2", at(11), at(70), 2)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.event.id)
            .collect();
        assert_eq!(taken, [events[0].id.clone(), events[1].id.clone()]);
        assert_eq!(ids(&store, "n1", 12).await, [events[2].id.clone()]);
        let all: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        assert_eq!(
            store.mark_all_delivered(&all, "n1", at(13)).await.unwrap(),
            1,
            "only the event n1 still holds"
        );
        assert_eq!(store.pending_count().await.unwrap(), 2);
        assert_eq!(
            store.mark_all_delivered(&all, "n2", at(14)).await.unwrap(),
            2
        );
        assert_eq!(
            store.mark_all_delivered(&all, "n2", at(15)).await.unwrap(),
            0,
            "once"
        );
        assert_eq!(
            store.mark_all_delivered(&[], "n2", at(15)).await.unwrap(),
            0
        );
        assert_eq!(store.pending_count().await.unwrap(), 0);
    }

    pub async fn a_failed_delivery_waits_for_its_backoff_and_counts_attempts(store: Arc<SqlStore>) {
        let (first, second) = (event(1, "a", 0), event(2, "a", 0));
        store.enqueue_idempotent("1", &first).await.unwrap();
        store.enqueue_idempotent("2", &second).await.unwrap();
        assert_eq!(ids(&store, "n1", 1).await, std::slice::from_ref(&first.id));
        assert!(store.retry_later(&first.id, "n1", at(30)).await.unwrap());
        // Waiting for its retry, it still holds back the aggregate's next event.
        assert!(ids(&store, "n1", 29).await.is_empty());
        let retried = store.claim_due("n1", at(30), at(90), 10).await.unwrap();
        assert_eq!(retried.len(), 1);
        assert_eq!(retried[0].event.id, first.id);
        assert_eq!(retried[0].attempts, 1);
    }

    pub async fn idempotency_keys_answer_duplicates(store: Arc<SqlStore>) {
        let e = event(1, "a", 0);
        assert_eq!(
            store.enqueue_idempotent("key", &e).await.unwrap(),
            Enqueued::Queued
        );
        let again = store
            .enqueue_idempotent("key", &event(2, "a", 0))
            .await
            .unwrap();
        assert_eq!(again, Enqueued::Duplicate(e.id.clone()));
        assert_eq!(store.pending_count().await.unwrap(), 1);
        // Keys are case-sensitive.
        assert_eq!(
            store
                .enqueue_idempotent("KEY", &event(3, "a", 0))
                .await
                .unwrap(),
            Enqueued::Queued
        );
    }

    pub async fn purges_delete_only_delivered_events_and_old_keys(store: Arc<SqlStore>) {
        for seq in 1..=3 {
            let e = event(seq, &format!("agg{seq}"), 0);
            store
                .enqueue_idempotent(&format!("k{seq}"), &e)
                .await
                .unwrap();
        }
        let claimed = ids(&store, "n1", 1).await;
        assert_eq!(claimed.len(), 3);
        store
            .mark_delivered(&claimed[0], "n1", at(5))
            .await
            .unwrap();
        store
            .mark_delivered(&claimed[1], "n1", at(50))
            .await
            .unwrap();
        assert_eq!(
            store
                .delete_delivered_events_batch(at(5), 10)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .delete_delivered_events_batch(at(100), 1)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .delete_delivered_events_batch(at(100), 10)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .delete_delivered_events_batch(at(100), 10)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store.pending_count().await.unwrap(),
            1,
            "the undelivered one stays"
        );
        // Keys were recorded at their event's creation (second 0).
        assert_eq!(
            store
                .delete_idempotency_keys_batch(at(0), 10)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            store.delete_idempotency_keys_batch(at(1), 2).await.unwrap(),
            2
        );
        assert_eq!(
            store
                .delete_idempotency_keys_batch(at(1), 10)
                .await
                .unwrap(),
            1
        );
        // A purged key no longer deduplicates.
        assert_eq!(
            store
                .enqueue_idempotent("k1", &event(7, "x", 0))
                .await
                .unwrap(),
            Enqueued::Queued
        );
    }

    pub async fn concurrent_claims_never_share_an_event(store: Arc<SqlStore>) {
        for seq in 0..40 {
            let e = event(seq, &format!("agg{}", seq % 20), 0);
            store.enqueue_idempotent(&e.id.clone(), &e).await.unwrap();
        }
        let claims = Arc::new(std::sync::Mutex::new(Vec::new()));
        let winners = count_winners(4, |i| {
            let (store, claims) = (store.clone(), claims.clone());
            async move {
                let got = ids(&store, &format!("node{i}"), 1).await;
                let some = !got.is_empty();
                claims.lock().unwrap().extend(got);
                some
            }
        })
        .await;
        assert!(winners >= 1);
        let mut all = claims.lock().unwrap().clone();
        let claimed = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), claimed, "an event was claimed twice");
        assert_eq!(claimed, 20, "one head per aggregate");
    }

    pub async fn a_flow_decision_reports_once_of_concurrent_decisions(store: Arc<SqlStore>) {
        let recorded = store
            .record_step_reporting(
                "flow-1",
                FlowStep::LoginHandled,
                "r1",
                at(60),
                &[event(1, "flow-1", 0)],
            )
            .await
            .unwrap();
        assert_eq!(recorded, None);
        // The second decision gets the first one's redirect and reports nothing.
        let again = store
            .record_step_reporting(
                "flow-1",
                FlowStep::LoginHandled,
                "r2",
                at(60),
                &[event(2, "flow-1", 0)],
            )
            .await
            .unwrap();
        assert_eq!(again.as_deref(), Some("r1"));
        assert_eq!(store.pending_count().await.unwrap(), 1);
        // Of concurrent decisions, the one that records reports.
        let winners = count_winners(4, |i| {
            let store = store.clone();
            async move {
                let seq = 10 + u32::try_from(i).unwrap();
                store
                    .record_step_reporting(
                        "flow-2",
                        FlowStep::ConsentHandled,
                        &format!("r{i}"),
                        at(60),
                        &[event(seq, "flow-2", 0)],
                    )
                    .await
                    .unwrap()
                    .is_none()
            }
        })
        .await;
        assert_eq!(winners, 1);
        assert_eq!(store.pending_count().await.unwrap(), 2);
        let memory = MemoryFlowStore::new();
        let refused = memory
            .record_step_reporting(
                "flow-3",
                FlowStep::LoginHandled,
                "r",
                at(60),
                &[event(20, "flow-3", 0)],
            )
            .await;
        assert!(refused.is_err());
        assert_eq!(
            memory
                .get_step("flow-3", FlowStep::LoginHandled)
                .await
                .unwrap(),
            None,
            "refused before recording"
        );
    }

    pub async fn an_ended_session_reports_and_a_missing_one_does_not(store: Arc<SqlStore>) {
        let session = |id: &str, subject: &str| LoginSession {
            id: id.to_owned(),
            subject: subject.to_owned(),
            authenticated_at: at(0),
            remember: true,
            expires_at: at(3600),
        };
        for (id, subject) in [("s1", "ada"), ("s2", "bob"), ("s3", "bob")] {
            store
                .upsert_login_session(&session(id, subject))
                .await
                .unwrap();
        }
        let ended = store
            .delete_login_session_reporting("s1", &[event(1, "ada", 0)])
            .await
            .unwrap();
        assert!(ended);
        let ended = store
            .delete_login_session_reporting("s1", &[event(2, "ada", 0)])
            .await
            .unwrap();
        assert!(!ended, "gone already");
        assert_eq!(store.pending_count().await.unwrap(), 1);
        let ended = store
            .delete_login_sessions_of_subject_reporting("bob", &[event(3, "bob", 0)])
            .await
            .unwrap();
        assert_eq!(ended, 2);
        let ended = store
            .delete_login_sessions_of_subject_reporting("bob", &[event(4, "bob", 0)])
            .await
            .unwrap();
        assert_eq!(ended, 0);
        let claimed = store.claim_due("n1", at(1), at(60), 10).await.unwrap();
        let types: Vec<String> = claimed.into_iter().map(|c| c.event.id).collect();
        assert_eq!(types, [event(1, "ada", 0).id, event(3, "bob", 0).id]);
        let memory = MemoryFlowStore::new();
        memory
            .upsert_login_session(&session("s1", "ada"))
            .await
            .unwrap();
        let refused = memory
            .delete_login_session_reporting("s1", &[event(5, "ada", 0)])
            .await;
        assert!(refused.is_err());
        assert!(memory.get_login_session("s1").await.unwrap().is_some());
    }

    pub async fn a_client_write_reports_only_what_it_changed(store: Arc<SqlStore>) {
        let client = |id: &str| Client {
            client_id: id.to_owned(),
            ..Client::default()
        };
        store
            .create_client_reporting(&client("c2"), &[event(1, "c2", 0)])
            .await
            .unwrap();
        // A duplicate id: nothing written, its event neither.
        let duplicate = store
            .create_client_reporting(&client("c2"), &[event(2, "c2", 0)])
            .await;
        assert!(duplicate.is_err());
        assert!(
            !store
                .update_client_reporting(&client("nobody"), &[event(3, "nobody", 0)])
                .await
                .unwrap()
        );
        assert!(
            store
                .update_client_reporting(&client("c2"), &[event(4, "c2", 0)])
                .await
                .unwrap()
        );
        assert!(
            !store
                .delete_client_reporting("nobody", &[event(5, "nobody", 0)])
                .await
                .unwrap()
        );
        assert!(
            store
                .delete_client_reporting("c2", &[event(6, "c2", 0)])
                .await
                .unwrap()
        );
        let claimed = store.claim_due("n1", at(1), at(60), 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "one head of aggregate c2");
        assert_eq!(claimed[0].event.id, event(1, "c2", 0).id);
        assert_eq!(store.pending_count().await.unwrap(), 3);
        let memory = MemoryStore::new();
        let refused = memory
            .create_client_reporting(&client("c3"), &[event(7, "c3", 0)])
            .await;
        assert!(refused.is_err());
        assert_eq!(memory.get_client("c3").await.unwrap(), None);
    }
}
