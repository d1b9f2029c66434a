//! Eligibility checks: load the records, decide with the pure rules, store the decision
//! before the answer leaves. A batch costs a constant number of queries.

use super::sanctions::decided_period;
use crate::db::asn::AsnRow;
use crate::db::blocks::BlockRow;
use crate::db::decisions::{self as store, DecisionRow};
use crate::db::sanctions::SanctionRow;
use crate::db::{self, asn, AnyConnection};
use crate::domain::eligibility::{
    evaluate, AsnFacts, BlockFacts, Outcome, ReasonCode, Records, SanctionFacts,
};
use crate::domain::nip::Nip;
use crate::domain::period::Period;
use crate::domain::policy::Policy;
use crate::domain::{AsnStatus, Kind, Purpose, SanctionState};
use crate::error::{ApiError, ErrorCode};
use crate::i18n::{L10n, Lang};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    pub outcome: Outcome,
    pub eligible: bool,
    pub reasons: Vec<ReasonRecord>,
    pub eligible_from: Option<NaiveDate>,
    pub policy_version: String,
    pub evaluated_at: DateTime<Utc>,
}

pub fn asn_not_found(nip: &str) -> ApiError {
    ApiError::with_detail(
        ErrorCode::AsnNotFound,
        format!("NIP {nip} tidak terdaftar"),
        format!("NIP {nip} is not in the registry"),
    )
}

pub fn sanction_facts(row: &SanctionRow) -> SanctionFacts {
    let state: SanctionState = row.state.parse().unwrap_or(SanctionState::Recorded);
    SanctionFacts {
        id: row.id.clone(),
        type_code: row.type_code.clone(),
        kind: row.kind.parse().unwrap_or(Kind::Disciplinary),
        level: row.level.as_deref().and_then(|l| l.parse().ok()),
        decision_number: row.decision_number.clone(),
        decision_date: row.decision_date,
        decided: decided_period(row),
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
        blocked_purposes: serde_json::from_str(&row.blocked_purposes).unwrap_or_default(),
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

/// The decision for one ASN (pure: no I/O).
pub fn decide(
    profile: &AsnRow,
    sanctions: &[&SanctionRow],
    blocks: &[BlockFacts],
    check: &Check<'_>,
) -> DecisionRecord {
    let (policy, purpose, as_of, now) = (check.policy, check.purpose, check.as_of, check.now);
    let asn = AsnFacts {
        status: profile.status.parse().unwrap_or(AsnStatus::Unknown),
    };
    let facts: Vec<SanctionFacts> = sanctions.iter().map(|r| sanction_facts(r)).collect();
    let e = evaluate(
        &Records {
            asn: &asn,
            sanctions: &facts,
            blocks,
        },
        policy,
        purpose,
        as_of,
    );
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
        purpose,
        as_of,
        outcome: e.outcome,
        eligible: e.outcome == Outcome::Eligible,
        reasons,
        eligible_from: e.eligible_from,
        policy_version: policy.version().to_string(),
        evaluated_at: now,
    }
}

fn row_of(d: &DecisionRecord, actor: &str) -> Result<DecisionRow, ApiError> {
    Ok(DecisionRow {
        id: d.decision_id.clone(),
        nip: d.nip.clone(),
        purpose: d.purpose.as_str().to_string(),
        as_of: d.as_of,
        outcome: serde_json::to_value(d.outcome)?
            .as_str()
            .unwrap_or_default()
            .to_string(),
        policy_version: d.policy_version.clone(),
        evaluated_at: d.evaluated_at.naive_utc(),
        actor: actor.to_string(),
        body: serde_json::to_string(d)?,
    })
}

pub struct Check<'a> {
    pub policy: &'a Policy,
    pub purpose: Purpose,
    pub as_of: NaiveDate,
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    pub tz: Tz,
}

/// Checks NIPs (each parsed, or the error to report for it), in order; unknown NIPs are
/// `asn_not_found` items. Three queries however many NIPs: profiles, sanctions, inserts.
pub fn check_many(
    conn: &mut AnyConnection,
    check: &Check<'_>,
    nips: Vec<Result<Nip, ApiError>>,
) -> Result<Vec<Result<DecisionRecord, ApiError>>, ApiError> {
    let wanted_owned: Vec<String> = nips
        .iter()
        .filter_map(|n| n.as_ref().ok())
        .map(|n| n.as_str().to_string())
        .collect();
    let wanted: Vec<&str> = wanted_owned.iter().map(String::as_str).collect();
    let profiles: HashMap<String, AsnRow> = asn::find_many(conn, &wanted)?
        .into_iter()
        .map(|p| (p.nip.clone(), p))
        .collect();
    let known: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|n| profiles.contains_key(*n))
        .collect();
    let sanction_rows = if known.is_empty() {
        Vec::new()
    } else {
        db::sanctions::for_nips(conn, &known)?
    };
    let mut by_nip: HashMap<&str, Vec<&SanctionRow>> = HashMap::new();
    for s in &sanction_rows {
        by_nip.entry(s.nip.as_str()).or_default().push(s);
    }
    let agencies: Vec<&str> = profiles
        .values()
        .filter_map(|p| p.agency_code.as_deref())
        .collect();
    let block_rows = if known.is_empty() {
        Vec::new()
    } else {
        db::blocks::affecting(conn, &known, &agencies)?
    };
    let mut results = Vec::with_capacity(nips.len());
    let mut rows = Vec::new();
    for n in nips {
        let result = match n {
            Err(e) => Err(e),
            Ok(nip) => match profiles.get(nip.as_str()) {
                None => Err(asn_not_found(nip.as_str())),
                Some(p) => {
                    let ss = by_nip.get(nip.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                    let blocks: Vec<BlockFacts> = block_rows
                        .iter()
                        .filter(|b| {
                            b.nip.as_deref() == Some(nip.as_str())
                                || (b.scope == "agency"
                                    && b.agency_code.is_some()
                                    && b.agency_code == p.agency_code)
                        })
                        .map(|b| block_facts(b, check.tz))
                        .collect();
                    let d = decide(p, ss, &blocks, check);
                    rows.push(row_of(&d, check.actor)?);
                    Ok(d)
                }
            },
        };
        results.push(result);
    }
    db::write_tx(conn, |c| store::insert_all(c, &rows))?;
    Ok(results)
}

pub fn check_one(
    conn: &mut AnyConnection,
    check: &Check<'_>,
    nip: Nip,
) -> Result<DecisionRecord, ApiError> {
    check_many(conn, check, vec![Ok(nip)])?
        .pop()
        .expect("one result per NIP")
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<DecisionRecord>, ApiError> {
    match store::find(conn, id)? {
        None => Ok(None),
        Some(row) => Ok(Some(serde_json::from_str(&row.body)?)),
    }
}
