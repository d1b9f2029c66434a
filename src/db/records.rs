//! The records one eligibility check reads — the profile, its sanctions, the blocks on it or
//! its agency, the steps of its recommended cases — in one prepared statement: one round
//! trip instead of four. Each set comes back as JSON built by the database (PostgreSQL's
//! `row_to_json`, SQLite's `json_object`) and is read like the history's stored rows.
//! A test in `tests/api/eligibility.rs` checks it returns what the per-table queries return.

use super::asn::AsnRow;
use super::blocks::BlockRow;
use super::cases::StepRow;
use super::history::{corrupt, from_value};
use super::sanctions::SanctionRow;
use super::AnyConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What one check reads about one NIP.
#[derive(Debug, PartialEq)]
pub struct Records {
    pub profile: AsnRow,
    /// By `effective_from`, then id.
    pub sanctions: Vec<SanctionRow>,
    /// On the person, or agency-wide on their agency; by `ordered_at`, then id.
    pub blocks: Vec<BlockRow>,
    /// Each step of the person's cases that reached a recommendation, with the case's
    /// source reference; by case, then step.
    pub steps: Vec<(String, StepRow)>,
}

/// The records of `nip`; `None` when the registry does not know it.
pub fn of_one(conn: &mut AnyConnection, nip: &str) -> QueryResult<Option<Records>> {
    let q = RecordsOf { nip };
    let found: Option<(String, String, String, String)> = match conn {
        AnyConnection::Postgresql(c) => q.get_result(c).optional()?,
        AnyConnection::Sqlite(c) => q.get_result(c).optional()?,
    };
    let Some((profile, sanctions, blocks, steps)) = found else {
        return Ok(None);
    };
    let steps = serde_json::from_str::<Vec<ReferencedStep>>(&steps)
        .map_err(corrupt)?
        .into_iter()
        .map(|s| Ok((s.reference, from_value(s.step)?)))
        .collect::<QueryResult<_>>()?;
    Ok(Some(Records {
        profile: from_value(serde_json::from_str(&profile).map_err(corrupt)?)?,
        sanctions: stored_rows(&sanctions)?,
        blocks: stored_rows(&blocks)?,
        steps,
    }))
}

#[derive(serde::Deserialize)]
struct ReferencedStep {
    reference: String,
    step: Value,
}

/// A JSON array of rows, each read as a stored row.
fn stored_rows<T: DeserializeOwned>(array: &str) -> QueryResult<Vec<T>> {
    serde_json::from_str::<Vec<Value>>(array)
        .map_err(corrupt)?
        .into_iter()
        .map(from_value)
        .collect()
}

/// The statement, a type of its own so that both backends keep it prepared.
#[derive(Debug, Clone, Copy)]
struct RecordsOf<'a> {
    nip: &'a str,
}

impl QueryId for RecordsOf<'_> {
    type QueryId = RecordsOf<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for RecordsOf<'_> {
    type SqlType = (Text, Text, Text, Text);
}

impl<C> RunQueryDsl<C> for RecordsOf<'_> {}

/// Writes `sql` with the NIP bound at each `{nip}`.
fn walk<'b, DB>(sql: &'static str, nip: &'b str, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<Text, DB>,
{
    let mut parts = sql.split("{nip}");
    out.push_sql(parts.next().expect("split yields a first part"));
    for part in parts {
        out.push_bind_param::<Text, str>(nip)?;
        out.push_sql(part);
    }
    Ok(())
}

impl QueryFragment<Pg> for RecordsOf<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk(PG, self.nip, out)
    }
}

impl QueryFragment<Sqlite> for RecordsOf<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        walk(SQLITE, self.nip, out)
    }
}

// PostgreSQL: `asn.agency_code` is in the "C" collation and `blocks.agency_code` in the
// database's; comparing them in the latter keeps the agency branch on its index. The two
// block branches are indexed separately (an OR over a correlated column is a seq scan).
const PG: &str = r#"SELECT row_to_json(a)::text,
 coalesce((SELECT json_agg(s ORDER BY s.effective_from, s.id) FROM sanctions s
   WHERE s.nip = {nip})::text, '[]'),
 coalesce((SELECT json_agg(b ORDER BY b.ordered_at, b.id) FROM (
     SELECT * FROM blocks WHERE nip = {nip}
     UNION ALL
     SELECT * FROM blocks WHERE scope = 'agency' AND agency_code = (a.agency_code COLLATE "default")
       AND nip IS DISTINCT FROM {nip}) b)::text, '[]'),
 coalesce((SELECT json_agg(json_build_object('reference', c.source_reference, 'step', t)
     ORDER BY t.case_id, t.seq)
   FROM cases c JOIN case_steps t ON t.case_id = c.id
   WHERE c.nip = {nip} AND c.recommended_on IS NOT NULL)::text, '[]')
FROM asn a WHERE a.nip = {nip}"#;

/// `json_object('c1', t.c1, 'c2', t.c2, …)` for a table alias and its columns.
macro_rules! json_object {
    ($t:literal; $first:ident $(, $col:ident)*) => {
        concat!(
            "json_object('", stringify!($first), "', ", $t, ".", stringify!($first),
            $(", '", stringify!($col), "', ", $t, ".", stringify!($col),)*
            ")"
        )
    };
}

const SQLITE: &str = concat!(
    "SELECT ",
    json_object!("a"; nip, name, agency_code, agency_name, unit, rank, position,
        employment_type, status, status_since, last_event_at, created_at, updated_at),
    ", (SELECT json_group_array(",
    json_object!("s"; id, nip, type_code, regime, kind, level, decision_number, decision_date,
        received_date, issuer, issuer_agency, legal_basis, violation, effective_from,
        effective_until, blocked_purposes, document, state, lifted_on, lift, annulled_at,
        annulment, content_hash, recorded_at, recorded_by, updated_at, appeal, appeal_filed_on,
        supersedes, superseded_by, activated_at, expired_at),
    " ORDER BY s.effective_from, s.id) FROM sanctions s WHERE s.nip = {nip}),",
    " (SELECT json_group_array(",
    json_object!("b"; id, scope, nip, agency_code, reference, reason, ordered_at,
        ordered_event_id, released_at, release_reference, released_event_id, created_at,
        updated_at, case_id),
    " ORDER BY b.ordered_at, b.id) FROM blocks b",
    " WHERE b.nip = {nip} OR (b.scope = 'agency' AND b.agency_code = a.agency_code)),",
    " (SELECT json_group_array(json_object('reference', c.source_reference, 'step', ",
    json_object!("t"; case_id, seq, step, on_day, from_state, to_state, data, actor, at),
    ") ORDER BY t.case_id, t.seq) FROM cases c JOIN case_steps t ON t.case_id = c.id",
    " WHERE c.nip = {nip} AND c.recommended_on IS NOT NULL)",
    " FROM asn a WHERE a.nip = {nip}"
);
