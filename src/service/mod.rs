//! Workflows: each runs on one connection inside one transaction, called from a handler
//! through `db::run`.

pub mod bkn;
pub mod cases;
pub mod decision_log;
pub mod eligibility;
pub mod idempotency;
pub mod journal;
pub mod outbox;
pub mod sanctions;
pub mod snapshot;
pub mod webhooks;

use crate::audit::Actor;
use crate::db::{asn, AnyConnection};
use crate::domain::EventType;
use crate::error::{ApiError, ErrorCode};
use journal::Journal;

/// A NIP from a path, a list or a form: `invalid_nip` naming the bad part.
pub fn parse_nip(raw: &str) -> Result<crate::domain::nip::Nip, ApiError> {
    crate::domain::nip::Nip::parse(raw).map_err(|e| {
        ApiError::new(ErrorCode::InvalidNip)
            .detail(e.message())
            .with_field("nip")
    })
}

/// Registers an ASN the registry does not know yet (status `unknown`, until BKN sends a
/// profile), with its `asn.registered` event; nothing when it is known.
pub fn register_unknown(
    conn: &mut AnyConnection,
    nip: &str,
    j: &mut Journal,
) -> Result<(), ApiError> {
    if asn::ensure(conn, nip, j.at())? {
        let data = serde_json::json!({ "status": "unknown" });
        j.event(conn, nip, EventType::AsnRegistered, None, data)?;
    }
    Ok(())
}

/// Who asks a workflow to act: the actor the trail names and, for a writer limited to one
/// agency, that agency. Built at the edge (from a token, or for a job run); the service layer
/// knows nothing of HTTP.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// Limits writes to ASN of this agency.
    pub agency: Option<String>,
}

impl Caller {
    /// An agency-scoped writer may act only on ASN of its agency.
    pub fn may_write_for(&self, agency_code: Option<&str>) -> Result<(), ApiError> {
        match (&self.agency, agency_code) {
            (None, _) => Ok(()),
            (Some(mine), Some(theirs)) if mine == theirs => Ok(()),
            (Some(mine), other) => Err(ApiError::with_detail(
                ErrorCode::Forbidden,
                format!(
                    "Token terbatas pada instansi {mine}; ASN ini milik instansi {}",
                    other.unwrap_or("yang belum diketahui")
                ),
                format!(
                    "The token is limited to agency {mine}; this ASN belongs to {}",
                    other.unwrap_or("an unknown agency")
                ),
            )),
        }
    }
}
