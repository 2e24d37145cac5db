//! `upsert_login_session` on PostgreSQL as a statement diesel prepares once per
//! connection (issue 20). diesel's `on_conflict` builder has no static query id, so
//! PostgreSQL parsed and planned the upsert at every login (measured with
//! `pg_stat_statements`: as many plans as calls); this text never varies.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text, Timestamp};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

/// `INSERT … ON CONFLICT (id) DO UPDATE`: inserts the session or replaces the one with
/// its id, one statement and so atomic by itself.
pub(super) struct UpsertSession<'a> {
    pub(super) id: &'a str,
    pub(super) subject: &'a str,
    pub(super) authenticated_at: NaiveDateTime,
    pub(super) remember: bool,
    pub(super) expires_at: NaiveDateTime,
}

impl UpsertSession<'_> {
    pub(super) fn run(self, conn: &mut PgConnection) -> QueryResult<usize> {
        self.execute(conn)
    }
}

impl QueryId for UpsertSession<'_> {
    type QueryId = UpsertSession<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for UpsertSession<'_> {}

impl QueryFragment<Pg> for UpsertSession<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO authentication_sessions \
             (id, subject, authenticated_at, remember, expires_at) VALUES (",
        );
        out.push_bind_param::<Text, _>(self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.subject)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.authenticated_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&self.remember)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.expires_at)?;
        out.push_sql(
            ") ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, \
             authenticated_at = excluded.authenticated_at, remember = excluded.remember, \
             expires_at = excluded.expires_at",
        );
        Ok(())
    }
}
