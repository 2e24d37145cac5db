//! `UserStore` on SQL: one row per user. The primary key and the unique index on
//! `username` are the port's uniqueness rules, so every write is one statement whose
//! unique violation is the conflict: of two racing writes for one username the database
//! lets one win.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::users;
use super::{SqlStore, by_key, map_diesel, to_column};
use crate::storage::StorageError;
use crate::users::{User, UserListQuery, UserStore};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
struct UserRow {
    id: String,
    username: String,
    email: String,
    email_verified: bool,
    name: Option<String>,
    password_hash: Option<String>,
    disabled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl UserRow {
    fn from_model(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            name: user.name.clone(),
            password_hash: user.password_hash.clone(),
            disabled: user.disabled,
            created_at: to_column(user.created_at),
            updated_at: to_column(user.updated_at),
        }
    }

    fn into_model(self) -> User {
        User {
            id: self.id,
            username: self.username,
            email: self.email,
            email_verified: self.email_verified,
            name: self.name,
            password_hash: self.password_hash,
            disabled: self.disabled,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

fn conflict_or(username: &str) -> impl FnOnce(diesel::result::Error) -> StorageError {
    let what = format!("a user with username {username:?} or this id already exists");
    move |err| match map_diesel(err) {
        StorageError::Conflict(_) => StorageError::Conflict(what),
        other => other,
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, user: &User) -> Result<(), StorageError> {
        let row = UserRow::from_model(user);
        self.write(move |conn| {
            diesel::insert_into(users::table)
                .values(&row)
                .execute(conn)
                .map(|_| ())
                .map_err(conflict_or(&row.username))
        })
        .await
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, StorageError> {
        let id = id.to_owned();
        let row = self
            .read(move |conn| {
                users::table
                    .find(&id)
                    .select(UserRow::as_select())
                    .load(conn)
                    .map(by_key)
                    .map_err(map_diesel)
            })
            .await?;
        Ok(row.map(UserRow::into_model))
    }

    async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StorageError> {
        let wanted = username.to_owned();
        let rows = self
            .read(move |conn| {
                users::table
                    .filter(users::username.eq(&wanted))
                    .select(UserRow::as_select())
                    .load(conn)
                    .map_err(map_diesel)
            })
            .await?;
        // MySQL's utf8mb4_bin pads with spaces (`'alice' = 'alice '`): keep the exact match.
        Ok(rows
            .into_iter()
            .find(|row| row.username == username)
            .map(UserRow::into_model))
    }

    async fn update_user(&self, user: &User) -> Result<bool, StorageError> {
        let row = UserRow::from_model(user);
        self.write(move |conn| {
            diesel::update(users::table.find(&row.id))
                .set(&row)
                .execute(conn)
                .map(|changed| changed > 0)
                .map_err(conflict_or(&row.username))
        })
        .await
    }

    async fn set_user_password(
        &self,
        id: &str,
        password_hash: &str,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let (id, hash) = (id.to_owned(), password_hash.to_owned());
        let updated_at = to_column(updated_at);
        self.write(move |conn| {
            diesel::update(users::table.find(&id))
                .set((
                    users::password_hash.eq(Some(&hash)),
                    users::updated_at.eq(updated_at),
                ))
                .execute(conn)
                .map(|changed| changed > 0)
                .map_err(map_diesel)
        })
        .await
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StorageError> {
        let id = id.to_owned();
        self.write(move |conn| {
            diesel::delete(users::table.find(&id))
                .execute(conn)
                .map(|deleted| deleted > 0)
                .map_err(map_diesel)
        })
        .await
    }

    async fn list_users(&self, query: &UserListQuery) -> Result<Vec<User>, StorageError> {
        let query = query.clone();
        let exact = query.username.clone();
        let rows = self
            .run(move |conn| {
                let mut select = users::table
                    .select(UserRow::as_select())
                    .order(users::id.asc())
                    .limit(i64::try_from(query.limit).unwrap_or(i64::MAX))
                    .into_boxed();
                if let Some(after) = query.after.clone() {
                    select = select.filter(users::id.gt(after));
                }
                if let Some(username) = query.username.clone() {
                    select = select.filter(users::username.eq(username));
                }
                select.load(conn).map_err(map_diesel)
            })
            .await?;
        // As in `get_user_by_username`: MySQL's padding may match `username ` too.
        Ok(rows
            .into_iter()
            .filter(|row| exact.as_ref().is_none_or(|u| *u == row.username))
            .map(UserRow::into_model)
            .collect())
    }
}
