//! Operations endpoints (no token) and the catalogue.

use super::reply;
use crate::db;
use crate::domain::policy::{EffectiveDateRule, IssuerDef, PurposeRule, SanctionTypeDef};
use crate::domain::{AsnStatus, Purpose};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::get;
use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(operation_id = "getLiveness", tag = "operations", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    reply(&Health { status: "ok" })
}

/// The database answers (within a second; `503` with `Retry-After` otherwise).
#[utoipa::path(operation_id = "getReadiness", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)))]
#[get("/health/ready")]
pub async fn ready(pool: web::Data<db::Pool>) -> Result<HttpResponse, ApiError> {
    let probe = db::run(&pool, |c| {
        c.batch_execute("SELECT 1")
            .map_err(|e| ApiError::unavailable(e.into()))
    });
    // A probe answers within a second, whatever the database does.
    actix_web::rt::time::timeout(std::time::Duration::from_secs(1), probe)
        .await
        .map_err(|_| ApiError::unavailable(anyhow::anyhow!("readiness probe took over 1 s")))??;
    Ok(reply(&Health { status: "ready" }))
}

/// Prometheus text exposition: requests by route and status with latency histograms,
/// decisions by purpose and outcome, pool connections in use / idle / waited for, job runs
/// by outcome, webhook attempts and deliveries by state.
#[utoipa::path(operation_id = "getMetrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(
    pool: web::Data<db::Pool>,
    metrics: web::Data<crate::metrics::Metrics>,
) -> Result<HttpResponse, ApiError> {
    let deliveries = db::run(&pool, |c| Ok(db::webhooks::count_by_status(c)?))
        .await
        .unwrap_or_default();
    let text = metrics.render(pool.state(), &deliveries);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// This document.
#[utoipa::path(operation_id = "getOpenApiDocument", tag = "operations", responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
#[get("/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::served())
}

/// The public keys that verify eligibility receipts (the signing key first, then retired
/// ones kept for receipts they signed).
#[utoipa::path(operation_id = "getJwks", tag = "operations",
    responses((status = 200, description = "JWK Set (RFC 7517)", content_type = "application/jwk-set+json")))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.receipts.jwks())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueOut {
    pub policy_version: String,
    pub purposes: Vec<Purpose>,
    pub sanction_types: Vec<SanctionTypeDef>,
    pub issuers: Vec<IssuerDef>,
    pub effective_date: EffectiveDateRule,
    pub not_active_statuses: Vec<AsnStatus>,
    /// Per purpose: levels that block while running, and look-back rules.
    pub rules: BTreeMap<Purpose, PurposeRule>,
    /// Neutrality cases: deadlines, purposes an open case refuses, and the conduct catalogue
    /// (SKB 2/2022) with the category recommended by default per stage.
    pub cases: crate::domain::case::CaseRules,
}

/// Sanction types, purposes and the eligibility policy in force.
#[utoipa::path(operation_id = "getCatalogue", tag = "catalogue",
    responses((status = 200, body = CatalogueOut), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[get("/catalogue")]
pub async fn catalogue(state: web::Data<AppState>) -> HttpResponse {
    let doc = &state.policy.doc;
    reply(&CatalogueOut {
        policy_version: doc.version.clone(),
        purposes: Purpose::ALL.to_vec(),
        sanction_types: doc.catalogue.clone(),
        issuers: doc.issuers.clone(),
        effective_date: doc.effective_date.clone(),
        not_active_statuses: doc.not_active_statuses.clone(),
        rules: doc.purposes.clone(),
        cases: doc.cases.clone(),
    })
}
