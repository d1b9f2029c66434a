//! Recording, lifting and annulling sanctions, each with its timeline event in the same
//! transaction.

use super::journal::Journal;
use super::Caller;
use crate::db::sanctions::{self as store, SanctionRow};
use crate::db::stored::Json;
use crate::db::{asn, AnyConnection};
use crate::domain::nip::Nip;
use crate::domain::period::Period;
use crate::domain::policy::{Policy, SanctionTypeDef};
use crate::domain::sanction::{check_appeal, AppealRefusal, AppealedDecree, Lifecycle};
use crate::domain::{AppealKind, AppealOutcome, Purpose, SanctionState, SanctionStatus};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::i18n::L10n;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The decision document's identity and provenance.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRef {
    pub number: String,
    pub date: NaiveDate,
    pub received_date: Option<NaiveDate>,
    pub issuer: String,
    pub issuer_agency: Option<String>,
    pub legal_basis: Option<String>,
}

/// A validated sanction to record: every default already applied.
#[derive(Debug, Clone)]
pub struct NewSanction {
    pub nip: Nip,
    pub sanction_type: SanctionTypeDef,
    pub decision: DecisionRef,
    pub violation: Option<serde_json::Value>,
    pub period: Period,
    pub blocked_purposes: Vec<Purpose>,
    pub document: Option<serde_json::Value>,
    /// The sanction this one replaces after an appeal.
    pub supersedes: Option<String>,
}

impl NewSanction {
    /// SHA-256 over the canonical JSON of everything the decision says; two submissions
    /// of one decision are "the same" when this matches.
    pub fn content_hash(&self) -> String {
        let canonical = json!({
            "nip": self.nip.as_str(),
            "type": self.sanction_type.code,
            "decision": self.decision,
            "violation": self.violation,
            "effective_from": self.period.from(),
            "effective_until": self.period.until(),
            "blocked_purposes": self.blocked_purposes,
            "document": self.document,
        });
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// Records a sanction. `Ok((row, true))` when new, `Ok((row, false))` when the same decision
/// with the same content was recorded before; other content is `duplicate_decision`.
pub fn record(
    conn: &mut AnyConnection,
    new: &NewSanction,
    who: &Caller,
    j: &mut Journal,
    today: NaiveDate,
) -> Result<(SanctionRow, bool), ApiError> {
    let now = j.at();
    let nip = new.nip.as_str();
    let profile = asn::find(conn, nip)?;
    let agency = profile
        .as_ref()
        .and_then(|p| p.agency_code.as_deref())
        .or(new.decision.issuer_agency.as_deref());
    who.may_write_for(agency)?;
    let hash = new.content_hash();
    if let Some(existing) =
        store::find_by_decision(conn, &new.decision.issuer, &new.decision.number, nip)?
    {
        if existing.content_hash == hash {
            return Ok((existing, false));
        }
        return Err(ApiError::with_detail(
            ErrorCode::DuplicateDecision,
            format!(
                "Keputusan {} dari {} untuk NIP ini sudah tercatat dengan isi berbeda",
                new.decision.number, new.decision.issuer
            ),
            format!(
                "Decision {} by {} is already recorded for this NIP with different content",
                new.decision.number, new.decision.issuer
            ),
        )
        .extra("sanction_id", json!(existing.id)));
    }
    if asn::ensure(conn, nip, now)? {
        j.event(
            conn,
            nip,
            "asn.registered",
            None,
            json!({ "status": "unknown" }),
        )?;
    }
    let row = new_row(new, hash, j.label(), now, today)?;
    store::insert(conn, &row)?;
    let data = json!({
        "type": row.type_code, "decision_number": row.decision_number, "issuer": row.issuer,
        "effective_from": row.effective_from, "effective_until": row.effective_until,
    });
    j.event(conn, nip, "sanction.recorded", Some(&row.id), data)?;
    if let Some(until) = row.effective_until.filter(|_| row.expired_at.is_some()) {
        // Recorded after its end (a back-dated record): the job will never see it end, so
        // its end is told now, in the timeline and the feed, as the job would have.
        let ended = json!({ "effective_until": until, "recorded_late": true });
        j.event(conn, nip, "sanction.expired", Some(&row.id), ended)?;
    }
    Ok((row, true))
}

/// A new row. Starting and ending are recorded by the jobs only for what happens after it is
/// recorded: a sanction already in force (or over) is marked so now.
fn new_row(
    new: &NewSanction,
    hash: String,
    actor: &str,
    now: NaiveDateTime,
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let t = &new.sanction_type;
    Ok(SanctionRow {
        id: uuid::Uuid::now_v7().to_string(),
        nip: new.nip.as_str().to_string(),
        type_code: t.code.clone(),
        regime: t.regime.clone(),
        kind: t.kind,
        level: t.level,
        decision_number: new.decision.number.clone(),
        decision_date: new.decision.date,
        received_date: new.decision.received_date,
        issuer: new.decision.issuer.clone(),
        issuer_agency: new.decision.issuer_agency.clone(),
        legal_basis: new.decision.legal_basis.clone(),
        violation: new.violation.as_ref().map(|v| v.to_string()),
        effective_from: new.period.from(),
        effective_until: new.period.until(),
        blocked_purposes: Json(new.blocked_purposes.clone()),
        document: new.document.as_ref().map(|v| v.to_string()),
        state: SanctionState::Recorded,
        lifted_on: None,
        lift: None,
        annulled_at: None,
        annulment: None,
        content_hash: hash,
        recorded_at: now,
        recorded_by: actor.to_string(),
        updated_at: now,
        appeal: None,
        appeal_filed_on: None,
        supersedes: new.supersedes.clone(),
        superseded_by: None,
        activated_at: (new.period.from() <= today).then_some(now),
        expired_at: new.period.until().filter(|u| *u <= today).map(|_| now),
    })
}

pub fn decided_period(row: &SanctionRow) -> Period {
    Period::new(row.effective_from, row.effective_until)
        .unwrap_or_else(|_| Period::months(row.effective_from, 0))
}

/// What the row's status depends on.
pub fn lifecycle(row: &SanctionRow) -> Lifecycle {
    let state = row.state;
    Lifecycle {
        state,
        decided: decided_period(row),
        lifted_on: row.lifted_on.filter(|_| state == SanctionState::Lifted),
        appeal_filed_on: row
            .appeal_filed_on
            .filter(|_| state == SanctionState::UnderAppeal),
    }
}

/// The status on `day`, lift and appeal dates included.
pub fn status_on(row: &SanctionRow, day: NaiveDate) -> SanctionStatus {
    lifecycle(row).status_on(day)
}

/// Loads a sanction the caller may change, or `sanction_not_found` / `forbidden`.
fn load_writable(
    conn: &mut AnyConnection,
    id: &str,
    who: &Caller,
) -> Result<SanctionRow, ApiError> {
    let row = store::find(conn, id)?.ok_or_else(sanction_not_found)?;
    if who.agency.is_some() {
        let profile = asn::find(conn, &row.nip)?;
        let agency = profile
            .and_then(|p| p.agency_code)
            .or_else(|| row.issuer_agency.clone());
        who.may_write_for(agency.as_deref())?;
    }
    Ok(row)
}

pub fn sanction_not_found() -> ApiError {
    ApiError::with_detail(
        ErrorCode::SanctionNotFound,
        "Hukuman tidak ditemukan",
        "No sanction has this id",
    )
}

fn invalid_transition(action: &str, status: SanctionStatus) -> ApiError {
    ApiError::with_detail(
        ErrorCode::InvalidTransition,
        format!("Hukuman berstatus '{status}' tidak dapat di-{action}"),
        format!("A sanction with status '{status}' cannot be {action}ed"),
    )
    .extra("current_status", json!(status))
}

/// Ends a scheduled or active sanction early, on `on`.
pub fn lift(
    conn: &mut AnyConnection,
    id: &str,
    on: NaiveDate,
    details: serde_json::Value,
    who: &Caller,
    j: &mut Journal,
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let now = j.at();
    move_running(
        conn,
        (id, who, j),
        today,
        ("lift", "sanction.lifted"),
        details,
        |c, d| store::mark_lifted(c, id, on, d, now),
    )
}

/// A move only a scheduled or active sanction may make: checks the status, applies
/// `change` (given the details as JSON text), records `event_type`, returns the sanction after.
fn move_running(
    conn: &mut AnyConnection,
    (id, who, j): (&str, &Caller, &mut Journal),
    today: NaiveDate,
    (action, event_type): (&str, &str),
    details: serde_json::Value,
    change: impl FnOnce(&mut AnyConnection, String) -> diesel::QueryResult<()>,
) -> Result<SanctionRow, ApiError> {
    let row = load_writable(conn, id, who)?;
    let status = status_on(&row, today);
    if !matches!(status, SanctionStatus::Scheduled | SanctionStatus::Active) {
        return Err(invalid_transition(action, status));
    }
    change(conn, details.to_string())?;
    j.event(conn, &row.nip, event_type, Some(id), details)?;
    store::find(conn, id)?.ok_or_else(sanction_not_found)
}

/// Annuls a sanction (BPASN or a court): it stays in the history and counts nowhere.
pub fn annul(
    conn: &mut AnyConnection,
    id: &str,
    details: serde_json::Value,
    who: &Caller,
    j: &mut Journal,
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let row = load_writable(conn, id, who)?;
    let status = status_on(&row, today);
    if matches!(
        status,
        SanctionStatus::Annulled | SanctionStatus::Superseded
    ) {
        return Err(invalid_transition("annul", status));
    }
    store::mark_annulled(conn, id, details.to_string(), j.at())?;
    j.event(conn, &row.nip, "sanction.annulled", Some(id), details)?;
    store::find(conn, id)?.ok_or_else(sanction_not_found)
}

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
    id: &str,
    filing: &AppealFiling,
    policy: &Policy,
    (who, j): (&Caller, &mut Journal),
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let row = load_writable(conn, id, who)?;
    let t = policy.sanction_type(&row.type_code);
    let decree = AppealedDecree {
        dismissal: t.is_some_and(|t| t.dismissal),
        level: row.level,
        decision_date: row.decision_date,
        received_date: row.received_date,
    };
    let status = status_on(&row, today);
    if !matches!(status, SanctionStatus::Scheduled | SanctionStatus::Active) {
        return Err(invalid_transition("appeal", status));
    }
    let terms = check_appeal(policy, decree, filing.kind, filing.filed_on).map_err(refusal)?;
    let details = json!({
        "kind": filing.kind, "filed_on": filing.filed_on, "reference": filing.reference,
        "last_filing_day": terms.last_filing_day, "decision_due": terms.decision_due,
    });
    let now = j.at();
    move_running(
        conn,
        (id, who, j),
        today,
        ("appeal", "sanction.appealed"),
        details,
        |c, d| store::record_appeal(c, id, filing.filed_on, d, now),
    )
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
pub struct AppealDecision {
    pub outcome: AppealOutcome,
    pub decided_on: NaiveDate,
    pub details: serde_json::Value,
    pub replacement: Option<NewSanction>,
}

/// Loads a sanction under appeal, or says why its appeal cannot be decided.
pub fn load_under_appeal(
    conn: &mut AnyConnection,
    id: &str,
    who: &Caller,
    today: NaiveDate,
) -> Result<SanctionRow, ApiError> {
    let row = load_writable(conn, id, who)?;
    match status_on(&row, today) {
        SanctionStatus::UnderAppeal => Ok(row),
        other => Err(invalid_transition("decide the appeal of", other)),
    }
}

/// Applies an appeal decision. Returns the appealed sanction after it, and the
/// replacement that supersedes it, if any.
pub fn decide_appeal(
    conn: &mut AnyConnection,
    row: SanctionRow,
    decision: AppealDecision,
    who: &Caller,
    j: &mut Journal,
    today: NaiveDate,
) -> Result<(SanctionRow, Option<SanctionRow>), ApiError> {
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
    appeal["decision"] = decision.details.clone();
    let id = row.id.as_str();
    let decided = json!({ "outcome": decision.outcome, "decision": decision.details });
    j.event(conn, &row.nip, "sanction.appeal_decided", Some(id), decided)?;
    let replacement = match (decision.outcome, decision.replacement) {
        (AppealOutcome::Upheld, _) => {
            store::decide_appeal(
                conn,
                id,
                SanctionState::Recorded.as_str(),
                appeal.to_string(),
                None,
                now,
            )?;
            None
        }
        (AppealOutcome::Annulled, _) => {
            store::decide_appeal(
                conn,
                id,
                SanctionState::Annulled.as_str(),
                appeal.to_string(),
                None,
                now,
            )?;
            store::mark_annulled(conn, id, decision.details.to_string(), now)?;
            j.event(
                conn,
                &row.nip,
                "sanction.annulled",
                Some(id),
                decision.details,
            )?;
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
            store::decide_appeal(
                conn,
                id,
                SanctionState::Superseded.as_str(),
                appeal.to_string(),
                Some(&new_row.id),
                now,
            )?;
            let data = json!({ "superseded_by": new_row.id, "outcome": decision.outcome });
            j.event(conn, &row.nip, "sanction.superseded", Some(id), data)?;
            Some(new_row)
        }
    };
    let after = store::find(conn, id)?.ok_or_else(sanction_not_found)?;
    Ok((after, replacement))
}
