//! From rows to the facts the pure rules read, and the evaluation of them: one purpose
//! (a decision), or every purpose (what subscribers are told).

use super::{DecisionRecord, Loaded, ReasonRecord, Rule};
use crate::db::asn::AsnRow;
use crate::db::blocks::BlockRow;
use crate::db::sanctions::SanctionRow;
use crate::domain::eligibility::{evaluate, AsnFacts, BlockFacts, Outcome, Records, SanctionFacts};
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

/// The profile and sanctions as the rules see them.
fn rule_facts(profile: &AsnRow, sanctions: &[SanctionRow]) -> (AsnFacts, Vec<SanctionFacts>) {
    let asn = AsnFacts {
        status: profile.status,
    };
    (asn, sanctions.iter().map(sanction_facts).collect())
}

/// The decision for one ASN (pure: no I/O), unsigned.
fn evaluate_one(
    profile: &AsnRow,
    sanctions: &[SanctionRow],
    blocks: &[BlockFacts],
    rule: &Rule<'_>,
) -> DecisionRecord {
    let policy = rule.policy;
    let (asn, facts) = rule_facts(profile, sanctions);
    let records = Records {
        asn: &asn,
        sanctions: &facts,
        blocks,
    };
    let e = evaluate(&records, policy, rule.purpose, rule.as_of);
    let reasons = e
        .reasons
        .iter()
        .map(|r| {
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
                until: r.until,
            }
        })
        .collect();
    DecisionRecord {
        decision_id: uuid::Uuid::now_v7().to_string(),
        nip: profile.nip.clone(),
        purpose: rule.purpose,
        as_of: rule.as_of,
        as_known_at: None,
        outcome: e.outcome,
        eligible: e.outcome == Outcome::Eligible,
        reasons,
        eligible_from: e.eligible_from,
        policy_version: policy.version().to_string(),
        evaluated_at: rule.now,
        receipt: String::new(),
    }
}

impl Loaded {
    /// `nip`'s profile, sanctions and the blocks on it; `None` when the registry does not know it.
    fn records_of(&self, nip: &str, tz: Tz) -> Option<(&AsnRow, &[SanctionRow], Vec<BlockFacts>)> {
        let profile = self.profiles.get(nip)?;
        let sanctions = self.sanctions.get(nip).map(Vec::as_slice).unwrap_or(&[]);
        let blocks: Vec<BlockFacts> = self
            .blocks
            .get(nip)
            .map(|bs| bs.iter().map(|b| block_facts(b, tz)).collect())
            .unwrap_or_default();
        Some((profile, sanctions, blocks))
    }

    /// The decision for `nip` under `rule`; `None` when the registry does not know it.
    pub fn evaluate(&self, nip: &str, rule: &Rule<'_>, tz: Tz) -> Option<DecisionRecord> {
        let (profile, sanctions, blocks) = self.records_of(nip, tz)?;
        Some(evaluate_one(profile, sanctions, &blocks, rule))
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
        let (profile, sanctions, blocks) = self.records_of(nip, tz)?;
        let (asn, facts) = rule_facts(profile, sanctions);
        let records = Records {
            asn: &asn,
            sanctions: &facts,
            blocks: &blocks,
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
