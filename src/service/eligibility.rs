//! Eligibility checks: load the records, decide with the pure rules, store the decision
//! before the answer leaves. A batch costs a constant number of queries.

use super::journal::Journal;
use crate::audit::{Actor, Entry};
use crate::db::asn::AsnRow;
use crate::db::blocks::BlockRow;
use crate::db::decisions::{self as store, DecisionRow};
use crate::db::history;
use crate::db::sanctions::SanctionRow;
use crate::db::{self, asn, AnyConnection};
use crate::domain::eligibility::{
    evaluate, AsnFacts, BlockFacts, Outcome, ReasonCode, Records, SanctionFacts,
};
use crate::domain::nip::Nip;
use crate::domain::period::Period;
use crate::domain::policy::Policy;
use crate::domain::{AsnStatus, Purpose, SanctionState};
use crate::error::{ApiError, ErrorCode};
use crate::i18n::{L10n, Lang};
use crate::receipts::{ReceiptClaims, Receipts};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Localized {
    pub id: String,
    pub en: String,
}

impl From<L10n> for Localized {
    fn from(l: L10n) -> Self {
        Localized { id: l.id, en: l.en }
    }
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Id => &self.id,
            Lang::En => &self.en,
        }
    }
}

/// A reason as stored with its decision, its message in both languages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReasonRecord {
    pub code: ReasonCode,
    pub message: Localized,
    pub legal_basis: String,
    pub sanction_id: Option<String>,
    pub sanction_type: Option<String>,
    pub decision_number: Option<String>,
    pub rule: Option<String>,
    #[serde(default)]
    pub block_id: Option<String>,
    pub until: Option<NaiveDate>,
}

/// A decision exactly as given, so it can be read back later.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub decision_id: String,
    pub nip: String,
    pub purpose: Purpose,
    pub as_of: NaiveDate,
    /// Set when the registry was consulted as it stood at this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_known_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    pub eligible: bool,
    pub reasons: Vec<ReasonRecord>,
    pub eligible_from: Option<NaiveDate>,
    pub policy_version: String,
    pub evaluated_at: DateTime<Utc>,
    /// The signed receipt (compact JWS); empty for decisions made before receipts existed.
    #[serde(default)]
    pub receipt: String,
}

impl DecisionRecord {
    pub fn reason_codes(&self) -> Vec<ReasonCode> {
        self.reasons.iter().map(|r| r.code).collect()
    }

    fn claims(&self, issuer: &str) -> ReceiptClaims {
        ReceiptClaims {
            iss: issuer.to_string(),
            sub: self.nip.clone(),
            iat: self.evaluated_at.timestamp(),
            jti: self.decision_id.clone(),
            decision_id: self.decision_id.clone(),
            nip: self.nip.clone(),
            purpose: self.purpose.as_str().to_string(),
            as_of: self.as_of,
            as_known_at: self.as_known_at,
            outcome: self.outcome.as_str().to_string(),
            eligible: self.eligible,
            reason_codes: self
                .reasons
                .iter()
                .map(|r| r.code.as_str().to_string())
                .collect(),
            eligible_from: self.eligible_from,
            policy_version: self.policy_version.clone(),
        }
    }

    /// What the audit trail keeps of it.
    fn audit_entry(&self) -> Entry {
        Entry::new(
            "eligibility.decided",
            Some(&self.nip),
            Some(&self.decision_id),
            json!({
                "purpose": self.purpose, "as_of": self.as_of, "as_known_at": self.as_known_at,
                "outcome": self.outcome, "reasons": self.reason_codes(),
                "eligible_from": self.eligible_from, "policy_version": self.policy_version,
            }),
        )
    }
}

pub fn asn_not_found(nip: &str) -> ApiError {
    ApiError::with_detail(
        ErrorCode::AsnNotFound,
        format!("NIP {nip} tidak terdaftar"),
        format!("NIP {nip} is not in the registry"),
    )
}

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
        status: profile.status.parse().unwrap_or(AsnStatus::Unknown),
    };
    (asn, sanctions.iter().map(sanction_facts).collect())
}

/// The decision for one ASN (pure: no I/O), unsigned.
pub fn decide(
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

fn row_of(d: &DecisionRecord, actor: &str) -> Result<DecisionRow, ApiError> {
    Ok(DecisionRow {
        id: d.decision_id.clone(),
        nip: d.nip.clone(),
        purpose: d.purpose.as_str().to_string(),
        as_of: d.as_of,
        outcome: d.outcome.as_str().to_string(),
        policy_version: d.policy_version.clone(),
        evaluated_at: d.evaluated_at.naive_utc(),
        actor: actor.to_string(),
        body: serde_json::to_string(d)?,
    })
}

/// What a decision is made under: the policy, the question, and "now".
pub struct Rule<'a> {
    pub policy: &'a Policy,
    pub purpose: Purpose,
    pub as_of: NaiveDate,
    pub now: DateTime<Utc>,
}

/// A check as asked: the rule, whose registry (now, or as known at an instant), who asked.
pub struct Check<'a> {
    pub rule: Rule<'a>,
    pub as_known_at: Option<DateTime<Utc>>,
    pub receipts: &'a Receipts,
    pub actor: &'a Actor,
    pub tz: Tz,
}

/// The records of some ASN: each profile with its sanctions and the blocks on it or its agency.
#[derive(Default)]
pub struct Loaded {
    profiles: HashMap<String, AsnRow>,
    sanctions: HashMap<String, Vec<SanctionRow>>,
    blocks: HashMap<String, Vec<BlockRow>>,
}

impl Loaded {
    /// The registry now: three queries however many NIPs.
    pub fn current(conn: &mut AnyConnection, nips: &[&str]) -> Result<Loaded, ApiError> {
        let mut loaded = Loaded {
            profiles: asn::find_many(conn, nips)?
                .into_iter()
                .map(|p| (p.nip.clone(), p))
                .collect(),
            ..Loaded::default()
        };
        let known: Vec<&str> = nips
            .iter()
            .copied()
            .filter(|n| loaded.profiles.contains_key(*n))
            .collect();
        if known.is_empty() {
            return Ok(loaded);
        }
        for s in db::sanctions::for_nips(conn, &known)? {
            loaded.sanctions.entry(s.nip.clone()).or_default().push(s);
        }
        let agencies: Vec<&str> = loaded
            .profiles
            .values()
            .filter_map(|p| p.agency_code.as_deref())
            .collect();
        let block_rows = db::blocks::affecting(conn, &known, &agencies)?;
        for p in loaded.profiles.values() {
            let on_them = block_rows.iter().filter(|b| {
                b.nip.as_deref() == Some(p.nip.as_str())
                    || (b.scope == "agency"
                        && b.agency_code.is_some()
                        && b.agency_code == p.agency_code)
            });
            loaded
                .blocks
                .insert(p.nip.clone(), on_them.cloned().collect());
        }
        Ok(loaded)
    }

    /// The registry as it stood at `t` (a few queries per NIP).
    pub fn known_at(
        conn: &mut AnyConnection,
        nips: &[&str],
        t: NaiveDateTime,
    ) -> Result<Loaded, ApiError> {
        let mut loaded = Loaded::default();
        for nip in nips {
            let Some(profile) = history::asn_at(conn, nip, t)? else {
                continue;
            };
            let agency = profile.agency_code.clone();
            loaded
                .sanctions
                .insert(nip.to_string(), history::sanctions_at(conn, nip, t)?);
            loaded.blocks.insert(
                nip.to_string(),
                history::blocks_at(conn, nip, agency.as_deref(), t)?,
            );
            loaded.profiles.insert(nip.to_string(), profile);
        }
        Ok(loaded)
    }

    pub fn load(
        conn: &mut AnyConnection,
        nips: &[&str],
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Loaded, ApiError> {
        match known_at {
            None => Loaded::current(conn, nips),
            Some(t) => Loaded::known_at(conn, nips, t.naive_utc()),
        }
    }

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
    pub fn decide(&self, nip: &str, rule: &Rule<'_>, tz: Tz) -> Option<DecisionRecord> {
        let (profile, sanctions, blocks) = self.records_of(nip, tz)?;
        Some(decide(profile, sanctions, &blocks, rule))
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

/// Decisions made and signed, not stored yet.
pub struct Decided {
    results: Vec<Result<DecisionRecord, ApiError>>,
    store: ToStore,
}

/// What storing decisions writes: their rows and their audit entries.
pub struct ToStore {
    pub rows: Vec<DecisionRow>,
    pub entries: Vec<Entry>,
}

impl Decided {
    /// The answers, and what must be stored before any of them is given.
    pub fn split(self) -> (Vec<Result<DecisionRecord, ApiError>>, ToStore) {
        (self.results, self.store)
    }

    /// Stores the decisions and queues their audit entries in `j`; call it inside the write
    /// transaction that flushes `j`.
    pub fn store(
        self,
        conn: &mut AnyConnection,
        j: &mut Journal,
    ) -> Result<Vec<Result<DecisionRecord, ApiError>>, ApiError> {
        store::insert_all(conn, &self.store.rows)?;
        self.store.entries.into_iter().for_each(|e| j.audit(e));
        Ok(self.results)
    }
}

/// Decides for NIPs (each parsed, or the error to report for it), in order; unknown NIPs
/// are `asn_not_found` items. Reads only.
pub fn evaluate_many(
    conn: &mut AnyConnection,
    check: &Check<'_>,
    nips: Vec<Result<Nip, ApiError>>,
) -> Result<Decided, ApiError> {
    let wanted_owned: Vec<String> = nips
        .iter()
        .filter_map(|n| n.as_ref().ok())
        .map(|n| n.as_str().to_string())
        .collect();
    let wanted: Vec<&str> = wanted_owned.iter().map(String::as_str).collect();
    let loaded = Loaded::load(conn, &wanted, check.as_known_at)?;
    let actor = check.actor.label();
    let mut decided = Decided {
        results: Vec::with_capacity(nips.len()),
        store: ToStore {
            rows: Vec::new(),
            entries: Vec::new(),
        },
    };
    for n in nips {
        let result = match n {
            Err(e) => Err(e),
            Ok(nip) => match loaded.decide(nip.as_str(), &check.rule, check.tz) {
                None => Err(asn_not_found(nip.as_str())),
                Some(mut d) => {
                    d.as_known_at = check.as_known_at;
                    d.receipt = check
                        .receipts
                        .sign(&d.claims(check.receipts.issuer()))
                        .map_err(|e| {
                            ApiError::internal(anyhow::anyhow!("signing a receipt: {e}"))
                        })?;
                    decided.store.rows.push(row_of(&d, &actor)?);
                    decided.store.entries.push(d.audit_entry());
                    Ok(d)
                }
            },
        };
        decided.results.push(result);
    }
    Ok(decided)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<DecisionRecord>, ApiError> {
    match store::find(conn, id)? {
        None => Ok(None),
        Some(row) => Ok(Some(serde_json::from_str(&row.body)?)),
    }
}

/// What one evaluation said, without its wording.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reasons: Vec<ReasonCode>,
    pub eligible_from: Option<NaiveDate>,
    pub policy_version: String,
    /// The registry as it stood at this instant; `null`: as it stands now.
    pub data_as_known_at: Option<DateTime<Utc>>,
}

impl Verdict {
    fn of(d: &DecisionRecord, known_at: Option<DateTime<Utc>>) -> Verdict {
        Verdict {
            outcome: d.outcome,
            reasons: d.reason_codes(),
            eligible_from: d.eligible_from,
            policy_version: d.policy_version.clone(),
            data_as_known_at: known_at,
        }
    }

    /// Same outcome, same reasons, same `eligible_from`.
    fn same_as(&self, other: &Verdict) -> bool {
        (self.outcome, &self.reasons, self.eligible_from)
            == (other.outcome, &other.reasons, other.eligible_from)
    }
}

/// A stored decision evaluated again: with the data and the policy of then (which must give
/// the same answer), with today's data, and with today's policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Replay {
    pub decision_id: String,
    pub original: Verdict,
    pub then: Verdict,
    pub data_now: Verdict,
    pub policy_now: Verdict,
    /// `then` gives what was answered.
    pub reproduced: bool,
    /// What changes the answer since: `data`, `policy`, both or neither.
    pub changed_by: Vec<String>,
}

/// Replays decision `id`; `Ok(None)` when there is no such decision.
pub fn replay(
    conn: &mut AnyConnection,
    id: &str,
    policy_now: &Policy,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Option<Replay>, ApiError> {
    let Some(d) = find(conn, id)? else {
        return Ok(None);
    };
    let policy_then = db::policies::find(conn, &d.policy_version)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::with_detail(
                ErrorCode::NotFound,
                format!("Kebijakan versi '{}' tidak tercatat", d.policy_version),
                format!("Policy version '{}' is not recorded here", d.policy_version),
            )
        })?;
    let known_then = d.as_known_at.unwrap_or(d.evaluated_at);
    let data_then = Loaded::known_at(conn, &[&d.nip], known_then.naive_utc())?;
    let data_now = Loaded::current(conn, &[&d.nip])?;
    let under = |policy: &Policy, data: &Loaded, known: Option<DateTime<Utc>>| {
        let rule = Rule {
            policy,
            purpose: d.purpose,
            as_of: d.as_of,
            now,
        };
        data.decide(&d.nip, &rule, tz)
            .map(|r| Verdict::of(&r, known))
            .ok_or_else(|| asn_not_found(&d.nip))
    };
    let original = Verdict::of(&d, Some(known_then));
    let then = under(&policy_then, &data_then, Some(known_then))?;
    let data_now = under(&policy_then, &data_now, None)?;
    let policy_now = under(policy_now, &data_then, Some(known_then))?;
    let mut changed_by = Vec::new();
    if !data_now.same_as(&then) {
        changed_by.push("data".to_string());
    }
    if !policy_now.same_as(&then) {
        changed_by.push("policy".to_string());
    }
    Ok(Some(Replay {
        decision_id: d.decision_id.clone(),
        reproduced: then.same_as(&original),
        original,
        then,
        data_now,
        policy_now,
        changed_by,
    }))
}
