//! The sanctions' wire types, and their conversion into the domain's drafts and back.

use crate::db::sanctions::SanctionRow;
use crate::domain::sanction::draft::{DecisionRef, DocumentRef, ReplacementDraft, SanctionDraft};
use crate::domain::{AppealKind, AppealOutcome, Kind, Level, LiftReason, Purpose, SanctionStatus};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// Decree number (nomor SK): 1-200 characters, not blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub number: String,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub date: NaiveDate,
    /// When the ASN received it; `effective_from` defaults from it.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub received_date: Option<NaiveDate>,
    /// `PPK`, `KASN`, `BKN`, `KemenPANRB`, `BPASN`, `Bawaslu` or `Court` (policy reference data).
    pub issuer: String,
    pub issuer_agency: Option<String>,
    pub legal_basis: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// e.g. `neutrality`, `attendance`.
    pub category: Option<String>,
    pub description: Option<String>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// An http(s) URL of at most 2000 characters.
    #[schema(max_length = 2000, pattern = "^https?://")]
    pub url: String,
    /// SHA-256 of the document, 64 hex digits.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub sha256: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SanctionIn {
    #[schema(pattern = r"^\s*[0-9]{18}\s*$")]
    pub nip: String,
    pub decision: DecisionIn,
    /// A code of the sanction catalogue, e.g. `PP94_S3`.
    #[serde(rename = "type")]
    pub type_code: String,
    pub violation: Option<Violation>,
    /// First day in force; omitted: computed from `decision.received_date`.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_from: Option<NaiveDate>,
    /// First day no longer in force (exclusive); or send `duration_months`.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_until: Option<NaiveDate>,
    /// 1 to 600 calendar months from `effective_from` (end of month clamped).
    #[schema(minimum = 1, maximum = 600)]
    pub duration_months: Option<u32>,
    /// Defaults to the catalogue's purposes for the type.
    pub blocked_purposes: Option<Vec<Purpose>>,
    pub document: Option<Document>,
    /// The neutrality case this decree follows up: the case takes its `sanction_imposed`
    /// step in the same transaction.
    pub case_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecreeOut {
    pub number: String,
    pub date: NaiveDate,
    pub received_date: Option<NaiveDate>,
    pub issuer: String,
    pub issuer_agency: Option<String>,
    pub legal_basis: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SanctionOut {
    pub id: String,
    pub nip: String,
    #[serde(rename = "type")]
    pub type_code: String,
    pub regime: String,
    pub kind: Kind,
    pub level: Option<Level>,
    /// Derived for today (or the requested `as_of`) in the configured zone.
    pub status: SanctionStatus,
    pub decision: DecreeOut,
    pub violation: Option<Violation>,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    pub blocked_purposes: Vec<Purpose>,
    pub document: Option<Document>,
    /// Set once lifted: `{reason, reference, note, effective_on}`.
    #[schema(value_type = Option<Object>)]
    pub lift: Option<serde_json::Value>,
    /// Set once annulled: `{reference, reason}`.
    #[schema(value_type = Option<Object>)]
    pub annulment: Option<serde_json::Value>,
    /// Set once appealed: `{kind, filed_on, reference, last_filing_day, decision_due, decision}`.
    #[schema(value_type = Option<Object>)]
    pub appeal: Option<serde_json::Value>,
    /// The sanction this one replaced after an appeal.
    pub supersedes: Option<String>,
    /// The sanction that replaced this one after an appeal.
    pub superseded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub updated_at: DateTime<Utc>,
}

impl SanctionOut {
    pub fn from_row(r: &SanctionRow, day: NaiveDate) -> SanctionOut {
        fn json<T: serde::de::DeserializeOwned>(s: &Option<String>) -> Option<T> {
            s.as_deref().and_then(|t| serde_json::from_str(t).ok())
        }
        SanctionOut {
            id: r.id.clone(),
            nip: r.nip.clone(),
            type_code: r.type_code.clone(),
            regime: r.regime.clone(),
            kind: r.kind,
            level: r.level,
            status: r.status_on(day),
            decision: DecreeOut {
                number: r.decision_number.clone(),
                date: r.decision_date,
                received_date: r.received_date,
                issuer: r.issuer.clone(),
                issuer_agency: r.issuer_agency.clone(),
                legal_basis: r.legal_basis.clone(),
            },
            violation: json(&r.violation),
            effective_from: r.effective_from,
            effective_until: r.effective_until,
            blocked_purposes: r.blocked_purposes.0.clone(),
            document: json(&r.document),
            lift: json(&r.lift),
            annulment: json(&r.annulment),
            appeal: json(&r.appeal),
            supersedes: r.supersedes.clone(),
            superseded_by: r.superseded_by.clone(),
            recorded_at: r.recorded_at.and_utc(),
            recorded_by: r.recorded_by.clone(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SanctionPage {
    pub items: Vec<SanctionOut>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// 1-200 characters, not blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub number: String,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub date: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftIn {
    pub reason: LiftReason,
    pub reference: Reference,
    pub note: Option<String>,
    /// First day no longer in force; default today. Not in the future.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnulReference {
    /// 1-200 characters, not blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub number: String,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub date: NaiveDate,
    /// e.g. `BPASN`, `Court`: 1-100 characters, not blank.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub issuer: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnulIn {
    pub reference: AnnulReference,
    /// 1-2000 characters, not blank.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    nip: Option<String>,
    status: Option<SanctionStatus>,
    issuer: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealIn {
    pub kind: AppealKind,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub filed_on: NaiveDate,
    pub reference: Reference,
}

/// The sanction an appeal decision puts in place of the appealed one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacementIn {
    #[serde(rename = "type")]
    pub type_code: String,
    /// Default: the appealed sanction's `effective_from`.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub effective_until: Option<NaiveDate>,
    pub duration_months: Option<u32>,
    pub blocked_purposes: Option<Vec<Purpose>>,
    /// Default: `BPASN` for a banding, the appealed decision's issuer for a keberatan.
    pub issuer: Option<String>,
    pub legal_basis: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionIn {
    pub outcome: AppealOutcome,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    pub decided_on: NaiveDate,
    pub reference: Reference,
    /// Required for `reduced`, `increased` and `changed`; refused otherwise.
    pub replacement: Option<ReplacementIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppealDecisionOut {
    /// The appealed sanction after the decision.
    pub sanction: SanctionOut,
    /// The new sanction that supersedes it, for reduced, increased and changed outcomes.
    pub replacement: Option<SanctionOut>,
}

impl SanctionIn {
    /// The decree as the domain reads it.
    pub fn into_draft(self) -> SanctionDraft {
        let d = self.decision;
        SanctionDraft {
            nip: self.nip,
            decision: DecisionRef {
                number: d.number,
                date: d.date,
                received_date: d.received_date,
                issuer: d.issuer,
                issuer_agency: d.issuer_agency,
                legal_basis: d.legal_basis,
            },
            type_code: self.type_code,
            violation: self.violation.map(|v| json!(v)),
            effective_from: self.effective_from,
            effective_until: self.effective_until,
            duration_months: self.duration_months,
            blocked_purposes: self.blocked_purposes,
            document: self.document.map(|d| DocumentRef {
                url: d.url,
                sha256: d.sha256,
            }),
        }
    }
}

impl ReplacementIn {
    pub fn into_draft(self) -> ReplacementDraft {
        ReplacementDraft {
            type_code: self.type_code,
            effective_from: self.effective_from,
            effective_until: self.effective_until,
            duration_months: self.duration_months,
            blocked_purposes: self.blocked_purposes,
            issuer: self.issuer,
            legal_basis: self.legal_basis,
        }
    }
}
