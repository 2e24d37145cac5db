//! `UserIdentityStore` on SQL: one row per link, keyed by (provider, upstream subject).
//! The primary key is the port's uniqueness rule, so a link is one insert whose unique
//! violation is the conflict; the foreign key deletes a user's links with the user.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{user_identities, users};
use super::{SqlStore, by_key, map_diesel, to_column};
use crate::storage::StorageError;
use crate::users::{User, UserIdentity, UserIdentityStore, UserStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = user_identities)]
struct IdentityRow {
    provider: String,
    upstream_subject: String,
    user_id: String,
    created_at: NaiveDateTime,
}

impl IdentityRow {
    fn into_model(self) -> UserIdentity {
        UserIdentity {
            provider: self.provider,
            upstream_subject: self.upstream_subject,
            user_id: self.user_id,
            created_at: self.created_at.and_utc(),
        }
    }
}

#[async_trait]
impl UserIdentityStore for SqlStore {
    async fn link_identity(&self, identity: &UserIdentity) -> Result<(), StorageError> {
        let row = IdentityRow {
            provider: identity.provider.clone(),
            upstream_subject: identity.upstream_subject.clone(),
            user_id: identity.user_id.clone(),
            created_at: to_column(identity.created_at),
        };
        self.write(move |conn| {
            diesel::insert_into(user_identities::table)
                .values(&row)
                .execute(conn)
                .map(|_| ())
                .map_err(|err| match map_diesel(err) {
                    StorageError::Conflict(_) => StorageError::Conflict(format!(
                        "the identity {:?} of provider {:?} is linked already",
                        row.upstream_subject, row.provider
                    )),
                    other => other,
                })
        })
        .await
    }

    async fn get_identity(
        &self,
        provider: &str,
        upstream_subject: &str,
    ) -> Result<Option<UserIdentity>, StorageError> {
        let key = (provider.to_owned(), upstream_subject.to_owned());
        let wanted = key.clone();
        let rows = self
            .read(move |conn| {
                user_identities::table
                    .find((&key.0, &key.1))
                    .select(IdentityRow::as_select())
                    .load(conn)
                    .map_err(map_diesel)
            })
            .await?;
        // MySQL's utf8mb4_bin pads with spaces: keep the exact match.
        Ok(by_key(
            rows.into_iter()
                .filter(|r| r.provider == wanted.0 && r.upstream_subject == wanted.1)
                .collect(),
        )
        .map(IdentityRow::into_model))
    }

    async fn list_identities(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<UserIdentity>, StorageError> {
        let wanted = user_id.to_owned();
        let rows = self
            .read(move |conn| {
                user_identities::table
                    .filter(user_identities::user_id.eq(&wanted))
                    .order((
                        user_identities::provider.asc(),
                        user_identities::upstream_subject.asc(),
                    ))
                    .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                    .select(IdentityRow::as_select())
                    .load(conn)
                    .map_err(map_diesel)
            })
            .await?;
        // Byte-wise, whatever the backend's collation of `user_id` says.
        Ok(rows
            .into_iter()
            .filter(|r| r.user_id == user_id)
            .map(IdentityRow::into_model)
            .collect())
    }

    async fn unlink_identity(
        &self,
        user_id: &str,
        provider: &str,
        upstream_subject: &str,
    ) -> Result<bool, StorageError> {
        // Exactly this link: the collation may match more loosely than the bytes
        // (MySQL pads, case rules), so read the key first and delete that row only.
        let Some(link) = self.get_identity(provider, upstream_subject).await? else {
            return Ok(false);
        };
        if link.user_id != user_id {
            return Ok(false);
        }
        let key = (
            link.provider.clone(),
            link.upstream_subject.clone(),
            link.user_id,
        );
        self.write(move |conn| {
            diesel::delete(
                user_identities::table
                    .find((&key.0, &key.1))
                    .filter(user_identities::user_id.eq(&key.2)),
            )
            .execute(conn)
            .map(|n| n > 0)
            .map_err(map_diesel)
        })
        .await
    }

    async fn find_users_by_email(
        &self,
        email: &str,
        limit: usize,
    ) -> Result<Vec<User>, StorageError> {
        let wanted = email.to_owned();
        let ids = self
            .read(move |conn| {
                users::table
                    .filter(users::email.eq(&wanted))
                    .select((users::id, users::email))
                    .order(users::id.asc())
                    .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                    .load::<(String, String)>(conn)
                    .map_err(map_diesel)
            })
            .await?;
        let mut found = Vec::new();
        for (id, stored) in ids {
            // Byte-wise, whatever the backend's collation of `email` says.
            if stored != email {
                continue;
            }
            if let Some(user) = self.get_user(&id).await? {
                found.push(user);
            }
        }
        Ok(found)
    }
}
