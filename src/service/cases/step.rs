//! Moving a case: one step, checked against the state machine and the caller's rights,
//! with its deadlines from the policy.

use super::{case_not_found, note, tell};
use crate::db::cases::{self as store, CaseRow};
use crate::db::{sanctions, AnyConnection};
use crate::domain::case::{CaseState, Category, Step};
use crate::domain::policy::Policy;
use crate::domain::EventType;
use crate::error::{ApiError, ErrorCode};
use crate::i18n::L10n;
use crate::service::journal::Journal;
use crate::service::Caller;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A step as asked, checked at the edge.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    pub step: Step,
    /// The day it was taken.
    #[serde(deserialize_with = "crate::domain::text::iso::date")]
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    /// The letter or decree behind it: `{number, date, issuer}`.
    #[schema(value_type = Option<Object>)]
    pub reference: Option<serde_json::Value>,
    pub note: Option<String>,
    /// Required for `rejected`, `not_proven` and `withdrawn`.
    pub reason: Option<String>,
    /// For `recommended` (default: the conduct's category for the case's stage).
    pub category: Option<Category>,
    /// For `recommended`: who recommends (`KASN` until 2024, `BKN` since; default `BKN`).
    pub issuer: Option<String>,
    /// Required for `sanction_imposed`: the sanction recorded for this case.
    pub sanction_id: Option<String>,
}

fn refused(field: &str, id: &str, en: &str) -> ApiError {
    ApiError::field(field, L10n::new(id.to_string(), en.to_string()))
}

/// Takes a step: `invalid_transition` (with the current `state`) when the state does not
/// allow it; an agency-limited writer takes only the PPK's steps, for ASN of its agency.
pub fn take_step(
    conn: &mut AnyConnection,
    policy: &Policy,
    who: &Caller,
    case_id: &str,
    input: &StepInput,
    j: &mut Journal,
) -> Result<CaseRow, ApiError> {
    let case = store::find(conn, case_id)?.ok_or_else(|| case_not_found(case_id))?;
    step_of(conn, policy, who, case, input, j)
}

/// [`take_step`] on a case already read in this transaction.
fn step_of(
    conn: &mut AnyConnection,
    policy: &Policy,
    who: &Caller,
    mut case: CaseRow,
    input: &StepInput,
    j: &mut Journal,
) -> Result<CaseRow, ApiError> {
    if who.agency.is_some() {
        if !input.step.is_ppk_step() {
            return Err(ApiError::with_detail(
                ErrorCode::Forbidden,
                format!("Penulis yang terbatas pada satu instansi hanya mencatat langkah PPK, bukan '{}'", input.step),
                format!("A writer limited to one agency takes only the PPK's steps, not '{}'", input.step),
            ));
        }
        who.may_write_for(case.agency_code.as_deref())?;
    }
    let from = case.state;
    let Some(to) = input.step.from_state(from) else {
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!(
                "Langkah '{}' tidak diizinkan dari status '{from}'",
                input.step
            ),
            format!(
                "The step '{}' is not allowed from the state '{from}'",
                input.step
            ),
        )
        .extra("state", json!(from)));
    };
    if input.on < case.state_since {
        return Err(refused(
            "on",
            &format!(
                "tidak boleh sebelum langkah sebelumnya ({})",
                case.state_since
            ),
            &format!(
                "must not be before the previous step ({})",
                case.state_since
            ),
        ));
    }
    let on = input.on;
    let mut extra = json!({});
    match input.step {
        Step::Recommended => {
            let default = policy
                .doc
                .cases
                .conduct(&case.conduct)
                .and_then(|c| c.default_category(case.stage));
            let category = input.category.or(default).ok_or_else(|| {
                refused(
                    "category",
                    "wajib: katalog tidak memberi kategori untuk perilaku dan tahap ini",
                    "is required: the catalogue gives no category for this conduct and stage",
                )
            })?;
            case.recommendation = Some(category);
            case.recommendation_issuer = Some(input.issuer.clone().unwrap_or_else(|| "BKN".into()));
            case.recommended_on = Some(on);
            case.followup_due = policy.doc.cases.deadline(to, on, &policy.calendar);
            extra = json!({ "category": category, "issuer": case.recommendation_issuer });
        }
        Step::SanctionImposed => {
            let id = input.sanction_id.as_deref().ok_or_else(|| {
                refused(
                    "sanction_id",
                    "wajib untuk sanction_imposed",
                    "is required for sanction_imposed",
                )
            })?;
            let sanction = sanctions::find(conn, id)?
                .filter(|s| s.nip == case.nip)
                .ok_or_else(|| {
                    refused(
                        "sanction_id",
                        "bukan hukuman ASN kasus ini",
                        "is not a sanction of this case's ASN",
                    )
                })?;
            case.sanction_id = Some(sanction.id);
            case.sanctioned_on = Some(on);
        }
        Step::BlockRequested => case.block_requested_on = Some(on),
        Step::Rejected | Step::NotProven | Step::Withdrawn
            if input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) =>
        {
            return Err(refused(
                "reason",
                "wajib untuk langkah ini",
                "is required for this step",
            ));
        }
        _ => {}
    }
    if to != from {
        case.state = to;
        case.state_since = on;
        case.deadline = policy.doc.cases.deadline(to, on, &policy.calendar);
    }
    if to.is_final() {
        case.closed_on = Some(on);
        case.deadline = None;
    }
    case.updated_at = j.at();
    store::update(conn, &case)?;
    let data = json!({
        "reference": input.reference, "note": input.note, "reason": input.reason,
        "category": case.recommendation.filter(|_| input.step == Step::Recommended),
        "issuer": input.issuer, "sanction_id": input.sanction_id, "deadline": case.deadline,
    });
    note(conn, &case, (input.step.as_str(), Some(from), on), data, j)?;
    let event = match input.step {
        Step::Recommended => Some(EventType::CaseRecommended),
        Step::Escalated => Some(EventType::CaseEscalated),
        Step::BlockRequested => Some(EventType::CaseBlockRequested),
        Step::SanctionImposed => Some(EventType::CaseSanctioned),
        Step::VerificationStarted | Step::ExaminationStarted => Some(EventType::CaseNoted),
        Step::Rejected | Step::NotProven | Step::Withdrawn => None,
    };
    if let Some(event) = event {
        tell(conn, &case, event, extra, j)?;
    }
    if to.is_final() {
        tell(
            conn,
            &case,
            EventType::CaseClosed,
            json!({ "step": input.step }),
            j,
        )?;
    }
    if to == CaseState::Sanctioned {
        release_due(conn, &case, on, j)?;
    }
    Ok(case)
}

/// A sanctioned case whose blocks are still in force: BKN should release them (the clock
/// never does).
fn release_due(
    conn: &mut AnyConnection,
    case: &CaseRow,
    on: NaiveDate,
    j: &mut Journal,
) -> Result<(), ApiError> {
    let active = store::active_blocks(conn, &case.id)?;
    if active.is_empty() {
        return Ok(());
    }
    note(
        conn,
        case,
        ("block_release_due", Some(case.state), on),
        json!({ "block_ids": active }),
        j,
    )?;
    tell(
        conn,
        case,
        EventType::CaseBlockReleaseDue,
        json!({ "block_ids": active }),
        j,
    )
}

/// A sanction recorded with `case_id`: the case's `sanction_imposed` step, in the sanction's
/// transaction (its first day in force, or the decree's date, is the step's day).
pub fn link_sanction(
    conn: &mut AnyConnection,
    policy: &Policy,
    who: &Caller,
    case_id: &str,
    sanction: &crate::db::sanctions::SanctionRow,
    j: &mut Journal,
) -> Result<CaseRow, ApiError> {
    // The case's absence names the sanction's `case_id` field.
    let case = store::find(conn, case_id)?
        .ok_or_else(|| refused("case_id", "kasus tidak dikenal", "is not a known case"))?;
    let input = StepInput {
        step: Step::SanctionImposed,
        // The decree's date, or the case's last step's if the decree is dated before it.
        on: sanction.decision_date.max(case.state_since),
        reference: Some(json!({ "number": sanction.decision_number,
                                "date": sanction.decision_date, "issuer": sanction.issuer })),
        note: None,
        reason: None,
        category: None,
        issuer: None,
        sanction_id: Some(sanction.id.clone()),
    };
    step_of(conn, policy, who, case, &input, j)
}
