//! The OpenAPI document, generated from the handlers' annotations. A test regenerates it
//! and compares it with `openapi/openapi.json`, so it cannot drift.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "asn-eligibility", version = "1",
         description = "Sanction track records (rekam jejak) and eligibility checks for Indonesian civil servants (ASN). Errors are RFC 9457 problem+json with a stable `code`."),
    paths(
        crate::routes::health::live, crate::routes::health::ready, crate::routes::health::openapi,
        crate::routes::health::catalogue, crate::routes::health::jwks, crate::routes::health::metrics,
        crate::routes::sanctions::create, crate::routes::sanctions::list, crate::routes::sanctions::get,
        crate::routes::sanctions::lift, crate::routes::sanctions::annul,
        crate::routes::sanctions::appeal, crate::routes::sanctions::appeal_decision,
        crate::routes::registry::profile, crate::routes::registry::track_record,
        crate::routes::eligibility::check, crate::routes::eligibility::batch, crate::routes::eligibility::decision,
        crate::routes::eligibility::replay, crate::routes::audit::events, crate::routes::audit::verify,
        crate::routes::bkn::updates, crate::routes::bkn::reconciliation, crate::routes::bkn::snapshot, crate::routes::blocks::list,
        crate::routes::jobs::list, crate::routes::jobs::runs, crate::routes::jobs::get_run, crate::routes::jobs::run,
        crate::routes::webhooks::create, crate::routes::webhooks::list, crate::routes::webhooks::delete,
        crate::routes::webhooks::deliveries, crate::routes::webhooks::retry, crate::routes::webhooks::changes,
    ),
    components(schemas(crate::error::Problem, crate::error::ErrorCode, crate::service::bkn::ProfileData, crate::service::bkn::StatusData)),
    modifiers(&BearerAuth),
    tags((name = "sanctions"), (name = "registry"), (name = "eligibility"), (name = "bkn"), (name = "jobs"), (name = "audit"), (name = "webhooks"), (name = "catalogue"), (name = "operations"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document() -> String {
    let mut s = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    s.push('\n');
    s
}
