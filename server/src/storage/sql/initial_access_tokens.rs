//! `InitialAccessTokenStore` on SQL: one row per token, the unique index on
//! `token_hash` the lookup; a use is one conditional `UPDATE`, so concurrent
//! registrations never count past `max_uses` on any backend.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::oauth2_initial_access_tokens as iat;
use super::{SqlStore, by_key, map_diesel, to_column};
use crate::client::initial_access::{
    InitialAccessToken, InitialAccessTokenListQuery, InitialAccessTokenStore,
};
use crate::storage::StorageError;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = iat)]
struct TokenRow {
    id: String,
    token_hash: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    max_uses: Option<i64>,
    uses: i64,
}

impl TokenRow {
    fn from_model(token: &InitialAccessToken) -> Self {
        Self {
            id: token.id.clone(),
            token_hash: token.token_hash.clone(),
            created_at: to_column(token.created_at),
            expires_at: to_column(token.expires_at),
            // Bounded by `admin::MAX_USES` long before i64's range.
            max_uses: token.max_uses.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
            uses: i64::try_from(token.uses).unwrap_or(i64::MAX),
        }
    }

    fn into_model(self) -> Result<InitialAccessToken, StorageError> {
        let count = |what: &str, n: i64| {
            u64::try_from(n).map_err(|_| {
                StorageError::Corrupt(format!("initial access token {}: {what} {n}", self.id))
            })
        };
        Ok(InitialAccessToken {
            max_uses: self.max_uses.map(|n| count("max_uses", n)).transpose()?,
            uses: count("uses", self.uses)?,
            id: self.id.clone(),
            token_hash: self.token_hash.clone(),
            created_at: self.created_at.and_utc(),
            expires_at: self.expires_at.and_utc(),
        })
    }
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl InitialAccessTokenStore for SqlStore {
    async fn create_initial_access_token(
        &self,
        token: &InitialAccessToken,
    ) -> Result<(), StorageError> {
        let row = TokenRow::from_model(token);
        self.write(move |conn| {
            diesel::insert_into(iat::table)
                .values(&row)
                .execute(conn)
                .map(|_| ())
                .map_err(map_diesel)
        })
        .await
    }

    async fn get_initial_access_token(
        &self,
        id: &str,
    ) -> Result<Option<InitialAccessToken>, StorageError> {
        let id = id.to_owned();
        let row = self
            .read(move |conn| {
                iat::table
                    .filter(iat::id.eq(id.clone()))
                    .select(TokenRow::as_select())
                    .load(conn)
                    .map(by_key)
                    .map_err(map_diesel)
            })
            .await?;
        row.map(TokenRow::into_model).transpose()
    }

    async fn find_initial_access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<InitialAccessToken>, StorageError> {
        let hash = token_hash.to_owned();
        let row = self
            .read(move |conn| {
                iat::table
                    .filter(iat::token_hash.eq(hash.clone()))
                    .select(TokenRow::as_select())
                    .load(conn)
                    .map(by_key)
                    .map_err(map_diesel)
            })
            .await?;
        row.map(TokenRow::into_model).transpose()
    }

    async fn use_initial_access_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let hash = token_hash.to_owned();
        let now = to_column(now);
        self.write(move |conn| {
            diesel::update(
                iat::table
                    .filter(iat::token_hash.eq(hash.clone()))
                    .filter(iat::expires_at.gt(now))
                    .filter(
                        iat::max_uses
                            .is_null()
                            .or(iat::uses.nullable().lt(iat::max_uses)),
                    ),
            )
            .set(iat::uses.eq(iat::uses + 1))
            .execute(conn)
            .map(|n| n == 1)
            .map_err(map_diesel)
        })
        .await
    }

    async fn return_initial_access_token_use(&self, token_hash: &str) -> Result<(), StorageError> {
        let hash = token_hash.to_owned();
        self.write(move |conn| {
            diesel::update(
                iat::table
                    .filter(iat::token_hash.eq(hash.clone()))
                    .filter(iat::uses.gt(0)),
            )
            .set(iat::uses.eq(iat::uses - 1))
            .execute(conn)
            .map(|_| ())
            .map_err(map_diesel)
        })
        .await
    }

    async fn delete_initial_access_token(&self, id: &str) -> Result<bool, StorageError> {
        let id = id.to_owned();
        self.write(move |conn| {
            diesel::delete(iat::table.filter(iat::id.eq(id.clone())))
                .execute(conn)
                .map(|n| n > 0)
                .map_err(map_diesel)
        })
        .await
    }

    async fn list_initial_access_tokens(
        &self,
        query: &InitialAccessTokenListQuery,
    ) -> Result<Vec<InitialAccessToken>, StorageError> {
        let query = query.clone();
        let rows = self
            .run(move |conn| {
                let mut select = iat::table
                    .select(TokenRow::as_select())
                    .order(iat::id.asc())
                    .limit(limit(query.limit))
                    .into_boxed();
                if let Some(after) = query.after.clone() {
                    select = select.filter(iat::id.gt(after));
                }
                select.load(conn).map_err(map_diesel)
            })
            .await?;
        rows.into_iter().map(TokenRow::into_model).collect()
    }
}
