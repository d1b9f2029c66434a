//! Recording and reading sanctions.

use super::wire::{SanctionIn, SanctionOut, SanctionPage};
use crate::auth::Principal;
use crate::db;
use crate::domain::nip::Nip;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, IdempotencyKey, Query};
use crate::routes::{page, reply, write, write_reply};
use crate::service::idempotency::{Fingerprint, Reply};
use crate::service::sanctions as svc;
use crate::state::AppState;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// Record a sanction decision.
#[utoipa::path(operation_id = "recordSanction", tag = "sanctions", request_body = SanctionIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same body")),
    responses((status = 201, body = SanctionOut, description = "Recorded"),
               (status = 200, body = SanctionOut, description = "The same decision with the same content was recorded before"),
               (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
               (status = 409, body = crate::error::Problem, description = "duplicate_decision")),
    security(("bearer" = ["sanctions:write"])))]
#[post("/sanctions")]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    body: ApiJson<SanctionIn>,
) -> Result<HttpResponse, ApiError> {
    let fp = Fingerprint::new(&who.sub, key.0, "POST /api/v1/sanctions", &body.value);
    let decree_date = body.body.decision.date;
    let case_id = body.body.case_id.clone();
    let new = body.body.into_draft().settle(&state.policy, decree_date)?;
    let (clock, tz, policy) = (state.clock, state.tz, state.policy.clone());
    let reply = write(&state, &who, fp, move |c, who, j| {
        let today = clock.today(tz);
        let (row, created) = svc::record(c, &new, who, j, today)?;
        if let (true, Some(case)) = (created, &case_id) {
            crate::service::cases::link_sanction(c, &policy, who, case, &row, j)?;
        }
        Ok(Reply {
            status: if created { 201 } else { 200 },
            location: Some(format!("/api/v1/sanctions/{}", row.id)),
            body: json!(SanctionOut::from_row(&row, today)).into(),
        })
    })
    .await?;
    Ok(write_reply(reply))
}

/// One sanction, its status derived for `as_of`.
#[utoipa::path(operation_id = "getSanction", tag = "sanctions",
    params(("id" = String, Path),
           ("as_of" = Option<NaiveDate>, Query, description = "Derive the status for this day (default today): a lift or an appeal shows from its own date")),
    responses((status = 200, body = SanctionOut), (status = 400, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)),
    security(("bearer" = ["registry:read"])))]
#[get("/sanctions/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let as_of = q.date("as_of").unwrap_or_else(|| state.today());
    q.finish()?;
    let id = id.into_inner();
    let row = db::run(&state.pool, move |c| Ok(db::sanctions::find(c, &id)?)).await?;
    let row = row.ok_or_else(svc::sanction_not_found)?;
    Ok(reply(&SanctionOut::from_row(&row, as_of)))
}

/// Sanctions, filtered, cursor-paginated (oldest first).
#[utoipa::path(operation_id = "listSanctions", tag = "sanctions", params(super::wire::ListParams),
    responses((status = 200, body = SanctionPage), (status = 400, body = crate::error::Problem)),
    security(("bearer" = ["registry:read"])))]
#[get("/sanctions")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let nip = q
        .string("nip")
        .map(|n| Nip::parse(&n).map(|n| n.as_str().to_string()));
    let nip = match nip {
        Some(Err(e)) => {
            return Err(ApiError::new(ErrorCode::InvalidNip)
                .detail(e.message())
                .with_field("nip"))
        }
        Some(Ok(n)) => Some(n),
        None => None,
    };
    let filter = db::sanctions::ListFilter {
        nip,
        issuer: q.string("issuer"),
        status: q.parsed("status"),
        after: q.string("cursor"),
        limit: q.limit(),
    };
    q.finish()?;
    let today = state.today();
    let limit = filter.limit;
    let rows = db::run(&state.pool, move |c| {
        let mut f = filter;
        f.limit += 1;
        Ok(db::sanctions::list(c, &f, today)?)
    })
    .await?;
    let (rows, next_cursor) = page(rows, limit, |r| r.id.clone());
    let items = rows
        .iter()
        .map(|r| SanctionOut::from_row(r, today))
        .collect();
    Ok(reply(&SanctionPage { items, next_cursor }))
}
