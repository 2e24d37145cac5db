//! `TrustStore` on SQL: one row per relationship; the unique index on
//! (issuer, subject, kid) is the port's duplicate rule, so `create_trust` is one
//! `INSERT` whose unique violation is the conflict.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::outbox::{outbox_rows, reporting_change};
use super::schema::oauth2_trusted_jwt_issuers as trusts;
use super::{SqlStore, by_key, map_diesel, to_column};
use crate::jwk::JsonWebKey;
use crate::storage::{OutboxEvent, StorageError};
use crate::trust::store::MAX_CANDIDATE_KEYS;
use crate::trust::{TrustListQuery, TrustRelationship, TrustStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = trusts)]
struct TrustRow {
    id: String,
    issuer: String,
    subject: String,
    allow_any_subject: bool,
    scope: String,
    kid: String,
    public_jwk: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

impl TrustRow {
    fn from_model(trust: &TrustRelationship) -> Result<Self, StorageError> {
        Ok(Self {
            id: trust.id.clone(),
            issuer: trust.issuer.clone(),
            subject: trust.subject.clone(),
            allow_any_subject: trust.allow_any_subject,
            scope: trust.scope.join(" "),
            kid: trust.kid.clone(),
            public_jwk: serde_json::to_string(&trust.public_key)
                .map_err(|e| StorageError::Database(format!("encoding a JWK: {e}")))?,
            created_at: to_column(trust.created_at),
            expires_at: to_column(trust.expires_at),
        })
    }

    fn into_model(self) -> Result<TrustRelationship, StorageError> {
        let public_key: JsonWebKey = serde_json::from_str(&self.public_jwk)
            .map_err(|e| StorageError::Corrupt(format!("trust {}: public_jwk: {e}", self.id)))?;
        Ok(TrustRelationship {
            id: self.id,
            issuer: self.issuer,
            subject: self.subject,
            allow_any_subject: self.allow_any_subject,
            scope: self
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            public_key,
            kid: self.kid,
            created_at: self.created_at.and_utc(),
            expires_at: self.expires_at.and_utc(),
        })
    }
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl TrustStore for SqlStore {
    async fn create_trust(&self, trust: &TrustRelationship) -> Result<(), StorageError> {
        self.create_trust_reporting(trust, &[]).await
    }

    async fn create_trust_reporting(
        &self,
        trust: &TrustRelationship,
        events: &[OutboxEvent],
    ) -> Result<(), StorageError> {
        let row = TrustRow::from_model(trust)?;
        let events = outbox_rows(events);
        let what = format!(
            "a trust relationship for issuer {:?}, subject {:?} and kid {:?} already exists",
            trust.issuer, trust.subject, trust.kid
        );
        self.write(move |conn| {
            reporting_change(conn, &events, |conn| {
                diesel::insert_into(trusts::table)
                    .values(&row)
                    .execute(conn)
            })
            .map(drop)
            .map_err(|e| match map_diesel(e) {
                StorageError::Conflict(_) => StorageError::Conflict(what.clone()),
                other => other,
            })
        })
        .await
    }

    async fn get_trust(&self, id: &str) -> Result<Option<TrustRelationship>, StorageError> {
        let id = id.to_owned();
        let row = self
            .read(move |conn| {
                trusts::table
                    .filter(trusts::id.eq(id.clone()))
                    .select(TrustRow::as_select())
                    .load(conn)
                    .map(by_key)
                    .map_err(map_diesel)
            })
            .await?;
        row.map(TrustRow::into_model).transpose()
    }

    async fn delete_trust(&self, id: &str) -> Result<bool, StorageError> {
        self.delete_trust_reporting(id, &[]).await
    }

    async fn delete_trust_reporting(
        &self,
        id: &str,
        events: &[OutboxEvent],
    ) -> Result<bool, StorageError> {
        let id = id.to_owned();
        let events = outbox_rows(events);
        self.write(move |conn| {
            reporting_change(conn, &events, |conn| {
                diesel::delete(trusts::table.filter(trusts::id.eq(id.clone()))).execute(conn)
            })
            .map(|n| n > 0)
            .map_err(map_diesel)
        })
        .await
    }

    async fn list_trusts(
        &self,
        query: &TrustListQuery,
    ) -> Result<Vec<TrustRelationship>, StorageError> {
        let query = query.clone();
        let rows = self
            .run(move |conn| {
                let mut select = trusts::table
                    .select(TrustRow::as_select())
                    .order(trusts::id.asc())
                    .limit(limit(query.limit))
                    .into_boxed();
                if let Some(after) = query.after.clone() {
                    select = select.filter(trusts::id.gt(after));
                }
                if let Some(issuer) = query.issuer.clone() {
                    select = select.filter(trusts::issuer.eq(issuer));
                }
                select.load(conn).map_err(map_diesel)
            })
            .await?;
        rows.into_iter().map(TrustRow::into_model).collect()
    }

    async fn trusted_keys(
        &self,
        issuer: &str,
        subject: &str,
        kid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrustRelationship>, StorageError> {
        let (issuer, subject) = (issuer.to_owned(), subject.to_owned());
        let kid = kid.map(str::to_owned);
        let now = to_column(now);
        let rows = self
            .read(move |conn| {
                let mut select = trusts::table
                    .select(TrustRow::as_select())
                    .filter(trusts::issuer.eq(issuer.clone()))
                    .filter(
                        trusts::subject
                            .eq(subject.clone())
                            .or(trusts::allow_any_subject.eq(true)),
                    )
                    .filter(trusts::expires_at.gt(now))
                    .order((trusts::allow_any_subject.asc(), trusts::id.asc()))
                    .limit(limit(MAX_CANDIDATE_KEYS))
                    .into_boxed();
                if let Some(kid) = kid.clone() {
                    select = select.filter(trusts::kid.eq(kid));
                }
                select.load(conn).map_err(map_diesel)
            })
            .await?;
        rows.into_iter().map(TrustRow::into_model).collect()
    }
}
