//! Recording a sanction and the moves of its lifecycle (`lifecycle`: lift, annul;
//! `appeal`: file, decide), each one transaction with its timeline events.

mod appeal;
mod lifecycle;

pub use appeal::{appeal, decide_appeal, AppealDecision, AppealFiling};
pub use lifecycle::{annul, lift};

use super::journal::Journal;
use super::Caller;
use crate::db::sanctions::{self as store, SanctionRow};
use crate::db::stored::Json;
use crate::db::{asn, AnyConnection};
use crate::domain::sanction::draft::NewSanction;
use crate::domain::sanction::Move;
use crate::domain::EventType;
use crate::domain::{SanctionState, SanctionStatus};
use crate::error::{ApiError, ErrorCode};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

/// Records a sanction. `Ok((row, true))` when new, `Ok((row, false))` when the same decision
/// with the same content was recorded before; other content is `duplicate_decision`.
pub fn record(
    conn: &mut AnyConnection,
    new: &NewSanction,
    who: &Caller,
    j: &mut Journal,
    today: NaiveDate,
) -> Result<(SanctionRow, bool), ApiError> {
    let now = j.at();
    let nip = new.nip.as_str();
    let profile = asn::find(conn, nip)?;
    let agency = profile
        .as_ref()
        .and_then(|p| p.agency_code.as_deref())
        .or(new.decision.issuer_agency.as_deref());
    who.may_write_for(agency)?;
    let hash = new.content_hash();
    if let Some(existing) =
        store::find_by_decision(conn, &new.decision.issuer, &new.decision.number, nip)?
    {
        if existing.content_hash == hash {
            return Ok((existing, false));
        }
        return Err(ApiError::with_detail(
            ErrorCode::DuplicateDecision,
            format!(
                "Keputusan {} dari {} untuk NIP ini sudah tercatat dengan isi berbeda",
                new.decision.number, new.decision.issuer
            ),
            format!(
                "Decision {} by {} is already recorded for this NIP with different content",
                new.decision.number, new.decision.issuer
            ),
        )
        .extra("sanction_id", json!(existing.id)));
    }
    super::register_unknown(conn, nip, j)?;
    let row = new_row(new, hash, j.label(), now, today)?;
    store::insert(conn, &row)?;
    let data = json!({
        "type": row.type_code, "decision_number": row.decision_number, "issuer": row.issuer,
        "effective_from": row.effective_from, "effective_until": row.effective_until,
    });
    j.event(conn, nip, EventType::SanctionRecorded, Some(&row.id), data)?;
    if let Some(until) = row.effective_until.filter(|_| row.expired_at.is_some()) {
        // Recorded after its end (a back-dated record): the job will never see it end, so
        // its end is told now, in the timeline and the feed, as the job would have.
        let ended = json!({ "effective_until": until, "recorded_late": true });
        j.event(conn, nip, EventType::SanctionExpired, Some(&row.id), ended)?;
    }
    Ok((row, true))
}

/// A new row. Starting and ending are recorded by the jobs only for what happens after it is
/// recorded: a sanction already in force (or over) is marked so now.
fn new_row(
    new: &NewSanction,
    hash: String,
    actor: &str,
    now: NaiveDateTime,
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let t = &new.sanction_type;
    Ok(SanctionRow {
        id: uuid::Uuid::now_v7().to_string(),
        nip: new.nip.as_str().to_string(),
        type_code: t.code.clone(),
        regime: t.regime.clone(),
        kind: t.kind,
        level: t.level,
        decision_number: new.decision.number.clone(),
        decision_date: new.decision.date,
        received_date: new.decision.received_date,
        issuer: new.decision.issuer.clone(),
        issuer_agency: new.decision.issuer_agency.clone(),
        legal_basis: new.decision.legal_basis.clone(),
        violation: new.violation.as_ref().map(|v| v.to_string()),
        effective_from: new.period.from(),
        effective_until: new.period.until(),
        blocked_purposes: Json(new.blocked_purposes.clone()),
        document: new.document.as_ref().map(|v| v.to_string()),
        state: SanctionState::Recorded,
        lifted_on: None,
        lift: None,
        annulled_at: None,
        annulment: None,
        content_hash: hash,
        recorded_at: now,
        recorded_by: actor.to_string(),
        updated_at: now,
        appeal: None,
        appeal_filed_on: None,
        supersedes: new.supersedes.clone(),
        superseded_by: None,
        activated_at: (new.period.from() <= today).then_some(now),
        expired_at: new.period.until().filter(|u| *u <= today).map(|_| now),
    })
}

/// Loads a sanction the caller may change, or `sanction_not_found` / `forbidden`.
fn load_writable(
    conn: &mut AnyConnection,
    id: &str,
    who: &Caller,
) -> Result<SanctionRow, ApiError> {
    let row = store::find(conn, id)?.ok_or_else(sanction_not_found)?;
    if who.agency.is_some() {
        let profile = asn::find(conn, &row.nip)?;
        let agency = profile
            .and_then(|p| p.agency_code)
            .or_else(|| row.issuer_agency.clone());
        who.may_write_for(agency.as_deref())?;
    }
    Ok(row)
}

pub fn sanction_not_found() -> ApiError {
    ApiError::with_detail(
        ErrorCode::SanctionNotFound,
        "Hukuman tidak ditemukan",
        "No sanction has this id",
    )
}

/// Loads a sanction the caller may change and checks that its status on `today` allows
/// `mv`: `sanction_not_found`, `forbidden` or `invalid_transition` otherwise.
fn load_for(
    conn: &mut AnyConnection,
    id: &str,
    who: &Caller,
    mv: Move,
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let row = load_writable(conn, id, who)?;
    let status = row.status_on(today);
    if !mv.allowed(status) {
        return Err(invalid_transition(mv.verb(), status));
    }
    Ok(row)
}

fn invalid_transition(action: &str, status: SanctionStatus) -> ApiError {
    ApiError::with_detail(
        ErrorCode::InvalidTransition,
        format!("Hukuman berstatus '{status}' tidak dapat di-{action}"),
        format!("A sanction with status '{status}' cannot be {action}ed"),
    )
    .extra("current_status", json!(status))
}

/// Marks a sanction annulled, with its timeline event.
fn annul_row(
    conn: &mut AnyConnection,
    (nip, id): (&str, &str),
    details: serde_json::Value,
    j: &mut Journal,
) -> Result<(), ApiError> {
    store::mark_annulled(conn, id, details.to_string(), j.at())?;
    j.event(conn, nip, EventType::SanctionAnnulled, Some(id), details)?;
    Ok(())
}

/// The sanction after a move.
fn reload(conn: &mut AnyConnection, id: &str) -> Result<SanctionRow, ApiError> {
    store::find(conn, id)?.ok_or_else(sanction_not_found)
}
