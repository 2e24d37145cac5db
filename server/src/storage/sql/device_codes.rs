//! `DeviceCodeStore` on SQL, without transactions: every state change is one
//! `UPDATE … WHERE` naming the state (or version) it expects, and its affected-row
//! count says who won, because PostgreSQL and MySQL re-check the condition after
//! waiting for a concurrent writer's row lock and SQLite has one writer at a time.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{oauth2_device_attempts as attempts, oauth2_device_codes as codes};
use super::{SqlStore, by_key, count, map_diesel, to_column};
use crate::storage::StorageError;
use crate::storage::device_codes::{DeviceAuthorization, DeviceCodeState, DeviceCodeStore};

/// A row of `oauth2_device_codes`, in column order.
type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    NaiveDateTime,
    i64,
    NaiveDateTime,
    NaiveDateTime,
    Option<String>,
);

/// Every column of a device authorization, in [`Row`]'s order.
type Columns = (
    codes::device_code_key,
    codes::user_code_key,
    codes::client_id,
    codes::requested_scope,
    codes::requested_audience,
    codes::state,
    codes::approval,
    codes::interval_secs,
    codes::next_poll_at,
    codes::polls,
    codes::requested_at,
    codes::expires_at,
    codes::requested_authorization_details,
);

fn columns() -> Columns {
    (
        codes::device_code_key,
        codes::user_code_key,
        codes::client_id,
        codes::requested_scope,
        codes::requested_audience,
        codes::state,
        codes::approval,
        codes::interval_secs,
        codes::next_poll_at,
        codes::polls,
        codes::requested_at,
        codes::expires_at,
        codes::requested_authorization_details,
    )
}

fn from_row(row: Row) -> Result<DeviceAuthorization, StorageError> {
    let (
        key,
        user_code_key,
        client_id,
        scope,
        audience,
        state,
        approval,
        interval,
        next,
        polls,
        at,
        exp,
        details,
    ) = row;
    Ok(DeviceAuthorization {
        device_code_key: key,
        user_code_key,
        client_id,
        requested_scope: scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        requested_audience: serde_json::from_str(&audience)
            .map_err(|e| StorageError::Corrupt(format!("device authorization audience: {e}")))?,
        state: DeviceCodeState::parse(&state).ok_or_else(|| {
            StorageError::Corrupt(format!("device authorization state {state:?}"))
        })?,
        approval,
        interval_secs: interval,
        next_poll_at: next.and_utc(),
        polls,
        requested_at: at.and_utc(),
        expires_at: exp.and_utc(),
        requested_authorization_details: match details {
            Some(details) => serde_json::from_str(&details)
                .map_err(|e| StorageError::Corrupt(format!("device authorization details: {e}")))?,
            None => Vec::new(),
        },
    })
}

#[async_trait]
impl DeviceCodeStore for SqlStore {
    async fn insert_device_authorization(
        &self,
        a: &DeviceAuthorization,
    ) -> Result<(), StorageError> {
        let audience = serde_json::to_string(&a.requested_audience)
            .map_err(|e| StorageError::Database(format!("encoding audience: {e}")))?;
        let details = if a.requested_authorization_details.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&a.requested_authorization_details).map_err(|e| {
                    StorageError::Database(format!("encoding authorization details: {e}"))
                })?,
            )
        };
        let a = a.clone();
        self.write(move |conn| {
            diesel::insert_into(codes::table)
                .values((
                    codes::device_code_key.eq(&a.device_code_key),
                    codes::user_code_key.eq(&a.user_code_key),
                    codes::client_id.eq(&a.client_id),
                    codes::requested_scope.eq(a.requested_scope.join(" ")),
                    codes::requested_audience.eq(&audience),
                    codes::state.eq(a.state.as_str()),
                    codes::approval.eq(&a.approval),
                    codes::interval_secs.eq(a.interval_secs),
                    codes::next_poll_at.eq(to_column(a.next_poll_at)),
                    codes::polls.eq(a.polls),
                    codes::requested_at.eq(to_column(a.requested_at)),
                    codes::expires_at.eq(to_column(a.expires_at)),
                    codes::requested_authorization_details.eq(&details),
                ))
                .execute(conn)
                .map(|_| ())
                .map_err(|e| match map_diesel(e) {
                    StorageError::Conflict(_) => StorageError::Conflict(
                        "a device authorization with this device or user code exists".to_owned(),
                    ),
                    other => other,
                })
        })
        .await
    }

    async fn get_device_authorization(
        &self,
        device_code_key: &str,
    ) -> Result<Option<DeviceAuthorization>, StorageError> {
        let key = device_code_key.to_owned();
        self.read(move |conn| {
            let row: Option<Row> = by_key(
                codes::table
                    .select(columns())
                    .filter(codes::device_code_key.eq(&key))
                    .load(conn)
                    .map_err(map_diesel)?,
            );
            row.map(from_row).transpose()
        })
        .await
    }

    async fn find_device_authorization_by_user_code(
        &self,
        user_code_keys: &[String],
    ) -> Result<Option<DeviceAuthorization>, StorageError> {
        let keys = user_code_keys.to_vec();
        self.run(move |conn| {
            let row: Option<Row> = by_key(
                codes::table
                    .select(columns())
                    .filter(codes::user_code_key.eq_any(&keys))
                    .load(conn)
                    .map_err(map_diesel)?,
            );
            row.map(from_row).transpose()
        })
        .await
    }

    async fn transition_device_authorization(
        &self,
        device_code_key: &str,
        from: DeviceCodeState,
        to: DeviceCodeState,
        approval: Option<&str>,
    ) -> Result<bool, StorageError> {
        let key = device_code_key.to_owned();
        let approval = approval.map(str::to_owned);
        self.write(move |conn| {
            let target = codes::table
                .filter(codes::device_code_key.eq(&key))
                .filter(codes::state.eq(from.as_str()));
            let updated = match &approval {
                Some(approval) => diesel::update(target)
                    .set((codes::state.eq(to.as_str()), codes::approval.eq(approval)))
                    .execute(conn),
                None => diesel::update(target)
                    .set(codes::state.eq(to.as_str()))
                    .execute(conn),
            }
            .map_err(map_diesel)?;
            Ok(updated == 1)
        })
        .await
    }

    async fn record_poll(
        &self,
        device_code_key: &str,
        polls: i64,
        interval_secs: i64,
        next_poll_at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let key = device_code_key.to_owned();
        let next = to_column(next_poll_at);
        self.write(move |conn| {
            let updated = diesel::update(
                codes::table
                    .filter(codes::device_code_key.eq(&key))
                    .filter(codes::polls.eq(polls)),
            )
            .set((
                codes::polls.eq(polls.saturating_add(1)),
                codes::interval_secs.eq(interval_secs),
                codes::next_poll_at.eq(next),
            ))
            .execute(conn)
            .map_err(map_diesel)?;
            Ok(updated == 1)
        })
        .await
    }

    /// An `INSERT` of the first attempt (the primary key picks one of concurrent
    /// first inserts), else an `UPDATE … WHERE attempts < max`.
    async fn take_user_code_attempt(
        &self,
        challenge_id: &str,
        max: u32,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        if max == 0 {
            return Ok(false);
        }
        let id = challenge_id.to_owned();
        let expires_at = to_column(expires_at);
        let max = i64::from(max);
        self.write(move |conn| {
            let inserted = diesel::insert_into(attempts::table)
                .values((
                    attempts::challenge_id.eq(&id),
                    attempts::attempts.eq(1_i64),
                    attempts::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .map_err(map_diesel);
            match inserted {
                Ok(_) => Ok(true),
                Err(StorageError::Conflict(_)) => {
                    let updated = diesel::update(
                        attempts::table
                            .filter(attempts::challenge_id.eq(&id))
                            .filter(attempts::attempts.lt(max)),
                    )
                    .set(attempts::attempts.eq(attempts::attempts + 1_i64))
                    .execute(conn)
                    .map_err(map_diesel)?;
                    Ok(updated == 1)
                }
                Err(other) => Err(other),
            }
        })
        .await
    }

    async fn delete_expired_device_codes(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let before = to_column(before);
        self.run(move |conn| {
            let codes = diesel::delete(codes::table.filter(codes::expires_at.lt(before)))
                .execute(conn)
                .map_err(map_diesel)?;
            let attempts = diesel::delete(attempts::table.filter(attempts::expires_at.lt(before)))
                .execute(conn)
                .map_err(map_diesel)?;
            Ok(count(codes).saturating_add(count(attempts)))
        })
        .await
    }
}
