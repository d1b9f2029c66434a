//! The sanction catalogue and the versioned eligibility policy, as data.
//!
//! The embedded default (`policy/default.json`) encodes domain.md §1, §4 and §5; every value
//! there tagged [S] or [U] is a policy value, replaceable by a file (`ASN_POLICY_FILE`).

use super::calendar::WorkingCalendar;
use super::case::CaseRules;
use super::{AsnStatus, Kind, Level, Purpose};
use crate::i18n::L10n;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

pub const DEFAULT_POLICY_JSON: &str = include_str!("../../policy/default.json");

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Version stamped on every decision made under this policy.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub effective_date: EffectiveDateRule,
    pub issuers: Vec<IssuerDef>,
    /// Statuses that make an ASN `not_active` for every purpose.
    pub not_active_statuses: Vec<AsnStatus>,
    /// Purposes refused while an appeal against a sanction is pending (PP 53/2010 Pasal 41).
    pub pending_appeal_purposes: Vec<Purpose>,
    /// Purposes refused while BKN blocks the person's (or their agency's) data or services
    /// (PerBKN 1/2023; default: all).
    pub bkn_block_purposes: Vec<Purpose>,
    /// Administrative appeals (PP 79/2021): which kind lies against what, and the deadlines.
    #[serde(default)]
    pub appeals: AppealRules,
    pub purposes: BTreeMap<Purpose, PurposeRule>,
    pub catalogue: Vec<SanctionTypeDef>,
    /// Neutrality cases: deadlines, what an open case refuses, the conduct catalogue.
    #[serde(default)]
    pub cases: CaseRules,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectiveDateRule {
    /// A decision is in force on this working day after it was received (default 15).
    pub working_days_after_receipt: u32,
    /// Non-working days besides Saturdays and Sundays.
    pub holidays: Vec<NaiveDate>,
}

/// PP 79/2021 (domain.md §6): keberatan against a PPK decision other than dismissal, banding
/// (to BPASN) against dismissal only; deadlines in working days on the policy's calendar.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRules {
    /// Whether light (ringan) sanctions can be appealed [U].
    pub light_appealable: bool,
    /// Keberatan: filing and decision deadlines are [U].
    pub keberatan: AppealDeadlines,
    /// Banding: filed within 14 working days of the decision (Pasal 11(3)); BPASN decides
    /// within 65 working days [C].
    pub banding: AppealDeadlines,
    #[serde(default)]
    pub legal_basis: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDeadlines {
    /// The last filing day is this many working days after the decision date; `null`: none.
    pub filing_working_days: Option<u32>,
    /// The decision is due this many working days after filing; `null`: no deadline.
    pub decision_working_days: Option<u32>,
}

impl Default for AppealRules {
    fn default() -> Self {
        AppealRules {
            light_appealable: true,
            keberatan: AppealDeadlines {
                filing_working_days: Some(14),
                decision_working_days: None,
            },
            banding: AppealDeadlines {
                filing_working_days: Some(14),
                decision_working_days: Some(65),
            },
            legal_basis: "PP 79/2021".into(),
        }
    }
}

/// An issuing authority: reference data with validity dates, never logic.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuerDef {
    pub code: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurposeRule {
    /// Levels whose sanctions block this purpose while they run (besides the purposes each
    /// sanction names itself).
    pub active_block_levels: Vec<Level>,
    /// Look-back rules: sanctions that still count for a while after they were imposed.
    pub lookback: Vec<LookbackRule>,
    pub legal_basis: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookbackRule {
    pub id: String,
    pub kinds: Vec<Kind>,
    pub levels: Vec<Level>,
    /// A sanction counts while `as_of` is before its basis date + `years`.
    pub years: u32,
    pub basis: LookbackBasis,
    pub legal_basis: String,
}

/// Which date of a sanction a look-back window counts from (domain.md §5.2 leaves it open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LookbackBasis {
    DecisionDate,
    EffectiveFrom,
    EffectiveUntil,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SanctionTypeDef {
    pub code: String,
    pub regime: String,
    pub kind: Kind,
    pub level: Option<Level>,
    pub name: Name,
    pub duration: DefaultDuration,
    pub default_blocked_purposes: Vec<Purpose>,
    pub legal_basis: String,
    /// A dismissal (pemberhentian PNS / PHK PPPK): appealed by banding, never keberatan.
    #[serde(default)]
    pub dismissal: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Name {
    pub id: String,
    pub en: String,
}

/// `"none"`: a one-off measure (in force for no time); `"terminal"`: no end;
/// `{"months": N}`: N calendar months from `effective_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DefaultDuration {
    None,
    Terminal,
    Months(u32),
}

/// A loaded, validated policy with its lookup tables.
#[derive(Debug, Clone)]
pub struct Policy {
    pub doc: PolicyDocument,
    types: HashMap<String, usize>,
    pub calendar: WorkingCalendar,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("policy is not valid JSON for the policy schema: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("policy is inconsistent: {0}")]
    Invalid(String),
}

impl Policy {
    pub fn embedded_default() -> Policy {
        Policy::from_json(DEFAULT_POLICY_JSON).expect("the embedded policy is valid")
    }

    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let doc: PolicyDocument = serde_json::from_str(text)?;
        Policy::new(doc)
    }

    pub fn new(doc: PolicyDocument) -> Result<Policy, PolicyError> {
        let invalid = |m: String| Err(PolicyError::Invalid(m));
        if doc.version.trim().is_empty() {
            return invalid("version is empty".into());
        }
        for p in Purpose::ALL {
            if !doc.purposes.contains_key(p) {
                return invalid(format!("purpose '{p}' has no rule"));
            }
        }
        let mut types = HashMap::new();
        for (i, t) in doc.catalogue.iter().enumerate() {
            if types.insert(t.code.clone(), i).is_some() {
                return invalid(format!("sanction type '{}' appears twice", t.code));
            }
            if t.dismissal && t.kind != Kind::Disciplinary {
                return invalid(format!(
                    "sanction type '{}': only a disciplinary type can be a dismissal",
                    t.code
                ));
            }
            if (t.kind == Kind::Disciplinary) != t.level.is_some() {
                return invalid(format!(
                    "sanction type '{}': a disciplinary type has a level, an ethics type none",
                    t.code
                ));
            }
        }
        for (p, rule) in &doc.purposes {
            if let Some(r) = rule.lookback.iter().find(|r| r.years == 0) {
                return invalid(format!(
                    "purpose '{p}': look-back rule '{}' has 0 years",
                    r.id
                ));
            }
        }
        let mut conduct = std::collections::HashSet::new();
        if let Some(c) = doc.cases.conduct.iter().find(|c| !conduct.insert(&c.code)) {
            return invalid(format!("conduct '{}' appears twice", c.code));
        }
        if doc.not_active_statuses.contains(&AsnStatus::Unknown) {
            return invalid("'unknown' is reported as status_unknown, not not_active".into());
        }
        let calendar = WorkingCalendar::new(doc.effective_date.holidays.iter().copied());
        Ok(Policy {
            doc,
            types,
            calendar,
        })
    }

    pub fn version(&self) -> &str {
        &self.doc.version
    }

    pub fn sanction_type(&self, code: &str) -> Option<&SanctionTypeDef> {
        self.types.get(code).map(|&i| &self.doc.catalogue[i])
    }

    pub fn purpose(&self, p: Purpose) -> &PurposeRule {
        &self.doc.purposes[&p]
    }

    pub fn issuer(&self, code: &str) -> Option<&IssuerDef> {
        self.doc.issuers.iter().find(|i| i.code == code)
    }

    /// The day a decision received on `received` comes into force.
    pub fn effective_from_receipt(&self, received: NaiveDate) -> NaiveDate {
        self.calendar
            .nth_working_day_after(received, self.doc.effective_date.working_days_after_receipt)
    }

    pub fn type_codes(&self) -> impl Iterator<Item = &str> {
        self.doc.catalogue.iter().map(|t| t.code.as_str())
    }
}

impl SanctionTypeDef {
    pub fn display_name(&self) -> L10n {
        L10n::new(self.name.id.clone(), self.name.en.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_policy_has_the_whole_catalogue_of_domain_md() {
        let p = Policy::embedded_default();
        let codes: Vec<&str> = p.type_codes().collect();
        for regime_codes in [
            &[
                "PP94_R1", "PP94_R2", "PP94_R3", "PP94_S1", "PP94_S2", "PP94_S3", "PP94_B1",
                "PP94_B2", "PP94_B3",
            ][..],
            &[
                "PP94_S1_TUNDA_KGB",
                "PP94_S2_TUNDA_KP",
                "PP94_S3_TURUN_PANGKAT",
            ],
            &[
                "PP53_R1", "PP53_R2", "PP53_R3", "PP53_S1", "PP53_S2", "PP53_S3",
            ],
            &[
                "PP53_B1", "PP53_B2", "PP53_B3", "PP53_B4", "PP53_B5", "PP42_E1", "PP42_E2",
            ],
        ] {
            for c in regime_codes {
                assert!(codes.contains(c), "{c} missing");
            }
        }
        // domain.md §1.1 / §1.6 durations.
        let months = |c: &str| p.sanction_type(c).unwrap().duration;
        assert_eq!(months("PP94_S1"), DefaultDuration::Months(6));
        assert_eq!(months("PP94_S2"), DefaultDuration::Months(9));
        assert_eq!(months("PP94_B1"), DefaultDuration::Months(12));
        assert_eq!(months("PP53_B1"), DefaultDuration::Months(36));
        assert_eq!(months("PP94_B3"), DefaultDuration::Terminal);
        assert_eq!(months("PP42_E1"), DefaultDuration::None);
        assert_eq!(p.sanction_type("PP42_E2").unwrap().level, None);
    }

    #[test]
    fn inconsistent_policies_are_refused() {
        let mut doc = Policy::embedded_default().doc;
        doc.purposes.remove(&Purpose::Pension);
        assert!(matches!(Policy::new(doc), Err(PolicyError::Invalid(m)) if m.contains("pension")));
        let mut doc = Policy::embedded_default().doc;
        let dup = doc.catalogue[0].clone();
        doc.catalogue.push(dup);
        assert!(Policy::new(doc).is_err());
        assert!(Policy::from_json("{\"version\": 1}").is_err());
    }
}
