//! Appeals (upaya administratif, PP 79/2021): filing one, and deciding it, which may put a
//! replacement in the appealed sanction's place.

use super::{annul_row, load_for, record, reload};
use crate::db::sanctions::{self as store, SanctionRow};
use crate::db::AnyConnection;
use crate::domain::policy::Policy;
use crate::domain::sanction::draft::{Appealed, DraftRefusal, ReplacementDraft};
use crate::domain::sanction::{check_appeal, AppealRefusal, AppealedDecree, Move};
use crate::domain::EventType;
use crate::domain::{AppealKind, AppealOutcome, FieldError, SanctionState};
use crate::error::{ApiError, ErrorCode};
use crate::i18n::L10n;
use crate::service::journal::Journal;
use crate::service::Caller;
use chrono::NaiveDate;
use serde_json::json;

/// An appeal as filed.
pub struct AppealFiling {
    pub kind: AppealKind,
    pub filed_on: NaiveDate,
    pub reference: serde_json::Value,
}

/// Files an appeal (keberatan or banding) against a scheduled or active sanction, if the
/// law lets this kind of appeal lie against it and it is filed in time (PP 79/2021).
pub fn appeal(
    conn: &mut AnyConnection,
    (id, filing): (&str, &AppealFiling),
    policy: &Policy,
    (who, j): (&Caller, &mut Journal),
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let row = load_for(conn, id, who, Move::Appeal, today)?;
    let decree = AppealedDecree {
        dismissal: policy
            .sanction_type(&row.type_code)
            .is_some_and(|t| t.dismissal),
        level: row.level,
        decision_date: row.decision_date,
        received_date: row.received_date,
    };
    let terms = check_appeal(policy, decree, filing.kind, filing.filed_on).map_err(refusal)?;
    let details = json!({
        "kind": filing.kind, "filed_on": filing.filed_on, "reference": filing.reference,
        "last_filing_day": terms.last_filing_day, "decision_due": terms.decision_due,
    });
    store::record_appeal(conn, id, filing.filed_on, details.to_string(), j.at())?;
    j.event(
        conn,
        &row.nip,
        EventType::SanctionAppealed,
        Some(id),
        details,
    )?;
    reload(conn, id)
}

/// The problem for an appeal the law does not accept.
fn refusal(r: AppealRefusal) -> ApiError {
    match r {
        AppealRefusal::BeforeDecree { earliest } => ApiError::validation(vec![FieldError::new(
            "filed_on",
            L10n::new(
                format!("tidak boleh sebelum keputusan diterbitkan atau diterima ({earliest})"),
                format!("cannot be before the decision was made or received ({earliest})"),
            ),
        )]),
        AppealRefusal::NotAllowed { kind: AppealKind::Banding, .. } => ApiError::with_detail(
            ErrorCode::AppealNotAllowed,
            "Banding administratif hanya terhadap keputusan pemberhentian (PP 79/2021 Pasal 1 angka 5); ajukan keberatan",
            "A banding lies only against a dismissal (PP 79/2021 Pasal 1 angka 5); file a keberatan",
        ),
        AppealRefusal::NotAllowed { .. } => ApiError::with_detail(
            ErrorCode::AppealNotAllowed,
            "Keberatan tidak dapat diajukan terhadap keputusan pemberhentian (PP 79/2021 Pasal 1 angka 4); ajukan banding ke BPASN",
            "A keberatan does not lie against a dismissal (PP 79/2021 Pasal 1 angka 4); file a banding with BPASN",
        ),
        AppealRefusal::LightNotAppealable => ApiError::with_detail(
            ErrorCode::AppealNotAllowed,
            "Menurut kebijakan yang berlaku, hukuman disiplin ringan tidak dapat diajukan upaya administratif",
            "Under the policy in force, light sanctions cannot be appealed",
        ),
        AppealRefusal::TooLate { last_day } => ApiError::with_detail(
            ErrorCode::AppealTooLate,
            format!("Batas akhir pengajuan adalah {last_day}"),
            format!("The last day to file was {last_day}"),
        )
        .extra("last_filing_day", json!(last_day)),
    }
}

/// What an appeal decided; `replacement` for reduced, increased and changed outcomes.
#[derive(Clone)]
pub struct AppealDecision {
    pub outcome: AppealOutcome,
    pub decided_on: NaiveDate,
    /// The decision's reference: its number and date decide the replacement too.
    pub reference: (String, NaiveDate),
    pub details: serde_json::Value,
    pub replacement: Option<ReplacementDraft>,
}

/// Applies an appeal decision to a sanction under appeal. Returns the appealed sanction
/// after it, and the replacement that supersedes it, if any: a decree of its own (the
/// decision's number and date, `BPASN` for a banding), about the same person and violation,
/// checked like any decree but never starting before the appealed one.
pub fn decide_appeal(
    conn: &mut AnyConnection,
    (id, decision): (&str, AppealDecision),
    policy: &Policy,
    (who, j): (&Caller, &mut Journal),
    today: NaiveDate,
) -> Result<(SanctionRow, Option<SanctionRow>), ApiError> {
    let row = load_for(conn, id, who, Move::DecideAppeal, today)?;
    let now = j.at();
    if let Some(filed) = row.appeal_filed_on.filter(|f| decision.decided_on < *f) {
        return Err(ApiError::field(
            "decided_on",
            L10n::new(
                format!("tidak boleh sebelum upaya administratif diajukan ({filed})"),
                format!("cannot be before the appeal was filed ({filed})"),
            ),
        ));
    }
    let mut appeal: serde_json::Value = row
        .appeal
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or(json!({}));
    let replacement = match decision.replacement {
        Some(r) => Some(replacement(&row, &appeal, r, &decision.reference, policy)?),
        None => None,
    };
    appeal["decision"] = decision.details.clone();
    let decided = json!({ "outcome": decision.outcome, "decision": decision.details });
    j.event(
        conn,
        &row.nip,
        EventType::SanctionAppealDecided,
        Some(id),
        decided,
    )?;
    let replacement = match (decision.outcome, replacement) {
        (AppealOutcome::Upheld, _) => {
            let state = SanctionState::Recorded;
            store::decide_appeal(conn, id, state, appeal.to_string(), None, now)?;
            None
        }
        (AppealOutcome::Annulled, _) => {
            let state = SanctionState::Annulled;
            store::decide_appeal(conn, id, state, appeal.to_string(), None, now)?;
            annul_row(conn, (&row.nip, id), decision.details, j)?;
            None
        }
        (_, None) => {
            return Err(ApiError::field(
                "replacement",
                L10n::new(
                    "wajib untuk putusan reduced, increased dan changed",
                    "is required for reduced, increased and changed outcomes",
                ),
            ))
        }
        (_, Some(new)) => {
            let (new_row, _) = record(conn, &new, who, j, today)?;
            let state = SanctionState::Superseded;
            let by = Some(new_row.id.as_str());
            store::decide_appeal(conn, id, state, appeal.to_string(), by, now)?;
            let data = json!({ "superseded_by": new_row.id, "outcome": decision.outcome });
            j.event(
                conn,
                &row.nip,
                EventType::SanctionSuperseded,
                Some(id),
                data,
            )?;
            Some(new_row)
        }
    };
    Ok((reload(conn, id)?, replacement))
}

/// The replacement a decision puts in place of `old`, checked; its problems are named
/// under `replacement.`.
fn replacement(
    old: &SanctionRow,
    appeal: &serde_json::Value,
    r: ReplacementDraft,
    (number, date): &(String, NaiveDate),
    policy: &Policy,
) -> Result<crate::domain::sanction::draft::NewSanction, ApiError> {
    let kind = appeal["kind"].as_str().and_then(|k| k.parse().ok());
    let appealed = Appealed {
        nip: &old.nip,
        issuer: &old.issuer,
        issuer_agency: old.issuer_agency.as_deref(),
        violation: old
            .violation
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok()),
        effective_from: old.effective_from,
        kind,
    };
    let draft = r.into_draft(appealed, number, *date);
    let mut new = draft.settle(policy, old.decision_date).map_err(|refused| {
        let errors = match refused {
            DraftRefusal::Nip(m) => vec![FieldError::new("nip", m)],
            DraftRefusal::Fields(f) => f,
        };
        let prefixed = errors
            .into_iter()
            .map(|f| FieldError::new(format!("replacement.{}", f.field), f.message))
            .collect();
        ApiError::validation(prefixed)
    })?;
    new.supersedes = Some(old.id.clone());
    Ok(new)
}
