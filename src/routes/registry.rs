//! `/api/v1/asn/{nip}`: the profile and the track record (rekam jejak).

use super::{blocks::BlockOut, parse_nip, reply, sanctions::SanctionOut};
use crate::db::{self, asn::AsnRow, history};
use crate::domain::{AsnStatus, EmploymentType, EventType};
use crate::error::ApiError;
use crate::extract::Query;
use crate::service::eligibility::asn_not_found;
use crate::state::AppState;
use actix_web::get;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AsnOut {
    pub nip: String,
    pub name: Option<String>,
    pub agency_code: Option<String>,
    pub agency_name: Option<String>,
    pub unit: Option<String>,
    pub rank: Option<String>,
    pub position: Option<String>,
    pub employment_type: Option<EmploymentType>,
    pub status: AsnStatus,
    pub status_since: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

impl From<&AsnRow> for AsnOut {
    fn from(r: &AsnRow) -> Self {
        AsnOut {
            nip: r.nip.clone(),
            name: r.name.clone(),
            agency_code: r.agency_code.clone(),
            agency_name: r.agency_name.clone(),
            unit: r.unit.clone(),
            rank: r.rank.clone(),
            position: r.position.clone(),
            employment_type: r.employment_type,
            status: r.status,
            status_since: r.status_since,
            updated_at: r.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    /// The event's number in the registry; `null` for block events (kept with the block).
    pub id: Option<i64>,
    /// `asn.registered`, `asn.profile_updated`, `asn.status_changed`, `sanction.recorded`,
    /// `sanction.lifted`, `sanction.annulled`.
    #[serde(rename = "type")]
    pub type_: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub sanction_id: Option<String>,
    pub block_id: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A block's order and release, as timeline events at the instants BKN gave.
fn block_events(b: &crate::db::blocks::BlockRow) -> Vec<TimelineEvent> {
    let event = |type_: &str,
                 at: chrono::NaiveDateTime,
                 event_id: &str,
                 reference: &Option<String>| TimelineEvent {
        id: None,
        type_: type_.to_string(),
        at: at.and_utc(),
        actor: "BKN".into(),
        sanction_id: None,
        block_id: Some(b.id.clone()),
        data: serde_json::json!({ "event_id": event_id, "scope": b.scope, "reference": reference }),
    };
    let mut out = vec![event(
        EventType::BlockOrdered.as_str(),
        b.ordered_at,
        &b.ordered_event_id,
        &b.reference,
    )];
    if let (Some(at), Some(id)) = (b.released_at, &b.released_event_id) {
        out.push(event(
            EventType::BlockReleased.as_str(),
            at,
            id,
            &b.release_reference,
        ));
    }
    out
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackRecord {
    pub as_of: NaiveDate,
    /// Set when the record is shown as the registry knew it at this instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_known_at: Option<DateTime<Utc>>,
    pub profile: AsnOut,
    /// Every sanction, annulled ones included, status derived for `as_of`.
    pub sanctions: Vec<SanctionOut>,
    /// Every BKN block on the person or on their agency, released ones included.
    pub blocks: Vec<BlockOut>,
    pub events: Vec<TimelineEvent>,
}

/// An ASN's profile.
#[utoipa::path(operation_id = "getProfile", tag = "registry", params(("nip" = String, Path)),
    responses((status = 200, body = AsnOut), (status = 400, body = crate::error::Problem),
               (status = 404, body = crate::error::Problem, description = "asn_not_found")),
    security(("bearer" = ["registry:read"])))]
#[get("/asn/{nip}")]
pub async fn profile(
    state: web::Data<AppState>,
    nip: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let nip = parse_nip(&nip)?;
    let key = nip.as_str().to_string();
    let row = db::run(&state.pool, move |c| Ok(db::asn::find(c, &key)?)).await?;
    let row = row.ok_or_else(|| asn_not_found(nip.as_str()))?;
    Ok(reply(&AsnOut::from(&row)))
}

/// The track record: profile, every sanction and the timeline of events.
#[utoipa::path(operation_id = "getTrackRecord", tag = "registry",
    params(("nip" = String, Path), ("as_of" = Option<NaiveDate>, Query, description = "Derive statuses for this day (default today)"),
           ("as_known_at" = Option<DateTime<Utc>>, Query, description = "Show the record as the registry knew it at this instant (RFC 3339)")),
    responses((status = 200, body = TrackRecord), (status = 400, body = crate::error::Problem),
               (status = 404, body = crate::error::Problem, description = "asn_not_found")),
    security(("bearer" = ["registry:read"])))]
#[get("/asn/{nip}/track-record")]
pub async fn track_record(
    state: web::Data<AppState>,
    nip: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let nip = parse_nip(&nip)?;
    let mut q = Query::new(&req);
    let as_of = q.date("as_of").unwrap_or_else(|| state.today());
    let as_known_at = q.past_instant("as_known_at", state.clock.now());
    q.finish()?;
    let record = load_track_record(&state, nip.as_str(), as_of, as_known_at).await?;
    Ok(reply(&record.ok_or_else(|| asn_not_found(nip.as_str()))?))
}

/// The track record of a NIP (`None`: not in the registry), statuses derived for `as_of`, as
/// the registry stands or as it stood at `as_known_at`: the API's and the console's.
pub async fn load_track_record(
    state: &AppState,
    nip: &str,
    as_of: NaiveDate,
    as_known_at: Option<DateTime<Utc>>,
) -> Result<Option<TrackRecord>, ApiError> {
    let key = nip.to_string();
    let found = db::run(&state.pool, move |c| {
        match as_known_at.map(|t| t.naive_utc()) {
            None => {
                let Some(found) = db::asn::find(c, &key)? else {
                    return Ok(None);
                };
                let sanctions = db::sanctions::for_nips(c, &[key.as_str()])?;
                let events = db::events::for_nip(c, &key)?;
                let agencies: Vec<&str> = found.agency_code.as_deref().into_iter().collect();
                let blocks = db::blocks::affecting(c, &[key.as_str()], &agencies)?;
                Ok(Some((found, sanctions, events, blocks)))
            }
            Some(t) => {
                let Some(found) = history::asn_at(c, &key, t)? else {
                    return Ok(None);
                };
                let sanctions = history::sanctions_at(c, &key, t)?;
                let events = history::events_until(c, &key, t)?;
                let blocks = history::blocks_at(c, &key, found.agency_code.as_deref(), t)?;
                Ok(Some((found, sanctions, events, blocks)))
            }
        }
    })
    .await?;
    let Some((person, sanctions, events, blocks)) = found else {
        return Ok(None);
    };
    let mut timeline: Vec<TimelineEvent> = events
        .into_iter()
        .map(|e| TimelineEvent {
            id: Some(e.id),
            type_: e.event_type,
            at: e.at.and_utc(),
            actor: e.actor,
            sanction_id: e.sanction_id,
            block_id: None,
            data: serde_json::from_str(&e.data).unwrap_or_default(),
        })
        .collect();
    timeline.extend(blocks.iter().flat_map(block_events));
    timeline.sort_by_key(|e| e.at);
    Ok(Some(TrackRecord {
        as_of,
        as_known_at,
        profile: AsnOut::from(&person),
        sanctions: sanctions
            .iter()
            .map(|s| SanctionOut::from_row(s, as_of))
            .collect(),
        blocks: blocks.iter().map(BlockOut::from).collect(),
        events: timeline,
    }))
}
