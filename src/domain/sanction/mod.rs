//! A sanction's lifecycle as the law reads it: its status on a given day, and whether an
//! administrative appeal against it may be filed (PP 79/2021). Pure: every date is an argument.

use super::period::Period;
use super::policy::{AppealRules, Policy};
use super::{AppealKind, Level, SanctionState, SanctionStatus};
use chrono::NaiveDate;

pub mod draft;

/// What a sanction's lifecycle may be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Lift,
    Annul,
    Appeal,
    DecideAppeal,
}

impl Move {
    /// Whether a sanction with `status` may make this move: a lift or an appeal only while
    /// it is scheduled or running, an annulment unless it already counts nowhere, an appeal
    /// decision only while one is pending.
    pub fn allowed(self, status: SanctionStatus) -> bool {
        use SanctionStatus::*;
        match self {
            Move::Lift | Move::Appeal => matches!(status, Scheduled | Active),
            Move::Annul => !matches!(status, Annulled | Superseded),
            Move::DecideAppeal => status == UnderAppeal,
        }
    }

    /// The verb the problem names ("cannot be lifted").
    pub fn verb(self) -> &'static str {
        match self {
            Move::Lift => "lift",
            Move::Annul => "annul",
            Move::Appeal => "appeal",
            Move::DecideAppeal => "decide the appeal of",
        }
    }
}

/// What a sanction's status depends on: its stored lifecycle state, the period decided, and
/// the days the lifecycle moved (a lift, an appeal filed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub state: SanctionState,
    pub decided: Period,
    /// The first day it no longer ran, once lifted.
    pub lifted_on: Option<NaiveDate>,
    /// The day the pending appeal was filed, while one is pending.
    pub appeal_filed_on: Option<NaiveDate>,
}

impl Lifecycle {
    /// The status on `day`: a lift or an appeal shows from its own date on, and the sanction
    /// ran as decided before it, exactly as eligibility on that day sees it. An annulled or
    /// superseded sanction counts nowhere, whatever the day.
    pub fn status_on(&self, day: NaiveDate) -> SanctionStatus {
        match self.state {
            SanctionState::Annulled => return SanctionStatus::Annulled,
            SanctionState::Superseded => return SanctionStatus::Superseded,
            SanctionState::Lifted if self.lifted_on.is_none_or(|l| day >= l) => {
                return SanctionStatus::Lifted
            }
            SanctionState::UnderAppeal if self.appeal_filed_on.is_none_or(|f| day >= f) => {
                return SanctionStatus::UnderAppeal
            }
            _ => {}
        }
        if day < self.decided.from() {
            SanctionStatus::Scheduled
        } else if self.decided.until().is_some_and(|u| day >= u) {
            SanctionStatus::Expired
        } else {
            SanctionStatus::Active
        }
    }
}

/// The decree an appeal is filed against.
#[derive(Debug, Clone, Copy)]
pub struct AppealedDecree {
    /// A dismissal (the catalogue's `dismissal`): appealed by banding only.
    pub dismissal: bool,
    pub level: Option<Level>,
    pub decision_date: NaiveDate,
    pub received_date: Option<NaiveDate>,
}

/// Why an appeal cannot be filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppealRefusal {
    /// Filed before the decree existed, or before it was received.
    BeforeDecree { earliest: NaiveDate },
    /// This kind of appeal does not lie against this decree (PP 79/2021 Pasal 1).
    NotAllowed { kind: AppealKind, dismissal: bool },
    /// Light sanctions are not appealable under the policy in force.
    LightNotAppealable,
    /// Filed after the last day of the filing period.
    TooLate { last_day: NaiveDate },
}

/// What an accepted appeal is bound to: the last filing day it met, and when its decision is
/// due (`None` where the policy sets no deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppealTerms {
    pub last_filing_day: Option<NaiveDate>,
    pub decision_due: Option<NaiveDate>,
}

/// Checks an appeal of `kind` filed on `filed_on` against `decree`, under the policy's appeal
/// rules: keberatan against anything but a dismissal, banding against a dismissal only, each
/// within its filing period in working days from the decision date.
pub fn check_appeal(
    policy: &Policy,
    decree: AppealedDecree,
    kind: AppealKind,
    filed_on: NaiveDate,
) -> Result<AppealTerms, AppealRefusal> {
    let rules: &AppealRules = &policy.doc.appeals;
    let earliest = decree
        .received_date
        .unwrap_or(decree.decision_date)
        .max(decree.decision_date);
    if filed_on < earliest {
        return Err(AppealRefusal::BeforeDecree { earliest });
    }
    let dismissal = decree.dismissal;
    let allowed = match kind {
        AppealKind::Keberatan => !dismissal,
        AppealKind::Banding => dismissal,
    };
    if !allowed {
        return Err(AppealRefusal::NotAllowed { kind, dismissal });
    }
    if decree.level == Some(Level::Light) && !rules.light_appealable {
        return Err(AppealRefusal::LightNotAppealable);
    }
    let deadline = match kind {
        AppealKind::Keberatan => rules.keberatan.filing_working_days,
        AppealKind::Banding => rules.banding.filing_working_days,
    };
    let calendar = &policy.calendar;
    let last_filing_day = deadline.map(|n| calendar.nth_working_day_after(decree.decision_date, n));
    if let Some(last) = last_filing_day.filter(|last| filed_on > *last) {
        return Err(AppealRefusal::TooLate { last_day: last });
    }
    let decision_days = match kind {
        AppealKind::Keberatan => rules.keberatan.decision_working_days,
        AppealKind::Banding => rules.banding.decision_working_days,
    };
    Ok(AppealTerms {
        last_filing_day,
        decision_due: decision_days.map(|n| calendar.nth_working_day_after(filed_on, n)),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn moves_follow_the_status() {
        use super::{Move, SanctionStatus as S};
        let allowed =
            |m: Move| -> Vec<S> { S::ALL.iter().copied().filter(|s| m.allowed(*s)).collect() };
        assert_eq!(allowed(Move::Lift), [S::Scheduled, S::Active]);
        assert_eq!(allowed(Move::Appeal), [S::Scheduled, S::Active]);
        assert_eq!(allowed(Move::DecideAppeal), [S::UnderAppeal]);
        assert!(!Move::Annul.allowed(S::Annulled) && !Move::Annul.allowed(S::Superseded));
        assert!(Move::Annul.allowed(S::Expired) && Move::Annul.allowed(S::Lifted));
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn lifecycle(state: SanctionState) -> Lifecycle {
        Lifecycle {
            state,
            decided: Period::months(d("2026-06-01"), 12),
            lifted_on: None,
            appeal_filed_on: None,
        }
    }

    #[test]
    fn a_lift_shows_from_its_own_day_and_the_sanction_ran_before_it() {
        let lifted = Lifecycle {
            lifted_on: Some(d("2026-11-23")),
            ..lifecycle(SanctionState::Lifted)
        };
        assert_eq!(lifted.status_on(d("2026-05-31")), SanctionStatus::Scheduled);
        assert_eq!(lifted.status_on(d("2026-07-01")), SanctionStatus::Active);
        assert_eq!(lifted.status_on(d("2026-11-23")), SanctionStatus::Lifted);
        assert_eq!(lifted.status_on(d("2028-01-01")), SanctionStatus::Lifted);
    }

    #[test]
    fn an_appeal_shows_from_the_day_it_was_filed() {
        let appealed = Lifecycle {
            appeal_filed_on: Some(d("2026-06-10")),
            ..lifecycle(SanctionState::UnderAppeal)
        };
        assert_eq!(appealed.status_on(d("2026-06-09")), SanctionStatus::Active);
        assert_eq!(
            appealed.status_on(d("2026-06-10")),
            SanctionStatus::UnderAppeal
        );
        assert_eq!(
            appealed.status_on(d("2030-01-01")),
            SanctionStatus::UnderAppeal,
            "pending until decided, whatever the decided period"
        );
    }

    #[test]
    fn dated_statuses_follow_the_half_open_period() {
        let s = lifecycle(SanctionState::Recorded);
        assert_eq!(s.status_on(d("2026-05-31")), SanctionStatus::Scheduled);
        assert_eq!(s.status_on(d("2026-06-01")), SanctionStatus::Active);
        assert_eq!(s.status_on(d("2027-05-31")), SanctionStatus::Active);
        assert_eq!(s.status_on(d("2027-06-01")), SanctionStatus::Expired);
        for gone in [SanctionState::Annulled, SanctionState::Superseded] {
            assert_ne!(
                lifecycle(gone).status_on(d("2026-05-31")),
                SanctionStatus::Scheduled
            );
        }
    }

    fn decree(t: &crate::domain::policy::SanctionTypeDef, date: &str) -> AppealedDecree {
        AppealedDecree {
            dismissal: t.dismissal,
            level: t.level,
            decision_date: d(date),
            received_date: None,
        }
    }

    #[test]
    fn keberatan_against_all_but_dismissal_banding_against_dismissal_only() {
        // PP 79/2021 Pasal 1 angka 4 and 5 (domain.md §6).
        let p = Policy::embedded_default();
        let demotion = p.sanction_type("PP94_B1").unwrap();
        let pdhtaps = p.sanction_type("PP94_B3").unwrap();
        let monday = "2026-11-02";
        assert!(check_appeal(
            &p,
            decree(demotion, monday),
            AppealKind::Keberatan,
            d(monday)
        )
        .is_ok());
        assert_eq!(
            check_appeal(&p, decree(demotion, monday), AppealKind::Banding, d(monday)),
            Err(AppealRefusal::NotAllowed {
                kind: AppealKind::Banding,
                dismissal: false
            })
        );
        assert!(check_appeal(&p, decree(pdhtaps, monday), AppealKind::Banding, d(monday)).is_ok());
        assert!(matches!(
            check_appeal(
                &p,
                decree(pdhtaps, monday),
                AppealKind::Keberatan,
                d(monday)
            ),
            Err(AppealRefusal::NotAllowed {
                dismissal: true,
                ..
            })
        ));
        for code in ["PP53_B4", "PP53_B5"] {
            assert!(p.sanction_type(code).unwrap().dismissal, "{code}");
        }
    }

    #[test]
    fn banding_within_14_working_days_and_bpasn_decides_within_65() {
        // PP 79/2021 Pasal 11(3): decision Monday 2026-11-02; 14 working days later is
        // Friday 2026-11-20.
        let p = Policy::embedded_default();
        let pdhtaps = p.sanction_type("PP94_B3").unwrap();
        let ok = check_appeal(
            &p,
            decree(pdhtaps, "2026-11-02"),
            AppealKind::Banding,
            d("2026-11-20"),
        )
        .unwrap();
        assert_eq!(ok.last_filing_day, Some(d("2026-11-20")));
        // 65 working days (13 weeks, no holidays configured) after Friday 2026-11-20.
        assert_eq!(ok.decision_due, Some(d("2027-02-19")));
        assert_eq!(
            check_appeal(
                &p,
                decree(pdhtaps, "2026-11-02"),
                AppealKind::Banding,
                d("2026-11-23")
            ),
            Err(AppealRefusal::TooLate {
                last_day: d("2026-11-20")
            })
        );
    }

    #[test]
    fn an_appeal_cannot_precede_its_decree_or_receipt() {
        let p = Policy::embedded_default();
        let t = p.sanction_type("PP94_S1").unwrap();
        let received = AppealedDecree {
            received_date: Some(d("2026-11-04")),
            ..decree(t, "2026-11-02")
        };
        assert_eq!(
            check_appeal(&p, received, AppealKind::Keberatan, d("2026-11-03")),
            Err(AppealRefusal::BeforeDecree {
                earliest: d("2026-11-04")
            })
        );
    }

    #[test]
    fn whether_light_sanctions_are_appealable_is_policy() {
        let mut doc = Policy::embedded_default().doc;
        doc.appeals.light_appealable = false;
        doc.version = "test-no-light".into();
        let p = Policy::new(doc).unwrap();
        let t = p.sanction_type("PP94_R2").unwrap();
        assert_eq!(
            check_appeal(
                &p,
                decree(t, "2026-11-02"),
                AppealKind::Keberatan,
                d("2026-11-03")
            ),
            Err(AppealRefusal::LightNotAppealable)
        );
    }
}
