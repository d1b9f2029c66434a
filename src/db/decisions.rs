//! The log of eligibility decisions, each stored before its answer leaves.

use super::audit::AuditRow;
use super::schema::eligibility_decisions as d;
use super::AnyConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

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

/// One round trip for a group of decisions on PostgreSQL: the decision rows, their audit rows
/// and the chain's new head in a single statement (its own transaction and commit), written
/// only while the head is still the one `audit` was chained after. BEGIN, two COPYs, the
/// head's lock and update and COMMIT took eight round trips.
const STORE_CHAINED: &str = "\
WITH head AS (
    UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4
    RETURNING 1
), decided AS (
    INSERT INTO eligibility_decisions
        (id, nip, purpose, as_of, outcome, policy_version, evaluated_at, actor, body)
    SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::date[], $9::text[],
        $10::text[], $11::timestamp[], $12::text[], $13::text[])
    WHERE EXISTS (SELECT 1 FROM head)
), audited AS (
    INSERT INTO audit_events (seq, at, actor_sub, actor_client_id, action, nip, subject_id,
        request_id, data, prev_hash, hash)
    SELECT * FROM unnest($14::bigint[], $15::timestamp[], $16::text[], $17::text[],
        $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[],
        $24::text[])
    WHERE EXISTS (SELECT 1 FROM head)
)
SELECT count(*) AS n FROM head";

/// Stores `rows` and `audit` (chained after `head`, not empty) in one statement. `false`:
/// another writer moved the head first (a sanction, another instance) and nothing was
/// written; chain the rows again after the new head.
pub fn store_chained(
    c: &mut diesel::PgConnection,
    head: (i64, &str),
    rows: &[DecisionRow],
    audit: &[AuditRow],
) -> QueryResult<bool> {
    use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Written {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let last = audit.last().expect("a group has audit rows");
    fn col<'a, R, T>(rows: &'a [R], f: impl Fn(&'a R) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    let group = diesel::sql_query(STORE_CHAINED)
        .bind::<BigInt, _>(last.seq)
        .bind::<Text, _>(&last.hash)
        .bind::<BigInt, _>(head.0)
        .bind::<Text, _>(head.1)
        .bind::<Array<Text>, _>(col(rows, |r| r.id.as_str()))
        .bind::<Array<Text>, _>(col(rows, |r| r.nip.as_str()))
        .bind::<Array<Text>, _>(col(rows, |r| r.purpose.as_str()))
        .bind::<Array<Date>, _>(col(rows, |r| r.as_of))
        .bind::<Array<Text>, _>(col(rows, |r| r.outcome.as_str()))
        .bind::<Array<Text>, _>(col(rows, |r| r.policy_version.as_str()))
        .bind::<Array<Timestamp>, _>(col(rows, |r| r.evaluated_at))
        .bind::<Array<Text>, _>(col(rows, |r| r.actor.as_str()))
        .bind::<Array<Text>, _>(col(rows, |r| r.body.as_str()))
        .bind::<Array<BigInt>, _>(col(audit, |a| a.seq))
        .bind::<Array<Timestamp>, _>(col(audit, |a| a.at))
        .bind::<Array<Text>, _>(col(audit, |a| a.actor_sub.as_str()))
        .bind::<Array<Nullable<Text>>, _>(col(audit, |a| a.actor_client_id.as_deref()))
        .bind::<Array<Text>, _>(col(audit, |a| a.action.as_str()))
        .bind::<Array<Nullable<Text>>, _>(col(audit, |a| a.nip.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(col(audit, |a| a.subject_id.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(col(audit, |a| a.request_id.as_deref()))
        .bind::<Array<Text>, _>(col(audit, |a| a.data.as_str()))
        .bind::<Array<Text>, _>(col(audit, |a| a.prev_hash.as_str()))
        .bind::<Array<Text>, _>(col(audit, |a| a.hash.as_str()));
    let written = Prepared(group).get_result::<Written>(c)?;
    Ok(written.n == 1)
}

/// A query of constant SQL text kept prepared on its connection, keyed by that text: diesel
/// never keeps a `sql_query` prepared, as it cannot know that the text is not built at run
/// time. Unprepared, PostgreSQL parsed and planned the group's statement for each group (a
/// few decisions each at half load).
struct Prepared<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, C> RunQueryDsl<C> for Prepared<Q> {}
