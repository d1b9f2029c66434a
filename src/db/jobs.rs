//! Job runs, and claiming the sanctions a job has to record.

use super::schema::{job_runs as r, sanctions as s};
use super::AnyConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = r)]
pub struct RunRow {
    pub id: String,
    pub job: String,
    pub trigger: String,
    pub started_at: NaiveDateTime,
    pub heartbeat_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub outcome: String,
    pub processed: i64,
    pub error: Option<String>,
}

pub fn start(
    conn: &mut AnyConnection,
    id: &str,
    job: &str,
    trigger: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = RunRow {
        id: id.to_string(),
        job: job.to_string(),
        trigger: trigger.to_string(),
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
        outcome: "running".into(),
        processed: 0,
        error: None,
    };
    diesel::insert_into(r::table)
        .values(&row)
        .execute(conn)
        .map(|_| ())
}

pub fn heartbeat(
    conn: &mut AnyConnection,
    id: &str,
    processed: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(r::table.find(id))
        .set((r::processed.eq(processed), r::heartbeat_at.eq(now)))
        .execute(conn)
        .map(|_| ())
}

pub fn finish(
    conn: &mut AnyConnection,
    id: &str,
    outcome: &str,
    processed: i64,
    error: Option<String>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(r::table.find(id))
        .set((
            r::outcome.eq(outcome),
            r::processed.eq(processed),
            r::error.eq(error),
            r::finished_at.eq(Some(now)),
            r::heartbeat_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Runs, newest first; `before`: a cursor (the last id of the previous page).
pub fn list(
    conn: &mut AnyConnection,
    job: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<RunRow>> {
    let mut q = r::table.select(RunRow::as_select()).into_boxed();
    if let Some(job) = job {
        q = q.filter(r::job.eq(job.to_string()));
    }
    if let Some(before) = before {
        q = q.filter(r::id.lt(before.to_string()));
    }
    q.order(r::id.desc()).limit(limit).load(conn)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<RunRow>> {
    r::table
        .find(id)
        .select(RunRow::as_select())
        .first(conn)
        .optional()
}

/// A transition the jobs record once per sanction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `effective_until` has passed.
    Expired,
    /// `effective_from` has come.
    Activated,
}

/// A sanction due for a transition: id, NIP, and the date it happened.
pub type Due = (String, String, Option<NaiveDate>);

/// Where a run has got to: the (date, id) of the last sanction it claimed.
pub type Cursor = (NaiveDate, String);

/// Claims up to `limit` sanctions due for `t` on `today`, locking them for this transaction.
/// PostgreSQL skips rows another instance holds (`FOR UPDATE SKIP LOCKED`); SQLite has one
/// writer at a time (write transactions begin `IMMEDIATE`). Each claim is a range scan of a
/// partial index holding only unrecorded rows, continued past `after` (the previous batch of
/// the same run), so no batch wades through entries that earlier batches left behind.
pub fn claim_due(
    conn: &mut AnyConnection,
    t: Transition,
    today: NaiveDate,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<Due>> {
    let floor = NaiveDate::from_ymd_opt(1, 1, 1).expect("valid date");
    let (after_day, after_id) = after.cloned().unwrap_or((floor, String::new()));
    let recorded = s::table
        .filter(s::state.eq(crate::domain::SanctionState::Recorded))
        .limit(limit);
    match t {
        Transition::Expired => {
            let q = recorded
                .filter(s::expired_at.is_null())
                .filter(s::effective_until.le(today))
                .filter(
                    s::effective_until
                        .gt(after_day)
                        .or(s::effective_until.eq(after_day).and(s::id.gt(after_id))),
                )
                .order((s::effective_until.asc(), s::id.asc()))
                .select((s::id, s::nip, s::effective_until));
            match conn {
                AnyConnection::Postgresql(c) => q.for_update().skip_locked().load(c),
                AnyConnection::Sqlite(c) => q.load(c),
            }
        }
        Transition::Activated => {
            let q = recorded
                .filter(s::activated_at.is_null())
                .filter(s::effective_from.le(today))
                .filter(
                    s::effective_from
                        .gt(after_day)
                        .or(s::effective_from.eq(after_day).and(s::id.gt(after_id))),
                )
                .order((s::effective_from.asc(), s::id.asc()))
                .select((s::id, s::nip, s::effective_from.nullable()));
            match conn {
                AnyConnection::Postgresql(c) => q.for_update().skip_locked().load(c),
                AnyConnection::Sqlite(c) => q.load(c),
            }
        }
    }
}

/// Stamps the transition on claimed sanctions where it is still unrecorded; returns how many.
pub fn stamp(
    conn: &mut AnyConnection,
    t: Transition,
    ids: &[&str],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = s::table.filter(s::id.eq_any(ids));
    match t {
        Transition::Expired => diesel::update(target.filter(s::expired_at.is_null()))
            .set(s::expired_at.eq(Some(now)))
            .execute(conn),
        Transition::Activated => diesel::update(target.filter(s::activated_at.is_null()))
            .set(s::activated_at.eq(Some(now)))
            .execute(conn),
    }
}
