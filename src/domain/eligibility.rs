//! The eligibility decision: a pure function of (records, policy, `as_of`).
//! No clock, no I/O: every date it needs is an argument.

use super::period::{add_years, Period};
use super::policy::{LookbackBasis, LookbackRule, Policy};
use super::{AsnStatus, Kind, Level, Purpose};
use crate::i18n::L10n;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the registry knows about the person.
#[derive(Debug, Clone)]
pub struct AsnFacts {
    pub status: AsnStatus,
}

/// A BKN block on the person or on their agency: in force from the day it was ordered
/// until the day it was released (`None`: not released). Only a release ends it.
#[derive(Debug, Clone)]
pub struct BlockFacts {
    pub id: String,
    pub reference: Option<String>,
    pub period: Period,
}

/// A neutrality case as the rules see it: awaiting the PPK from the day it was recommended
/// until the day it ended (`None`: still open).
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub id: String,
    pub reference: String,
    pub open: Period,
}

/// One sanction as the rules see it.
#[derive(Debug, Clone)]
pub struct SanctionFacts {
    pub id: String,
    pub type_code: String,
    pub kind: Kind,
    pub level: Option<Level>,
    pub decision_number: String,
    pub decision_date: NaiveDate,
    /// The period as decided (`effective_from`, `effective_until`).
    pub decided: Period,
    /// Set when it was lifted: the first day it no longer ran.
    pub lifted_on: Option<NaiveDate>,
    /// `false` once annulled (or superseded): it then counts nowhere.
    pub counts: bool,
    /// Set while an appeal is pending: the day it was filed. From then on the sanction
    /// takes effect only as the appeal decides (domain.md §2).
    pub appeal_pending_since: Option<NaiveDate>,
    pub blocked_purposes: Vec<Purpose>,
    pub legal_basis: String,
}

impl SanctionFacts {
    /// The period it actually ran: as decided, ended early by a lift.
    pub fn served(&self) -> Period {
        match self.lifted_on {
            Some(day) => self.decided.ended_by(day),
            None => self.decided,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    ActiveSanction,
    DisciplinaryHistory,
    PendingAppeal,
    BknBlock,
    NotActive,
    StatusUnknown,
    PendingCase,
}

impl ReasonCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReasonCode::ActiveSanction => "active_sanction",
            ReasonCode::DisciplinaryHistory => "disciplinary_history",
            ReasonCode::PendingAppeal => "pending_appeal",
            ReasonCode::BknBlock => "bkn_block",
            ReasonCode::NotActive => "not_active",
            ReasonCode::StatusUnknown => "status_unknown",
            ReasonCode::PendingCase => "pending_case",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Eligible,
    Ineligible,
    Undetermined,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Eligible => "eligible",
            Outcome::Ineligible => "ineligible",
            Outcome::Undetermined => "undetermined",
        }
    }
}

/// One reason against eligibility, without its human-readable message (rendered per language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub legal_basis: String,
    pub sanction_id: Option<String>,
    pub sanction_type: Option<String>,
    pub decision_number: Option<String>,
    /// The look-back rule that applies (`disciplinary_history`).
    pub rule: Option<String>,
    pub status: Option<AsnStatus>,
    /// The BKN block behind a `bkn_block` reason.
    pub block_id: Option<String>,
    /// The neutrality case behind a `pending_case` reason or notice.
    pub case_id: Option<String>,
    /// First day this reason no longer holds; `None`: no end known.
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// What the committee should know that does not decide (an open case where the policy
    /// does not make it a reason).
    pub notices: Vec<Reason>,
    /// First day every reason known now has ended (`as_of` when eligible); `None` when a
    /// reason has no end, or the status is unknown.
    pub eligible_from: Option<NaiveDate>,
}

/// At most this many re-evaluations to find `eligible_from` (each step moves strictly later).
const MAX_STEPS: usize = 64;

/// Everything recorded about one ASN that the rules read.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    pub asn: &'a AsnFacts,
    pub sanctions: &'a [SanctionFacts],
    pub blocks: &'a [BlockFacts],
    pub cases: &'a [CaseFacts],
}

pub fn evaluate(
    records: &Records<'_>,
    policy: &Policy,
    purpose: Purpose,
    as_of: NaiveDate,
) -> Evaluation {
    let reasons = reasons_on(records, policy, purpose, as_of);
    let outcome = if reasons.is_empty() {
        Outcome::Eligible
    } else if reasons.iter().all(|r| r.code == ReasonCode::StatusUnknown) {
        Outcome::Undetermined
    } else {
        Outcome::Ineligible
    };
    let eligible_from = first_clear_day(records, policy, purpose, as_of, &reasons);
    Evaluation {
        outcome,
        reasons,
        notices: notices_on(records, policy, purpose, as_of),
        eligible_from,
    }
}

fn first_clear_day(
    records: &Records<'_>,
    policy: &Policy,
    purpose: Purpose,
    as_of: NaiveDate,
    reasons: &[Reason],
) -> Option<NaiveDate> {
    let mut day = as_of;
    let mut current = reasons.to_vec();
    for _ in 0..MAX_STEPS {
        if current.is_empty() {
            return Some(day);
        }
        day = latest_end(&current)?;
        current = reasons_on(records, policy, purpose, day);
    }
    None
}

fn latest_end(reasons: &[Reason]) -> Option<NaiveDate> {
    reasons
        .iter()
        .map(|r| r.until)
        .try_fold(NaiveDate::MIN, |acc, u| u.map(|u| acc.max(u)))
}

/// Every reason that holds on `day`.
pub fn reasons_on(
    records: &Records<'_>,
    policy: &Policy,
    purpose: Purpose,
    day: NaiveDate,
) -> Vec<Reason> {
    let rule = policy.purpose(purpose);
    let mut reasons = Vec::new();
    if let Some(r) = status_reason(records.asn, policy) {
        reasons.push(r);
    }
    if policy.doc.bkn_block_purposes.contains(&purpose) {
        for b in records.blocks.iter().filter(|b| b.period.contains(day)) {
            reasons.push(block_reason(b));
        }
    }
    if policy.doc.cases.pending_case_purposes.contains(&purpose) {
        reasons.extend(open_cases(records, day));
    }
    for s in records.sanctions.iter().filter(|s| s.counts) {
        if s.appeal_pending_since.is_some_and(|filed| filed <= day) {
            if policy.doc.pending_appeal_purposes.contains(&purpose) {
                reasons.push(sanction_reason(s, ReasonCode::PendingAppeal, None, None));
            }
            continue;
        }
        let served = s.served();
        let blocks = s.blocked_purposes.contains(&purpose)
            || s.level
                .is_some_and(|l| rule.active_block_levels.contains(&l));
        if blocks && served.contains(day) {
            reasons.push(sanction_reason(
                s,
                ReasonCode::ActiveSanction,
                None,
                served.until(),
            ));
        }
        for lb in &rule.lookback {
            if let Some(until) = lookback_until(s, lb, day) {
                reasons.push(sanction_reason(
                    s,
                    ReasonCode::DisciplinaryHistory,
                    Some(lb),
                    until,
                ));
            }
        }
    }
    reasons
}

/// An open case where the policy does not make it a reason: a notice, which never changes
/// the outcome.
pub fn notices_on(
    records: &Records<'_>,
    policy: &Policy,
    purpose: Purpose,
    day: NaiveDate,
) -> Vec<Reason> {
    if policy.doc.cases.pending_case_purposes.contains(&purpose) {
        return Vec::new();
    }
    open_cases(records, day).collect()
}

fn open_cases<'a>(records: &'a Records<'_>, day: NaiveDate) -> impl Iterator<Item = Reason> + 'a {
    records
        .cases
        .iter()
        .filter(move |c| c.open.contains(day))
        .map(|c| Reason {
            code: ReasonCode::PendingCase,
            legal_basis: "SKB 2/2022 (netralitas ASN); PP 94/2021".into(),
            sanction_id: None,
            sanction_type: None,
            decision_number: Some(c.reference.clone()),
            rule: None,
            status: None,
            block_id: None,
            case_id: Some(c.id.clone()),
            until: None,
        })
}

fn block_reason(b: &BlockFacts) -> Reason {
    Reason {
        code: ReasonCode::BknBlock,
        legal_basis: "PerBKN 1/2023 tentang Pemblokiran Data dan/atau Layanan Kepegawaian".into(),
        sanction_id: None,
        sanction_type: None,
        decision_number: b.reference.clone(),
        rule: None,
        status: None,
        block_id: Some(b.id.clone()),
        case_id: None,
        until: b.period.until(),
    }
}

fn status_reason(asn: &AsnFacts, policy: &Policy) -> Option<Reason> {
    let code = if asn.status == AsnStatus::Unknown {
        ReasonCode::StatusUnknown
    } else if policy.doc.not_active_statuses.contains(&asn.status) {
        ReasonCode::NotActive
    } else {
        return None;
    };
    Some(Reason {
        code,
        legal_basis: "UU 20/2023 tentang ASN".into(),
        sanction_id: None,
        sanction_type: None,
        decision_number: None,
        rule: None,
        status: Some(asn.status),
        block_id: None,
        case_id: None,
        until: None,
    })
}

/// `Some(until)` when `s` falls within look-back rule `lb` on `day`; the inner `None`
/// means the window never closes (basis `effective_until` of an open-ended sanction).
fn lookback_until(
    s: &SanctionFacts,
    lb: &LookbackRule,
    day: NaiveDate,
) -> Option<Option<NaiveDate>> {
    if !lb.kinds.contains(&s.kind) || !s.level.is_some_and(|l| lb.levels.contains(&l)) {
        return None;
    }
    let basis = match lb.basis {
        LookbackBasis::DecisionDate => Some(s.decision_date),
        LookbackBasis::EffectiveFrom => Some(s.decided.from()),
        LookbackBasis::EffectiveUntil => s.served().until(),
    };
    let Some(basis) = basis else {
        // Ends never: counts from the day it started.
        return (s.decided.from() <= day).then_some(None);
    };
    let until = add_years(basis, lb.years);
    (basis <= day && day < until).then_some(Some(until))
}

fn sanction_reason(
    s: &SanctionFacts,
    code: ReasonCode,
    rule: Option<&LookbackRule>,
    until: Option<NaiveDate>,
) -> Reason {
    Reason {
        code,
        legal_basis: rule.map_or_else(|| s.legal_basis.clone(), |r| r.legal_basis.clone()),
        sanction_id: Some(s.id.clone()),
        sanction_type: Some(s.type_code.clone()),
        decision_number: Some(s.decision_number.clone()),
        rule: rule.map(|r| r.id.clone()),
        status: None,
        block_id: None,
        case_id: None,
        until,
    }
}

impl Reason {
    /// The human-readable message, in both languages.
    pub fn message(&self, policy: &Policy) -> L10n {
        let name = self
            .sanction_type
            .as_deref()
            .and_then(|c| policy.sanction_type(c))
            .map(|t| t.display_name())
            .unwrap_or_else(|| L10n::same(self.sanction_type.clone().unwrap_or_default()));
        let number = self.decision_number.as_deref().unwrap_or("-");
        let until_id = self.until.map_or_else(
            || "tanpa batas waktu".to_string(),
            |u| format!("sampai {u}"),
        );
        let until_en = self
            .until
            .map_or_else(|| "with no end".to_string(), |u| format!("until {u}"));
        let status = self.status.map(|s| s.as_str()).unwrap_or("-");
        match self.code {
            ReasonCode::ActiveSanction => L10n::new(
                format!("Sedang menjalani hukuman \"{}\" (keputusan {number}) {until_id}", name.id),
                format!("Serving the sanction \"{}\" (decision {number}) {until_en}", name.en),
            ),
            ReasonCode::DisciplinaryHistory => L10n::new(
                format!(
                    "Pernah dijatuhi hukuman \"{}\" (keputusan {number}) dalam masa yang diperhitungkan aturan {}; berlaku {until_id}",
                    name.id,
                    self.rule.as_deref().unwrap_or("-")
                ),
                format!(
                    "Sanctioned with \"{}\" (decision {number}) within the look-back window of rule {}; counts {until_en}",
                    name.en,
                    self.rule.as_deref().unwrap_or("-")
                ),
            ),
            ReasonCode::PendingAppeal => L10n::new(
                format!("Upaya administratif atas keputusan {number} belum diputus"),
                format!("An administrative appeal against decision {number} is pending"),
            ),
            ReasonCode::BknBlock => L10n::new(
                format!("Data atau layanan kepegawaian diblokir BKN ({number}) {until_id}"),
                format!("Personnel data or services are blocked by BKN ({number}) {until_en}"),
            ),
            ReasonCode::NotActive => L10n::new(
                format!("Status kepegawaian '{status}' tidak aktif"),
                format!("Employment status '{status}' is not active"),
            ),
            ReasonCode::StatusUnknown => L10n::new(
                "Status kepegawaian belum diketahui: profil BKN belum diterima",
                "Employment status unknown: no BKN profile has been received",
            ),
            ReasonCode::PendingCase => L10n::new(
                format!("Dalam proses kasus netralitas ({number}): menunggu tindak lanjut PPK"),
                format!("A neutrality case ({number}) is open: awaiting the PPK's follow-up"),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
