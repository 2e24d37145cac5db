//! `ClientStore` on SQL: a row holds the indexed columns (id, name, owner), the secret
//! hash (and a rotated-out one with its expiry), the timestamps, and the serde JSON of the whole `Client` (`document`). On read,
//! the columns win over the document's copies, so the fields that are queried or kept
//! out of the document have one source of truth.
//!
//! Every write is one statement, atomic by itself (with audit events, one transaction
//! with their outbox rows): the contract's "nothing is written" cases (duplicate id,
//! unknown id) are decided by the primary key and the affected-row count, not by a read
//! before the write. (MySQL reports matched rather than changed
//! rows because diesel connects with `CLIENT_FOUND_ROWS`.)
//!
//! PostgreSQL: a write that changed a row also sends `pg_notify('portunus_clients',
//! <client id>)` in the same transaction, so the notification is queued if and only if
//! the write commits; every node's client cache (`client_notify.rs`) evicts the client
//! when it reads it. This costs a write a `BEGIN`/`COMMIT` pair; client writes are
//! administrative and rare.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::{DbConnection, on_native};
use super::outbox::{OutboxRow, change_then_report, outbox_rows, reporting_change};
use super::schema::clients;
use super::{SqlStore, by_key, map_diesel, to_column};
use crate::client::model::Client;
use crate::storage::{ClientListQuery, ClientStore, OutboxEvent, StorageError};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
struct ClientRow {
    id: String,
    client_name: String,
    owner: String,
    secret_hash: Option<String>,
    document: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    previous_secret_hash: Option<String>,
    previous_secret_expires_at: Option<NaiveDateTime>,
}

impl ClientRow {
    fn from_client(client: &Client) -> Result<Self, StorageError> {
        let document = serde_json::to_string(client).map_err(|e| {
            StorageError::Database(format!(
                "client {:?} cannot be encoded: {e}",
                client.client_id
            ))
        })?;
        Ok(Self {
            id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            owner: client.owner.clone(),
            secret_hash: client.secret_hash.clone(),
            document,
            created_at: to_column(client.created_at),
            updated_at: to_column(client.updated_at),
            previous_secret_hash: client.previous_secret_hash.clone(),
            previous_secret_expires_at: client.previous_secret_expires_at.map(to_column),
        })
    }

    fn into_client(self) -> Result<Client, StorageError> {
        let mut client: Client = serde_json::from_str(&self.document)
            .map_err(|e| StorageError::Corrupt(format!("client {:?}: document: {e}", self.id)))?;
        client.client_id = self.id;
        client.client_name = self.client_name;
        client.owner = self.owner;
        client.secret_hash = self.secret_hash;
        client.created_at = self.created_at.and_utc();
        client.updated_at = self.updated_at.and_utc();
        client.previous_secret_hash = self.previous_secret_hash;
        client.previous_secret_expires_at = self.previous_secret_expires_at.map(|t| t.and_utc());
        Ok(client)
    }
}

fn conflict_or(client_id: &str) -> impl FnOnce(diesel::result::Error) -> StorageError {
    move |err| match map_diesel(err) {
        StorageError::Conflict(_) => {
            StorageError::Conflict(format!("a client with id {client_id:?} already exists"))
        }
        other => other,
    }
}

/// The PostgreSQL channel of client writes; its payload is the client id.
pub(super) const CLIENT_CHANNEL: &str = "portunus_clients";

/// The payload that stands for every client: an id too long for a notification (at most
/// 8,000 bytes) evicts them all.
pub(super) const EVERY_CLIENT: &str = "";

/// The longest client id sent as it is.
const MAX_NOTIFIED_ID: usize = 7_000;

/// `reporting_change` for a client write, which on PostgreSQL also notifies the client's
/// id in the same transaction when a row changed (the module documentation).
fn client_change(
    conn: &mut DbConnection,
    client_id: &str,
    events: &[OutboxRow],
    change: impl FnOnce(&mut DbConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    if !matches!(conn, DbConnection::Postgresql(_)) {
        return reporting_change(conn, events, change);
    }
    conn.transaction(|conn| {
        change_then_report(conn, events, |conn| {
            let changed = change(conn)?;
            if changed > 0 {
                notify_client(conn, client_id)?;
            }
            Ok(changed)
        })
    })
}

fn notify_client(conn: &mut DbConnection, client_id: &str) -> QueryResult<()> {
    use diesel::sql_types::Text;
    let DbConnection::Postgresql(conn) = conn else {
        return Ok(());
    };
    let payload = if client_id.len() <= MAX_NOTIFIED_ID {
        client_id
    } else {
        EVERY_CLIENT
    };
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CLIENT_CHANNEL)
        .bind::<Text, _>(payload)
        .execute(conn)
        .map(drop)
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn create_client(&self, client: &Client) -> Result<(), StorageError> {
        self.create_client_reporting(client, &[]).await
    }

    async fn create_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        let row = ClientRow::from_client(client)?;
        let events = outbox_rows(events);
        self.write(move |conn| {
            client_change(conn, &row.id, &events, |conn| {
                diesel::insert_into(clients::table)
                    .values(&row)
                    .execute(conn)
            })
            .map(drop)
            .map_err(conflict_or(&row.id))
        })
        .await
    }

    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StorageError> {
        let id = client_id.to_owned();
        let row = self
            .read(move |conn| {
                on_native!(conn, |conn| clients::table
                    .find(id.clone())
                    .select(ClientRow::as_select())
                    .load(conn))
                .map(by_key)
                .map_err(map_diesel)
            })
            .await?;
        row.map(ClientRow::into_client).transpose()
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StorageError> {
        self.update_client_reporting(client, &[]).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError> {
        self.delete_client_reporting(client_id, &[]).await
    }

    async fn list_clients(&self, query: &ClientListQuery) -> Result<Vec<Client>, StorageError> {
        let query = query.clone();
        let rows = self
            .run(move |conn| {
                let mut select = clients::table
                    .select(ClientRow::as_select())
                    .order(clients::id.asc())
                    .limit(i64::try_from(query.limit).unwrap_or(i64::MAX))
                    .into_boxed();
                if let Some(after) = query.after.clone() {
                    select = select.filter(clients::id.gt(after));
                }
                if let Some(name) = query.client_name.clone() {
                    select = select.filter(clients::client_name.eq(name));
                }
                if let Some(owner) = query.owner.clone() {
                    select = select.filter(clients::owner.eq(owner));
                }
                select.load(conn).map_err(map_diesel)
            })
            .await?;
        rows.into_iter().map(ClientRow::into_client).collect()
    }

    async fn update_client_reporting(
        &self,
        client: &Client,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let row = ClientRow::from_client(client)?;
        let events = outbox_rows(events);
        self.write(move |conn| {
            client_change(conn, &row.id, &events, |conn| {
                diesel::update(clients::table.find(&row.id))
                    .set((
                        clients::client_name.eq(&row.client_name),
                        clients::owner.eq(&row.owner),
                        clients::secret_hash.eq(&row.secret_hash),
                        clients::document.eq(&row.document),
                        clients::created_at.eq(row.created_at),
                        clients::updated_at.eq(row.updated_at),
                        clients::previous_secret_hash.eq(&row.previous_secret_hash),
                        clients::previous_secret_expires_at.eq(row.previous_secret_expires_at),
                    ))
                    .execute(conn)
            })
            .map(|changed| changed > 0)
            .map_err(map_diesel)
        })
        .await
    }

    async fn delete_client_reporting(
        &self,
        client_id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let id = client_id.to_owned();
        let events = outbox_rows(events);
        self.write(move |conn| {
            client_change(conn, &id, &events, |conn| {
                diesel::delete(clients::table.find(id.clone())).execute(conn)
            })
            .map(|deleted| deleted > 0)
            .map_err(map_diesel)
        })
        .await
    }
}
