//! `POST /api/v1/bkn/updates`: BKN pushes profile and status events.

use super::write_reply;
use crate::auth::Principal;
use crate::db;
use crate::error::{ApiError, ErrorCode, Problem};
use crate::extract::{IdempotencyKey, ItemwiseJson};
use crate::i18n::{L10n, Lang};
use crate::service::bkn::{self as svc, EventOutcome, MAX_EVENTS};
use crate::service::idempotency::{self, Fingerprint, Reply};
use crate::state::AppState;
use actix_web::{get, post};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatesIn {
    /// Up to 5000 events `{event_id, nip, occurred_at, type, data}`, applied in order:
    /// `asn_upserted` (data: ProfileData), `status_changed` (StatusData), `block_ordered`,
    /// `block_released`. Any value is taken into the batch: one that is not a valid event
    /// is `rejected` in its own result, never the batch.
    #[schema(value_type = Vec<serde_json::Value>)]
    pub events: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventResultOut {
    pub event_id: Option<String>,
    pub outcome: EventOutcome,
    pub error: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatesOut {
    pub results: Vec<EventResultOut>,
}

/// Apply a batch of BKN events: each atomically, in order, on its own.
#[utoipa::path(operation_id = "pushBknUpdates", tag = "bkn", request_body = UpdatesIn,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = UpdatesOut), (status = 400, body = Problem), (status = 413, body = Problem)),
    security(("bearer" = ["bkn:push"])))]
#[post("/bkn/updates")]
pub async fn updates(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    lang: Lang,
    body: ItemwiseJson<UpdatesIn>,
) -> Result<HttpResponse, ApiError> {
    let fp = Fingerprint::new(&who.sub, key.0, "POST /api/v1/bkn/updates", &body.value);
    let events = body.body.events;
    if events.len() > MAX_EVENTS {
        let n = events.len();
        let message = L10n::new(
            format!("berisi {n} event; paling banyak {MAX_EVENTS} per permintaan: bagi menjadi beberapa permintaan"),
            format!("holds {n} events; at most {MAX_EVENTS} per request: split it into several requests"),
        );
        let mut e = ApiError::new(ErrorCode::PayloadTooLarge).detail(message.clone());
        e.errors
            .push(crate::error::FieldError::new("events", message));
        return Err(e);
    }
    let (st, actor) = (state.clone(), who.audit_actor());
    let reply = db::run(&state.pool, move |c| {
        if let Some(replayed) = fp
            .as_ref()
            .map(|fp| idempotency::lookup(c, fp))
            .transpose()?
            .flatten()
        {
            return Ok(replayed);
        }
        let now = st.clock.now_naive();
        let results = svc::apply_batch(c, &events, &actor, (now, st.bkn_max_future), &st.watch())
            .into_iter()
            .map(|r| EventResultOut {
                event_id: r.event_id,
                outcome: r.outcome,
                error: r.error.map(|e| e.problem(lang)),
            })
            .collect();
        let reply = Reply {
            status: 200,
            location: None,
            body: json!(UpdatesOut { results }).into(),
        };
        if let Some(fp) = &fp {
            idempotency::remember(c, fp, &reply, now)?;
        }
        Ok(reply)
    })
    .await?;
    Ok(write_reply(reply))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationOut {
    /// The day, in the configured zone.
    pub date: chrono::NaiveDate,
    pub timezone: String,
    pub applied: i64,
    pub duplicate: i64,
    pub stale: i64,
    pub rejected: i64,
    /// SHA-256 (hex) over the `event_id`s applied that day, sorted, each followed by `\n`.
    pub applied_digest: String,
}

/// What was received from BKN on a day, and a digest of what was applied.
#[utoipa::path(operation_id = "getBknReconciliation", tag = "bkn",
    params(("date" = chrono::NaiveDate, Query, description = "YYYY-MM-DD in the configured zone")),
    responses((status = 200, body = ReconciliationOut), (status = 400, body = Problem)),
    security(("bearer" = ["bkn:push"])))]
#[get("/bkn/reconciliation")]
pub async fn reconciliation(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = crate::extract::Query::new(&req);
    let date = q.date("date");
    let date = q.require("date", date);
    q.finish()?;
    let date = date.expect("checked above");
    let tz = state.tz;
    let start = |d: chrono::NaiveDate| {
        use chrono::TimeZone;
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).expect("midnight"))
    };
    let (from, until) = (start(date), start(date.succ_opt().unwrap_or(date)));
    let (counts, ids) = db::run(&state.pool, move |c| {
        Ok((
            db::bkn::outcome_counts(c, from, until)?,
            db::bkn::applied_ids(c, from, until)?,
        ))
    })
    .await?;
    let count = |o: &str| counts.iter().find(|(k, _)| k == o).map_or(0, |(_, n)| *n);
    let mut digest = sha2::Sha256::new();
    for id in &ids {
        sha2::Digest::update(&mut digest, id.as_bytes());
        sha2::Digest::update(&mut digest, b"\n");
    }
    Ok(super::reply(&ReconciliationOut {
        date,
        timezone: tz.name().to_string(),
        applied: count("applied"),
        duplicate: count("duplicate"),
        stale: count("stale"),
        rejected: count("rejected"),
        applied_digest: hex::encode(sha2::Digest::finalize(digest)),
    }))
}

/// Import a whole BKN snapshot, streamed as NDJSON (one profile per line); the same as
/// `asn-eligibility import`. Inserts, updates, or leaves alone each profile; reports
/// rejected lines by number.
#[utoipa::path(operation_id = "importBknSnapshot", tag = "bkn",
    request_body(content = serde_json::Value, content_type = "application/x-ndjson",
                 description = "NDJSON: one JSON value per line, each meant to be a SnapshotLine {nip, status, name, agency_code, agency_name, unit, rank, position, employment_type, status_since}. Any line is accepted into the import: a bad one is rejected in the report by its number, never the request"),
    responses((status = 200, body = crate::service::snapshot::ImportReport, description = "The import's report; see SnapshotLine for a line's fields"), (status = 415, body = Problem)),
    security(("bearer" = ["bkn:push"])))]
#[post("/bkn/snapshot")]
pub async fn snapshot(
    state: web::Data<AppState>,
    who: Principal,
    req: actix_web::HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    use crate::routes::body::ChannelReader;
    use crate::service::snapshot::{import_ndjson, Importer};
    use futures_util::StreamExt;
    let mime = crate::extract::media_type(&req);
    if !matches!(
        mime.as_str(),
        "application/x-ndjson" | "application/ndjson" | "application/jsonl"
    ) {
        return Err(ApiError::with_detail(
            ErrorCode::UnsupportedMediaType,
            "Snapshot dikirim sebagai application/x-ndjson",
            "Send the snapshot as application/x-ndjson",
        ));
    }
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let (now, watch, actor) = (state.clock.now_naive(), state.watch(), who.audit_actor());
    let import = db::run(&state.pool, move |c| {
        let mut importer = Importer::new(c, actor, now, watch);
        import_ndjson(
            &mut importer,
            std::io::BufReader::new(ChannelReader::new(rx)),
        )?;
        importer.finish()
    });
    let pump = async move {
        while let Some(chunk) = payload.next().await {
            let item = chunk.map_err(|e| e.to_string());
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                break;
            }
        }
    };
    let (report, ()) = futures_util::future::join(import, pump).await;
    Ok(super::reply(&report?))
}
