//! The registry of ASN profiles.

use super::schema::asn;
use super::AnyConnection;
use crate::domain::{AsnStatus, EmploymentType};
use crate::on_backend;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A profile as stored; a snapshot's line inserts one whole.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = asn)]
#[diesel(treat_none_as_default_value = false)]
pub struct AsnRow {
    pub nip: String,
    pub name: Option<String>,
    pub agency_code: Option<String>,
    pub agency_name: Option<String>,
    pub unit: Option<String>,
    pub rank: Option<String>,
    pub position: Option<String>,
    pub employment_type: Option<EmploymentType>,
    pub status: AsnStatus,
    pub status_since: Option<NaiveDate>,
    pub last_event_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Profile fields a BKN event may set; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = asn)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub agency_code: Option<String>,
    pub agency_name: Option<String>,
    pub unit: Option<String>,
    pub rank: Option<String>,
    pub position: Option<String>,
    pub employment_type: Option<EmploymentType>,
    pub status: Option<AsnStatus>,
    pub status_since: Option<NaiveDate>,
}

pub fn find(conn: &mut AnyConnection, nip: &str) -> QueryResult<Option<AsnRow>> {
    asn::table
        .find(nip)
        .select(AsnRow::as_select())
        .first(conn)
        .optional()
}

/// The profiles of these NIPs; one NIP as a statement SQLite keeps prepared (see
/// `sanctions::for_nips`).
pub fn find_many(conn: &mut AnyConnection, nips: &[&str]) -> QueryResult<Vec<AsnRow>> {
    if let [nip] = nips {
        return Ok(find(conn, nip)?.into_iter().collect());
    }
    asn::table
        .filter(asn::nip.eq_any(nips))
        .select(AsnRow::as_select())
        .load(conn)
}

/// Creates the ASN with status `unknown` unless it exists; `true` when it was created.
pub fn ensure(conn: &mut AnyConnection, nip: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let row = (
        asn::nip.eq(nip),
        asn::status.eq("unknown"),
        asn::created_at.eq(now),
        asn::updated_at.eq(now),
    );
    let inserted = on_backend!(conn, |c| diesel::insert_into(asn::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Applies `changes` from a BKN event that occurred at `occurred_at`, unless an event that
/// occurred later was applied already. `false`: the event is stale, nothing changed.
pub fn apply_event(
    conn: &mut AnyConnection,
    nip: &str,
    changes: &ProfileChanges,
    occurred_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let newer_or_first = asn::last_event_at
        .is_null()
        .or(asn::last_event_at.le(occurred_at));
    let updated = diesel::update(asn::table.find(nip).filter(newer_or_first))
        .set((
            changes,
            asn::last_event_at.eq(occurred_at),
            asn::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Inserts profiles known to be new: COPY on PostgreSQL, multi-row inserts on SQLite.
pub fn insert_new(conn: &mut AnyConnection, rows: &[AsnRow]) -> QueryResult<()> {
    // 12 columns: 2 000 rows stay under SQLite's bind-parameter limit.
    crate::bulk_insert!(conn, asn::table, rows, 2000)
}

/// Overwrites the profile fields of existing ASN (their history of events stays).
pub fn overwrite(conn: &mut AnyConnection, rows: &[AsnRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    for chunk in rows.chunks(2000) {
        on_backend!(conn, |c| diesel::insert_into(asn::table)
            .values(chunk)
            .on_conflict(asn::nip)
            .do_update()
            .set((
                asn::name.eq(excluded(asn::name)),
                asn::agency_code.eq(excluded(asn::agency_code)),
                asn::agency_name.eq(excluded(asn::agency_name)),
                asn::unit.eq(excluded(asn::unit)),
                asn::rank.eq(excluded(asn::rank)),
                asn::position.eq(excluded(asn::position)),
                asn::employment_type.eq(excluded(asn::employment_type)),
                asn::status.eq(excluded(asn::status)),
                asn::status_since.eq(excluded(asn::status_since)),
                asn::updated_at.eq(excluded(asn::updated_at)),
            ))
            .execute(c))?;
    }
    Ok(())
}
