//! `/api/v1/sanctions`: record, read, list, lift, annul.

use super::{reply, write_reply};
use crate::auth::Principal;
use crate::db::{self, sanctions::SanctionRow};
use crate::domain::nip::Nip;
use crate::domain::period::{add_months, Period};
use crate::domain::policy::DefaultDuration;
use crate::domain::{AppealKind, AppealOutcome, Kind, Level, LiftReason, Purpose, SanctionStatus};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{ApiJson, IdempotencyKey, Query};
use crate::i18n::L10n;
use crate::service::idempotency::{run_write, Fingerprint, Reply};
use crate::service::journal::Journal;
use crate::service::sanctions::{self as svc, DecisionRef, NewSanction};
use crate::state::AppState;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// Decree number (nomor SK): 1-200 characters, not blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub number: String,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub date: NaiveDate,
    /// When the ASN received it; `effective_from` defaults from it.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub received_date: Option<NaiveDate>,
    /// `PPK`, `KASN`, `BKN`, `KemenPANRB`, `BPASN`, `Bawaslu` or `Court` (policy reference data).
    pub issuer: String,
    pub issuer_agency: Option<String>,
    pub legal_basis: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// e.g. `neutrality`, `attendance`.
    pub category: Option<String>,
    pub description: Option<String>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// An http(s) URL of at most 2000 characters.
    #[schema(max_length = 2000, pattern = "^https?://")]
    pub url: String,
    /// SHA-256 of the document, 64 hex digits.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub sha256: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SanctionIn {
    #[schema(pattern = r"^\s*[0-9]{18}\s*$")]
    pub nip: String,
    pub decision: DecisionIn,
    /// A code of the sanction catalogue, e.g. `PP94_S3`.
    #[serde(rename = "type")]
    pub type_code: String,
    pub violation: Option<Violation>,
    /// First day in force; omitted: computed from `decision.received_date`.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_from: Option<NaiveDate>,
    /// First day no longer in force (exclusive); or send `duration_months`.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_until: Option<NaiveDate>,
    /// 1 to 600 calendar months from `effective_from` (end of month clamped).
    #[schema(minimum = 1, maximum = 600)]
    pub duration_months: Option<u32>,
    /// Defaults to the catalogue's purposes for the type.
    pub blocked_purposes: Option<Vec<Purpose>>,
    pub document: Option<Document>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecreeOut {
    pub number: String,
    pub date: NaiveDate,
    pub received_date: Option<NaiveDate>,
    pub issuer: String,
    pub issuer_agency: Option<String>,
    pub legal_basis: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SanctionOut {
    pub id: String,
    pub nip: String,
    #[serde(rename = "type")]
    pub type_code: String,
    pub regime: String,
    pub kind: Kind,
    pub level: Option<Level>,
    /// Derived for today (or the requested `as_of`) in the configured zone.
    pub status: SanctionStatus,
    pub decision: DecreeOut,
    pub violation: Option<Violation>,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    pub blocked_purposes: Vec<Purpose>,
    pub document: Option<Document>,
    /// Set once lifted: `{reason, reference, note, effective_on}`.
    #[schema(value_type = Option<Object>)]
    pub lift: Option<serde_json::Value>,
    /// Set once annulled: `{reference, reason}`.
    #[schema(value_type = Option<Object>)]
    pub annulment: Option<serde_json::Value>,
    /// Set once appealed: `{kind, filed_on, reference, last_filing_day, decision_due, decision}`.
    #[schema(value_type = Option<Object>)]
    pub appeal: Option<serde_json::Value>,
    /// The sanction this one replaced after an appeal.
    pub supersedes: Option<String>,
    /// The sanction that replaced this one after an appeal.
    pub superseded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub updated_at: DateTime<Utc>,
}

impl SanctionOut {
    pub fn from_row(r: &SanctionRow, day: NaiveDate) -> SanctionOut {
        fn json<T: serde::de::DeserializeOwned>(s: &Option<String>) -> Option<T> {
            s.as_deref().and_then(|t| serde_json::from_str(t).ok())
        }
        SanctionOut {
            id: r.id.clone(),
            nip: r.nip.clone(),
            type_code: r.type_code.clone(),
            regime: r.regime.clone(),
            kind: r.kind,
            level: r.level,
            status: svc::status_on(r, day),
            decision: DecreeOut {
                number: r.decision_number.clone(),
                date: r.decision_date,
                received_date: r.received_date,
                issuer: r.issuer.clone(),
                issuer_agency: r.issuer_agency.clone(),
                legal_basis: r.legal_basis.clone(),
            },
            violation: json(&r.violation),
            effective_from: r.effective_from,
            effective_until: r.effective_until,
            blocked_purposes: r.blocked_purposes.0.clone(),
            document: json(&r.document),
            lift: json(&r.lift),
            annulment: json(&r.annulment),
            appeal: json(&r.appeal),
            supersedes: r.supersedes.clone(),
            superseded_by: r.superseded_by.clone(),
            recorded_at: r.recorded_at.and_utc(),
            recorded_by: r.recorded_by.clone(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SanctionPage {
    pub items: Vec<SanctionOut>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// 1-200 characters, not blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub number: String,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub date: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftIn {
    pub reason: LiftReason,
    pub reference: Reference,
    pub note: Option<String>,
    /// First day no longer in force; default today. Not in the future.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnulReference {
    /// 1-200 characters, not blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub number: String,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub date: NaiveDate,
    /// e.g. `BPASN`, `Court`: 1-100 characters, not blank.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub issuer: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnulIn {
    pub reference: AnnulReference,
    /// 1-2000 characters, not blank.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    nip: Option<String>,
    status: Option<SanctionStatus>,
    issuer: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

/// A required text: not blank, at most `max` characters as sent (the document says the same).
fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() || value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            L10n::new(
                format!("harus 1-{max} karakter"),
                format!("must be 1-{max} characters"),
            ),
        ));
    }
}

fn plausible(errors: &mut Vec<FieldError>, field: &str, d: Option<NaiveDate>) {
    if d.is_some_and(|d| !(1950..=2100).contains(&d.year())) {
        errors.push(FieldError::new(
            field,
            L10n::new("tahun harus 1950-2100", "year must be 1950-2100"),
        ));
    }
}

fn check_document(errors: &mut Vec<FieldError>, d: &Document) {
    if !(d.url.starts_with("https://") || d.url.starts_with("http://")) || d.url.len() > 2000 {
        errors.push(FieldError::new(
            "document.url",
            L10n::new("harus URL http(s)", "must be an http(s) URL"),
        ));
    }
    if d.sha256.len() != 64 || !d.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        errors.push(FieldError::new(
            "document.sha256",
            L10n::new("harus 64 digit heksadesimal", "must be 64 hex digits"),
        ));
    }
}

/// Turns the wire request into a validated `NewSanction`, applying the policy's defaults.
/// A sanction cannot take effect before the decree that imposes it: `effective_from` is
/// never before `decree_date` (for a replacement after an appeal, the appealed decree's).
pub fn validate(
    input: SanctionIn,
    state: &AppState,
    decree_date: NaiveDate,
) -> Result<NewSanction, ApiError> {
    let nip = Nip::parse(&input.nip);
    let mut errors = Vec::new();
    let policy = &state.policy;
    let d = &input.decision;
    text(&mut errors, "decision.number", &d.number, 200);
    plausible(&mut errors, "decision.date", Some(d.date));
    plausible(&mut errors, "decision.received_date", d.received_date);
    plausible(&mut errors, "effective_from", input.effective_from);
    plausible(&mut errors, "effective_until", input.effective_until);
    if d.received_date.is_some_and(|r| r < d.date) {
        errors.push(FieldError::new(
            "decision.received_date",
            L10n::new(
                "tidak boleh sebelum tanggal keputusan",
                "cannot be before the decision date",
            ),
        ));
    }
    if policy.issuer(&d.issuer).is_none() {
        let known: Vec<&str> = policy.doc.issuers.iter().map(|i| i.code.as_str()).collect();
        errors.push(FieldError::new(
            "decision.issuer",
            L10n::same(format!(
                "'{}' is not one of: {}",
                d.issuer,
                known.join(", ")
            )),
        ));
    }
    let sanction_type = policy.sanction_type(&input.type_code).cloned();
    if sanction_type.is_none() {
        errors.push(FieldError::new(
            "type",
            L10n::new(
                format!(
                    "'{}' bukan kode katalog hukuman (lihat GET /api/v1/catalogue)",
                    input.type_code
                ),
                format!(
                    "'{}' is not a sanction catalogue code (see GET /api/v1/catalogue)",
                    input.type_code
                ),
            ),
        ));
    }
    if let Some(doc) = &input.document {
        check_document(&mut errors, doc);
    }
    let from = input
        .effective_from
        .or_else(|| d.received_date.map(|r| policy.effective_from_receipt(r)));
    if from.is_none() {
        errors.push(FieldError::new(
            "effective_from",
            L10n::new(
                "wajib diisi bila decision.received_date tidak ada",
                "is required when decision.received_date is absent",
            ),
        ));
    }
    if input.effective_from.is_some_and(|f| f < decree_date) {
        errors.push(FieldError::new(
            "effective_from",
            L10n::new(
                format!("tidak boleh sebelum tanggal keputusan ({decree_date})"),
                format!("cannot be before the decision date ({decree_date})"),
            ),
        ));
    }
    if input.effective_until.is_some() && input.duration_months.is_some() {
        errors.push(FieldError::new(
            "duration_months",
            L10n::new(
                "kirim effective_until atau duration_months, bukan keduanya",
                "send effective_until or duration_months, not both",
            ),
        ));
    }
    if input
        .duration_months
        .is_some_and(|m| !(1..=600).contains(&m))
    {
        errors.push(FieldError::new(
            "duration_months",
            L10n::new(
                "1 sampai 600 bulan (tindakan sekali jadi: kirim tanpa duration_months)",
                "1 to 600 months (a one-off measure: send no duration_months)",
            ),
        ));
    }
    let until = match (from, &sanction_type) {
        (Some(from), Some(t)) => input.effective_until.map(Some).unwrap_or_else(|| {
            match (input.duration_months, t.duration) {
                (Some(m), _) => Some(add_months(from, m)),
                (None, DefaultDuration::Months(m)) => Some(add_months(from, m)),
                (None, DefaultDuration::None) => Some(from),
                (None, DefaultDuration::Terminal) => None,
            }
        }),
        _ => None,
    };
    let period = from.and_then(|f| match Period::new(f, until) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FieldError::new(
                "effective_until",
                L10n::new(
                    format!(
                        "effective_until {} sebelum effective_from {}",
                        e.until, e.from
                    ),
                    e.to_string(),
                ),
            ));
            None
        }
    });
    match &nip {
        Err(e) if errors.is_empty() => {
            return Err(ApiError::new(ErrorCode::InvalidNip)
                .detail(e.message())
                .with_field("nip"))
        }
        Err(e) => errors.insert(0, FieldError::new("nip", e.message())),
        Ok(_) => {}
    }
    ApiError::check(errors)?;
    let sanction_type = sanction_type.expect("checked above");
    Ok(NewSanction {
        nip: nip.expect("checked above"),
        blocked_purposes: input
            .blocked_purposes
            .unwrap_or_else(|| sanction_type.default_blocked_purposes.clone()),
        sanction_type,
        decision: DecisionRef {
            number: d.number.trim().to_string(),
            date: d.date,
            received_date: d.received_date,
            issuer: d.issuer.clone(),
            issuer_agency: d.issuer_agency.clone(),
            legal_basis: d.legal_basis.clone(),
        },
        violation: input.violation.map(|v| json!(v)),
        period: period.expect("checked above"),
        document: input.document.map(|v| json!(v)),
        supersedes: None,
    })
}

/// Record a sanction decision.
#[utoipa::path(operation_id = "recordSanction", tag = "sanctions", request_body = SanctionIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same body")),
    responses((status = 201, body = SanctionOut, description = "Recorded"),
               (status = 200, body = SanctionOut, description = "The same decision with the same content was recorded before"),
               (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
               (status = 409, body = crate::error::Problem, description = "duplicate_decision")),
    security(("bearer" = ["sanctions:write"])))]
#[post("/sanctions")]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    body: ApiJson<SanctionIn>,
) -> Result<HttpResponse, ApiError> {
    let fp = Fingerprint::new(&who.sub, key.0, "POST /api/v1/sanctions", &body.value);
    let decree_date = body.body.decision.date;
    let new = validate(body.body, &state, decree_date)?;
    let (clock, tz, watch) = (state.clock, state.tz, state.watch());
    let reply = db::run(&state.pool, move |c| {
        run_write(
            c,
            fp.as_ref(),
            &who.audit_actor(),
            clock.now_naive(),
            &watch,
            |c, j| {
                let (row, created) = svc::record(c, &new, &who.caller(), j, clock.today(tz))?;
                Ok(Reply {
                    status: if created { 201 } else { 200 },
                    location: Some(format!("/api/v1/sanctions/{}", row.id)),
                    body: json!(SanctionOut::from_row(&row, clock.today(tz))),
                })
            },
        )
    })
    .await?;
    Ok(write_reply(reply))
}

/// One sanction, its status derived for `as_of`.
#[utoipa::path(operation_id = "getSanction", tag = "sanctions",
    params(("id" = String, Path),
           ("as_of" = Option<NaiveDate>, Query, description = "Derive the status for this day (default today): a lift or an appeal shows from its own date")),
    responses((status = 200, body = SanctionOut), (status = 400, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)),
    security(("bearer" = ["registry:read"])))]
#[get("/sanctions/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let as_of = q.date("as_of").unwrap_or_else(|| state.today());
    q.finish()?;
    let id = id.into_inner();
    let row = db::run(&state.pool, move |c| Ok(db::sanctions::find(c, &id)?)).await?;
    let row = row.ok_or_else(svc::sanction_not_found)?;
    Ok(reply(&SanctionOut::from_row(&row, as_of)))
}

/// Sanctions, filtered, cursor-paginated (oldest first).
#[utoipa::path(operation_id = "listSanctions", tag = "sanctions", params(ListParams),
    responses((status = 200, body = SanctionPage), (status = 400, body = crate::error::Problem)),
    security(("bearer" = ["registry:read"])))]
#[get("/sanctions")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let nip = q
        .string("nip")
        .map(|n| Nip::parse(&n).map(|n| n.as_str().to_string()));
    let nip = match nip {
        Some(Err(e)) => {
            return Err(ApiError::new(ErrorCode::InvalidNip)
                .detail(e.message())
                .with_field("nip"))
        }
        Some(Ok(n)) => Some(n),
        None => None,
    };
    let filter = db::sanctions::ListFilter {
        nip,
        issuer: q.string("issuer"),
        status: q.parsed("status"),
        after: q.string("cursor"),
        limit: q.limit(),
    };
    q.finish()?;
    let today = state.today();
    let limit = filter.limit;
    let rows = db::run(&state.pool, move |c| {
        let mut f = filter;
        f.limit += 1;
        Ok(db::sanctions::list(c, &f, today)?)
    })
    .await?;
    let (rows, next_cursor) = super::page(rows, limit, |r| r.id.clone());
    let items = rows
        .iter()
        .map(|r| SanctionOut::from_row(r, today))
        .collect();
    Ok(reply(&SanctionPage { items, next_cursor }))
}

/// Checks every lifecycle request makes: a reference number, and a date not in the future.
fn reference_errors(
    reference: &Reference,
    date_field: &str,
    date: NaiveDate,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    text(&mut errors, "reference.number", &reference.number, 200);
    if date > today {
        errors.push(FieldError::new(
            date_field,
            L10n::new("tidak boleh di masa depan", "cannot be in the future"),
        ));
    }
    errors
}

/// The idempotency fingerprint of a lifecycle request on sanction `id`.
fn lifecycle_fingerprint(
    who: &Principal,
    key: IdempotencyKey,
    action: &str,
    id: &str,
    body: &serde_json::Value,
) -> Option<Fingerprint> {
    Fingerprint::new(
        &who.sub,
        key.0,
        &format!("POST /api/v1/sanctions/{{id}}/{action} {id}"),
        body,
    )
}

/// Runs one lifecycle move as an idempotent write and answers with the sanction after it.
async fn lifecycle_write<F>(
    state: &AppState,
    who: Principal,
    fp: Option<Fingerprint>,
    change: F,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(
            &mut db::AnyConnection,
            &crate::service::Caller,
            &mut Journal,
        ) -> Result<SanctionRow, ApiError>
        + Send
        + 'static,
{
    let (clock, tz, watch) = (state.clock, state.tz, state.watch());
    let reply = db::run(&state.pool, move |c| {
        run_write(
            c,
            fp.as_ref(),
            &who.audit_actor(),
            clock.now_naive(),
            &watch,
            |c, j| {
                let row = change(c, &who.caller(), j)?;
                Ok(Reply {
                    status: 200,
                    location: None,
                    body: json!(SanctionOut::from_row(&row, clock.today(tz))),
                })
            },
        )
    })
    .await?;
    Ok(write_reply(reply))
}

/// End a scheduled or active sanction early.
#[utoipa::path(operation_id = "liftSanction", tag = "sanctions", request_body = LiftIn,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = SanctionOut), (status = 404, body = crate::error::Problem),
               (status = 409, body = crate::error::Problem, description = "invalid_transition")),
    security(("bearer" = ["sanctions:write"])))]
#[post("/sanctions/{id}/lift")]
pub async fn lift(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ApiJson<LiftIn>,
) -> Result<HttpResponse, ApiError> {
    let (id, today) = (id.into_inner(), state.today());
    let fp = lifecycle_fingerprint(&who, key, "lift", &id, &body.value);
    let input = body.body;
    let on = input.effective_on.unwrap_or(today);
    ApiError::check(reference_errors(
        &input.reference,
        "effective_on",
        on,
        today,
    ))?;
    let details = json!({ "reason": input.reason, "reference": input.reference, "note": input.note, "effective_on": on });
    lifecycle_write(&state, who, fp, move |c, who, j| {
        svc::lift(c, &id, on, details.clone(), who, j, today)
    })
    .await
}

/// Annul a sanction (BPASN or a court); it stays in the history and counts nowhere.
#[utoipa::path(operation_id = "annulSanction", tag = "sanctions", request_body = AnnulIn,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = SanctionOut), (status = 404, body = crate::error::Problem),
               (status = 409, body = crate::error::Problem, description = "invalid_transition")),
    security(("bearer" = ["sanctions:write"])))]
#[post("/sanctions/{id}/annul")]
pub async fn annul(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ApiJson<AnnulIn>,
) -> Result<HttpResponse, ApiError> {
    let (id, today) = (id.into_inner(), state.today());
    let fp = lifecycle_fingerprint(&who, key, "annul", &id, &body.value);
    let input = body.body;
    let mut errors = Vec::new();
    text(
        &mut errors,
        "reference.number",
        &input.reference.number,
        200,
    );
    text(
        &mut errors,
        "reference.issuer",
        &input.reference.issuer,
        100,
    );
    text(&mut errors, "reason", &input.reason, 2000);
    ApiError::check(errors)?;
    let details = json!({ "reference": input.reference, "reason": input.reason });
    lifecycle_write(&state, who, fp, move |c, who, j| {
        svc::annul(c, &id, details.clone(), who, j, today)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealIn {
    pub kind: AppealKind,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub filed_on: NaiveDate,
    pub reference: Reference,
}

/// The sanction an appeal decision puts in place of the appealed one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacementIn {
    #[serde(rename = "type")]
    pub type_code: String,
    /// Default: the appealed sanction's `effective_from`.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_until: Option<NaiveDate>,
    pub duration_months: Option<u32>,
    pub blocked_purposes: Option<Vec<Purpose>>,
    /// Default: `BPASN` for a banding, the appealed decision's issuer for a keberatan.
    pub issuer: Option<String>,
    pub legal_basis: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionIn {
    pub outcome: AppealOutcome,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub decided_on: NaiveDate,
    pub reference: Reference,
    /// Required for `reduced`, `increased` and `changed`; refused otherwise.
    pub replacement: Option<ReplacementIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppealDecisionOut {
    /// The appealed sanction after the decision.
    pub sanction: SanctionOut,
    /// The new sanction that supersedes it, for reduced, increased and changed outcomes.
    pub replacement: Option<SanctionOut>,
}

/// File an appeal against a scheduled or active sanction (PP 79/2021): a keberatan against
/// any decision but a dismissal, a banding against a dismissal only, each within its filing
/// period of working days from the decision date (banding: 14). The appeal shows its
/// `last_filing_day` and `decision_due` (banding: 65 working days after filing).
#[utoipa::path(operation_id = "fileAppeal", tag = "sanctions", request_body = AppealIn,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = SanctionOut), (status = 400, body = crate::error::Problem),
               (status = 404, body = crate::error::Problem),
               (status = 409, body = crate::error::Problem, description = "invalid_transition"),
               (status = 422, body = crate::error::Problem, description = "appeal_not_allowed: this kind of appeal does not lie against this decision; appeal_too_late: filed after the last filing day")),
    security(("bearer" = ["sanctions:write"])))]
#[post("/sanctions/{id}/appeal")]
pub async fn appeal(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ApiJson<AppealIn>,
) -> Result<HttpResponse, ApiError> {
    let (id, today) = (id.into_inner(), state.today());
    let fp = lifecycle_fingerprint(&who, key, "appeal", &id, &body.value);
    let input = body.body;
    ApiError::check(reference_errors(
        &input.reference,
        "filed_on",
        input.filed_on,
        today,
    ))?;
    let filing = svc::AppealFiling {
        kind: input.kind,
        filed_on: input.filed_on,
        reference: json!(input.reference),
    };
    let policy = state.policy.clone();
    lifecycle_write(&state, who, fp, move |c, who, j| {
        svc::appeal(c, &id, &filing, &policy, (who, j), today)
    })
    .await
}

/// The wire request for a replacement: the appealed sanction's facts, the decision's reference.
fn replacement_request(
    old: &SanctionRow,
    kind: Option<AppealKind>,
    r: &ReplacementIn,
    reference: &Reference,
) -> SanctionIn {
    let issuer = r.issuer.clone().unwrap_or_else(|| match kind {
        Some(AppealKind::Banding) => "BPASN".to_string(),
        _ => old.issuer.clone(),
    });
    SanctionIn {
        nip: old.nip.clone(),
        decision: DecisionIn {
            number: reference.number.clone(),
            date: reference.date,
            received_date: None,
            issuer,
            issuer_agency: old.issuer_agency.clone(),
            legal_basis: r.legal_basis.clone(),
        },
        type_code: r.type_code.clone(),
        violation: old
            .violation
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok()),
        effective_from: Some(r.effective_from.unwrap_or(old.effective_from)),
        effective_until: r.effective_until,
        duration_months: r.duration_months,
        blocked_purposes: r.blocked_purposes.clone(),
        document: None,
    }
}

fn prefix_fields(e: ApiError, prefix: &str) -> ApiError {
    let errors = e
        .errors
        .into_iter()
        .map(|f| FieldError::new(format!("{prefix}.{}", f.field), f.message))
        .collect();
    ApiError::validation(errors)
}

/// Record the decision on an appeal: upheld, annulled, or a replacement that supersedes it.
#[utoipa::path(operation_id = "decideAppeal", tag = "sanctions", request_body = AppealDecisionIn,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = AppealDecisionOut), (status = 404, body = crate::error::Problem),
               (status = 400, body = crate::error::Problem, description = "validation_failed, e.g. decided_on before filed_on"),
               (status = 409, body = crate::error::Problem, description = "invalid_transition: no appeal is pending")),
    security(("bearer" = ["sanctions:write"])))]
#[post("/sanctions/{id}/appeal/decision")]
pub async fn appeal_decision(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ApiJson<AppealDecisionIn>,
) -> Result<HttpResponse, ApiError> {
    let (id, today) = (id.into_inner(), state.today());
    let fp = lifecycle_fingerprint(&who, key, "appeal/decision", &id, &body.value);
    let input = body.body;
    let mut errors = reference_errors(&input.reference, "decided_on", input.decided_on, today);
    let replaces = matches!(
        input.outcome,
        AppealOutcome::Reduced | AppealOutcome::Increased | AppealOutcome::Changed
    );
    if replaces != input.replacement.is_some() {
        errors.push(FieldError::new("replacement", L10n::new(
            "wajib untuk reduced, increased dan changed; tidak boleh untuk upheld dan annulled",
            "is required for reduced, increased and changed, and refused for upheld and annulled",
        )));
    }
    ApiError::check(errors)?;
    let details = json!({ "outcome": input.outcome, "decided_on": input.decided_on, "reference": input.reference });
    let (st, clock, watch) = (state.clone(), state.clock, state.watch());
    let reply = db::run(&state.pool, move |c| {
        run_write(
            c,
            fp.as_ref(),
            &who.audit_actor(),
            clock.now_naive(),
            &watch,
            |c, j| {
                let old = svc::load_under_appeal(c, &id, &who.caller(), today)?;
                let kind = old
                    .appeal
                    .as_deref()
                    .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
                    .and_then(|a| a["kind"].as_str().and_then(|k| k.parse().ok()));
                let replacement = match &input.replacement {
                    None => None,
                    Some(r) => Some(
                        validate(
                            replacement_request(&old, kind, r, &input.reference),
                            &st,
                            old.decision_date,
                        )
                        .map_err(|e| prefix_fields(e, "replacement"))?,
                    ),
                };
                let replacement = replacement.map(|mut n| {
                    n.supersedes = Some(old.id.clone());
                    n
                });
                let decision = svc::AppealDecision {
                    outcome: input.outcome,
                    decided_on: input.decided_on,
                    details: details.clone(),
                    replacement,
                };
                let (after, new) = svc::decide_appeal(c, old, decision, &who.caller(), j, today)?;
                let out = AppealDecisionOut {
                    sanction: SanctionOut::from_row(&after, today),
                    replacement: new.map(|n| SanctionOut::from_row(&n, today)),
                };
                Ok(Reply {
                    status: 200,
                    location: None,
                    body: json!(out),
                })
            },
        )
    })
    .await?;
    Ok(write_reply(reply))
}
