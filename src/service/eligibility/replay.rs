//! Replay: a stored decision evaluated again, with the data and policy of then, today's
//! data, and today's policy.

use super::{asn_not_found, find, DecisionRecord, Loaded, Rule};
use crate::db::{self, AnyConnection};
use crate::domain::eligibility::{Outcome, ReasonCode};
use crate::domain::policy::Policy;
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

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
        data.evaluate(&d.nip, &rule, tz)
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
