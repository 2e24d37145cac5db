//! `PushedRequestStore` on SQL. Taking a request is a read by key, then a `DELETE` by
//! key and client whose affected-row count says who won: of concurrent takers exactly
//! one deletes the row (PostgreSQL and MySQL re-check the row after waiting for a
//! concurrent writer's lock; SQLite has one writer at a time), so a `request_uri` is
//! used once on every backend without a transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::oauth2_pushed_requests as pushed;
use super::{SqlStore, by_key, count, map_diesel, to_column};
use crate::storage::StorageError;
use crate::storage::pushed_requests::{PushedRequest, PushedRequestStore};

#[async_trait]
impl PushedRequestStore for SqlStore {
    async fn push_request(&self, key: &str, request: &PushedRequest) -> Result<(), StorageError> {
        let parameters = serde_json::to_string(&request.parameters)
            .map_err(|e| StorageError::Database(format!("encoding parameters: {e}")))?;
        let (id, client_id) = (key.to_owned(), request.client_id.clone());
        let expires_at = to_column(request.expires_at);
        self.write(move |conn| {
            diesel::insert_into(pushed::table)
                .values((
                    pushed::id.eq(&id),
                    pushed::client_id.eq(&client_id),
                    pushed::parameters.eq(&parameters),
                    pushed::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .map(|_| ())
                .map_err(|e| match map_diesel(e) {
                    StorageError::Conflict(_) => {
                        StorageError::Conflict("a pushed request with this key exists".to_owned())
                    }
                    other => other,
                })
        })
        .await
    }

    async fn take_pushed_request(
        &self,
        key: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PushedRequest>, StorageError> {
        let (id, client_id) = (key.to_owned(), client_id.to_owned());
        let now = to_column(now);
        self.write(move |conn| {
            let row: Option<(String, chrono::NaiveDateTime)> = by_key(
                pushed::table
                    .select((pushed::parameters, pushed::expires_at))
                    .filter(pushed::id.eq(&id))
                    .filter(pushed::client_id.eq(&client_id))
                    .load(conn)
                    .map_err(map_diesel)?,
            );
            let Some((parameters, expires_at)) = row else {
                return Ok(None);
            };
            let deleted = diesel::delete(
                pushed::table
                    .filter(pushed::id.eq(&id))
                    .filter(pushed::client_id.eq(&client_id)),
            )
            .execute(conn)
            .map_err(map_diesel)?;
            if deleted != 1 || expires_at <= now {
                return Ok(None);
            }
            let parameters: Vec<(String, String)> = serde_json::from_str(&parameters)
                .map_err(|e| StorageError::Corrupt(format!("pushed request parameters: {e}")))?;
            Ok(Some(PushedRequest {
                client_id: client_id.clone(),
                parameters,
                expires_at: expires_at.and_utc(),
            }))
        })
        .await
    }

    async fn delete_expired_pushed_requests(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let before = to_column(before);
        self.run(move |conn| {
            diesel::delete(pushed::table.filter(pushed::expires_at.lt(before)))
                .execute(conn)
                .map(count)
                .map_err(map_diesel)
        })
        .await
    }
}
