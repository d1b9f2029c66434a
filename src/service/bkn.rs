//! BKN update batches: each event applied atomically and in order, on its own, and every
//! event's outcome logged for reconciliation.

use super::journal::Journal;
use super::outbox::Watch;
use crate::audit::{Actor, Entry};
use crate::db::bkn::{self as seen_store, SeenEvent};
use crate::db::blocks::{self, BlockRow};
use crate::db::{asn, audit, write_tx, AnyConnection};
use crate::domain::nip::Nip;
use crate::domain::EventType;
use crate::domain::{AsnStatus, EmploymentType};
use crate::error::{is_unique_violation, ApiError, ErrorCode, FieldError};
use crate::extract::from_value;
use crate::i18n::L10n;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::result::Error as DieselError;
use serde::{Deserialize, Serialize};
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventIn {
    event_id: String,
    /// Required but for agency-scoped block events.
    nip: Option<String>,
    occurred_at: DateTime<Utc>,
    #[serde(rename = "type")]
    type_: String,
    #[serde(default)]
    data: serde_json::Value,
}

/// `asn_upserted`: profile fields; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileData {
    pub name: Option<String>,
    pub agency_code: Option<String>,
    pub agency_name: Option<String>,
    pub unit: Option<String>,
    pub rank: Option<String>,
    pub position: Option<String>,
    pub employment_type: Option<EmploymentType>,
    pub status: Option<AsnStatus>,
}

/// `status_changed`: the new status, from `effective_date` (default: the day it occurred).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusData {
    pub status: AsnStatus,
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockScope {
    Asn,
    Agency,
}

/// `block_ordered`: a block on the event's NIP (`scope: asn`) or on a whole agency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockOrderData {
    pub block_id: String,
    pub scope: BlockScope,
    /// Required for `scope: agency`.
    pub agency_code: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
}

/// `block_released`: the only way a block ends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockReleaseData {
    pub block_id: String,
    pub reference: Option<String>,
}

enum Change {
    Profile {
        nip: Nip,
        event_type: EventType,
        changes: asn::ProfileChanges,
    },
    Order {
        nip: Option<Nip>,
        data: BlockOrderData,
    },
    Release {
        data: BlockReleaseData,
    },
}

/// One event, parsed and checked.
struct Parsed {
    event_id: String,
    occurred_at: NaiveDateTime,
    data: serde_json::Value,
    change: Change,
}

fn prefixed(e: ApiError, prefix: &str) -> ApiError {
    let errors = e
        .errors
        .into_iter()
        .map(|f| {
            FieldError::new(
                if f.field.is_empty() {
                    prefix.to_string()
                } else {
                    format!("{prefix}.{}", f.field)
                },
                f.message,
            )
        })
        .collect();
    ApiError::validation(errors)
}

fn field(name: &str, id: &str, en: &str) -> ApiError {
    ApiError::field(name, L10n::new(id, en))
}

fn nip_of(raw: Option<&str>) -> Result<Nip, ApiError> {
    let raw = raw.ok_or_else(|| field("nip", "wajib diisi", "is required"))?;
    Nip::parse(raw).map_err(|e| ApiError::field("nip", e.message()))
}

fn not_unknown(status: Option<AsnStatus>) -> Result<(), ApiError> {
    match status {
        Some(AsnStatus::Unknown) => Err(field(
            "data.status",
            "BKN tidak mengirim status 'unknown'",
            "BKN does not send status 'unknown'",
        )),
        _ => Ok(()),
    }
}

fn block_id_ok(id: &str) -> Result<(), ApiError> {
    match id.trim().len() {
        1..=200 => Ok(()),
        _ => Err(field(
            "data.block_id",
            "harus 1-200 karakter",
            "must be 1-200 characters",
        )),
    }
}

fn parse(raw: &serde_json::Value, tz: Tz) -> Result<Parsed, ApiError> {
    crate::extract::refuse_control_chars(raw, "")?;
    let ev: EventIn = from_value(raw)?;
    let event_id = ev.event_id.trim().to_string();
    if event_id.is_empty() || event_id.len() > 200 {
        return Err(field(
            "event_id",
            "harus 1-200 karakter",
            "must be 1-200 characters",
        ));
    }
    let day = ev.occurred_at.with_timezone(&tz).date_naive();
    let change = match ev.type_.as_str() {
        "asn_upserted" => {
            let nip = nip_of(ev.nip.as_deref())?;
            let d: ProfileData = from_value(&ev.data).map_err(|e| prefixed(e, "data"))?;
            not_unknown(d.status)?;
            let changes = asn::ProfileChanges {
                name: d.name,
                agency_code: d.agency_code,
                agency_name: d.agency_name,
                unit: d.unit,
                rank: d.rank,
                position: d.position,
                employment_type: d.employment_type.map(|t| t.as_str().to_string()),
                status: d.status.map(|s| s.as_str().to_string()),
                status_since: None,
            };
            Change::Profile { nip, event_type: EventType::AsnProfileUpdated, changes }
        }
        "status_changed" => {
            let nip = nip_of(ev.nip.as_deref())?;
            let d: StatusData = from_value(&ev.data).map_err(|e| prefixed(e, "data"))?;
            not_unknown(Some(d.status))?;
            let changes = asn::ProfileChanges {
                status: Some(d.status.as_str().to_string()),
                status_since: Some(d.effective_date.unwrap_or(day)),
                ..Default::default()
            };
            Change::Profile { nip, event_type: EventType::AsnStatusChanged, changes }
        }
        "block_ordered" => {
            let d: BlockOrderData = from_value(&ev.data).map_err(|e| prefixed(e, "data"))?;
            block_id_ok(&d.block_id)?;
            let nip = match d.scope {
                BlockScope::Asn => Some(nip_of(ev.nip.as_deref())?),
                BlockScope::Agency if d.agency_code.as_deref().is_none_or(|a| a.trim().is_empty()) => {
                    return Err(field("data.agency_code", "wajib untuk scope agency", "is required for scope agency"))
                }
                BlockScope::Agency => None,
            };
            Change::Order { nip, data: d }
        }
        "block_released" => {
            let d: BlockReleaseData = from_value(&ev.data).map_err(|e| prefixed(e, "data"))?;
            block_id_ok(&d.block_id)?;
            Change::Release { data: d }
        }
        other => {
            return Err(ApiError::field(
                "type",
                L10n::new(
                    format!("jenis event '{other}' tidak dikenal (asn_upserted, status_changed, block_ordered, block_released)"),
                    format!("event type '{other}' is unknown (asn_upserted, status_changed, block_ordered, block_released)"),
                ),
            ))
        }
    };
    Ok(Parsed {
        event_id,
        occurred_at: ev.occurred_at.naive_utc(),
        data: ev.data,
        change,
    })
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
                .filter(|id| !id.chars().any(crate::extract::is_forbidden_control))
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

fn subject_of(nip: Option<&Nip>, data: &BlockOrderData) -> String {
    match nip {
        Some(n) => n.as_str().to_string(),
        None => format!("agency:{}", data.agency_code.as_deref().unwrap_or("")),
    }
}

fn apply_profile(
    c: &mut AnyConnection,
    p: &Parsed,
    (nip, event_type): (&Nip, EventType),
    changes: &asn::ProfileChanges,
    j: &mut Journal,
    tz: Tz,
) -> Result<EventOutcome, ApiError> {
    let (nip, now) = (nip.as_str(), j.at());
    super::register_unknown(c, nip, j)?;
    let mut changes = changes.clone();
    if let (Some(new_status), None) = (&changes.status, changes.status_since) {
        let current = asn::find(c, nip)?.map(|r| r.status);
        if current.as_deref() != Some(new_status.as_str()) {
            changes.status_since = Some(p.occurred_at.and_utc().with_timezone(&tz).date_naive());
        }
    }
    let before = asn::find(c, nip)?.map(|r| r.status);
    if !asn::apply_event(c, nip, &changes, p.occurred_at, now)? {
        return Ok(EventOutcome::Stale);
    }
    let data =
        json!({ "event_id": p.event_id, "occurred_at": p.occurred_at.and_utc(), "data": p.data });
    j.event(c, nip, event_type, None, data)?;
    // A full profile that changes the status is a status change to subscribers too.
    if let (Some(status), EventType::AsnProfileUpdated) = (&changes.status, event_type) {
        let known = before.as_deref().filter(|s| *s != "unknown");
        if known.is_some_and(|s| s != status) {
            let thin =
                json!({ "nip": nip, "status": status, "effective_date": changes.status_since });
            j.outbox()
                .publish(EventType::AsnStatusChanged, Some(nip), thin);
        }
    }
    Ok(EventOutcome::Applied)
}

fn order_block(
    c: &mut AnyConnection,
    p: &Parsed,
    nip: Option<&Nip>,
    d: &BlockOrderData,
    j: &mut Journal,
) -> Result<EventOutcome, ApiError> {
    let now = j.at();
    if blocks::find(c, d.block_id.trim())?.is_some() {
        return Err(field(
            "data.block_id",
            "blokir dengan id ini sudah ada",
            "a block with this id exists already",
        ));
    }
    if let Some(nip) = nip {
        asn::ensure(c, nip.as_str(), now)?;
    }
    let row = BlockRow {
        id: d.block_id.trim().to_string(),
        scope: match d.scope {
            BlockScope::Asn => "asn".into(),
            BlockScope::Agency => "agency".into(),
        },
        nip: nip.map(|n| n.as_str().to_string()),
        agency_code: d
            .agency_code
            .clone()
            .filter(|_| d.scope == BlockScope::Agency),
        reference: d.reference.clone(),
        reason: d.reason.clone(),
        ordered_at: p.occurred_at,
        ordered_event_id: p.event_id.clone(),
        released_at: None,
        release_reference: None,
        released_event_id: None,
        created_at: now,
        updated_at: now,
    };
    blocks::insert(c, &row)?;
    publish_block(
        j,
        EventType::BlockOrdered,
        &row,
        json!({ "ordered_at": p.occurred_at.and_utc() }),
    );
    j.audit(Entry::new(
        EventType::BlockOrdered.as_str(),
        row.nip.as_deref(),
        Some(&row.id),
        json!({ "scope": row.scope, "agency_code": row.agency_code, "reference": row.reference,
                "reason": row.reason, "ordered_at": p.occurred_at.and_utc(), "event_id": p.event_id }),
    ));
    Ok(EventOutcome::Applied)
}

/// Tells subscribers of a block: the ASN it is on, or every ASN of the agency.
fn publish_block(
    j: &mut Journal,
    event_type: EventType,
    b: &BlockRow,
    mut data: serde_json::Value,
) {
    data["block_id"] = json!(b.id);
    data["scope"] = json!(b.scope);
    data["reference"] = json!(b.reference);
    data["nip"] = json!(b.nip);
    data["agency_code"] = json!(b.agency_code);
    match (&b.nip, &b.agency_code) {
        (Some(nip), _) => j.outbox().touch([nip.clone()]),
        (None, Some(agency)) => j.outbox().touch_agency(agency),
        (None, None) => {}
    }
    j.outbox().publish(event_type, b.nip.as_deref(), data);
}

fn release_block(
    c: &mut AnyConnection,
    p: &Parsed,
    d: &BlockReleaseData,
    j: &mut Journal,
) -> Result<EventOutcome, ApiError> {
    let now = j.at();
    let Some(block) = blocks::find(c, d.block_id.trim())? else {
        return Err(field(
            "data.block_id",
            "tidak ada blokir dengan id ini",
            "no block has this id",
        ));
    };
    if p.occurred_at < block.ordered_at {
        return Err(field(
            "occurred_at",
            "pembukaan blokir sebelum blokir diperintahkan",
            "the release is dated before the block was ordered",
        ));
    }
    let released = blocks::release(
        c,
        &block.id,
        p.occurred_at,
        d.reference.as_deref(),
        &p.event_id,
        now,
    )?;
    if !released {
        return Ok(EventOutcome::Stale);
    }
    let at = json!({ "released_at": p.occurred_at.and_utc() });
    publish_block(j, EventType::BlockReleased, &block, at);
    j.audit(Entry::new(
        EventType::BlockReleased.as_str(),
        block.nip.as_deref(),
        Some(&block.id),
        json!({ "scope": block.scope, "agency_code": block.agency_code, "reference": d.reference,
                "released_at": p.occurred_at.and_utc(), "event_id": p.event_id }),
    ));
    Ok(EventOutcome::Applied)
}
