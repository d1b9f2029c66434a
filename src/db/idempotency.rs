//! Stored first responses of writes sent with an `Idempotency-Key`.

use super::schema::idempotency_keys as k;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = k)]
pub struct StoredResponse {
    pub actor: String,
    pub idem_key: String,
    pub route: String,
    pub request_hash: String,
    pub status_code: i32,
    pub location: Option<String>,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub fn find(
    conn: &mut AnyConnection,
    actor: &str,
    key: &str,
) -> QueryResult<Option<StoredResponse>> {
    k::table
        .find((actor, key))
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut AnyConnection, row: &StoredResponse) -> QueryResult<()> {
    diesel::insert_into(k::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}
