//! `GET /api/v1/blocks`: BKN blocks, by person or agency.

use super::{parse_nip, reply};
use crate::db::{self, blocks::BlockRow};
use crate::error::ApiError;
use crate::extract::Query;
use crate::service::bkn::BlockScope;
use crate::state::AppState;
use actix_web::get;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockOut {
    pub block_id: String,
    pub scope: BlockScope,
    pub nip: Option<String>,
    pub agency_code: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    /// In force until released: never by the clock.
    pub active: bool,
    pub ordered_at: DateTime<Utc>,
    pub ordered_event_id: String,
    pub released_at: Option<DateTime<Utc>>,
    pub release_reference: Option<String>,
    pub released_event_id: Option<String>,
}

impl From<&BlockRow> for BlockOut {
    fn from(b: &BlockRow) -> Self {
        BlockOut {
            block_id: b.id.clone(),
            scope: if b.scope == "agency" {
                BlockScope::Agency
            } else {
                BlockScope::Asn
            },
            nip: b.nip.clone(),
            agency_code: b.agency_code.clone(),
            reference: b.reference.clone(),
            reason: b.reason.clone(),
            active: b.released_at.is_none(),
            ordered_at: b.ordered_at.and_utc(),
            ordered_event_id: b.ordered_event_id.clone(),
            released_at: b.released_at.map(|t| t.and_utc()),
            release_reference: b.release_reference.clone(),
            released_event_id: b.released_event_id.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockPage {
    pub items: Vec<BlockOut>,
    pub next_cursor: Option<String>,
}

/// BKN blocks. `nip=` lists the blocks on that person and on their agency.
#[utoipa::path(operation_id = "listBlocks", tag = "registry",
    params(("nip" = Option<String>, Query), ("agency_code" = Option<String>, Query), ("active" = Option<bool>, Query),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = BlockPage), (status = 400, body = crate::error::Problem)),
    security(("bearer" = ["registry:read"])))]
#[get("/blocks")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let nip = q.string("nip").map(|n| parse_nip(&n)).transpose()?;
    let mut filter = db::blocks::ListFilter {
        nip: nip.map(|n| n.as_str().to_string()),
        agency_of_nip: None,
        agency_code: q.string("agency_code"),
        active: q.parsed("active"),
        after: q.string("cursor"),
        limit: q.limit(),
    };
    q.finish()?;
    let limit = filter.limit;
    let rows = db::run(&state.pool, move |c| {
        if let Some(nip) = &filter.nip {
            filter.agency_of_nip = db::asn::find(c, nip)?.and_then(|p| p.agency_code);
        }
        filter.limit += 1;
        Ok(db::blocks::list(c, &filter)?)
    })
    .await?;
    let (rows, next_cursor) = super::page(rows, limit, |r| r.id.clone());
    Ok(reply(&BlockPage {
        items: rows.iter().map(BlockOut::from).collect(),
        next_cursor,
    }))
}
