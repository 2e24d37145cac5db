//! `FlowStepStore`, `LoginSessionStore` and `ConsentStore` clauses, each on the memory
//! implementation and a fresh database of every configured backend.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use portunus_server::client::model::Client;
use portunus_server::storage::ClientStore;
use portunus_server::storage::flows::{
    ConsentGrant, ConsentListQuery, ConsentStore, FlowStep, FlowStepStore, LoginSession,
    LoginSessionStore,
};
use portunus_server::storage::memory::MemoryFlowStore;
use portunus_server::storage::memory::MemoryStore;

use super::{count_winners, migrated};
use crate::support::test_db::{catch_failure, for_each_backend};

#[derive(Clone)]
pub struct Stores {
    clients: Arc<dyn ClientStore>,
    steps: Arc<dyn FlowStepStore>,
    sessions: Arc<dyn LoginSessionStore>,
    consents: Arc<dyn ConsentStore>,
}

async fn on_every_flow_store<F, Fut>(clause: F)
where
    F: Fn(Stores) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let memory = Arc::new(MemoryFlowStore::new());
    let stores = Stores {
        clients: Arc::new(MemoryStore::new()),
        steps: memory.clone(),
        sessions: memory.clone(),
        consents: memory,
    };
    if let Err(message) = catch_failure(clause(stores)).await {
        panic!("[memory] {message}");
    }
    for_each_backend(move |db| async move {
        let store = Arc::new(migrated(&db).await);
        clause(Stores {
            clients: store.clone(),
            steps: store.clone(),
            sessions: store.clone(),
            consents: store,
        })
        .await;
    })
    .await;
}

macro_rules! flow_conformance {
    ($($clause:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                on_every_flow_store(clauses::$clause).await;
            }
        )+
    };
}

flow_conformance!(
    a_step_is_recorded_once_and_concurrent_recorders_have_one_winner,
    login_sessions_upsert_get_and_delete,
    remembered_consent_is_the_newest_valid_one,
    consents_list_by_subject_in_pages_and_delete_by_client,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn grant(id: &str, subject: &str, client: &str, remember: bool, handled: i64) -> ConsentGrant {
    ConsentGrant {
        id: id.to_owned(),
        subject: subject.to_owned(),
        client_id: client.to_owned(),
        login_session_id: Some(format!("sid-{subject}")),
        granted_scope: vec!["openid".into(), "offline".into()],
        granted_audience: vec!["https://api.test".into()],
        remember,
        remember_until: None,
        handled_at: at(handled),
        sealed_details: "sealed".into(),
    }
}

mod clauses {
    use super::*;

    pub async fn a_step_is_recorded_once_and_concurrent_recorders_have_one_winner(stores: Stores) {
        let step = FlowStep::LoginHandled;
        assert_eq!(stores.steps.get_step("flow-1", step).await.unwrap(), None);
        assert_eq!(
            stores
                .steps
                .record_step("flow-1", step, "https://first", at(60))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            stores
                .steps
                .record_step("flow-1", step, "https://second", at(60))
                .await
                .unwrap(),
            Some("https://first".to_owned()),
            "the first redirect is kept"
        );
        assert_eq!(
            stores
                .steps
                .get_step("flow-1", step)
                .await
                .unwrap()
                .as_deref(),
            Some("https://first")
        );
        assert_eq!(
            stores
                .steps
                .get_step("flow-1", FlowStep::LoginVerified)
                .await
                .unwrap(),
            None,
            "steps are distinct"
        );

        let winners = count_winners(8, |i| {
            let steps = stores.steps.clone();
            async move {
                steps
                    .record_step("race", FlowStep::ConsentVerified, &format!("r{i}"), at(60))
                    .await
                    .unwrap()
                    .is_none()
            }
        })
        .await;
        assert_eq!(winners, 1, "exactly one concurrent recorder wins");
    }

    pub async fn login_sessions_upsert_get_and_delete(stores: Stores) {
        let session = LoginSession {
            id: "sid-1".into(),
            subject: "ada".into(),
            authenticated_at: at(0),
            remember: true,
            expires_at: at(3600),
        };
        stores
            .sessions
            .upsert_login_session(&session)
            .await
            .unwrap();
        assert_eq!(
            stores.sessions.get_login_session("sid-1").await.unwrap(),
            Some(session.clone())
        );
        let extended = LoginSession {
            expires_at: at(7200),
            remember: false,
            ..session.clone()
        };
        stores
            .sessions
            .upsert_login_session(&extended)
            .await
            .unwrap();
        assert_eq!(
            stores.sessions.get_login_session("sid-1").await.unwrap(),
            Some(extended)
        );
        let other = LoginSession {
            id: "sid-2".into(),
            ..session.clone()
        };
        let bob = LoginSession {
            id: "sid-3".into(),
            subject: "bob".into(),
            ..session
        };
        stores.sessions.upsert_login_session(&other).await.unwrap();
        stores.sessions.upsert_login_session(&bob).await.unwrap();
        assert_eq!(
            stores
                .sessions
                .delete_login_sessions_of_subject("ada")
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            stores.sessions.get_login_session("sid-1").await.unwrap(),
            None
        );
        assert!(
            stores
                .sessions
                .get_login_session("sid-3")
                .await
                .unwrap()
                .is_some()
        );
        assert!(stores.sessions.delete_login_session("sid-3").await.unwrap());
        assert!(!stores.sessions.delete_login_session("sid-3").await.unwrap());
    }

    pub async fn remembered_consent_is_the_newest_valid_one(stores: Stores) {
        for id in ["app", "other"] {
            stores
                .clients
                .create_client(&Client {
                    client_id: id.into(),
                    ..Client::default()
                })
                .await
                .unwrap();
        }
        let consents = &stores.consents;
        assert_eq!(
            consents
                .find_remembered_consent("ada", "app", at(0))
                .await
                .unwrap(),
            None
        );
        consents
            .insert_consent(&grant("c-1", "ada", "app", true, 10))
            .await
            .unwrap();
        consents
            .insert_consent(&grant("c-2", "ada", "app", false, 20))
            .await
            .unwrap();
        let mut expiring = grant("c-3", "ada", "app", true, 30);
        expiring.remember_until = Some(at(100));
        consents.insert_consent(&expiring).await.unwrap();
        consents
            .insert_consent(&grant("c-4", "ada", "other", true, 40))
            .await
            .unwrap();
        let found = consents
            .find_remembered_consent("ada", "app", at(50))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            found, expiring,
            "newest remembered one, all fields round-trip"
        );
        let found = consents
            .find_remembered_consent("ada", "app", at(100))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, "c-1", "expired remembrance is skipped");
        assert_eq!(
            consents
                .find_remembered_consent("bob", "app", at(50))
                .await
                .unwrap(),
            None
        );
    }

    pub async fn consents_list_by_subject_in_pages_and_delete_by_client(stores: Stores) {
        for id in ["a", "b"] {
            stores
                .clients
                .create_client(&Client {
                    client_id: id.into(),
                    ..Client::default()
                })
                .await
                .unwrap();
        }
        let consents = &stores.consents;
        for (i, client) in ["a", "a", "b", "b", "b"].iter().enumerate() {
            consents
                .insert_consent(&grant(&format!("g-{i}"), "ada", client, false, i as i64))
                .await
                .unwrap();
        }
        consents
            .insert_consent(&grant("z-bob", "bob", "a", false, 0))
            .await
            .unwrap();
        let page = |after: Option<&str>| ConsentListQuery {
            subject: "ada".into(),
            login_session_id: None,
            after: after.map(str::to_owned),
            limit: 2,
        };
        let first = consents.list_consents(&page(None)).await.unwrap();
        let second = consents
            .list_consents(&page(Some(&first[1].id)))
            .await
            .unwrap();
        let third = consents
            .list_consents(&page(Some(&second[1].id)))
            .await
            .unwrap();
        let ids: Vec<String> = first
            .iter()
            .chain(&second)
            .chain(&third)
            .map(|g| g.id.clone())
            .collect();
        assert_eq!(ids, ["g-0", "g-1", "g-2", "g-3", "g-4"]);
        let by_session = ConsentListQuery {
            login_session_id: Some("sid-bob".into()),
            ..page(None)
        };
        assert!(
            consents
                .list_consents(&by_session)
                .await
                .unwrap()
                .is_empty()
        );

        assert_eq!(
            consents.delete_consents("ada", Some("a")).await.unwrap(),
            vec!["a".to_owned()]
        );
        let left = consents
            .list_consents(&ConsentListQuery {
                limit: 10,
                ..page(None)
            })
            .await
            .unwrap();
        assert_eq!(left.len(), 3);
        assert_eq!(
            consents.delete_consents("ada", None).await.unwrap(),
            vec!["b".to_owned()]
        );
        assert!(
            consents
                .delete_consents("ada", None)
                .await
                .unwrap()
                .is_empty()
        );
        let bob = ConsentListQuery {
            subject: "bob".into(),
            limit: 10,
            login_session_id: None,
            after: None,
        };
        assert_eq!(
            consents.list_consents(&bob).await.unwrap().len(),
            1,
            "other subjects untouched"
        );
    }
}
