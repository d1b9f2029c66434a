//! Neutrality cases and their steps (the statistics: `stats`).

use super::schema::{blocks as b, case_steps as st, cases as c};
use super::AnyConnection;
use crate::domain::case::{CaseState, Category, Source, Stage};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

mod stats;
pub use stats::{stats, GroupBy, StatsRow};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = c)]
#[diesel(treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct CaseRow {
    pub id: String,
    pub nip: String,
    pub agency_code: Option<String>,
    pub source: Source,
    pub source_reference: String,
    pub reported_on: NaiveDate,
    pub election_kind: Option<String>,
    pub election_year: Option<i32>,
    pub election_region: Option<String>,
    pub conduct: String,
    pub stage: Stage,
    pub description: Option<String>,
    pub evidence: String,
    pub content_hash: String,
    pub state: CaseState,
    pub state_since: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub overdue_recorded: Option<NaiveDate>,
    pub recommended_on: Option<NaiveDate>,
    pub followup_due: Option<NaiveDate>,
    pub recommendation: Option<Category>,
    pub recommendation_issuer: Option<String>,
    pub sanctioned_on: Option<NaiveDate>,
    pub sanction_id: Option<String>,
    pub block_requested_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub policy_version: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = st)]
#[diesel(treat_none_as_default_value = false)]
pub struct StepRow {
    pub case_id: String,
    pub seq: i32,
    /// A step's name, or `reported`, `overdue`, `block_linked`, `block_release_due`.
    pub step: String,
    pub on_day: NaiveDate,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub data: String,
    pub actor: String,
    pub at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &CaseRow) -> QueryResult<()> {
    diesel::insert_into(c::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<CaseRow>> {
    c::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// The case with this source reference, if any.
pub fn find_by_source(
    conn: &mut AnyConnection,
    source: Source,
    reference: &str,
) -> QueryResult<Option<CaseRow>> {
    c::table
        .filter(c::source.eq(source))
        .filter(c::source_reference.eq(reference))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// Writes a case back after a step.
pub fn update(conn: &mut AnyConnection, row: &CaseRow) -> QueryResult<()> {
    diesel::update(c::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_step(conn: &mut AnyConnection, row: &StepRow) -> QueryResult<()> {
    diesel::insert_into(st::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The steps of these cases (as recorded by `until`, when given), in order.
pub fn steps_of(
    conn: &mut AnyConnection,
    ids: &[&str],
    until: Option<NaiveDateTime>,
) -> QueryResult<Vec<StepRow>> {
    let mut q = st::table
        .filter(st::case_id.eq_any(ids))
        .select(StepRow::as_select())
        .order((st::case_id, st::seq))
        .into_boxed();
    if let Some(t) = until {
        q = q.filter(st::at.le(t));
    }
    q.load(conn)
}

/// The number of the next step of a case.
pub fn next_seq(conn: &mut AnyConnection, id: &str) -> QueryResult<i32> {
    let last: Option<i32> = st::table
        .filter(st::case_id.eq(id))
        .select(diesel::dsl::max(st::seq))
        .first(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

/// Every step of the cases of these NIPs that eligibility reads (recommended and after),
/// as recorded by `until` when given, with each case's NIP and source reference. The cases
/// first (by `cases_nip`), then their steps (by the key): never a scan of every step.
pub fn steps_for_nips(
    conn: &mut AnyConnection,
    nips: &[&str],
    until: Option<NaiveDateTime>,
) -> QueryResult<Vec<(String, String, StepRow)>> {
    let found: Vec<(String, String, String)> = c::table
        .filter(c::nip.eq_any(nips))
        .filter(c::recommended_on.is_not_null())
        .select((c::id, c::nip, c::source_reference))
        .load(conn)?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = found.iter().map(|(id, _, _)| id.as_str()).collect();
    let steps = steps_of(conn, &ids, until)?;
    let of: std::collections::HashMap<&str, (&str, &str)> = found
        .iter()
        .map(|(id, nip, r)| (id.as_str(), (nip.as_str(), r.as_str())))
        .collect();
    Ok(steps
        .into_iter()
        .filter_map(|s| {
            let (nip, reference) = of.get(s.case_id.as_str())?;
            Some((nip.to_string(), reference.to_string(), s))
        })
        .collect())
}

/// Filters of `GET /cases`.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub nip: Option<String>,
    pub state: Option<CaseState>,
    pub agency_code: Option<String>,
    /// Overdue on this day.
    pub overdue_on: Option<NaiveDate>,
    /// Not overdue on this day.
    pub not_overdue_on: Option<NaiveDate>,
    pub election_year: Option<i32>,
    /// After this id (the cursor).
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &ListFilter) -> QueryResult<Vec<CaseRow>> {
    let waiting = [CaseState::Recommended, CaseState::Escalated];
    let mut q = c::table.select(CaseRow::as_select()).into_boxed();
    if let Some(nip) = &f.nip {
        q = q.filter(c::nip.eq(nip));
    }
    if let Some(state) = f.state {
        q = q.filter(c::state.eq(state));
    }
    if let Some(agency) = &f.agency_code {
        q = q.filter(c::agency_code.eq(agency));
    }
    if let Some(day) = f.overdue_on {
        q = q
            .filter(c::deadline.lt(day))
            .filter(c::state.eq_any(waiting));
    }
    if let Some(day) = f.not_overdue_on {
        q = q.filter(
            c::deadline
                .is_null()
                .or(c::deadline.ge(day))
                .or(c::state.ne_all(waiting)),
        );
    }
    if let Some(year) = f.election_year {
        q = q.filter(c::election_year.eq(year));
    }
    if let Some(after) = &f.after {
        q = q.filter(c::id.gt(after));
    }
    q.order(c::id).limit(f.limit + 1).load(conn)
}

/// What `case_deadlines` reads of a case whose deadline passed: what it tells, no more (the
/// wide row's dates and texts cost more to decode than the rest of the batch to read).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = c)]
pub struct MissedCase {
    pub id: String,
    pub nip: String,
    pub state: CaseState,
    pub state_since: NaiveDate,
    pub deadline: Option<NaiveDate>,
}

/// Where a run of `case_deadlines` has got to: the last (deadline, id) it read.
pub type DeadlineCursor = (NaiveDate, String);

/// The ids of open cases whose deadline passed before `today` and whose miss is not
/// recorded yet, after `after` and up to `upto` (inclusive), at most `limit`, in (deadline,
/// id) order: one pass over `cases_due`. A macro: the boxed query is typed per backend.
macro_rules! misses_in {
    ($today:expr, $range:expr, $limit:expr) => {{
        let (after, upto): (Option<&DeadlineCursor>, Option<&DeadlineCursor>) = $range;
        let mut q = unrecorded_misses($today).select(c::id).into_boxed();
        if let Some((day, id)) = after {
            // `deadline >= day` bounds the index scan; the OR alone would be a filter, and
            // every batch would walk the index from its start past the cases already told.
            q = q
                .filter(c::deadline.ge(*day))
                .filter(c::deadline.gt(*day).or(c::id.gt(id.clone())));
        }
        if let Some((day, id)) = upto {
            q = q
                .filter(c::deadline.le(*day))
                .filter(c::deadline.lt(*day).or(c::id.le(id.clone())));
        }
        q.order((c::deadline, c::id)).limit($limit)
    }};
}

/// Claims the next `limit` misses in the range (see [`misses_in!`]): records that each was
/// told, in one `UPDATE … RETURNING`, and returns them in (deadline, id) order, each with its
/// last step number. A miss another run claimed meanwhile is not among them (PostgreSQL
/// re-checks the condition on the row it waited for), so each is told once.
pub fn claim_missed(
    conn: &mut AnyConnection,
    today: NaiveDate,
    range: (Option<&DeadlineCursor>, Option<&DeadlineCursor>),
    limit: i64,
) -> QueryResult<Vec<(MissedCase, Option<i32>)>> {
    use diesel::sql_types::{Integer, Nullable};
    let last_seq = || {
        diesel::dsl::sql::<Nullable<Integer>>(
            "(SELECT max(seq) FROM case_steps WHERE case_steps.case_id = cases.id)",
        )
    };
    let unrecorded = c::overdue_recorded
        .is_null()
        .or(c::overdue_recorded.ne(c::deadline));
    let mut rows: Vec<(MissedCase, Option<i32>)> = crate::on_backend!(conn, |cn| {
        let target = c::table
            .filter(c::id.eq_any(misses_in!(today, range, limit)))
            .filter(unrecorded);
        diesel::update(target)
            .set(c::overdue_recorded.eq(c::deadline))
            .returning((MissedCase::as_returning(), last_seq()))
            .get_results(cn)
    })?;
    rows.sort_by(|(a, _), (b, _)| (a.deadline, &a.id).cmp(&(b.deadline, &b.id)));
    Ok(rows)
}

/// Whether any miss in the range is still unrecorded.
pub fn any_missed(
    conn: &mut AnyConnection,
    today: NaiveDate,
    range: (Option<&DeadlineCursor>, Option<&DeadlineCursor>),
) -> QueryResult<bool> {
    let first: Option<String> = misses_in!(today, range, 1).first(conn).optional()?;
    Ok(first.is_some())
}

/// The (deadline, id) halfway through the misses not recorded yet (`None`: fewer than
/// `at_least`), where a second worker can start.
pub fn middle_of_missed(
    conn: &mut AnyConnection,
    today: NaiveDate,
    at_least: i64,
) -> QueryResult<Option<DeadlineCursor>> {
    let n: i64 = unrecorded_misses(today).count().get_result(conn)?;
    if n < at_least {
        return Ok(None);
    }
    unrecorded_misses(today)
        .order((c::deadline, c::id))
        .offset(n / 2)
        .select((c::deadline.assume_not_null(), c::id))
        .first(conn)
        .optional()
}

#[allow(clippy::type_complexity)]
fn unrecorded_misses(
    today: NaiveDate,
) -> diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            diesel::dsl::Filter<c::table, diesel::dsl::IsNotNull<c::deadline>>,
            diesel::dsl::Lt<c::deadline, NaiveDate>,
        >,
        diesel::dsl::EqAny<c::state, [CaseState; 2]>,
    >,
    diesel::dsl::Or<
        diesel::dsl::IsNull<c::overdue_recorded>,
        diesel::dsl::NotEq<c::overdue_recorded, c::deadline>,
    >,
> {
    c::table
        .filter(c::deadline.is_not_null())
        .filter(c::deadline.lt(today))
        .filter(c::state.eq_any([CaseState::Recommended, CaseState::Escalated]))
        .filter(
            c::overdue_recorded
                .is_null()
                .or(c::overdue_recorded.ne(c::deadline)),
        )
}

/// Many steps at once.
pub fn insert_steps(conn: &mut AnyConnection, rows: &[StepRow]) -> QueryResult<()> {
    for chunk in rows.chunks(3000) {
        crate::on_backend!(conn, |cn| diesel::insert_into(st::table)
            .values(chunk)
            .execute(cn))?;
    }
    Ok(())
}

/// The ids of a case's blocks still in force.
pub fn active_blocks(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<String>> {
    b::table
        .filter(b::case_id.eq(case_id))
        .filter(b::released_at.is_null())
        .select(b::id)
        .order(b::id)
        .load(conn)
}

/// The ids of every block of these cases.
pub fn blocks_of(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<Vec<(String, String)>> {
    b::table
        .filter(b::case_id.eq_any(ids))
        .select((b::case_id.assume_not_null(), b::id))
        .order(b::id)
        .load(conn)
}

/// How many cases are in each state.
pub fn state_counts(conn: &mut AnyConnection) -> QueryResult<Vec<(CaseState, i64)>> {
    c::table
        .group_by(c::state)
        .select((c::state, diesel::dsl::count_star()))
        .order(c::state)
        .load(conn)
}

/// Cases overdue on `day`, the longest overdue first, at most `limit`.
pub fn overdue(conn: &mut AnyConnection, day: NaiveDate, limit: i64) -> QueryResult<Vec<CaseRow>> {
    c::table
        .filter(c::deadline.lt(day))
        .filter(c::state.eq_any([CaseState::Recommended, CaseState::Escalated]))
        .order((c::deadline, c::id))
        .limit(limit)
        .select(CaseRow::as_select())
        .load(conn)
}

/// Many cases and their steps at once (`gen-data --cases`): COPY on PostgreSQL, multi-row
/// inserts on SQLite.
pub fn insert_bulk(
    conn: &mut AnyConnection,
    cases: &[CaseRow],
    steps: &[StepRow],
) -> QueryResult<()> {
    crate::bulk_insert!(conn, c::table, cases, 1000)?;
    crate::bulk_insert!(conn, st::table, steps, 3000)
}
