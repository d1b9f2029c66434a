//! BKN event ids seen, with their outcome: `duplicate` is decided here, forever.

use super::schema::bkn_events as b;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = b)]
pub struct SeenEvent<'a> {
    pub event_id: &'a str,
    pub nip: &'a str,
    pub event_type: &'a str,
    pub occurred_at: NaiveDateTime,
    pub outcome: &'a str,
    pub received_at: NaiveDateTime,
}

pub fn seen(conn: &mut AnyConnection, event_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(b::table.find(event_id))).get_result(conn)
}

pub fn remember(conn: &mut AnyConnection, e: &SeenEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(b::table)
        .values(e)
        .execute(conn)
        .map(|_| ())
}

use super::schema::bkn_receipts as receipts;

/// Logs one received event and its outcome (applied, duplicate, stale, rejected).
pub fn log_receipt(
    conn: &mut AnyConnection,
    event_id: Option<&str>,
    outcome: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(receipts::table)
        .values((
            receipts::event_id.eq(event_id),
            receipts::outcome.eq(outcome),
            receipts::received_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How many events got each outcome in `[from, until)`.
pub fn outcome_counts(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<(String, i64)>> {
    receipts::table
        .filter(
            receipts::received_at
                .ge(from)
                .and(receipts::received_at.lt(until)),
        )
        .group_by(receipts::outcome)
        .select((receipts::outcome, diesel::dsl::count_star()))
        .load(conn)
}

/// The ids of events applied in `[from, until)`, sorted.
pub fn applied_ids(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    b::table
        .filter(b::outcome.eq("applied"))
        .filter(b::received_at.ge(from).and(b::received_at.lt(until)))
        .order(b::event_id.asc())
        .select(b::event_id)
        .load(conn)
}
