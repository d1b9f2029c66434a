//! BKN update batches: each event applied atomically and in order, on its own, and every
//! event's outcome logged for reconciliation.

mod apply;
mod parse;

pub use parse::{BlockOrderData, BlockReleaseData, BlockScope, ProfileData, StatusData};

use super::journal::Journal;
use super::outbox::Watch;
use crate::audit::{Actor, Entry};
use crate::db::bkn::{self as seen_store, SeenEvent};
use crate::db::{audit, write_tx, AnyConnection};
use crate::domain::nip::Nip;
use crate::domain::EventType;
use crate::error::{is_unique_violation, ApiError, ErrorCode};
use apply::{apply_profile, order_block, release_block, subject_of};
use chrono::NaiveDateTime;
use diesel::result::Error as DieselError;
use parse::{field, parse, prefixed, Change, Parsed};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

pub const MAX_EVENTS: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    Applied,
    Duplicate,
    Stale,
    Rejected,
}

impl EventOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventOutcome::Applied => "applied",
            EventOutcome::Duplicate => "duplicate",
            EventOutcome::Stale => "stale",
            EventOutcome::Rejected => "rejected",
        }
    }
}

#[derive(Debug)]
pub struct EventResult {
    pub event_id: Option<String>,
    pub outcome: EventOutcome,
    pub error: Option<ApiError>,
}

/// Applies a batch in order; every event gets one result, one receipt and one audit entry.
/// An event dated more than `max_future` after `now` is rejected: one dated 9999-12-31
/// would make every later real update for that person `stale`.
pub fn apply_batch(
    conn: &mut AnyConnection,
    raw_events: &[serde_json::Value],
    actor: &Actor,
    (now, max_future): (NaiveDateTime, chrono::TimeDelta),
    watch: &Watch,
) -> Vec<EventResult> {
    let tz = watch.tz;
    raw_events
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let event_id = raw
                .get("event_id")
                .and_then(|v| v.as_str())
                .filter(|id| !id.chars().any(crate::domain::text::is_forbidden_control))
                .map(str::to_string);
            let rejected = |e: ApiError| EventResult {
                event_id: event_id.clone(),
                outcome: EventOutcome::Rejected,
                error: Some(e),
            };
            let parsed = parse(raw, tz).and_then(|p| not_ahead(p, now + max_future));
            let result = match parsed {
                Err(e) => rejected(prefixed(e, &format!("events[{i}]"))),
                Ok(p) => match apply_one(conn, &p, actor, now, watch) {
                    // Received, recorded and audited in the event's own transaction.
                    Ok(outcome) => {
                        return EventResult {
                            event_id,
                            outcome,
                            error: None,
                        }
                    }
                    Err(e) if is_unique_race(&e) => EventResult {
                        event_id: event_id.clone(),
                        outcome: EventOutcome::Duplicate,
                        error: None,
                    },
                    Err(e) if e.code == ErrorCode::ValidationFailed => {
                        rejected(prefixed(e, &format!("events[{i}]")))
                    }
                    Err(e) => rejected(e),
                },
            };
            if let Err(e) = log_unapplied(conn, actor, now, &result) {
                tracing::warn!(error = %e, "could not log the receipt of a BKN event");
            }
            result
        })
        .collect()
}

/// The same `event_id` applied by a concurrent batch first.
fn is_unique_race(e: &ApiError) -> bool {
    e.source
        .as_ref()
        .and_then(|s| s.downcast_ref::<DieselError>())
        .is_some_and(is_unique_violation)
}

/// What the audit trail keeps of an event's receipt.
fn receipt_entry(
    nip: Option<&str>,
    event_id: Option<&str>,
    outcome: EventOutcome,
    data: serde_json::Value,
) -> Entry {
    let mut data = data;
    data["outcome"] = json!(outcome.as_str());
    data["event_id"] = json!(event_id);
    Entry::new("bkn.event", nip, event_id, data)
}

/// Logs the receipt of an event that changed nothing, and audits it.
fn log_unapplied(
    conn: &mut AnyConnection,
    actor: &Actor,
    now: NaiveDateTime,
    r: &EventResult,
) -> Result<(), ApiError> {
    let id = r.event_id.as_deref();
    let data = json!({ "error": r.error.as_ref().map(|e| e.code.as_str()) });
    write_tx(conn, |c| -> Result<(), ApiError> {
        seen_store::log_receipt(c, id, r.outcome.as_str(), now)?;
        audit::append(c, actor, now, &[receipt_entry(None, id, r.outcome, data)])?;
        Ok(())
    })
}

fn apply_one(
    conn: &mut AnyConnection,
    p: &Parsed,
    actor: &Actor,
    now: NaiveDateTime,
    watch: &Watch,
) -> Result<EventOutcome, ApiError> {
    let tz = watch.tz;
    write_tx(conn, |c| -> Result<EventOutcome, ApiError> {
        let mut j = Journal::new(actor.clone(), now, watch.clone());
        let (subject, event_type) = match &p.change {
            Change::Profile {
                nip, event_type, ..
            } => (nip.as_str().to_string(), *event_type),
            Change::Order { nip, data } => {
                (subject_of(nip.as_ref(), data), EventType::BlockOrdered)
            }
            Change::Release { .. } => ("-".to_string(), EventType::BlockReleased),
        };
        let outcome = if seen_store::seen(c, &p.event_id)? {
            EventOutcome::Duplicate
        } else {
            let outcome = match &p.change {
                Change::Profile {
                    nip,
                    event_type,
                    changes,
                } => apply_profile(c, p, (nip, *event_type), changes, &mut j, tz)?,
                Change::Order { nip, data } => order_block(c, p, nip.as_ref(), data, &mut j)?,
                Change::Release { data } => release_block(c, p, data, &mut j)?,
            };
            let seen = SeenEvent {
                event_id: &p.event_id,
                nip: &subject,
                event_type: event_type.as_str(),
                occurred_at: p.occurred_at,
                outcome: outcome.as_str(),
                received_at: now,
            };
            seen_store::remember(c, &seen)?;
            outcome
        };
        seen_store::log_receipt(c, Some(&p.event_id), outcome.as_str(), now)?;
        let nip = Some(subject.as_str()).filter(|s| Nip::parse(s).is_ok());
        let data = json!({ "type": event_type, "occurred_at": p.occurred_at.and_utc() });
        j.audit(receipt_entry(nip, Some(&p.event_id), outcome, data));
        j.flush(c)?;
        Ok(outcome)
    })
}

fn not_ahead(p: Parsed, latest: NaiveDateTime) -> Result<Parsed, ApiError> {
    if p.occurred_at > latest {
        return Err(field(
            "occurred_at",
            &format!("lebih jauh di masa depan daripada yang diizinkan (paling lambat {latest}Z)"),
            &format!("is further in the future than allowed (at the latest {latest}Z)"),
        ));
    }
    Ok(p)
}
