//! The flow ports on SQL. `record_step` relies on the primary key: of concurrent inserts
//! of one step exactly one succeeds; the others read the winner's `redirect_to`. The
//! reporting writes insert their outbox rows in the change's transaction, and only when
//! it changed something.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::connection::{DbConnection, on_native};
use super::outbox::{insert_outbox, outbox_rows, reporting_change};
use super::pg_session_upsert::UpsertSession;
use super::schema::{authentication_sessions, consent_grants, oauth2_flow_steps};
use super::{SqlStore, by_key, count, map_diesel, to_column};
use crate::storage::flows::{
    ConsentGrant, ConsentListQuery, ConsentStore, FlowStep, FlowStepStore, LoginSession,
    LoginSessionStore,
};
use crate::storage::{OutboxEvent, StorageError};
use diesel::connection::DefaultLoadingMode;

fn json_list(values: &[String]) -> Result<String, StorageError> {
    serde_json::to_string(values).map_err(|e| StorageError::Database(format!("encode list: {e}")))
}

fn parse_list(text: &str, what: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

#[async_trait]
impl FlowStepStore for SqlStore {
    async fn record_step(
        &self,
        flow_id: &str,
        step: FlowStep,
        redirect_to: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<String>, StorageError> {
        self.record_step_reporting(flow_id, step, redirect_to, expires_at, &[])
            .await
    }

    async fn record_step_reporting(
        &self,
        flow_id: &str,
        step: FlowStep,
        redirect_to: &str,
        expires_at: DateTime<Utc>,
        events: &[OutboxEvent],
    ) -> Result<Option<String>, StorageError> {
        let (flow_id, redirect_to) = (flow_id.to_owned(), redirect_to.to_owned());
        let events = outbox_rows(events);
        self.write(move |conn| {
            on_native!(conn, |conn| {
                macro_rules! insert_step {
                    ($conn:expr) => {
                        diesel::insert_into(oauth2_flow_steps::table)
                            .values((
                                oauth2_flow_steps::flow_id.eq(&flow_id),
                                oauth2_flow_steps::step.eq(step.as_str()),
                                oauth2_flow_steps::redirect_to.eq(&redirect_to),
                                oauth2_flow_steps::expires_at.eq(to_column(expires_at)),
                            ))
                            .execute($conn)
                    };
                }
                // Without events one statement is atomic by itself; with them the step
                // and its events commit together. Either way a lost race rolls back
                // before the winner's record is read (PostgreSQL refuses statements in
                // a failed transaction).
                let inserted = if events.is_empty() {
                    insert_step!(conn).map(drop)
                } else {
                    conn.transaction(|conn| {
                        insert_step!(&mut *conn)?;
                        insert_outbox!(conn, &events).map(drop)
                    })
                }
                .map_err(map_diesel);
                match inserted {
                    Ok(()) => Ok(None),
                    Err(StorageError::Conflict(_)) => oauth2_flow_steps::table
                        .find((&flow_id, step.as_str()))
                        .select(oauth2_flow_steps::redirect_to)
                        .first::<String>(conn)
                        .map(Some)
                        .map_err(map_diesel),
                    Err(other) => Err(other),
                }
            })
        })
        .await
    }

    async fn get_step(
        &self,
        flow_id: &str,
        step: FlowStep,
    ) -> Result<Option<String>, StorageError> {
        let flow_id = flow_id.to_owned();
        self.read(move |conn| {
            on_native!(conn, |conn| {
                oauth2_flow_steps::table
                    .find((&flow_id, step.as_str()))
                    .select(oauth2_flow_steps::redirect_to)
                    .load::<String>(conn)
                    .map(by_key)
                    .map_err(map_diesel)
            })
        })
        .await
    }
}

type SessionRow = (String, String, NaiveDateTime, bool, NaiveDateTime);

fn session_from(row: SessionRow) -> LoginSession {
    LoginSession {
        id: row.0,
        subject: row.1,
        authenticated_at: row.2.and_utc(),
        remember: row.3,
        expires_at: row.4.and_utc(),
    }
}

#[async_trait]
impl LoginSessionStore for SqlStore {
    async fn upsert_login_session(&self, session: &LoginSession) -> Result<(), StorageError> {
        let session = session.clone();
        self.write(move |conn| {
            // One statement, atomic by itself; MySQL names the conflict differently, and
            // PostgreSQL's is written out so that it stays prepared
            // (`pg_session_upsert.rs`).
            let changes = (
                authentication_sessions::subject.eq(&session.subject),
                authentication_sessions::authenticated_at.eq(to_column(session.authenticated_at)),
                authentication_sessions::remember.eq(session.remember),
                authentication_sessions::expires_at.eq(to_column(session.expires_at)),
            );
            macro_rules! upsert {
                ($conflict:expr, $conn:expr) => {
                    diesel::insert_into(authentication_sessions::table)
                        .values((authentication_sessions::id.eq(&session.id), changes))
                        .on_conflict($conflict)
                        .do_update()
                        .set(changes)
                        .execute($conn)
                };
            }
            match conn {
                DbConnection::Mysql(conn) => upsert!(diesel::dsl::DuplicatedKeys, conn),
                DbConnection::Postgresql(conn) => UpsertSession {
                    id: &session.id,
                    subject: &session.subject,
                    authenticated_at: to_column(session.authenticated_at),
                    remember: session.remember,
                    expires_at: to_column(session.expires_at),
                }
                .run(conn),
                DbConnection::Sqlite(conn) => upsert!(authentication_sessions::id, conn),
            }
            .map(|_| ())
            .map_err(map_diesel)
        })
        .await
    }

    async fn get_login_session(&self, id: &str) -> Result<Option<LoginSession>, StorageError> {
        let id = id.to_owned();
        self.read(move |conn| {
            on_native!(conn, |conn| {
                authentication_sessions::table
                    .find(&id)
                    .load::<SessionRow>(conn)
                    .map(|rows| by_key(rows).map(session_from))
                    .map_err(map_diesel)
            })
        })
        .await
    }

    async fn delete_login_session(&self, id: &str) -> Result<bool, StorageError> {
        self.delete_login_session_reporting(id, &[]).await
    }

    async fn delete_login_sessions_of_subject(&self, subject: &str) -> Result<u64, StorageError> {
        self.delete_login_sessions_of_subject_reporting(subject, &[])
            .await
    }

    async fn delete_login_session_reporting(
        &self,
        id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let id = id.to_owned();
        let events = outbox_rows(events);
        self.write(move |conn| {
            reporting_change(conn, &events, |conn| {
                diesel::delete(authentication_sessions::table.find(&id)).execute(conn)
            })
            .map(|deleted| deleted > 0)
            .map_err(map_diesel)
        })
        .await
    }

    async fn delete_login_sessions_of_subject_reporting(
        &self,
        subject: &str,
        events: &[OutboxEvent],
    ) -> Result<u64, StorageError> {
        let subject = subject.to_owned();
        let events = outbox_rows(events);
        self.write(move |conn| {
            reporting_change(conn, &events, |conn| {
                diesel::delete(
                    authentication_sessions::table
                        .filter(authentication_sessions::subject.eq(&subject)),
                )
                .execute(conn)
            })
            .map(count)
            .map_err(map_diesel)
        })
        .await
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_grants)]
// NULL is bound rather than written as DEFAULT, so the INSERT's text never varies and
// diesel keeps it prepared (it re-parsed it on every insert before).
#[diesel(treat_none_as_default_value = false)]
struct ConsentRow {
    id: String,
    subject: String,
    client_id: String,
    login_session_id: Option<String>,
    granted_scope: String,
    granted_audience: String,
    remember: bool,
    remember_until: Option<NaiveDateTime>,
    handled_at: NaiveDateTime,
    sealed_details: String,
}

impl ConsentRow {
    fn from_grant(grant: &ConsentGrant) -> Result<Self, StorageError> {
        Ok(Self {
            id: grant.id.clone(),
            subject: grant.subject.clone(),
            client_id: grant.client_id.clone(),
            login_session_id: grant.login_session_id.clone(),
            granted_scope: json_list(&grant.granted_scope)?,
            granted_audience: json_list(&grant.granted_audience)?,
            remember: grant.remember,
            remember_until: grant.remember_until.map(to_column),
            handled_at: to_column(grant.handled_at),
            sealed_details: grant.sealed_details.clone(),
        })
    }

    fn into_grant(self) -> Result<ConsentGrant, StorageError> {
        Ok(ConsentGrant {
            granted_scope: parse_list(&self.granted_scope, "consent granted_scope")?,
            granted_audience: parse_list(&self.granted_audience, "consent granted_audience")?,
            id: self.id,
            subject: self.subject,
            client_id: self.client_id,
            login_session_id: self.login_session_id,
            remember: self.remember,
            remember_until: self.remember_until.map(|t| t.and_utc()),
            handled_at: self.handled_at.and_utc(),
            sealed_details: self.sealed_details,
        })
    }
}

#[async_trait]
impl ConsentStore for SqlStore {
    async fn insert_consent(&self, grant: &ConsentGrant) -> Result<(), StorageError> {
        let row = ConsentRow::from_grant(grant)?;
        self.write(move |conn| {
            on_native!(conn, |conn| {
                diesel::insert_into(consent_grants::table)
                    .values(&row)
                    .execute(conn)
                    .map(|_| ())
                    .map_err(map_diesel)
            })
        })
        .await
    }

    async fn find_remembered_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ConsentGrant>, StorageError> {
        let (subject, client_id, now) = (subject.to_owned(), client_id.to_owned(), to_column(now));
        let row = self
            .read(move |conn| {
                macro_rules! newest_remembered {
                    () => {
                        consent_grants::table
                            .filter(consent_grants::subject.eq(&subject))
                            .filter(consent_grants::client_id.eq(&client_id))
                            .filter(consent_grants::remember.eq(true))
                            .filter(
                                consent_grants::remember_until
                                    .is_null()
                                    .or(consent_grants::remember_until.gt(now)),
                            )
                            .order(consent_grants::handled_at.desc())
                            .select(ConsentRow::as_select())
                    };
                }
                match conn {
                    // SQLite reads the first row of a stream: diesel binds `.first()`'s
                    // `LIMIT` as a parameter, and SQLite prepares such a cached
                    // statement again on every execution.
                    DbConnection::Sqlite(conn) => newest_remembered!()
                        .load_iter::<ConsentRow, DefaultLoadingMode>(conn)
                        .and_then(|mut rows| rows.next().transpose()),
                    conn => newest_remembered!().first(conn).optional(),
                }
                .map_err(map_diesel)
            })
            .await?;
        row.map(ConsentRow::into_grant).transpose()
    }

    async fn list_consents(
        &self,
        query: &ConsentListQuery,
    ) -> Result<Vec<ConsentGrant>, StorageError> {
        let query = query.clone();
        let rows = self
            .run(move |conn| {
                let mut select = consent_grants::table
                    .filter(consent_grants::subject.eq(query.subject.clone()))
                    .order(consent_grants::id.asc())
                    .limit(i64::try_from(query.limit).unwrap_or(i64::MAX))
                    .select(ConsentRow::as_select())
                    .into_boxed();
                if let Some(sid) = query.login_session_id.clone() {
                    select = select.filter(consent_grants::login_session_id.eq(sid));
                }
                if let Some(after) = query.after.clone() {
                    select = select.filter(consent_grants::id.gt(after));
                }
                select.load(conn).map_err(map_diesel)
            })
            .await?;
        rows.into_iter().map(ConsentRow::into_grant).collect()
    }

    async fn delete_consents(
        &self,
        subject: &str,
        client_id: Option<&str>,
    ) -> Result<Vec<String>, StorageError> {
        let (subject, client_id) = (subject.to_owned(), client_id.map(str::to_owned));
        self.write(move |conn| {
            conn.transaction(|conn| {
                let mut find = consent_grants::table
                    .filter(consent_grants::subject.eq(&subject))
                    .select(consent_grants::client_id)
                    .distinct()
                    .into_boxed();
                if let Some(client) = &client_id {
                    find = find.filter(consent_grants::client_id.eq(client));
                }
                let clients: Vec<String> = find.load(conn)?;
                let mut delete = diesel::delete(consent_grants::table)
                    .filter(consent_grants::subject.eq(&subject))
                    .into_boxed();
                if let Some(client) = &client_id {
                    delete = delete.filter(consent_grants::client_id.eq(client));
                }
                delete.execute(conn)?;
                Ok(clients)
            })
            .map_err(map_diesel)
        })
        .await
    }
}
