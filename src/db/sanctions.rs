//! Stored sanctions. The lifecycle state is stored; the status is derived per day.

use super::schema::sanctions as s;
use super::stored::Json;
use super::AnyConnection;
use crate::domain::period::Period;
use crate::domain::sanction::Lifecycle;
use crate::domain::{Kind, Level, Purpose, SanctionState, SanctionStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = s)]
#[diesel(treat_none_as_default_value = false)]
pub struct SanctionRow {
    pub id: String,
    pub nip: String,
    pub type_code: String,
    pub regime: String,
    pub kind: Kind,
    pub level: Option<Level>,
    pub decision_number: String,
    pub decision_date: NaiveDate,
    pub received_date: Option<NaiveDate>,
    pub issuer: String,
    pub issuer_agency: Option<String>,
    pub legal_basis: Option<String>,
    pub violation: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    pub blocked_purposes: Json<Vec<Purpose>>,
    pub document: Option<String>,
    pub state: SanctionState,
    pub lifted_on: Option<NaiveDate>,
    pub lift: Option<String>,
    pub annulled_at: Option<NaiveDateTime>,
    pub annulment: Option<String>,
    pub content_hash: String,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: String,
    pub updated_at: NaiveDateTime,
    pub appeal: Option<String>,
    pub appeal_filed_on: Option<NaiveDate>,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    pub activated_at: Option<NaiveDateTime>,
    pub expired_at: Option<NaiveDateTime>,
}

impl SanctionRow {
    /// What the sanction's status depends on.
    pub fn lifecycle(&self) -> Lifecycle {
        let state = self.state;
        Lifecycle {
            state,
            decided: self.decided_period(),
            lifted_on: self.lifted_on.filter(|_| state == SanctionState::Lifted),
            appeal_filed_on: self
                .appeal_filed_on
                .filter(|_| state == SanctionState::UnderAppeal),
        }
    }

    /// The period the decree decided (checked when it was recorded; a row whose end was
    /// edited to before its start by hand reads as ending the day it starts).
    pub fn decided_period(&self) -> Period {
        Period::new(self.effective_from, self.effective_until)
            .unwrap_or_else(|_| Period::months(self.effective_from, 0))
    }

    /// The status on `day`, lift and appeal dates included.
    pub fn status_on(&self, day: NaiveDate) -> SanctionStatus {
        self.lifecycle().status_on(day)
    }
}

pub fn insert(conn: &mut AnyConnection, row: &SanctionRow) -> QueryResult<()> {
    diesel::insert_into(s::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Many rows at once: COPY on PostgreSQL; on SQLite multi-row inserts of 1000 rows
/// (32 columns: under its 32 766 bind parameters).
pub fn insert_bulk(conn: &mut AnyConnection, rows: &[SanctionRow]) -> QueryResult<()> {
    crate::bulk_insert!(conn, s::table, rows, 1000)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<SanctionRow>> {
    s::table
        .find(id)
        .select(SanctionRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_decision(
    conn: &mut AnyConnection,
    issuer: &str,
    number: &str,
    nip: &str,
) -> QueryResult<Option<SanctionRow>> {
    s::table
        .filter(s::issuer.eq(issuer))
        .filter(s::decision_number.eq(number))
        .filter(s::nip.eq(nip))
        .select(SanctionRow::as_select())
        .first(conn)
        .optional()
}

/// Every sanction of these NIPs, oldest first (one query for a whole batch).
/// The sanctions of these NIPs, oldest first. One NIP (every single check) is a statement
/// SQLite keeps prepared; an `IN` list of any length is parsed and planned anew each time.
pub fn for_nips(conn: &mut AnyConnection, nips: &[&str]) -> QueryResult<Vec<SanctionRow>> {
    if let [nip] = nips {
        return s::table
            .filter(s::nip.eq(*nip))
            .order((s::effective_from.asc(), s::id.asc()))
            .select(SanctionRow::as_select())
            .load(conn);
    }
    s::table
        .filter(s::nip.eq_any(nips))
        .order((s::effective_from.asc(), s::id.asc()))
        .select(SanctionRow::as_select())
        .load(conn)
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub nip: Option<String>,
    pub issuer: Option<String>,
    pub status: Option<SanctionStatus>,
    /// Return sanctions with ids after this one (ids are time-ordered UUIDv7).
    pub after: Option<String>,
    pub limit: i64,
}

/// A page of sanctions, the status evaluated for `today`.
pub fn list(
    conn: &mut AnyConnection,
    f: &ListFilter,
    today: NaiveDate,
) -> QueryResult<Vec<SanctionRow>> {
    let mut q = s::table.select(SanctionRow::as_select()).into_boxed();
    if let Some(nip) = &f.nip {
        q = q.filter(s::nip.eq(nip.clone()));
    }
    if let Some(issuer) = &f.issuer {
        q = q.filter(s::issuer.eq(issuer.clone()));
    }
    if let Some(after) = &f.after {
        q = q.filter(s::id.gt(after.clone()));
    }
    let recorded = s::state.eq(SanctionState::Recorded);
    q = match f.status {
        None => q,
        Some(SanctionStatus::Scheduled) => q.filter(recorded.and(s::effective_from.gt(today))),
        Some(SanctionStatus::Active) => q.filter(
            recorded.and(s::effective_from.le(today)).and(
                s::effective_until
                    .is_null()
                    .or(s::effective_until.gt(today)),
            ),
        ),
        Some(SanctionStatus::Expired) => q.filter(recorded.and(s::effective_until.le(today))),
        // The other statuses are lifecycle states with the same name.
        Some(other) => q.filter(s::state.eq(other.as_str())),
    };
    q.order(s::id.asc()).limit(f.limit).load(conn)
}

pub fn record_appeal(
    conn: &mut AnyConnection,
    id: &str,
    filed_on: NaiveDate,
    appeal: String,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(s::table.find(id))
        .set((
            s::state.eq(SanctionState::UnderAppeal),
            s::appeal_filed_on.eq(Some(filed_on)),
            s::appeal.eq(Some(appeal)),
            s::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Stores the appeal with its decision, and the state the decision leaves.
pub fn decide_appeal(
    conn: &mut AnyConnection,
    id: &str,
    state: SanctionState,
    appeal: String,
    superseded_by: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(s::table.find(id))
        .set((
            s::state.eq(state),
            s::appeal.eq(Some(appeal)),
            s::superseded_by.eq(superseded_by),
            s::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn mark_lifted(
    conn: &mut AnyConnection,
    id: &str,
    on: NaiveDate,
    details: String,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(s::table.find(id))
        .set((
            s::state.eq(SanctionState::Lifted),
            s::lifted_on.eq(Some(on)),
            s::lift.eq(Some(details)),
            s::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn mark_annulled(
    conn: &mut AnyConnection,
    id: &str,
    details: String,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(s::table.find(id))
        .set((
            s::state.eq(SanctionState::Annulled),
            s::annulled_at.eq(Some(now)),
            s::annulment.eq(Some(details)),
            s::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}
