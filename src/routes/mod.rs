//! The route table, in one place.

pub mod audit;
pub mod bkn;
pub mod blocks;
pub mod eligibility;
pub mod health;
pub mod jobs;
pub mod registry;
pub mod sanctions;
pub mod webhooks;

use crate::domain::nip::Nip;
use crate::error::{ApiError, ErrorCode};
use crate::service::idempotency::Reply;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Serialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health/live", web::get().to(health::live))
        .route("/health/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(health::metrics))
        .route("/openapi.json", web::get().to(health::openapi))
        .route("/.well-known/jwks.json", web::get().to(health::jwks))
        .service(
            web::scope("/api/v1")
                .route("/catalogue", web::get().to(health::catalogue))
                .service(
                    web::resource("/sanctions")
                        .route(web::post().to(sanctions::create))
                        .route(web::get().to(sanctions::list)),
                )
                .service(web::resource("/sanctions/{id}").route(web::get().to(sanctions::get)))
                .service(
                    web::resource("/sanctions/{id}/lift").route(web::post().to(sanctions::lift)),
                )
                .service(
                    web::resource("/sanctions/{id}/annul").route(web::post().to(sanctions::annul)),
                )
                .service(
                    web::resource("/sanctions/{id}/appeal")
                        .route(web::post().to(sanctions::appeal)),
                )
                .service(
                    web::resource("/sanctions/{id}/appeal/decision")
                        .route(web::post().to(sanctions::appeal_decision)),
                )
                .service(web::resource("/asn/{nip}").route(web::get().to(registry::profile)))
                .service(
                    web::resource("/asn/{nip}/track-record")
                        .route(web::get().to(registry::track_record)),
                )
                .service(
                    web::resource("/asn/{nip}/eligibility")
                        .route(web::get().to(eligibility::check)),
                )
                .service(
                    web::resource("/eligibility/batch").route(web::post().to(eligibility::batch)),
                )
                .service(
                    web::resource("/eligibility/decisions/{decision_id}")
                        .route(web::get().to(eligibility::decision)),
                )
                .service(
                    web::resource("/eligibility/decisions/{decision_id}/replay")
                        .route(web::post().to(eligibility::replay)),
                )
                .service(web::resource("/audit/events").route(web::get().to(audit::events)))
                .service(web::resource("/audit/verify").route(web::get().to(audit::verify)))
                .service(web::resource("/bkn/updates").route(web::post().to(bkn::updates)))
                .service(web::resource("/bkn/snapshot").route(web::post().to(bkn::snapshot)))
                .service(
                    web::resource("/bkn/reconciliation").route(web::get().to(bkn::reconciliation)),
                )
                .service(web::resource("/blocks").route(web::get().to(blocks::list)))
                .service(web::resource("/jobs").route(web::get().to(jobs::list)))
                .service(web::resource("/jobs/runs").route(web::get().to(jobs::runs)))
                .service(web::resource("/jobs/runs/{id}").route(web::get().to(jobs::get_run)))
                .service(web::resource("/jobs/{name}/run").route(web::post().to(jobs::run)))
                .service(
                    web::resource("/webhooks")
                        .route(web::post().to(webhooks::create))
                        .route(web::get().to(webhooks::list)),
                )
                .service(web::resource("/webhooks/{id}").route(web::delete().to(webhooks::delete)))
                .service(
                    web::resource("/webhooks/{id}/deliveries")
                        .route(web::get().to(webhooks::deliveries)),
                )
                .service(
                    web::resource("/webhooks/deliveries/{id}/retry")
                        .route(web::post().to(webhooks::retry)),
                )
                .service(web::resource("/changes").route(web::get().to(webhooks::changes))),
        );
}

/// The first `limit` of `rows` (fetched with one extra), and the cursor after them when
/// more follow: the cut every list endpoint makes.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    let next = (rows.len() > limit).then(|| key(&rows[limit - 1]));
    rows.truncate(limit);
    (rows, next)
}

/// `200` with a JSON body.
pub fn reply<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// A write's (possibly replayed) response.
pub fn write_reply(r: Reply) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK));
    if let Some(loc) = r.location {
        res.insert_header((header::LOCATION, loc));
    }
    res.json(r.body)
}

/// A NIP from a path or a list: `invalid_nip` naming the bad part.
pub fn parse_nip(raw: &str) -> Result<Nip, ApiError> {
    Nip::parse(raw).map_err(|e| {
        ApiError::new(ErrorCode::InvalidNip)
            .detail(e.message())
            .with_field("nip")
    })
}
