//! `/api/v1/audit`: the trail of every write and decision, and the walk of its hash chain.

use super::{parse_nip, reply};
use crate::audit::Verification;
use crate::db::{self, audit::AuditRow};
use crate::error::ApiError;
use crate::extract::Query;
use actix_web::get;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    pub sub: String,
    pub client_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventOut {
    /// Position in the chain, from 1.
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    /// e.g. `sanction.recorded`, `eligibility.decided`, `bkn.event`, `job.run_started`.
    pub action: String,
    pub nip: Option<String>,
    /// The sanction, decision, block, BKN event or job run it concerns.
    pub subject_id: Option<String>,
    /// `X-Request-Id` of the request (or the job run) that did it.
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub prev_hash: String,
    /// SHA-256(prev_hash ‖ canonical JSON of the row), hex.
    pub hash: String,
}

impl From<AuditRow> for AuditEventOut {
    fn from(r: AuditRow) -> Self {
        AuditEventOut {
            seq: r.seq,
            at: r.at.and_utc(),
            actor: AuditActor {
                sub: r.actor_sub,
                client_id: r.actor_client_id,
            },
            action: r.action,
            nip: r.nip,
            subject_id: r.subject_id,
            request_id: r.request_id,
            data: serde_json::from_str(&r.data).unwrap_or(serde_json::Value::String(r.data)),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventOut>,
    pub next_cursor: Option<String>,
}

/// The audit trail in chain order, optionally for one NIP, one action, or from an instant.
#[utoipa::path(operation_id = "listAuditEvents", tag = "audit",
    params(("nip" = Option<String>, Query), ("action" = Option<String>, Query),
           ("since" = Option<DateTime<Utc>>, Query, description = "RFC 3339 instant"),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = AuditPage), (status = 400, body = crate::error::Problem)),
    security(("bearer" = ["audit:read"])))]
#[get("/audit/events")]
pub async fn events(pool: web::Data<db::Pool>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let nip = q.string("nip").map(|n| parse_nip(&n)).transpose()?;
    let mut filter = db::audit::ListFilter {
        nip: nip.map(|n| n.as_str().to_string()),
        action: q.string("action"),
        since: q.instant("since").map(|t| t.naive_utc()),
        after_seq: q.parsed::<u64>("cursor").unwrap_or(0) as i64,
        limit: q.limit(),
    };
    q.finish()?;
    let limit = filter.limit;
    filter.limit += 1;
    let rows = db::run(&pool, move |c| Ok(db::audit::list(c, &filter)?)).await?;
    let (rows, next_cursor) = super::page(rows, limit, |r| r.seq.to_string());
    Ok(reply(&AuditPage {
        items: rows.into_iter().map(AuditEventOut::from).collect(),
        next_cursor,
    }))
}

/// Walks the hash chain from its first row to its head; names the first row that does not fit.
#[utoipa::path(operation_id = "verifyAuditTrail", tag = "audit",
    responses((status = 200, body = Verification)),
    security(("bearer" = ["audit:read"])))]
#[get("/audit/verify")]
pub async fn verify(pool: web::Data<db::Pool>) -> Result<HttpResponse, ApiError> {
    let v = db::run(&pool, |c| Ok(crate::audit::verify(c)?)).await?;
    Ok(reply(&v))
}
