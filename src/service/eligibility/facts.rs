//! From rows to the facts the pure rules read, and the evaluation of them: one purpose
//! (a decision), or every purpose (what subscribers are told).

use super::{DecisionRecord, Loaded, ReasonRecord, Rule};
use crate::db::asn::AsnRow;
use crate::db::blocks::BlockRow;
use crate::db::sanctions::SanctionRow;
use crate::domain::eligibility::{
    evaluate, AsnFacts, BlockFacts, CaseFacts, Outcome, Reason, Records, SanctionFacts,
};
use crate::domain::period::Period;
use crate::domain::policy::Policy;
use crate::domain::{Purpose, SanctionState};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub fn sanction_facts(row: &SanctionRow) -> SanctionFacts {
    let state = row.state;
    SanctionFacts {
        id: row.id.clone(),
        type_code: row.type_code.clone(),
        kind: row.kind,
        level: row.level,
        decision_number: row.decision_number.clone(),
        decision_date: row.decision_date,
        decided: row.decided_period(),
        lifted_on: if state == SanctionState::Lifted {
            row.lifted_on
        } else {
            None
        },
        counts: !matches!(state, SanctionState::Annulled | SanctionState::Superseded),
        appeal_pending_since: if state == SanctionState::UnderAppeal {
            row.appeal_filed_on
        } else {
            None
        },
        blocked_purposes: row.blocked_purposes.0.clone(),
        legal_basis: row.legal_basis.clone().unwrap_or_default(),
    }
}

/// A block as the rules see it: in force from the day it was ordered to the day it was
/// released, days counted in `tz`.
pub fn block_facts(row: &BlockRow, tz: Tz) -> BlockFacts {
    let day = |t: chrono::NaiveDateTime| t.and_utc().with_timezone(&tz).date_naive();
    let from = day(row.ordered_at);
    let until = row.released_at.map(|r| day(r).max(from));
    BlockFacts {
        id: row.id.clone(),
        reference: row.reference.clone(),
        period: Period::new(from, until).unwrap_or_else(|_| Period::months(from, 0)),
    }
}

/// The cases of some steps (in order per case) as the rules see them: open from the day
/// of `recommended` to the day of the step that ended them.
pub fn case_facts(steps: &[(String, crate::db::cases::StepRow)]) -> Vec<CaseFacts> {
    let mut out: Vec<CaseFacts> = Vec::new();
    let mut ends: Vec<Option<NaiveDate>> = Vec::new();
    for (reference, step) in steps {
        let at = out.iter().position(|c| c.id == step.case_id);
        match (at, step.step.as_str()) {
            (None, "recommended") => {
                out.push(CaseFacts {
                    id: step.case_id.clone(),
                    reference: reference.clone(),
                    open: Period::new(step.on_day, None).expect("open-ended"),
                });
                ends.push(None);
            }
            (Some(i), _) if ends[i].is_none() && step.to_state.is_final() => {
                ends[i] = Some(step.on_day);
            }
            _ => {}
        }
    }
    for (c, end) in out.iter_mut().zip(ends) {
        if let Some(end) = end {
            c.open = c.open.ended_by(end);
        }
    }
    out
}

/// The profile and sanctions as the rules see them.
fn rule_facts(profile: &AsnRow, sanctions: &[SanctionRow]) -> (AsnFacts, Vec<SanctionFacts>) {
    let asn = AsnFacts {
        status: profile.status,
    };
    (asn, sanctions.iter().map(sanction_facts).collect())
}

/// A reason (or notice) as stored with its decision: its message in both languages, its
/// legal basis (the sanction type's when the reason names none).
fn record_of(r: &Reason, policy: &Policy) -> ReasonRecord {
    let legal_basis = match (
        &r.legal_basis,
        r.sanction_type
            .as_deref()
            .and_then(|c| policy.sanction_type(c)),
    ) {
        (b, Some(t)) if b.is_empty() => t.legal_basis.clone(),
        (b, _) => b.clone(),
    };
    ReasonRecord {
        code: r.code,
        message: r.message(policy).into(),
        legal_basis,
        sanction_id: r.sanction_id.clone(),
        sanction_type: r.sanction_type.clone(),
        decision_number: r.decision_number.clone(),
        rule: r.rule.clone(),
        block_id: r.block_id.clone(),
        case_id: r.case_id.clone(),
        until: r.until,
    }
}

/// What one ASN's records are, as the rules read them.
struct Their<'a> {
    profile: &'a AsnRow,
    sanctions: &'a [SanctionRow],
    blocks: Vec<BlockFacts>,
    cases: &'a [CaseFacts],
}

/// The decision for one ASN (pure: no I/O), unsigned.
fn evaluate_one(their: &Their<'_>, rule: &Rule<'_>) -> DecisionRecord {
    let policy = rule.policy;
    let (asn, facts) = rule_facts(their.profile, their.sanctions);
    let records = Records {
        asn: &asn,
        sanctions: &facts,
        blocks: &their.blocks,
        cases: their.cases,
    };
    let e = evaluate(&records, policy, rule.purpose, rule.as_of);
    DecisionRecord {
        decision_id: uuid::Uuid::now_v7().to_string(),
        nip: their.profile.nip.clone(),
        purpose: rule.purpose,
        as_of: rule.as_of,
        as_known_at: None,
        outcome: e.outcome,
        eligible: e.outcome == Outcome::Eligible,
        reasons: e.reasons.iter().map(|r| record_of(r, policy)).collect(),
        notices: e.notices.iter().map(|r| record_of(r, policy)).collect(),
        eligible_from: e.eligible_from,
        policy_version: policy.version().to_string(),
        evaluated_at: rule.now,
        receipt: String::new(),
    }
}

impl Loaded {
    /// `nip`'s profile, sanctions, the blocks on it and its open cases; `None` when the
    /// registry does not know it.
    fn records_of(&self, nip: &str, tz: Tz) -> Option<Their<'_>> {
        Some(Their {
            profile: self.profiles.get(nip)?,
            sanctions: self.sanctions.get(nip).map(Vec::as_slice).unwrap_or(&[]),
            blocks: self
                .blocks
                .get(nip)
                .map(|bs| bs.iter().map(|b| block_facts(b, tz)).collect())
                .unwrap_or_default(),
            cases: self.cases.get(nip).map(Vec::as_slice).unwrap_or(&[]),
        })
    }

    /// The decision for `nip` under `rule`; `None` when the registry does not know it.
    pub fn evaluate(&self, nip: &str, rule: &Rule<'_>, tz: Tz) -> Option<DecisionRecord> {
        Some(evaluate_one(&self.records_of(nip, tz)?, rule))
    }

    /// The outcome for every purpose on `as_of`, and the next day one may change without a
    /// write (a look-back or sanction ending, a scheduled sanction starting).
    pub fn verdicts(
        &self,
        nip: &str,
        policy: &Policy,
        as_of: NaiveDate,
        tz: Tz,
    ) -> Option<Verdicts> {
        let their = self.records_of(nip, tz)?;
        let (asn, facts) = rule_facts(their.profile, their.sanctions);
        let records = Records {
            asn: &asn,
            sanctions: &facts,
            blocks: &their.blocks,
            cases: their.cases,
        };
        let mut next_change = facts
            .iter()
            .filter(|s| s.counts)
            .map(|s| s.decided.from())
            .filter(|d| *d > as_of)
            .min();
        let outcomes = Purpose::ALL
            .iter()
            .map(|&purpose| {
                let e = evaluate(&records, policy, purpose, as_of);
                if let Some(from) = e.eligible_from.filter(|d| *d > as_of) {
                    next_change = Some(next_change.map_or(from, |n| n.min(from)));
                }
                let verdict = PurposeOutcome {
                    outcome: e.outcome,
                    eligible_from: e.eligible_from,
                };
                (purpose, verdict)
            })
            .collect();
        Some(Verdicts {
            outcomes,
            next_change,
        })
    }
}

/// One purpose's outcome, as subscribers are told it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurposeOutcome {
    pub outcome: Outcome,
    pub eligible_from: Option<NaiveDate>,
}

/// Every purpose's outcome for one ASN on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdicts {
    pub outcomes: std::collections::BTreeMap<Purpose, PurposeOutcome>,
    pub next_change: Option<NaiveDate>,
}
