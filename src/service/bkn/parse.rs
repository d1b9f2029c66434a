//! BKN events as sent: their wire shapes, and each one parsed and checked into a change.

use crate::db::asn;
use crate::domain::nip::Nip;
use crate::domain::EventType;
use crate::domain::{AsnStatus, EmploymentType};
use crate::error::{ApiError, FieldError};
use crate::extract::from_value;
use crate::i18n::L10n;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventIn {
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
    #[serde(default, deserialize_with = "crate::domain::text::iso::opt_date")]
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
    /// The neutrality case the block was ordered for (`POST /api/v1/cases`).
    pub case_id: Option<String>,
}

/// `block_released`: the only way a block ends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockReleaseData {
    pub block_id: String,
    pub reference: Option<String>,
}

pub(super) enum Change {
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
pub(super) struct Parsed {
    pub(super) event_id: String,
    pub(super) occurred_at: NaiveDateTime,
    pub(super) data: serde_json::Value,
    pub(super) change: Change,
}

pub(super) fn prefixed(e: ApiError, prefix: &str) -> ApiError {
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

pub(super) fn field(name: &str, id: &str, en: &str) -> ApiError {
    ApiError::field(name, L10n::new(id, en))
}

pub(super) fn nip_of(raw: Option<&str>) -> Result<Nip, ApiError> {
    let raw = raw.ok_or_else(|| field("nip", "wajib diisi", "is required"))?;
    Nip::parse(raw).map_err(|e| ApiError::field("nip", e.message()))
}

pub(super) fn not_unknown(status: Option<AsnStatus>) -> Result<(), ApiError> {
    match status {
        Some(AsnStatus::Unknown) => Err(field(
            "data.status",
            "BKN tidak mengirim status 'unknown'",
            "BKN does not send status 'unknown'",
        )),
        _ => Ok(()),
    }
}

pub(super) fn block_id_ok(id: &str) -> Result<(), ApiError> {
    match id.trim().len() {
        1..=200 => Ok(()),
        _ => Err(field(
            "data.block_id",
            "harus 1-200 karakter",
            "must be 1-200 characters",
        )),
    }
}

pub(super) fn parse(raw: &serde_json::Value, tz: Tz) -> Result<Parsed, ApiError> {
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
                employment_type: d.employment_type,
                status: d.status,
                status_since: None,
            };
            Change::Profile { nip, event_type: EventType::AsnProfileUpdated, changes }
        }
        "status_changed" => {
            let nip = nip_of(ev.nip.as_deref())?;
            let d: StatusData = from_value(&ev.data).map_err(|e| prefixed(e, "data"))?;
            not_unknown(Some(d.status))?;
            let changes = asn::ProfileChanges {
                status: Some(d.status),
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
