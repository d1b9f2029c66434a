//! A decision as stored: its record (read back exactly as given), its row, its receipt's
//! claims and its audit entry; decisions signed and waiting to be stored.

use crate::audit::Entry;
use crate::db::decisions::{self as store, DecisionRow};
use crate::db::AnyConnection;
use crate::domain::eligibility::{Outcome, ReasonCode};
use crate::domain::Purpose;
use crate::error::ApiError;
use crate::i18n::{L10n, Lang};
use crate::receipts::ReceiptClaims;
use crate::service::journal::Journal;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

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
    #[serde(default)]
    pub case_id: Option<String>,
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
    /// What does not decide but the committee should know (an open case), same shape.
    #[serde(default)]
    pub notices: Vec<ReasonRecord>,
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

    pub(super) fn claims(&self, issuer: &str) -> ReceiptClaims {
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
            notice_codes: self
                .notices
                .iter()
                .map(|r| r.code.as_str().to_string())
                .collect(),
            eligible_from: self.eligible_from,
            policy_version: self.policy_version.clone(),
        }
    }

    /// What the audit trail keeps of it.
    pub(super) fn audit_entry(&self) -> Entry {
        Entry::new(
            "eligibility.decided",
            Some(&self.nip),
            Some(&self.decision_id),
            json!({
                "purpose": self.purpose, "as_of": self.as_of, "as_known_at": self.as_known_at,
                "outcome": self.outcome, "reasons": self.reason_codes(),
                "notices": self.notices.iter().map(|r| r.code).collect::<Vec<_>>(),
                "eligible_from": self.eligible_from, "policy_version": self.policy_version,
            }),
        )
    }
}

pub(super) fn row_of(d: &DecisionRecord, actor: &str) -> Result<DecisionRow, ApiError> {
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

/// Decisions made and signed, not stored yet.
pub struct Signed {
    pub(super) results: Vec<Result<DecisionRecord, ApiError>>,
    pub(super) store: ToStore,
}

/// What storing decisions writes: their rows and their audit entries.
pub struct ToStore {
    pub rows: Vec<DecisionRow>,
    pub entries: Vec<Entry>,
}

impl Signed {
    /// The answers, and what must be stored before any of them is given.
    pub fn split(self) -> (Vec<Result<DecisionRecord, ApiError>>, ToStore) {
        (self.results, self.store)
    }
}

impl ToStore {
    /// Stores the decisions and queues their audit entries in `j`; call it inside the write
    /// transaction that flushes `j`.
    pub fn store(self, conn: &mut AnyConnection, j: &mut Journal) -> Result<(), ApiError> {
        store::insert_all(conn, &self.rows)?;
        self.entries.into_iter().for_each(|e| j.audit(e));
        Ok(())
    }
}

/// Decisions as given, each with the actor who asked for it (those of `ids` that exist, in no
/// particular order).
pub fn find_many(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<Vec<(DecisionRecord, String)>, ApiError> {
    store::find_many(conn, ids)?
        .into_iter()
        .map(|row| Ok((serde_json::from_str(&row.body)?, row.actor)))
        .collect()
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<DecisionRecord>, ApiError> {
    match store::find(conn, id)? {
        None => Ok(None),
        Some(row) => Ok(Some(serde_json::from_str(&row.body)?)),
    }
}
