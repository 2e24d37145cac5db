//! `JsonWebKeyStore` on SQL: one row per key, primary key (set_id, kid). Methods that
//! write more than one statement run in one transaction. The `*_reporting` writes add
//! their outbox rows to that transaction (`outbox.rs`), so an event exists iff the
//! change committed; the plain writes are the same with no events.
//!
//! Insert-if-absent (`add_json_web_keys_if_set_empty`) serialises concurrent callers on
//! a lock row: each transaction first inserts the row (set, [`LOCK_KID`]), so a second
//! one waits on the primary key until the first commits; the first counts the set's
//! keys, inserts when there are none, and deletes the lock row before committing, so no
//! other transaction ever sees it. This works alike on SQLite (one writer at a time),
//! PostgreSQL (READ COMMITTED: the count after the wait sees the committed keys) and
//! MySQL (REPEATABLE READ: the snapshot starts at the first read, after the wait; when
//! several wait, InnoDB reports deadlocks, and the losers retry).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::connection::DbConnection;
use super::outbox::{OutboxRow, insert_outbox, outbox_rows, reporting_change};
use super::schema::json_web_keys;
use super::{SqlStore, by_key, map_diesel, to_column};
use crate::storage::{JsonWebKeyStore, OutboxEvent, StorageError, StoredJsonWebKey};

/// The kid of the lock row; never a real key's (the jwk layer rejects empty kids).
const LOCK_KID: &str = "";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = json_web_keys)]
struct KeyRow {
    set_id: String,
    kid: String,
    alg: String,
    use_: String,
    public_jwk: String,
    private_jwk_sealed: Option<String>,
    created_at: NaiveDateTime,
    not_before: NaiveDateTime,
    retired_at: Option<NaiveDateTime>,
}

impl From<&StoredJsonWebKey> for KeyRow {
    fn from(key: &StoredJsonWebKey) -> Self {
        Self {
            set_id: key.set_id.clone(),
            kid: key.kid.clone(),
            alg: key.alg.clone(),
            use_: key.use_.clone(),
            public_jwk: key.public_jwk.clone(),
            private_jwk_sealed: key.private_jwk_sealed.clone(),
            created_at: to_column(key.created_at),
            not_before: to_column(key.not_before),
            retired_at: key.retired_at.map(to_column),
        }
    }
}

impl From<KeyRow> for StoredJsonWebKey {
    fn from(row: KeyRow) -> Self {
        Self {
            set_id: row.set_id,
            kid: row.kid,
            alg: row.alg,
            use_: row.use_,
            public_jwk: row.public_jwk,
            private_jwk_sealed: row.private_jwk_sealed,
            created_at: row.created_at.and_utc(),
            not_before: row.not_before.and_utc(),
            retired_at: row.retired_at.map(|at| at.and_utc()),
        }
    }
}

fn rows(keys: &[StoredJsonWebKey]) -> Vec<KeyRow> {
    keys.iter().map(KeyRow::from).collect()
}

fn lock_row(set: &str) -> KeyRow {
    KeyRow {
        set_id: set.to_owned(),
        kid: LOCK_KID.to_owned(),
        alg: String::new(),
        use_: String::new(),
        public_jwk: "{}".to_owned(),
        private_jwk_sealed: None,
        created_at: NaiveDateTime::default(),
        not_before: NaiveDateTime::default(),
        retired_at: None,
    }
}

/// One attempt of `add_json_web_keys_if_set_empty`, inside a transaction.
fn insert_if_set_empty(
    conn: &mut DbConnection,
    set: &str,
    rows: &[KeyRow],
) -> Result<bool, DieselError> {
    diesel::insert_into(json_web_keys::table)
        .values(&lock_row(set))
        .execute(conn)?;
    let existing: i64 = json_web_keys::table
        .filter(json_web_keys::set_id.eq(set))
        .filter(json_web_keys::kid.ne(LOCK_KID))
        .count()
        .get_result(conn)?;
    if existing == 0 {
        for row in rows {
            diesel::insert_into(json_web_keys::table)
                .values(row)
                .execute(conn)?;
        }
    }
    diesel::delete(json_web_keys::table.find((set, LOCK_KID))).execute(conn)?;
    Ok(existing == 0)
}

/// Inserts `rows`, then `events`, with the caller's transaction.
fn insert_keys(
    conn: &mut DbConnection,
    rows: &[KeyRow],
    events: &[OutboxRow],
) -> Result<(), DieselError> {
    for row in rows {
        diesel::insert_into(json_web_keys::table)
            .values(row)
            .execute(conn)?;
    }
    insert_outbox!(conn, events)?;
    Ok(())
}

fn conflict_in(set: &str) -> impl FnOnce(diesel::result::Error) -> StorageError {
    move |err| match map_diesel(err) {
        StorageError::Conflict(_) => StorageError::Conflict(format!(
            "a key with one of these kids already exists in set {set:?}"
        )),
        other => other,
    }
}

#[async_trait]
impl JsonWebKeyStore for SqlStore {
    async fn add_json_web_keys(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
        retire_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        self.add_json_web_keys_reporting(set, keys, retire_at, &[])
            .await
    }

    async fn add_json_web_keys_reporting(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
        retire_at: Option<DateTime<Utc>>,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        let set = set.to_owned();
        let rows = rows(keys);
        let events = outbox_rows(events);
        self.write(move |conn| {
            conn.transaction(|conn| {
                if let Some(at) = retire_at {
                    let uses: Vec<String> = rows.iter().map(|r| r.use_.clone()).collect();
                    diesel::update(
                        json_web_keys::table
                            .filter(json_web_keys::set_id.eq(&set))
                            .filter(json_web_keys::retired_at.is_null())
                            .filter(json_web_keys::use_.eq_any(uses)),
                    )
                    .set(json_web_keys::retired_at.eq(Some(to_column(at))))
                    .execute(conn)?;
                }
                insert_keys(conn, &rows, &events)
            })
            .map_err(conflict_in(&set))
        })
        .await
    }

    async fn add_json_web_keys_if_set_empty(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
    ) -> Result<bool, StorageError> {
        let set = set.to_owned();
        let rows = rows(keys);
        // MySQL resolves three or more waiters on one lock row by killing all but one as
        // deadlocked; the store runs the rolled-back transaction again (`contention.rs`).
        self.write(move |conn| {
            conn.transaction(|conn| insert_if_set_empty(conn, &set, &rows))
                .map_err(conflict_in(&set))
        })
        .await
    }

    async fn replace_json_web_key_set(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
    ) -> Result<(), StorageError> {
        self.replace_json_web_key_set_reporting(set, keys, &[])
            .await
    }

    async fn replace_json_web_key_set_reporting(
        &self,
        set: &str,
        keys: &[StoredJsonWebKey],
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        let set = set.to_owned();
        let rows = rows(keys);
        let events = outbox_rows(events);
        self.write(move |conn| {
            conn.transaction(|conn| {
                diesel::delete(json_web_keys::table.filter(json_web_keys::set_id.eq(&set)))
                    .execute(conn)?;
                insert_keys(conn, &rows, &events)
            })
            .map_err(conflict_in(&set))
        })
        .await
    }

    async fn put_json_web_key(&self, key: &StoredJsonWebKey) -> Result<(), StorageError> {
        self.put_json_web_key_reporting(key, &[]).await
    }

    async fn put_json_web_key_reporting(
        &self,
        key: &StoredJsonWebKey,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        let row = KeyRow::from(key);
        let events = outbox_rows(events);
        self.write(move |conn| {
            conn.transaction(|conn| {
                diesel::delete(json_web_keys::table.find((&row.set_id, &row.kid))).execute(conn)?;
                insert_keys(conn, std::slice::from_ref(&row), &events)
            })
            .map_err(conflict_in(&row.set_id))
        })
        .await
    }

    async fn get_json_web_key_set(&self, set: &str) -> Result<Vec<StoredJsonWebKey>, StorageError> {
        self.list_json_web_keys(&[set.to_owned()]).await
    }

    async fn get_json_web_key(
        &self,
        set: &str,
        kid: &str,
    ) -> Result<Option<StoredJsonWebKey>, StorageError> {
        let (set, kid) = (set.to_owned(), kid.to_owned());
        let row = self
            .read(move |conn| {
                json_web_keys::table
                    .find((set.clone(), kid.clone()))
                    .select(KeyRow::as_select())
                    .load(conn)
                    .map(by_key)
                    .map_err(map_diesel)
            })
            .await?;
        Ok(row.map(StoredJsonWebKey::from))
    }

    async fn delete_json_web_key(&self, set: &str, kid: &str) -> Result<bool, StorageError> {
        self.delete_json_web_key_reporting(set, kid, &[]).await
    }

    async fn delete_json_web_key_reporting(
        &self,
        set: &str,
        kid: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let (set, kid) = (set.to_owned(), kid.to_owned());
        let events = outbox_rows(events);
        self.write(move |conn| {
            reporting_change(conn, &events, |conn| {
                diesel::delete(json_web_keys::table.find((set.clone(), kid.clone()))).execute(conn)
            })
            .map(|deleted| deleted > 0)
            .map_err(map_diesel)
        })
        .await
    }

    async fn delete_json_web_key_set(&self, set: &str) -> Result<bool, StorageError> {
        self.delete_json_web_key_set_reporting(set, &[]).await
    }

    async fn delete_json_web_key_set_reporting(
        &self,
        set: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let set = set.to_owned();
        let events = outbox_rows(events);
        self.write(move |conn| {
            reporting_change(conn, &events, |conn| {
                diesel::delete(json_web_keys::table.filter(json_web_keys::set_id.eq(set.clone())))
                    .execute(conn)
            })
            .map(|deleted| deleted > 0)
            .map_err(map_diesel)
        })
        .await
    }

    async fn list_json_web_keys(
        &self,
        sets: &[String],
    ) -> Result<Vec<StoredJsonWebKey>, StorageError> {
        let sets = sets.to_vec();
        let rows = self
            .run(move |conn| {
                json_web_keys::table
                    .filter(json_web_keys::set_id.eq_any(sets.clone()))
                    .filter(json_web_keys::kid.ne(LOCK_KID))
                    .order((
                        json_web_keys::set_id.asc(),
                        json_web_keys::created_at.asc(),
                        json_web_keys::kid.asc(),
                    ))
                    .select(KeyRow::as_select())
                    .load(conn)
                    .map_err(map_diesel)
            })
            .await?;
        Ok(rows.into_iter().map(StoredJsonWebKey::from).collect())
    }
}
