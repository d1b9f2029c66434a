//! Lifting and annulling a sanction.

use super::{annul_row, load_for, reload};
use crate::db::sanctions::{self as store, SanctionRow};
use crate::db::AnyConnection;
use crate::domain::sanction::Move;
use crate::domain::EventType;
use crate::error::ApiError;
use crate::service::journal::Journal;
use crate::service::Caller;
use chrono::NaiveDate;

/// Ends a scheduled or active sanction early, on `on`.
pub fn lift(
    conn: &mut AnyConnection,
    (id, on): (&str, NaiveDate),
    details: serde_json::Value,
    (who, j): (&Caller, &mut Journal),
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let row = load_for(conn, id, who, Move::Lift, today)?;
    store::mark_lifted(conn, id, on, details.to_string(), j.at())?;
    j.event(conn, &row.nip, EventType::SanctionLifted, Some(id), details)?;
    reload(conn, id)
}

/// Annuls a sanction (BPASN or a court): it stays in the history and counts nowhere.
pub fn annul(
    conn: &mut AnyConnection,
    id: &str,
    details: serde_json::Value,
    (who, j): (&Caller, &mut Journal),
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let row = load_for(conn, id, who, Move::Annul, today)?;
    annul_row(conn, (&row.nip, id), details, j)?;
    reload(conn, id)
}
