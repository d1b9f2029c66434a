//! BKN blocks, by person or by agency.

use super::schema::blocks as b;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = b)]
#[diesel(treat_none_as_default_value = false)]
pub struct BlockRow {
    pub id: String,
    pub scope: String,
    pub nip: Option<String>,
    pub agency_code: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub ordered_at: NaiveDateTime,
    pub ordered_event_id: String,
    pub released_at: Option<NaiveDateTime>,
    pub release_reference: Option<String>,
    pub released_event_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The neutrality case the block was ordered for.
    #[serde(default)]
    pub case_id: Option<String>,
}

pub fn insert(conn: &mut AnyConnection, row: &BlockRow) -> QueryResult<()> {
    diesel::insert_into(b::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Many rows at once: COPY on PostgreSQL; on SQLite multi-row inserts of 2000 rows.
pub fn insert_bulk(conn: &mut AnyConnection, rows: &[BlockRow]) -> QueryResult<()> {
    crate::bulk_insert!(conn, b::table, rows, 2000)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<BlockRow>> {
    b::table
        .find(id)
        .select(BlockRow::as_select())
        .first(conn)
        .optional()
}

/// Releases a block that is not released yet; `false` when it was.
pub fn release(
    conn: &mut AnyConnection,
    id: &str,
    at: NaiveDateTime,
    reference: Option<&str>,
    event_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(b::table.find(id).filter(b::released_at.is_null()))
        .set((
            b::released_at.eq(Some(at)),
            b::release_reference.eq(reference),
            b::released_event_id.eq(Some(event_id)),
            b::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Every block on these NIPs or on these agencies (one query for a whole batch).
pub fn affecting(
    conn: &mut AnyConnection,
    nips: &[&str],
    agencies: &[&str],
) -> QueryResult<Vec<BlockRow>> {
    // One NIP and its agency (every single check): a statement SQLite keeps prepared (see
    // `sanctions::for_nips`).
    match (nips, agencies) {
        ([nip], [agency]) => {
            let on_agency = b::scope.eq("agency").and(b::agency_code.eq(*agency));
            return b::table
                .filter(b::nip.eq(*nip).or(on_agency))
                .order(b::ordered_at.asc())
                .select(BlockRow::as_select())
                .load(conn);
        }
        ([nip], []) => {
            return b::table
                .filter(b::nip.eq(*nip))
                .order(b::ordered_at.asc())
                .select(BlockRow::as_select())
                .load(conn);
        }
        _ => {}
    }
    b::table
        .filter(
            b::nip
                .eq_any(nips)
                .or(b::scope.eq("agency").and(b::agency_code.eq_any(agencies))),
        )
        .order(b::ordered_at.asc())
        .select(BlockRow::as_select())
        .load(conn)
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Blocks on this NIP, and on its agency (`agency_of_nip`).
    pub nip: Option<String>,
    pub agency_of_nip: Option<String>,
    pub agency_code: Option<String>,
    pub active: Option<bool>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut AnyConnection, f: &ListFilter) -> QueryResult<Vec<BlockRow>> {
    let mut q = b::table.select(BlockRow::as_select()).into_boxed();
    if let Some(nip) = &f.nip {
        let agency = f.agency_of_nip.clone().unwrap_or_default();
        q = q.filter(
            b::nip
                .eq(nip.clone())
                .or(b::scope.eq("agency").and(b::agency_code.eq(agency))),
        );
    }
    if let Some(agency) = &f.agency_code {
        q = q.filter(b::agency_code.eq(agency.clone()));
    }
    match f.active {
        Some(true) => q = q.filter(b::released_at.is_null()),
        Some(false) => q = q.filter(b::released_at.is_not_null()),
        None => {}
    }
    if let Some(after) = &f.after {
        q = q.filter(b::id.gt(after.clone()));
    }
    q.order(b::id.asc()).limit(f.limit).load(conn)
}
