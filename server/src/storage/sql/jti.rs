//! `JtiStore` on SQL, without a transaction: the primary key makes the `INSERT` the
//! recorder of a fresh pair (of concurrent inserts exactly one succeeds); a conflicting
//! pair is taken over only by an `UPDATE … WHERE expires_at <= now`, whose affected-row
//! count says who won, because PostgreSQL and MySQL re-check the condition after
//! waiting for a concurrent writer's row lock and SQLite has one writer at a time.
//! (A delete-then-insert transaction would deadlock on MySQL's gap locks.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::oauth2_jti;
use super::{SqlStore, map_diesel, to_column};
use crate::storage::StorageError;
use crate::storage::jti::{JtiStore, jti_key};

#[async_trait]
impl JtiStore for SqlStore {
    async fn record_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let id = jti_key(client_id, jti);
        let client_id = client_id.to_owned();
        let (expires_at, now) = (to_column(expires_at), to_column(now));
        self.write(move |conn| {
            let inserted = diesel::insert_into(oauth2_jti::table)
                .values((
                    oauth2_jti::id.eq(&id),
                    oauth2_jti::client_id.eq(&client_id),
                    oauth2_jti::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .map_err(map_diesel);
            match inserted {
                Ok(_) => Ok(true),
                Err(StorageError::Conflict(_)) => {
                    let taken_over = diesel::update(
                        oauth2_jti::table
                            .filter(oauth2_jti::id.eq(&id))
                            .filter(oauth2_jti::expires_at.le(now)),
                    )
                    .set(oauth2_jti::expires_at.eq(expires_at))
                    .execute(conn)
                    .map_err(map_diesel)?;
                    Ok(taken_over == 1)
                }
                Err(other) => Err(other),
            }
        })
        .await
    }

    async fn delete_expired_jtis(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        let before = to_column(before);
        self.run(move |conn| {
            diesel::delete(oauth2_jti::table.filter(oauth2_jti::expires_at.lt(before)))
                .execute(conn)
                .map(|n| u64::try_from(n).unwrap_or(u64::MAX))
                .map_err(map_diesel)
        })
        .await
    }
}
