//! The audit trail's storage: rows, the chain head, appending under the head's lock.

use super::schema::{audit_events as a, audit_head as h};
use super::AnyConnection;
use crate::audit::{chain, Actor, Entry, Group};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = a)]
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_sub: String,
    pub actor_client_id: Option<String>,
    pub action: String,
    pub nip: Option<String>,
    pub subject_id: Option<String>,
    pub request_id: Option<String>,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain's head `(seq, hash)`; on PostgreSQL locked until the transaction ends, so
/// appenders queue (SQLite's `BEGIN IMMEDIATE` has queued them already).
pub fn lock_head(conn: &mut AnyConnection) -> QueryResult<(i64, String)> {
    let q = h::table.find(1).select((h::seq, h::hash));
    match conn {
        AnyConnection::Postgresql(c) => q.for_update().first(c),
        AnyConnection::Sqlite(c) => q.first(c),
    }
}

pub fn head(conn: &mut AnyConnection) -> QueryResult<(i64, String)> {
    h::table.find(1).select((h::seq, h::hash)).first(conn)
}

/// The head on PostgreSQL, not locked (a writer that checks it in its own write, as
/// `decisions::store_chained` does).
pub fn head_pg(conn: &mut diesel::PgConnection) -> QueryResult<(i64, String)> {
    h::table.find(1).select((h::seq, h::hash)).first(conn)
}

/// Appends `entries` to the chain. Call it inside the write transaction that makes the
/// change, as its last statement: the head stays locked only until the commit.
pub fn append(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: NaiveDateTime,
    entries: &[Entry],
) -> QueryResult<()> {
    append_groups(conn, &[Group { actor, at, entries }])
}

/// Appends the entries of several actors (a group commit of decisions) in one go.
pub fn append_groups(conn: &mut AnyConnection, groups: &[Group<'_>]) -> QueryResult<()> {
    if groups.iter().all(|g| g.entries.is_empty()) {
        return Ok(());
    }
    let (seq, hash) = lock_head(conn)?;
    let rows = chain((seq, &hash), groups);
    // COPY on PostgreSQL; on SQLite 11 columns × 500 rows stay under its bind limit.
    crate::bulk_insert!(conn, a::table, &rows[..], 500)?;
    let last = rows.last().expect("entries is not empty");
    diesel::update(h::table.find(1))
        .set((h::seq.eq(last.seq), h::hash.eq(&last.hash)))
        .execute(conn)?;
    Ok(())
}

/// Rows after `after_seq` up to `up_to`, in chain order.
pub fn page(
    conn: &mut AnyConnection,
    after_seq: i64,
    up_to: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    a::table
        .filter(a::seq.gt(after_seq))
        .filter(a::seq.le(up_to))
        .order(a::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub nip: Option<String>,
    pub action: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub after_seq: i64,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &ListFilter) -> QueryResult<Vec<AuditRow>> {
    let mut q = a::table
        .select(AuditRow::as_select())
        .filter(a::seq.gt(f.after_seq))
        .into_boxed();
    if let Some(nip) = &f.nip {
        q = q.filter(a::nip.eq(nip.clone()));
    }
    if let Some(action) = &f.action {
        q = q.filter(a::action.eq(action.clone()));
    }
    if let Some(since) = f.since {
        q = q.filter(a::at.ge(since));
    }
    q.order(a::seq.asc()).limit(f.limit).load(conn)
}
