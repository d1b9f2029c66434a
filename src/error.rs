//! One API error type, rendered as RFC 9457 problem+json with the stable codes of api.md.
//! A 5xx body is opaque; its cause goes to the log under the request id.

use crate::i18n::{L10n, Lang};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidNip,
    ValidationFailed,
    MalformedJson,
    UnsupportedMediaType,
    PayloadTooLarge,
    RequestTimeout,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AsnNotFound,
    SanctionNotFound,
    DuplicateDecision,
    DuplicateCase,
    InvalidTransition,
    AppealNotAllowed,
    AppealTooLate,
    IdempotencyKeyReused,
    ServiceUnavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::InvalidNip => "invalid_nip",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::AsnNotFound => "asn_not_found",
            ErrorCode::SanctionNotFound => "sanction_not_found",
            ErrorCode::DuplicateDecision => "duplicate_decision",
            ErrorCode::DuplicateCase => "duplicate_case",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::AppealNotAllowed => "appeal_not_allowed",
            ErrorCode::AppealTooLate => "appeal_too_late",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ErrorCode::InvalidNip | ErrorCode::ValidationFailed | ErrorCode::MalformedJson => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound | ErrorCode::AsnNotFound | ErrorCode::SanctionNotFound => {
                StatusCode::NOT_FOUND
            }
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::DuplicateDecision
            | ErrorCode::DuplicateCase
            | ErrorCode::InvalidTransition => StatusCode::CONFLICT,
            ErrorCode::IdempotencyKeyReused
            | ErrorCode::AppealNotAllowed
            | ErrorCode::AppealTooLate => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn title(&self) -> L10n {
        let (id, en) = match self {
            ErrorCode::InvalidNip => ("NIP tidak valid", "Invalid NIP"),
            ErrorCode::ValidationFailed => ("Data tidak valid", "Validation failed"),
            ErrorCode::MalformedJson => ("JSON tidak dapat dibaca", "Malformed JSON"),
            ErrorCode::UnsupportedMediaType => {
                ("Jenis media tidak didukung", "Unsupported media type")
            }
            ErrorCode::PayloadTooLarge => ("Isi permintaan terlalu besar", "Payload too large"),
            ErrorCode::RequestTimeout => ("Isi permintaan tidak kunjung tiba", "Request timeout"),
            ErrorCode::Unauthorized => ("Tidak terautentikasi", "Unauthorized"),
            ErrorCode::Forbidden => ("Akses ditolak", "Forbidden"),
            ErrorCode::NotFound => ("Tidak ditemukan", "Not found"),
            ErrorCode::MethodNotAllowed => ("Metode tidak diizinkan", "Method not allowed"),
            ErrorCode::AsnNotFound => ("ASN tidak ditemukan", "ASN not found"),
            ErrorCode::SanctionNotFound => ("Hukuman tidak ditemukan", "Sanction not found"),
            ErrorCode::DuplicateDecision => ("Keputusan ganda", "Duplicate decision"),
            ErrorCode::DuplicateCase => ("Kasus ganda", "Duplicate case"),
            ErrorCode::InvalidTransition => {
                ("Perubahan status tidak diizinkan", "Invalid transition")
            }
            ErrorCode::AppealNotAllowed => (
                "Upaya administratif tidak dapat diajukan",
                "Appeal not allowed",
            ),
            ErrorCode::AppealTooLate => ("Upaya administratif terlambat", "Appeal too late"),
            ErrorCode::IdempotencyKeyReused => {
                ("Idempotency-Key dipakai ulang", "Idempotency key reused")
            }
            ErrorCode::ServiceUnavailable => ("Layanan tidak tersedia", "Service unavailable"),
            ErrorCode::Internal => ("Kesalahan internal", "Internal error"),
        };
        L10n::new(id, en)
    }
}

/// A field's problem: the domain's validation speaks it, the problem body lists it.
pub use crate::domain::FieldError;

impl From<crate::domain::sanction::draft::DraftRefusal> for ApiError {
    fn from(r: crate::domain::sanction::draft::DraftRefusal) -> ApiError {
        use crate::domain::sanction::draft::DraftRefusal;
        match r {
            DraftRefusal::Nip(message) => ApiError::new(ErrorCode::InvalidNip)
                .detail(message)
                .with_field("nip"),
            DraftRefusal::Fields(errors) => ApiError::validation(errors),
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: Option<L10n>,
    pub errors: Vec<FieldError>,
    /// Extra members of the problem (e.g. the current `status` of an invalid transition).
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    /// The cause, logged for 5xx and never sent.
    pub source: Option<anyhow::Error>,
    /// The methods a `405` names in `Allow` (boxed: errors travel in every `Result`).
    pub allow: Option<Box<Vec<String>>>,
}

/// The problem+json body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            detail: None,
            errors: Vec::new(),
            extra: None,
            source: None,
            allow: None,
        }
    }

    /// The methods the path does allow (a `405`).
    pub fn allow(mut self, methods: Vec<String>) -> Self {
        self.allow = Some(Box::new(methods));
        self
    }

    pub fn with_detail(code: ErrorCode, id: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError {
            detail: Some(L10n::new(id, en)),
            ..ApiError::new(code)
        }
    }

    pub fn detail(mut self, detail: L10n) -> Self {
        self.detail = Some(detail);
        self
    }

    pub fn extra(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value);
        self
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        ApiError {
            errors,
            ..ApiError::with_detail(
                ErrorCode::ValidationFailed,
                format!("{n} isian tidak valid"),
                format!("{n} field(s) are invalid"),
            )
        }
    }

    /// `validation_failed` naming every field in `errors`; `Ok` when there are none.
    pub fn check(errors: Vec<FieldError>) -> Result<(), ApiError> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(errors))
        }
    }

    pub fn field(field: &str, message: L10n) -> Self {
        ApiError::validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found() -> Self {
        ApiError::with_detail(
            ErrorCode::NotFound,
            "Sumber daya tidak ditemukan",
            "No such resource",
        )
    }

    pub fn internal(source: anyhow::Error) -> Self {
        ApiError {
            source: Some(source),
            ..ApiError::new(ErrorCode::Internal)
        }
    }

    pub fn unavailable(source: anyhow::Error) -> Self {
        ApiError {
            source: Some(source),
            ..ApiError::with_detail(
                ErrorCode::ServiceUnavailable,
                "Basis data sedang tidak dapat dijangkau; coba lagi",
                "The database cannot be reached right now; try again",
            )
        }
    }

    pub fn pool(e: r2d2::Error) -> Self {
        ApiError::unavailable(anyhow::anyhow!("connection pool: {e}"))
    }

    pub fn is_connection_lost(&self) -> bool {
        self.code == ErrorCode::ServiceUnavailable
    }

    pub fn problem(&self, lang: Lang) -> Problem {
        Problem {
            type_: format!(
                "https://asn-eligibility.dev/problems/{}",
                self.code.as_str()
            ),
            title: self.code.title().get(lang).to_string(),
            status: self.code.status().as_u16(),
            code: self.code,
            detail: self.detail.as_ref().map(|d| d.get(lang).to_string()),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    message: e.message.get(lang).to_string(),
                })
                .collect(),
            extra: self.extra.as_deref().cloned().unwrap_or_default(),
        }
    }

    pub fn render(&self, lang: Lang) -> HttpResponse {
        let mut res = HttpResponse::build(self.code.status());
        res.content_type("application/problem+json");
        if self.code == ErrorCode::Unauthorized {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"asn-eligibility\""));
        }
        if self.code == ErrorCode::ServiceUnavailable {
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        if let Some(methods) = &self.allow {
            res.insert_header((header::ALLOW, methods.join(", ")));
        }
        res.json(self.problem(lang))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(d) = &self.detail {
            write!(f, ": {}", d.en)?;
        }
        if let Some(s) = &self.source {
            write!(f, " ({s:#})")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }
    /// Rendered in the default language here; the request middleware re-renders it in the
    /// caller's language and logs the cause of a 5xx.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::default())
    }
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => ApiError::not_found(),
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                ApiError::unavailable(e.into())
            }
            DieselError::DatabaseError(_, info) if is_transient(info.message()) => {
                ApiError::unavailable(e.into())
            }
            _ => ApiError::internal(e.into()),
        }
    }
}

/// Messages of errors that say the database is gone or busy, not that the query is wrong.
fn is_transient(message: &str) -> bool {
    const MARKERS: [&str; 6] = [
        "server closed the connection",
        "no connection to the server",
        "terminating connection",
        "could not connect",
        "database is locked",
        "connection refused",
    ];
    let m = message.to_ascii_lowercase();
    MARKERS.iter().any(|k| m.contains(k))
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(e.into())
    }
}

pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

impl ApiError {
    /// Names the field a single-field error is about.
    pub fn with_field(mut self, field: &str) -> Self {
        let message = self.detail.clone().unwrap_or_else(|| L10n::same(field));
        self.errors.push(FieldError::new(field, message));
        self
    }
}
