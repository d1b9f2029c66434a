//! From a decree as sent to the sanction it records: the checks a decree must pass and the
//! defaults the policy fills in (the first day from the receipt, the end from the duration
//! or the catalogue, the blocked purposes from the catalogue). Pure: the decree date a
//! sanction may not start before is an argument.

use crate::domain::nip::Nip;
use crate::domain::period::{add_months, Period};
use crate::domain::policy::{DefaultDuration, Policy, SanctionTypeDef};
use crate::domain::{AppealKind, FieldError, Purpose};
use crate::i18n::L10n;
use chrono::{Datelike, NaiveDate};
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

/// Where the decree can be read, and its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentRef {
    pub url: String,
    pub sha256: String,
}

/// A sanction decree as sent: nothing checked, no default applied.
#[derive(Debug, Clone)]
pub struct SanctionDraft {
    pub nip: String,
    pub decision: DecisionRef,
    pub type_code: String,
    pub violation: Option<serde_json::Value>,
    pub effective_from: Option<NaiveDate>,
    pub effective_until: Option<NaiveDate>,
    pub duration_months: Option<u32>,
    pub blocked_purposes: Option<Vec<Purpose>>,
    pub document: Option<DocumentRef>,
}

/// A checked sanction to record: every default applied.
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

/// Why a draft is refused: only the NIP is wrong, or these fields (the NIP's first).
#[derive(Debug)]
pub enum DraftRefusal {
    Nip(L10n),
    Fields(Vec<FieldError>),
}

/// A required text: not blank, at most `max` characters as sent (the document says the same).
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() || value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            L10n::new(
                format!("harus 1-{max} karakter"),
                format!("must be 1-{max} characters"),
            ),
        ));
    }
}

fn plausible(errors: &mut Vec<FieldError>, field: &str, d: Option<NaiveDate>) {
    if d.is_some_and(|d| !(1950..=2100).contains(&d.year())) {
        errors.push(FieldError::new(
            field,
            L10n::new("tahun harus 1950-2100", "year must be 1950-2100"),
        ));
    }
}

fn check_document(errors: &mut Vec<FieldError>, d: &DocumentRef) {
    if !(d.url.starts_with("https://") || d.url.starts_with("http://")) || d.url.len() > 2000 {
        errors.push(FieldError::new(
            "document.url",
            L10n::new("harus URL http(s)", "must be an http(s) URL"),
        ));
    }
    if d.sha256.len() != 64 || !d.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        errors.push(FieldError::new(
            "document.sha256",
            L10n::new("harus 64 digit heksadesimal", "must be 64 hex digits"),
        ));
    }
}

fn check_decision(errors: &mut Vec<FieldError>, d: &DecisionRef, policy: &Policy) {
    check_text(errors, "decision.number", &d.number, 200);
    plausible(errors, "decision.date", Some(d.date));
    plausible(errors, "decision.received_date", d.received_date);
    if d.received_date.is_some_and(|r| r < d.date) {
        errors.push(FieldError::new(
            "decision.received_date",
            L10n::new(
                "tidak boleh sebelum tanggal keputusan",
                "cannot be before the decision date",
            ),
        ));
    }
    if policy.issuer(&d.issuer).is_none() {
        let known: Vec<&str> = policy.doc.issuers.iter().map(|i| i.code.as_str()).collect();
        errors.push(FieldError::new(
            "decision.issuer",
            L10n::same(format!(
                "'{}' is not one of: {}",
                d.issuer,
                known.join(", ")
            )),
        ));
    }
}

impl SanctionDraft {
    /// Checks the draft and applies the policy's defaults. A sanction cannot take effect
    /// before the decree that imposes it: `effective_from` is never before `decree_date` (for
    /// a replacement after an appeal, the appealed decree's).
    pub fn settle(
        self,
        policy: &Policy,
        decree_date: NaiveDate,
    ) -> Result<NewSanction, DraftRefusal> {
        let mut errors = Vec::new();
        check_decision(&mut errors, &self.decision, policy);
        plausible(&mut errors, "effective_from", self.effective_from);
        plausible(&mut errors, "effective_until", self.effective_until);
        let sanction_type = policy.sanction_type(&self.type_code).cloned();
        if sanction_type.is_none() {
            errors.push(FieldError::new(
                "type",
                L10n::new(
                    format!(
                        "'{}' bukan kode katalog hukuman (lihat GET /api/v1/catalogue)",
                        self.type_code
                    ),
                    format!(
                        "'{}' is not a sanction catalogue code (see GET /api/v1/catalogue)",
                        self.type_code
                    ),
                ),
            ));
        }
        if let Some(doc) = &self.document {
            check_document(&mut errors, doc);
        }
        let period = self.period(policy, sanction_type.as_ref(), decree_date, &mut errors);
        let nip = Nip::parse(&self.nip);
        match &nip {
            Err(e) if errors.is_empty() => return Err(DraftRefusal::Nip(e.message())),
            Err(e) => errors.insert(0, FieldError::new("nip", e.message())),
            Ok(_) => {}
        }
        let (Ok(nip), Some(sanction_type), Some(period), true) =
            (nip, sanction_type, period, errors.is_empty())
        else {
            return Err(DraftRefusal::Fields(errors));
        };
        Ok(NewSanction {
            nip,
            blocked_purposes: self
                .blocked_purposes
                .unwrap_or_else(|| sanction_type.default_blocked_purposes.clone()),
            sanction_type,
            decision: DecisionRef {
                number: self.decision.number.trim().to_string(),
                ..self.decision
            },
            violation: self.violation,
            period,
            document: self.document.map(|d| json!(d)),
            supersedes: None,
        })
    }

    /// The period decided: from the date sent or the receipt (the policy's rule), until the
    /// date sent, the duration sent, or the catalogue's default duration.
    fn period(
        &self,
        policy: &Policy,
        sanction_type: Option<&SanctionTypeDef>,
        decree_date: NaiveDate,
        errors: &mut Vec<FieldError>,
    ) -> Option<Period> {
        let from = self.effective_from.or_else(|| {
            self.decision
                .received_date
                .map(|r| policy.effective_from_receipt(r))
        });
        if from.is_none() {
            errors.push(FieldError::new(
                "effective_from",
                L10n::new(
                    "wajib diisi bila decision.received_date tidak ada",
                    "is required when decision.received_date is absent",
                ),
            ));
        }
        if self.effective_from.is_some_and(|f| f < decree_date) {
            errors.push(FieldError::new(
                "effective_from",
                L10n::new(
                    format!("tidak boleh sebelum tanggal keputusan ({decree_date})"),
                    format!("cannot be before the decision date ({decree_date})"),
                ),
            ));
        }
        if self.effective_until.is_some() && self.duration_months.is_some() {
            errors.push(FieldError::new(
                "duration_months",
                L10n::new(
                    "kirim effective_until atau duration_months, bukan keduanya",
                    "send effective_until or duration_months, not both",
                ),
            ));
        }
        if self
            .duration_months
            .is_some_and(|m| !(1..=600).contains(&m))
        {
            errors.push(FieldError::new(
                "duration_months",
                L10n::new(
                    "1 sampai 600 bulan (tindakan sekali jadi: kirim tanpa duration_months)",
                    "1 to 600 months (a one-off measure: send no duration_months)",
                ),
            ));
        }
        let (from, t) = (from?, sanction_type?);
        let until = match (self.effective_until, self.duration_months, t.duration) {
            (Some(u), _, _) => Some(u),
            (None, Some(m), _) | (None, None, DefaultDuration::Months(m)) => {
                Some(add_months(from, m))
            }
            (None, None, DefaultDuration::None) => Some(from),
            (None, None, DefaultDuration::Terminal) => None,
        };
        Period::new(from, until)
            .map_err(|e| {
                errors.push(FieldError::new(
                    "effective_until",
                    L10n::new(
                        format!(
                            "effective_until {} sebelum effective_from {}",
                            e.until, e.from
                        ),
                        e.to_string(),
                    ),
                ))
            })
            .ok()
    }
}

/// The sanction an appeal decision puts in place of the appealed one, as sent.
#[derive(Debug, Clone)]
pub struct ReplacementDraft {
    pub type_code: String,
    /// Default: the appealed sanction's `effective_from`.
    pub effective_from: Option<NaiveDate>,
    pub effective_until: Option<NaiveDate>,
    pub duration_months: Option<u32>,
    pub blocked_purposes: Option<Vec<Purpose>>,
    /// Default: `BPASN` for a banding, the appealed decision's issuer for a keberatan.
    pub issuer: Option<String>,
    pub legal_basis: Option<String>,
}

/// What a replacement keeps of the sanction it replaces.
pub struct Appealed<'a> {
    pub nip: &'a str,
    pub issuer: &'a str,
    pub issuer_agency: Option<&'a str>,
    pub violation: Option<serde_json::Value>,
    pub effective_from: NaiveDate,
    pub kind: Option<AppealKind>,
}

impl ReplacementDraft {
    /// The replacement as a decree of its own: decided by the appeal's decision (`number`,
    /// `date`), about the same person and violation.
    pub fn into_draft(self, old: Appealed<'_>, number: &str, date: NaiveDate) -> SanctionDraft {
        let issuer = self.issuer.unwrap_or_else(|| match old.kind {
            Some(AppealKind::Banding) => "BPASN".to_string(),
            _ => old.issuer.to_string(),
        });
        SanctionDraft {
            nip: old.nip.to_string(),
            decision: DecisionRef {
                number: number.to_string(),
                date,
                received_date: None,
                issuer,
                issuer_agency: old.issuer_agency.map(str::to_string),
                legal_basis: self.legal_basis,
            },
            type_code: self.type_code,
            violation: old.violation,
            effective_from: Some(self.effective_from.unwrap_or(old.effective_from)),
            effective_until: self.effective_until,
            duration_months: self.duration_months,
            blocked_purposes: self.blocked_purposes,
            document: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn draft(type_code: &str) -> SanctionDraft {
        SanctionDraft {
            nip: "198503152010011002".into(),
            decision: DecisionRef {
                number: " 800/1/2024 ".into(),
                date: d("2024-03-01"),
                received_date: Some(d("2024-03-04")),
                issuer: "PPK".into(),
                issuer_agency: None,
                legal_basis: None,
            },
            type_code: type_code.into(),
            violation: None,
            effective_from: None,
            effective_until: None,
            duration_months: None,
            blocked_purposes: None,
            document: None,
        }
    }

    fn fields(r: Result<NewSanction, DraftRefusal>) -> Vec<String> {
        match r {
            Err(DraftRefusal::Fields(f)) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_come_from_the_receipt_and_the_catalogue() {
        let policy = Policy::embedded_default();
        let new = draft("PP94_S3").settle(&policy, d("2024-03-01")).unwrap();
        // 15th working day after Monday 2024-03-04; 12 months (domain.md §1.1).
        assert_eq!(new.period.from(), d("2024-03-25"));
        assert_eq!(new.period.until(), Some(d("2025-03-25")));
        assert_eq!(new.decision.number, "800/1/2024");
        let t = policy.sanction_type("PP94_S3").unwrap();
        assert_eq!(new.blocked_purposes, t.default_blocked_purposes);
    }

    #[test]
    fn the_end_is_the_date_sent_the_duration_sent_or_none_for_a_dismissal() {
        let policy = Policy::embedded_default();
        let mut sent = draft("PP94_S3");
        sent.duration_months = Some(6);
        let new = sent.settle(&policy, d("2024-03-01")).unwrap();
        assert_eq!(new.period.until(), Some(d("2024-09-25")));
        let new = draft("PP94_B3").settle(&policy, d("2024-03-01")).unwrap();
        assert_eq!(new.period.until(), None, "a dismissal does not end");
    }

    #[test]
    fn a_sanction_never_starts_before_its_decree() {
        let policy = Policy::embedded_default();
        let mut early = draft("PP94_S3");
        early.effective_from = Some(d("2024-02-29"));
        assert_eq!(
            fields(early.settle(&policy, d("2024-03-01"))),
            ["effective_from"]
        );
    }

    #[test]
    fn every_wrong_field_is_named_the_nip_first() {
        let policy = Policy::embedded_default();
        let mut bad = draft("PP94_XX");
        bad.nip = "12".into();
        bad.effective_until = Some(d("2025-01-01"));
        bad.duration_months = Some(700);
        assert_eq!(
            fields(bad.settle(&policy, d("2024-03-01"))),
            ["nip", "type", "duration_months", "duration_months"]
        );
        let mut only_nip = draft("PP94_S3");
        only_nip.nip = "12".into();
        assert!(matches!(
            only_nip.settle(&policy, d("2024-03-01")),
            Err(DraftRefusal::Nip(_))
        ));
    }
}
