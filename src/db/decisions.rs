//! The log of eligibility decisions, each stored before its answer leaves.

use super::schema::eligibility_decisions as d;
use super::AnyConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = d)]
#[diesel(treat_none_as_default_value = false)]
pub struct DecisionRow {
    pub id: String,
    pub nip: String,
    pub purpose: String,
    pub as_of: NaiveDate,
    pub outcome: String,
    pub policy_version: String,
    pub evaluated_at: NaiveDateTime,
    pub actor: String,
    pub body: String,
}

/// Stores decisions: COPY on PostgreSQL (a third of a multi-row INSERT's time for a batch
/// of 1000), multi-row inserts on SQLite in chunks under its bind-parameter limit.
pub fn insert_all(conn: &mut AnyConnection, rows: &[DecisionRow]) -> QueryResult<()> {
    crate::bulk_insert!(conn, d::table, rows, 500)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<DecisionRow>> {
    d::table
        .find(id)
        .select(DecisionRow::as_select())
        .first(conn)
        .optional()
}

/// The decisions with these ids (those that exist), in chunks under the bind limit.
pub fn find_many(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<Vec<DecisionRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(
            d::table
                .filter(d::id.eq_any(chunk))
                .select(DecisionRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}
