//! JSON logs through tracing, and the request middleware: request id, problem+json for
//! every error in the caller's language, access log.

use crate::error::{ApiError, ErrorCode};
use crate::i18n::Lang;
use crate::metrics::Metrics;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}

/// The request's id, in its extensions for whoever records what it did.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let lang = Lang::of_request(req.request());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let res = next.call(req).instrument(span.clone()).await?;
    let mut res = span.in_scope(|| as_problem(res.map_into_boxed_body(), lang));
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(metrics) = res.request().app_data::<web::Data<Metrics>>() {
        let route = res.request().match_pattern();
        let route = route.as_deref().unwrap_or("unmatched");
        let method = res.request().method().as_str();
        metrics.request(method, route, res.status().as_u16(), elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = elapsed * 1000.0,
            "request"
        )
    });
    Ok(res)
}

/// Every error response becomes problem+json with a stable code, in the caller's language;
/// a 5xx is logged with its cause, and its body stays opaque.
fn as_problem(res: ServiceResponse<BoxBody>, lang: Lang) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if status.as_u16() < 400 {
        return res;
    }
    let rendered = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
    {
        Some(api) => {
            if status.is_server_error() {
                tracing::error!(error = %api, "request failed");
            }
            api.render(lang)
        }
        None => {
            if let Some(e) = res.response().error() {
                if status.is_server_error() {
                    tracing::error!(error = %e, "request failed");
                }
            }
            // problem+json already, or a page for people (the console renders its own).
            if is_problem(&res) || is_page(&res) {
                return res;
            }
            ApiError::new(code_for(status.as_u16())).render(lang)
        }
    };
    res.into_response(rendered)
}

fn is_page(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

fn is_problem(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

fn code_for(status: u16) -> ErrorCode {
    match status {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        503 => ErrorCode::ServiceUnavailable,
        400..=499 => ErrorCode::ValidationFailed,
        _ => ErrorCode::Internal,
    }
}
