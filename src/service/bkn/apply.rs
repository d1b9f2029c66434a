//! Applying one BKN change: a profile or status update, a block ordered or released, each
//! with its timeline event, audit entry and what subscribers hear.

use super::parse::{field, BlockOrderData, BlockReleaseData, BlockScope, Parsed};
use super::EventOutcome;
use crate::audit::Entry;
use crate::db::blocks::{self, BlockRow};
use crate::db::{asn, AnyConnection};
use crate::domain::nip::Nip;
use crate::domain::{AsnStatus, EventType};
use crate::error::ApiError;
use crate::service::journal::Journal;
use chrono_tz::Tz;
use serde_json::json;

pub(super) fn subject_of(nip: Option<&Nip>, data: &BlockOrderData) -> String {
    match nip {
        Some(n) => n.as_str().to_string(),
        None => format!("agency:{}", data.agency_code.as_deref().unwrap_or("")),
    }
}

pub(super) fn apply_profile(
    c: &mut AnyConnection,
    p: &Parsed,
    (nip, event_type): (&Nip, EventType),
    changes: &asn::ProfileChanges,
    j: &mut Journal,
    tz: Tz,
) -> Result<EventOutcome, ApiError> {
    let (nip, now) = (nip.as_str(), j.at());
    crate::service::register_unknown(c, nip, j)?;
    let mut changes = changes.clone();
    let before = asn::find(c, nip)?.map(|r| r.status);
    if let (Some(new_status), None) = (&changes.status, changes.status_since) {
        if before.as_ref() != Some(new_status) {
            changes.status_since = Some(p.occurred_at.and_utc().with_timezone(&tz).date_naive());
        }
    }
    if !asn::apply_event(c, nip, &changes, p.occurred_at, now)? {
        return Ok(EventOutcome::Stale);
    }
    let data =
        json!({ "event_id": p.event_id, "occurred_at": p.occurred_at.and_utc(), "data": p.data });
    j.event(c, nip, event_type, None, data)?;
    // A full profile that changes the status is a status change to subscribers too.
    if let (Some(status), EventType::AsnProfileUpdated) = (&changes.status, event_type) {
        let known = before.filter(|s| *s != AsnStatus::Unknown);
        if known.is_some_and(|s| s != *status) {
            let thin =
                json!({ "nip": nip, "status": status, "effective_date": changes.status_since });
            j.outbox()
                .publish(EventType::AsnStatusChanged, Some(nip), thin);
        }
    }
    Ok(EventOutcome::Applied)
}

pub(super) fn order_block(
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
    let case_id = d
        .case_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    if let Some(case) = case_id {
        crate::service::cases::link_block(c, case, nip.map(|n| n.as_str()), d.block_id.trim(), j)?;
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
        case_id: case_id.map(str::to_string),
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
pub(super) fn publish_block(
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

pub(super) fn release_block(
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
