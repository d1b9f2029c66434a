//! A neutrality case (domain.md §3.4): report → review → recommendation to the PPK →
//! follow-up, escalation, block → sanction; its deadlines as policy (§3.3, §3.6) and the
//! conduct catalogue of SKB 2022 (§3.1). Pure: every date is an argument.

use super::calendar::WorkingCalendar;
use super::policy::Name;
use super::Purpose;
use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use utoipa::ToSchema;

wire_enum!(
    /// Where a case stands.
    CaseState {
        Reported => "reported",
        UnderReview => "under_review",
        Rejected => "rejected",
        NotProven => "not_proven",
        Recommended => "recommended",
        Escalated => "escalated",
        Blocked => "blocked",
        Sanctioned => "sanctioned",
        Withdrawn => "withdrawn",
    }
);

wire_enum!(
    /// A step a case can take (api.md's table).
    Step {
        VerificationStarted => "verification_started",
        Rejected => "rejected",
        NotProven => "not_proven",
        Recommended => "recommended",
        ExaminationStarted => "examination_started",
        Escalated => "escalated",
        BlockRequested => "block_requested",
        SanctionImposed => "sanction_imposed",
        Withdrawn => "withdrawn",
    }
);

wire_enum!(
    /// Where a report came from; its own reference is all a case keeps of the reporter.
    Source { Sbt => "sbt", Bawaslu => "bawaslu", Lapor => "lapor", Agency => "agency", Other => "other" }
);

wire_enum!(
    /// The election stage of the conduct: before formal candidacy (mostly ethics), as a
    /// candidate (disciplinary), or outside an election.
    Stage { BakalCalon => "bakal_calon", Calon => "calon", None => "none" }
);

wire_enum!(
    /// The category of sanction a recommendation asks the PPK for.
    Category {
        Ethics => "ethics",
        DisciplinaryModerate => "disciplinary_moderate",
        DisciplinarySevere => "disciplinary_severe",
        Dismissal => "dismissal",
    }
);

impl CaseState {
    /// Open while the PPK owes a follow-up: the states in which eligibility sees the case.
    pub fn awaits_ppk(self) -> bool {
        matches!(
            self,
            CaseState::Recommended | CaseState::Escalated | CaseState::Blocked
        )
    }

    /// An end: no step moves it any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseState::Rejected
                | CaseState::NotProven
                | CaseState::Sanctioned
                | CaseState::Withdrawn
        )
    }
}

impl Step {
    /// Where `step` takes a case in `from`; `None`: not allowed there.
    pub fn from_state(self, from: CaseState) -> Option<CaseState> {
        use CaseState as S;
        match (self, from) {
            (Step::VerificationStarted, S::Reported) => Some(S::UnderReview),
            (Step::Rejected, S::Reported | S::UnderReview) => Some(S::Rejected),
            (Step::NotProven, S::UnderReview) => Some(S::NotProven),
            (Step::Recommended, S::UnderReview) => Some(S::Recommended),
            (Step::ExaminationStarted, s) if s.awaits_ppk() => Some(s),
            (Step::Escalated, S::Recommended) => Some(S::Escalated),
            (Step::BlockRequested, S::Recommended | S::Escalated) => Some(S::Blocked),
            (Step::SanctionImposed, s) if s.awaits_ppk() => Some(S::Sanctioned),
            (Step::Withdrawn, s) if !s.is_final() => Some(S::Withdrawn),
            _ => None,
        }
    }

    /// The steps the PPK takes: the only ones an agency-limited writer may take, for ASN of
    /// its agency.
    pub fn is_ppk_step(self) -> bool {
        matches!(self, Step::ExaminationStarted | Step::SanctionImposed)
    }
}

/// A deadline of the policy: working days on the policy's calendar, or calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    WorkingDays(u32),
    Days(u32),
}

impl Deadline {
    /// The last day to act on something that started on `start`.
    pub fn due(self, start: NaiveDate, calendar: &WorkingCalendar) -> NaiveDate {
        match self {
            Deadline::WorkingDays(n) => calendar.nth_working_day_after(start, n),
            Deadline::Days(n) => start + TimeDelta::days(n.into()),
        }
    }
}

/// A conduct of the SKB 2022 catalogue with the category recommended by default per stage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConductDef {
    pub code: String,
    pub name: Name,
    pub bakal_calon: Option<Category>,
    pub calon: Option<Category>,
    pub legal_basis: String,
}

impl ConductDef {
    /// The category recommended by default for conduct at `stage` (outside an election,
    /// as for a candidate).
    pub fn default_category(&self, stage: Stage) -> Option<Category> {
        match stage {
            Stage::BakalCalon => self.bakal_calon,
            Stage::Calon | Stage::None => self.calon,
        }
    }
}

/// The policy for cases (domain.md §3.3; [S] values).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRules {
    /// The PPK's follow-up of a recommendation (default 14 working days [S]).
    pub ppk_followup: Deadline,
    /// The follow-up after an escalation (teguran; default 3 days [S]).
    pub escalation_followup: Deadline,
    /// Purposes an open case refuses (a `pending_case` reason); elsewhere it is a notice.
    pub pending_case_purposes: Vec<Purpose>,
    pub legal_basis: String,
    pub conduct: Vec<ConductDef>,
}

impl Default for CaseRules {
    fn default() -> Self {
        CaseRules {
            ppk_followup: Deadline::WorkingDays(14),
            escalation_followup: Deadline::Days(3),
            pending_case_purposes: vec![Purpose::JptSelection],
            legal_basis: "SKB 2/2022 tentang Pedoman Pembinaan dan Pengawasan Netralitas ASN"
                .into(),
            conduct: Vec::new(),
        }
    }
}

impl CaseRules {
    pub fn conduct(&self, code: &str) -> Option<&ConductDef> {
        self.conduct.iter().find(|c| c.code == code)
    }

    /// The day the step that put a case in `state` on `since` is due; `None`: nothing is due.
    pub fn deadline(
        &self,
        state: CaseState,
        since: NaiveDate,
        calendar: &WorkingCalendar,
    ) -> Option<NaiveDate> {
        match state {
            CaseState::Recommended => Some(self.ppk_followup.due(since, calendar)),
            CaseState::Escalated => Some(self.escalation_followup.due(since, calendar)),
            _ => None,
        }
    }
}

/// Overdue on `day`: a deadline passed with the case still waiting on it.
pub fn is_overdue(state: CaseState, deadline: Option<NaiveDate>, day: NaiveDate) -> bool {
    deadline.is_some_and(|d| day > d)
        && matches!(state, CaseState::Recommended | CaseState::Escalated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn every_transition_of_api_md_and_no_other() {
        use CaseState as S;
        let allowed = [
            (Step::VerificationStarted, S::Reported, S::UnderReview),
            (Step::Rejected, S::Reported, S::Rejected),
            (Step::Rejected, S::UnderReview, S::Rejected),
            (Step::NotProven, S::UnderReview, S::NotProven),
            (Step::Recommended, S::UnderReview, S::Recommended),
            (Step::ExaminationStarted, S::Recommended, S::Recommended),
            (Step::ExaminationStarted, S::Escalated, S::Escalated),
            (Step::ExaminationStarted, S::Blocked, S::Blocked),
            (Step::Escalated, S::Recommended, S::Escalated),
            (Step::BlockRequested, S::Recommended, S::Blocked),
            (Step::BlockRequested, S::Escalated, S::Blocked),
            (Step::SanctionImposed, S::Recommended, S::Sanctioned),
            (Step::SanctionImposed, S::Escalated, S::Sanctioned),
            (Step::SanctionImposed, S::Blocked, S::Sanctioned),
            (Step::Withdrawn, S::Reported, S::Withdrawn),
            (Step::Withdrawn, S::UnderReview, S::Withdrawn),
            (Step::Withdrawn, S::Recommended, S::Withdrawn),
            (Step::Withdrawn, S::Escalated, S::Withdrawn),
            (Step::Withdrawn, S::Blocked, S::Withdrawn),
        ];
        for step in Step::ALL {
            for from in CaseState::ALL {
                let expected = allowed
                    .iter()
                    .find(|(s, f, _)| s == step && f == from)
                    .map(|(_, _, to)| *to);
                assert_eq!(step.from_state(*from), expected, "{step} from {from}");
            }
        }
    }

    #[test]
    fn deadlines_count_working_days_or_days() {
        let rules = CaseRules::default();
        // Friday 2024-10-04 + 14 working days, 2024-10-14 a configured holiday.
        let calendar = WorkingCalendar::new([d("2024-10-14")]);
        let due = rules.deadline(CaseState::Recommended, d("2024-10-04"), &calendar);
        assert_eq!(due, Some(d("2024-10-25")));
        let escalated = rules.deadline(CaseState::Escalated, d("2024-10-26"), &calendar);
        assert_eq!(
            escalated,
            Some(d("2024-10-29")),
            "3 calendar days, weekend or not"
        );
        assert_eq!(
            rules.deadline(CaseState::Blocked, d("2024-10-26"), &calendar),
            None
        );
        assert!(!is_overdue(CaseState::Recommended, due, d("2024-10-25")));
        assert!(is_overdue(CaseState::Recommended, due, d("2024-10-26")));
        assert!(!is_overdue(CaseState::Sanctioned, due, d("2024-11-26")));
    }
}
