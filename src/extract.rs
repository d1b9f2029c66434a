//! Request extractors that turn every kind of bad input into a precise problem.

use crate::error::{ApiError, ErrorCode, FieldError};
use crate::i18n::L10n;
use actix_web::{dev::Payload, http::header, http::StatusCode, web, FromRequest, HttpRequest};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::str::FromStr;

/// A JSON body: the wrong media type is 415, too large 413, unreadable JSON
/// `malformed_json`, JSON of the wrong shape `validation_failed` naming the field, and a
/// string holding a control character (a NUL, say) `validation_failed` naming it too.
/// Keeps the parsed JSON value for idempotency fingerprints.
pub struct ApiJson<T, const WHOLE: bool = true> {
    pub body: T,
    pub value: serde_json::Value,
}

/// How long a request's body may take to arrive (`ASN_HTTP_BODY_TIMEOUT_MS`); registered as
/// app data. A body that never arrives is `408 request_timeout`, and its connection closes.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub std::time::Duration);

impl Default for BodyTimeout {
    fn default() -> Self {
        BodyTimeout(std::time::Duration::from_secs(30))
    }
}

/// A body whose items are taken one by one (a BKN batch, a batch of NIPs): a bad item,
/// control characters included, is that item's own error and never refuses the request.
pub type ItemwiseJson<T> = ApiJson<T, false>;

pub use crate::domain::text::{is_forbidden_control, iso, iso_date, max_text};

/// `validation_failed` for every string in `value` (keys included) that holds a forbidden
/// control character or is longer than its field allows, each named by its path
/// (`decision.number`, `events[3].data.name`).
pub fn refuse_control_chars(value: &serde_json::Value, path: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    walk_text(value, path, &mut errors);
    ApiError::check(errors)
}

fn walk_text(value: &serde_json::Value, path: &str, errors: &mut Vec<FieldError>) {
    let bad = |s: &str| s.chars().any(is_forbidden_control);
    let message = || {
        L10n::new(
            "memuat karakter kontrol (mis. NUL) yang tidak diizinkan",
            "holds a control character (e.g. NUL), which is not allowed",
        )
    };
    match value {
        serde_json::Value::String(s) if bad(s) => errors.push(FieldError::new(path, message())),
        serde_json::Value::String(s) if s.chars().count() > max_text(path) => {
            let max = max_text(path);
            errors.push(FieldError::new(
                path,
                L10n::new(
                    format!("paling banyak {max} karakter"),
                    format!("must be at most {max} characters"),
                ),
            ))
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_text(v, &format!("{path}[{i}]"), errors);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let field = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if bad(k) {
                    errors.push(FieldError::new(&field, message()));
                } else {
                    walk_text(v, &field, errors);
                }
            }
        }
        _ => {}
    }
}

/// The request's media type, lower case, without parameters (`""` when none is sent).
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json(req: &HttpRequest) -> bool {
    let mime = media_type(req);
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static, const WHOLE: bool> FromRequest for ApiJson<T, WHOLE> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        let limit = req.app_data::<BodyTimeout>().copied().unwrap_or_default();
        Box::pin(async move {
            if !json {
                return Err(ApiError::with_detail(
                    ErrorCode::UnsupportedMediaType,
                    "Isi permintaan harus berjenis application/json",
                    "The request body must be application/json",
                ));
            }
            let bytes = actix_web::rt::time::timeout(limit.0, bytes)
                .await
                .map_err(|_| {
                    ApiError::with_detail(
                        ErrorCode::RequestTimeout,
                        "Isi permintaan tidak tiba tepat waktu",
                        "The request body did not arrive in time",
                    )
                })?
                .map_err(payload_error)?;
            let parsed = parse_json(&bytes)?;
            if WHOLE {
                refuse_control_chars(&parsed.value, "")?;
            }
            Ok(ApiJson {
                body: parsed.body,
                value: parsed.value,
            })
        })
    }
}

fn payload_error(e: actix_web::Error) -> ApiError {
    if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::with_detail(
            ErrorCode::PayloadTooLarge,
            "Isi permintaan melebihi batas ukuran",
            "The request body exceeds the size limit",
        )
    } else {
        ApiError::with_detail(
            ErrorCode::MalformedJson,
            "Isi permintaan tidak terbaca",
            "The request body could not be read",
        )
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<ApiJson<T>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let at = format!("line {}, column {}", e.line(), e.column());
        ApiError::with_detail(
            ErrorCode::MalformedJson,
            format!("JSON tidak dapat dibaca ({at})"),
            format!("The JSON cannot be parsed ({at})"),
        )
    })?;
    let body = from_value(&value)?;
    Ok(ApiJson { body, value })
}

/// Deserializes a JSON value into `T`, naming the field that does not fit.
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        ApiError::field(&field, L10n::same(e.inner().to_string()))
    })
}

/// Query parameters, parsed one by one with errors that name the parameter.
pub struct Query {
    values: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

impl Query {
    pub fn new(req: &HttpRequest) -> Query {
        let values = web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
        let mut errors: Vec<FieldError> = Vec::new();
        for (k, v) in &values {
            if let Err(e) = refuse_control_chars(&serde_json::Value::String(v.clone()), k) {
                errors.extend(e.errors);
            }
        }
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Query { values, errors }
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// A typed parameter's text: given but empty is an error (`?since=` is no instant), not
    /// the same as absent.
    pub fn typed(&mut self, name: &str) -> Option<String> {
        let value = self.string(name);
        if value.is_none() && self.values.contains_key(name) {
            self.errors.push(FieldError::new(
                name,
                L10n::new("tidak boleh kosong", "must not be empty"),
            ));
        }
        value
    }

    pub fn parsed<T: FromStr>(&mut self, name: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        let raw = self.typed(name)?;
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors
                    .push(FieldError::new(name, L10n::same(e.to_string())));
                None
            }
        }
    }

    pub fn date(&mut self, name: &str) -> Option<NaiveDate> {
        let raw = self.typed(name)?;
        match iso_date(&raw) {
            Some(d) => Some(d),
            None => {
                self.errors.push(FieldError::new(
                    name,
                    L10n::new(
                        format!("'{raw}' bukan tanggal YYYY-MM-DD"),
                        format!("'{raw}' is not a date YYYY-MM-DD"),
                    ),
                ));
                None
            }
        }
    }

    /// An RFC 3339 instant (`2024-03-15T00:00:00Z`; an offset's `+` must be sent as `%2B`).
    pub fn instant(&mut self, name: &str) -> Option<DateTime<Utc>> {
        let raw = self.typed(name)?;
        match DateTime::parse_from_rfc3339(&raw) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                self.errors.push(FieldError::new(
                    name,
                    L10n::new(
                        format!("'{raw}' bukan waktu RFC 3339, mis. 2024-03-15T00:00:00Z"),
                        format!("'{raw}' is not an RFC 3339 instant, e.g. 2024-03-15T00:00:00Z"),
                    ),
                ));
                None
            }
        }
    }

    /// An instant that is not after `now` (a registry is not known in the future).
    pub fn past_instant(&mut self, name: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let t = self.instant(name)?;
        if t > now {
            self.errors.push(FieldError::new(
                name,
                L10n::new("tidak boleh di masa depan", "must not be in the future"),
            ));
            return None;
        }
        Some(t)
    }

    pub fn require<T>(&mut self, name: &str, v: Option<T>) -> Option<T> {
        let named = self.errors.iter().any(|e| e.field == name);
        if v.is_none() && self.string(name).is_none() && !named {
            self.errors.push(FieldError::new(
                name,
                L10n::new("wajib diisi", "is required"),
            ));
        }
        v
    }

    /// `?limit=` (default 50, 1..=500).
    pub fn limit(&mut self) -> i64 {
        match self.parsed::<i64>("limit") {
            None => 50,
            Some(n) if (1..=500).contains(&n) => n,
            Some(_) => {
                self.errors.push(FieldError::new(
                    "limit",
                    L10n::new("harus 1 sampai 500", "must be 1 to 500"),
                ));
                50
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// Calendar dates in JSON bodies exactly as `YYYY-MM-DD`, as api.md writes them (chrono alone
/// also takes `2024-1-1`): `#[serde(deserialize_with = "crate::extract::iso::date")]`.
/// The `Idempotency-Key` header, if sent (1 to 255 visible ASCII characters).
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req.headers().get("Idempotency-Key").map(|v| {
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| {
                    !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic())
                })
                .map(str::to_string)
                .ok_or_else(|| {
                    ApiError::field(
                        "Idempotency-Key",
                        L10n::new(
                            "harus 1-255 karakter ASCII yang terlihat",
                            "must be 1-255 visible ASCII characters",
                        ),
                    )
                })
        });
        std::future::ready(key.transpose().map(IdempotencyKey))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        date: NaiveDate,
    }

    #[test]
    fn json_errors_say_what_and_where() {
        let e = parse_json::<Outer>(b"{\"inner\": ").err().unwrap();
        assert_eq!(e.code, ErrorCode::MalformedJson);
        let e = parse_json::<Outer>(br#"{"inner": {"date": "2024-13-01"}}"#)
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert_eq!(e.errors[0].field, "inner.date");
        let e = parse_json::<Outer>(br#"{}"#).err().unwrap();
        assert!(e.errors[0].message.en.contains("inner"), "{:?}", e.errors);
    }
}
