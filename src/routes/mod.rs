//! The route table, in one place.

pub mod audit;
pub mod bkn;
pub mod blocks;
pub mod body;
pub mod cases;
pub mod eligibility;
pub mod health;
pub mod jobs;
pub mod registry;
pub mod sanctions;
pub mod webhooks;

use crate::auth::Principal;
use crate::db::{self, AnyConnection};
use crate::error::{ApiError, ErrorCode};
use crate::i18n::L10n;
use crate::service::idempotency::{run_write, Fingerprint, Reply};
use crate::service::journal::Journal;
pub use crate::service::parse_nip;
use crate::service::Caller;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{from_fn, Next};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// The route table, in one place: every route is served from here and documented from its
/// handler's annotation, so none can be served undocumented or documented unserved. Each
/// `/api/v1` route's scope comes from its annotation's `security` and is checked by
/// [`authorize`] before the handler parses anything.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::live)
        .service(health::ready)
        .service(health::metrics)
        .service(health::openapi)
        .service(health::jwks)
        .service(
            scope("/api/v1")
                .wrap(from_fn(authorize))
                .service(health::catalogue)
                .service(sanctions::create)
                .service(sanctions::list)
                .service(sanctions::get)
                .service(sanctions::lift)
                .service(sanctions::annul)
                .service(sanctions::appeal)
                .service(sanctions::appeal_decision)
                .service(registry::profile)
                .service(registry::track_record)
                .service(eligibility::check)
                .service(eligibility::batch)
                .service(eligibility::decision)
                .service(eligibility::replay)
                .service(audit::events)
                .service(audit::verify)
                .service(bkn::updates)
                .service(bkn::snapshot)
                .service(bkn::reconciliation)
                .service(blocks::list)
                .service(jobs::list)
                .service(jobs::runs)
                .service(jobs::get_run)
                .service(jobs::run)
                .service(webhooks::create)
                .service(webhooks::list)
                .service(webhooks::delete)
                .service(webhooks::deliveries)
                .service(webhooks::retry)
                .service(webhooks::changes)
                .service(cases::stats)
                .service(cases::create)
                .service(cases::list)
                .service(cases::get)
                .service(cases::step),
        );
}

/// Authenticates the bearer token and checks the scopes the operation's annotation requires,
/// before any extractor reads the body or the query: a caller without the right learns
/// nothing about what the endpoint validates. The principal goes into the request's
/// extensions for the handler.
async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let required = req
        .match_pattern()
        .and_then(|pattern| crate::openapi::required_scopes(req.method().as_str(), &pattern));
    if let Some(scopes) = required {
        let principal = match crate::auth::authenticate(req.request()) {
            Ok(p) => p,
            Err(e) => return Ok(req.error_response(e)),
        };
        for scope in scopes {
            if let Err(e) = principal.require_named(scope) {
                return Ok(req.error_response(e));
            }
        }
        req.extensions_mut().insert(principal);
    }
    // An id or NIP with a control character names nothing here (and never reaches SQL).
    let decoded = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    let odd_path = decoded.chars().any(crate::extract::is_forbidden_control);
    if odd_path {
        return Ok(req.error_response(ApiError::not_found()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Unknown paths are `404 not_found`; a documented path asked with another method is
/// `405 method_not_allowed` with `Allow` naming the methods it has.
pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match crate::openapi::methods_of(req.path()) {
        Some(allowed) if !allowed.is_empty() => Err(ApiError::new(ErrorCode::MethodNotAllowed)
            .detail(L10n::new(
                format!(
                    "Metode {} tidak diizinkan; gunakan {}",
                    req.method(),
                    allowed.join(", ")
                ),
                format!(
                    "Method {} is not allowed; use {}",
                    req.method(),
                    allowed.join(", ")
                ),
            ))
            .allow(allowed)),
        _ => Err(ApiError::not_found()),
    }
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

/// Runs `work` as one idempotent write (`run_write`: one transaction with its journal, the
/// reply stored under the `Idempotency-Key`) on a pooled connection, off the async runtime;
/// `work` gets the service's view of the caller.
pub async fn write<F>(
    state: &AppState,
    who: &Principal,
    fp: Option<Fingerprint>,
    mut work: F,
) -> Result<Reply, ApiError>
where
    F: FnMut(&mut AnyConnection, &Caller, &mut Journal) -> Result<Reply, ApiError> + Send + 'static,
{
    let (clock, watch, caller) = (state.clock, state.watch(), who.caller());
    db::run(&state.pool, move |c| {
        let now = clock.now_naive();
        run_write(c, fp.as_ref(), &caller.actor, now, &watch, |c, j| {
            work(c, &caller, j)
        })
    })
    .await
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
    res.insert_header(header::ContentType::json())
        .body(String::from(r.body))
}
