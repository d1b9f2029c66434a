//! The per-ASN event timeline (recorded, lifted, annulled, profile and status updates).

use super::schema::asn_events;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = asn_events)]
pub struct EventRow {
    pub id: i64,
    pub nip: String,
    pub event_type: String,
    pub at: NaiveDateTime,
    pub actor: String,
    pub sanction_id: Option<String>,
    pub data: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = asn_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewEvent<'a> {
    pub nip: &'a str,
    pub event_type: &'a str,
    pub at: NaiveDateTime,
    pub actor: &'a str,
    pub sanction_id: Option<&'a str>,
    pub data: String,
}

pub fn record(conn: &mut AnyConnection, event: NewEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(asn_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// Many events in multi-row inserts.
pub fn record_all(conn: &mut AnyConnection, events: &[NewEvent<'_>]) -> QueryResult<()> {
    for chunk in events.chunks(1000) {
        crate::on_backend!(conn, |c| diesel::insert_into(asn_events::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn for_nip(conn: &mut AnyConnection, nip: &str) -> QueryResult<Vec<EventRow>> {
    asn_events::table
        .filter(asn_events::nip.eq(nip))
        .order(asn_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)
}
