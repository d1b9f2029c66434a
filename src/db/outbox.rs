//! The outbox (`changes`, the change feed) and what each watched ASN was last told
//! (`eligibility_states`).

use super::schema::{asn, changes as ch, eligibility_states as st};
use super::AnyConnection;
use crate::on_backend;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ch)]
pub struct ChangeRow {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub nip: Option<String>,
    pub seq: Option<i64>,
    pub occurred_at: NaiveDateTime,
    pub data: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ch)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewChange {
    pub event_id: String,
    pub event_type: String,
    pub nip: Option<String>,
    pub seq: Option<i64>,
    pub occurred_at: NaiveDateTime,
    pub data: String,
}

/// Appends changes in the given order. Call it while holding the audit chain's head, so ids
/// follow commit order (see the migration).
pub fn insert_all(conn: &mut AnyConnection, rows: &[NewChange]) -> QueryResult<()> {
    for chunk in rows.chunks(1000) {
        on_backend!(conn, |c| diesel::insert_into(ch::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Changes after id `after`, in order; optionally of some types or one NIP.
pub fn after(
    conn: &mut AnyConnection,
    after: i64,
    types: Option<&[String]>,
    nip: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ChangeRow>> {
    let mut q = ch::table
        .filter(ch::id.gt(after))
        .select(ChangeRow::as_select())
        .into_boxed();
    if let Some(types) = types {
        q = q.filter(ch::event_type.eq_any(types.to_vec()));
    }
    if let Some(nip) = nip {
        q = q.filter(ch::nip.eq(nip.to_string()));
    }
    q.order(ch::id.asc()).limit(limit).load(conn)
}

/// The id of the newest change (0 when there is none).
pub fn last_id(conn: &mut AnyConnection) -> QueryResult<i64> {
    ch::table
        .select(diesel::dsl::max(ch::id))
        .first::<Option<i64>>(conn)
        .map(|m| m.unwrap_or(0))
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = st)]
#[diesel(treat_none_as_default_value = false)]
pub struct StateRow {
    pub nip: String,
    pub last_seq: i64,
    pub as_of: Option<NaiveDate>,
    /// JSON `{purpose: {outcome, eligible_from}}`; `None` until first evaluated.
    pub outcomes: Option<String>,
    pub next_change: Option<NaiveDate>,
    pub updated_at: NaiveDateTime,
}

/// The states of `wanted` (each NIP with how many sequence numbers to reserve), created
/// where missing, with `last_seq` moved past the numbers reserved (they are the `k` before
/// it), in one upsert per 500: the row is written once, not inserted, read and saved. On
/// PostgreSQL each row stays locked for the transaction (SQLite's write transaction holds
/// the database already); rows are taken in the order given, so give them in NIP order.
/// Returned in NIP order.
pub fn reserve_states(
    conn: &mut AnyConnection,
    wanted: &[(&str, i64)],
    now: NaiveDateTime,
) -> QueryResult<Vec<StateRow>> {
    use diesel::upsert::excluded;
    let rows: Vec<StateRow> = wanted
        .iter()
        .map(|(nip, k)| StateRow {
            nip: nip.to_string(),
            last_seq: *k,
            as_of: None,
            outcomes: None,
            next_change: None,
            updated_at: now,
        })
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(500) {
        let got: Vec<StateRow> = on_backend!(conn, |c| diesel::insert_into(st::table)
            .values(chunk)
            .on_conflict(st::nip)
            .do_update()
            .set((
                st::last_seq.eq(st::last_seq + excluded(st::last_seq)),
                st::updated_at.eq(excluded(st::updated_at)),
            ))
            .returning(StateRow::as_returning())
            .get_results(c))?;
        out.extend(got);
    }
    out.sort_by(|a, b| a.nip.cmp(&b.nip));
    Ok(out)
}

/// Saves states (rows that exist: `reserve_states` made them) with multi-row upserts, 1000 at
/// a time: a job that tells 100 000 people writes 100 statements, not 100 000.
pub fn save_states(conn: &mut AnyConnection, rows: &[StateRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    for chunk in rows.chunks(1000) {
        crate::on_backend!(conn, |c| diesel::insert_into(st::table)
            .values(chunk)
            .on_conflict(st::nip)
            .do_update()
            .set((
                st::last_seq.eq(excluded(st::last_seq)),
                st::as_of.eq(excluded(st::as_of)),
                st::outcomes.eq(excluded(st::outcomes)),
                st::next_change.eq(excluded(st::next_change)),
                st::updated_at.eq(excluded(st::updated_at)),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// NIPs whose eligibility may have changed by `today` without a write, after `after`.
pub fn due(
    conn: &mut AnyConnection,
    today: NaiveDate,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    st::table
        .filter(st::next_change.le(today))
        .filter(st::nip.gt(after))
        .order(st::nip.asc())
        .select(st::nip)
        .limit(limit)
        .load(conn)
}

/// The NIPs of an agency (an agency-wide block touches every one of them).
pub fn nips_in_agency(conn: &mut AnyConnection, agency: &str) -> QueryResult<Vec<String>> {
    asn::table
        .filter(asn::agency_code.eq(agency))
        .select(asn::nip)
        .load(conn)
}
