//! The moves of a sanction's lifecycle: lift, annul, appeal and the appeal's decision.

use super::wire::{
    AnnulIn, AppealDecisionIn, AppealDecisionOut, AppealIn, LiftIn, Reference, SanctionOut,
};
use crate::auth::Principal;
use crate::db::{self, sanctions::SanctionRow};
use crate::domain::sanction::draft::check_text;
use crate::domain::AppealOutcome;
use crate::error::{ApiError, FieldError};
use crate::extract::{ApiJson, IdempotencyKey};
use crate::i18n::L10n;
use crate::routes::{write, write_reply};
use crate::service::idempotency::{Fingerprint, Reply};
use crate::service::journal::Journal;
use crate::service::sanctions as svc;
use crate::service::Caller;
use crate::state::AppState;
use actix_web::post;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde_json::json;

/// The sanction after a move, as the answer shows it.
fn after(
    row: Result<SanctionRow, ApiError>,
    today: NaiveDate,
) -> Result<serde_json::Value, ApiError> {
    Ok(json!(SanctionOut::from_row(&row?, today)))
}

/// Checks every lifecycle request makes: a reference number, and a date not in the future.
fn reference_errors(
    reference: &Reference,
    date_field: &str,
    date: NaiveDate,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, "reference.number", &reference.number, 200);
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

/// Runs one lifecycle move as an idempotent write; `change` gives the answer's body.
async fn lifecycle_write<F>(
    state: &AppState,
    who: Principal,
    fp: Option<Fingerprint>,
    change: F,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut db::AnyConnection, &Caller, &mut Journal) -> Result<serde_json::Value, ApiError>
        + Send
        + 'static,
{
    let reply = write(state, &who, fp, move |c, who, j| {
        Ok(Reply {
            status: 200,
            location: None,
            body: change(c, who, j)?.into(),
        })
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
        after(
            svc::lift(c, (&id, on), details.clone(), (who, j), today),
            today,
        )
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
    check_text(
        &mut errors,
        "reference.number",
        &input.reference.number,
        200,
    );
    check_text(
        &mut errors,
        "reference.issuer",
        &input.reference.issuer,
        100,
    );
    check_text(&mut errors, "reason", &input.reason, 2000);
    ApiError::check(errors)?;
    let details = json!({ "reference": input.reference, "reason": input.reason });
    lifecycle_write(&state, who, fp, move |c, who, j| {
        after(svc::annul(c, &id, details.clone(), (who, j), today), today)
    })
    .await
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
        after(
            svc::appeal(c, (&id, &filing), &policy, (who, j), today),
            today,
        )
    })
    .await
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
    let decision = svc::AppealDecision {
        outcome: input.outcome,
        decided_on: input.decided_on,
        reference: (input.reference.number.clone(), input.reference.date),
        details,
        replacement: input.replacement.map(|r| r.into_draft()),
    };
    let policy = state.policy.clone();
    lifecycle_write(&state, who, fp, move |c, who, j| {
        let decision = (id.as_str(), decision.clone());
        let (sanction, replacement) = svc::decide_appeal(c, decision, &policy, (who, j), today)?;
        Ok(json!(AppealDecisionOut {
            sanction: SanctionOut::from_row(&sanction, today),
            replacement: replacement.map(|n| SanctionOut::from_row(&n, today)),
        }))
    })
    .await
}
