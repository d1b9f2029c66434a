//! Table-driven policy tests; every case names the domain.md section it encodes.

use super::*;
use crate::domain::policy::DefaultDuration;
use crate::domain::Purpose::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A sanction of catalogue type `code` in force from `from`, with the catalogue's
/// default duration and blocked purposes.
fn sanction(code: &str, from: &str) -> SanctionFacts {
    let policy = Policy::embedded_default();
    let t = policy.sanction_type(code).unwrap();
    let from = d(from);
    let decided = match t.duration {
        DefaultDuration::Months(m) => Period::months(from, m),
        DefaultDuration::None => Period::new(from, Some(from)).unwrap(),
        DefaultDuration::Terminal => Period::new(from, None).unwrap(),
    };
    SanctionFacts {
        id: format!("s-{code}"),
        type_code: code.into(),
        kind: t.kind,
        level: t.level,
        decision_number: "800/1/2024".into(),
        decision_date: from - chrono::Duration::days(21),
        decided,
        lifted_on: None,
        counts: true,
        appeal_pending_since: None,
        blocked_purposes: t.default_blocked_purposes.clone(),
        legal_basis: t.legal_basis.clone(),
    }
}

fn active() -> AsnFacts {
    AsnFacts {
        status: AsnStatus::Active,
    }
}

struct Case {
    cite: &'static str,
    sanctions: Vec<SanctionFacts>,
    purpose: Purpose,
    as_of: &'static str,
    outcome: Outcome,
    codes: &'static [ReasonCode],
    eligible_from: Option<&'static str>,
}

fn check(cases: Vec<Case>) {
    let policy = Policy::embedded_default();
    for c in cases {
        let records = Records {
            asn: &active(),
            sanctions: &c.sanctions,
            blocks: &[],
            cases: &[],
        };
        let e = evaluate(&records, &policy, c.purpose, d(c.as_of));
        let codes: Vec<ReasonCode> = e.reasons.iter().map(|r| r.code).collect();
        assert_eq!(e.outcome, c.outcome, "{}", c.cite);
        assert_eq!(codes, c.codes, "{}", c.cite);
        assert_eq!(e.eligible_from, c.eligible_from.map(d), "{}", c.cite);
    }
}

use ReasonCode::{ActiveSanction as ACTIVE, DisciplinaryHistory as HISTORY};

#[test]
fn running_sanctions_block_by_level() {
    check(vec![
        Case {
            cite: "§1.1 S3: 12 months; §4/§5.1 moderate blocks promotion while running",
            sanctions: vec![sanction("PP94_S3", "2024-03-25")],
            purpose: Promotion,
            as_of: "2024-06-01",
            outcome: Outcome::Ineligible,
            codes: &[ACTIVE],
            eligible_from: Some("2025-03-25"),
        },
        Case {
            cite: "§2 half-open: the end date is the first free day",
            sanctions: vec![sanction("PP94_S3", "2024-03-25")],
            purpose: Promotion,
            as_of: "2025-03-25",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2025-03-25"),
        },
        Case {
            cite: "§4 KGB blocked while a moderate sanction runs (S1: 6 months)",
            sanctions: vec![sanction("PP94_S1", "2024-01-10")],
            purpose: SalaryIncrement,
            as_of: "2024-07-09",
            outcome: Outcome::Ineligible,
            codes: &[ACTIVE],
            eligible_from: Some("2024-07-10"),
        },
        Case {
            cite: "§4 light sanctions block nothing by default [U]",
            sanctions: vec![sanction("PP94_R2", "2024-03-25")],
            purpose: Promotion,
            as_of: "2024-03-25",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-03-25"),
        },
        Case {
            cite: "§1.4 ethics sanctions have no direct effect [U]",
            sanctions: vec![sanction("PP42_E2", "2024-03-25")],
            purpose: JptSelection,
            as_of: "2024-04-01",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-04-01"),
        },
        Case {
            cite: "a scheduled sanction does not count before it starts",
            sanctions: vec![sanction("PP94_B1", "2024-09-01")],
            purpose: Promotion,
            as_of: "2024-08-31",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-08-31"),
        },
        Case {
            cite: "§1.1 B3 (PDHTAPS) is terminal: no eligible_from",
            sanctions: vec![sanction("PP94_B3", "2024-01-01")],
            purpose: Transfer,
            as_of: "2030-01-01",
            outcome: Outcome::Ineligible,
            codes: &[ACTIVE],
            eligible_from: None,
        },
    ]);
}

#[test]
fn jpt_looks_back_three_years_from_effective_from() {
    check(vec![
        Case {
            cite: "§5.2 JPT: running moderate sanction plus the 3-year look-back",
            sanctions: vec![sanction("PP94_S3", "2024-03-25")],
            purpose: JptSelection,
            as_of: "2024-06-01",
            outcome: Outcome::Ineligible,
            codes: &[ACTIVE, HISTORY],
            eligible_from: Some("2027-03-25"),
        },
        Case {
            cite: "§5.2 JPT: after the sanction ends the look-back still counts",
            sanctions: vec![sanction("PP94_S3", "2024-03-25")],
            purpose: JptSelection,
            as_of: "2026-11-23",
            outcome: Outcome::Ineligible,
            codes: &[HISTORY],
            eligible_from: Some("2027-03-25"),
        },
        Case {
            cite: "§5.2 JPT: a light sanction is outside the look-back levels",
            sanctions: vec![sanction("PP94_R3", "2024-03-25")],
            purpose: JptSelection,
            as_of: "2024-06-01",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-06-01"),
        },
        Case {
            cite: "§1.6 legacy PP 53 B1 runs 3 years; look-back ends with it",
            sanctions: vec![sanction("PP53_B1", "2019-05-01")],
            purpose: JptSelection,
            as_of: "2021-05-01",
            outcome: Outcome::Ineligible,
            codes: &[ACTIVE, HISTORY],
            eligible_from: Some("2022-05-01"),
        },
        Case {
            cite: "§5.1 promotion has no look-back by default",
            sanctions: vec![sanction("PP94_B1", "2023-01-01")],
            purpose: Promotion,
            as_of: "2024-01-01",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-01-01"),
        },
    ]);
}

#[test]
fn lifted_and_annulled_sanctions() {
    let mut lifted = sanction("PP94_S3", "2024-03-25");
    lifted.lifted_on = Some(d("2024-06-01"));
    let mut annulled = sanction("PP94_B1", "2024-03-25");
    annulled.counts = false;
    check(vec![
        Case {
            cite: "a lift ends the running sanction on its date",
            sanctions: vec![lifted.clone()],
            purpose: Promotion,
            as_of: "2024-06-01",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-06-01"),
        },
        Case {
            cite: "before the lift date it still ran",
            sanctions: vec![lifted.clone()],
            purpose: Promotion,
            as_of: "2024-05-31",
            outcome: Outcome::Ineligible,
            codes: &[ACTIVE],
            eligible_from: Some("2024-06-01"),
        },
        Case {
            cite: "§5.2 a lifted sanction was still imposed: the look-back counts it",
            sanctions: vec![lifted],
            purpose: JptSelection,
            as_of: "2025-01-01",
            outcome: Outcome::Ineligible,
            codes: &[HISTORY],
            eligible_from: Some("2027-03-25"),
        },
        Case {
            cite: "§6 an annulled sanction no longer counts anywhere",
            sanctions: vec![annulled],
            purpose: JptSelection,
            as_of: "2024-06-01",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-06-01"),
        },
    ]);
}

#[test]
fn eligible_from_accounts_for_a_later_sanction_known_now() {
    check(vec![Case {
        cite: "eligible_from is the first day every known reason has ended, chained",
        sanctions: vec![
            sanction("PP94_S1", "2024-01-01"),
            sanction("PP94_S2", "2024-06-01"),
        ],
        purpose: Promotion,
        as_of: "2024-02-01",
        outcome: Outcome::Ineligible,
        codes: &[ACTIVE],
        eligible_from: Some("2025-03-01"),
    }]);
}

#[test]
fn status_decides_before_any_sanction() {
    let policy = Policy::embedded_default();
    let on = d("2024-06-01");
    for status in [
        AsnStatus::Retired,
        AsnStatus::Dismissed,
        AsnStatus::Deceased,
        AsnStatus::Suspended,
    ] {
        let asn = AsnFacts { status };
        let e = evaluate(
            &Records {
                asn: &asn,
                sanctions: &[],
                blocks: &[],
                cases: &[],
            },
            &policy,
            Promotion,
            on,
        );
        assert_eq!(
            e.outcome,
            Outcome::Ineligible,
            "§ api.md not_active: {status}"
        );
        assert_eq!(e.reasons[0].code, ReasonCode::NotActive);
        assert_eq!(e.eligible_from, None);
    }
    let unknown = AsnFacts {
        status: AsnStatus::Unknown,
    };
    let e = evaluate(
        &Records {
            asn: &unknown,
            sanctions: &[],
            blocks: &[],
            cases: &[],
        },
        &policy,
        Promotion,
        on,
    );
    assert_eq!((e.outcome, e.eligible_from), (Outcome::Undetermined, None));
    let e = evaluate(
        &Records {
            asn: &unknown,
            sanctions: &[sanction("PP94_S3", "2024-03-25")],
            blocks: &[],
            cases: &[],
        },
        &policy,
        Promotion,
        on,
    );
    assert_eq!(
        e.outcome,
        Outcome::Ineligible,
        "a sanction outweighs an unknown status"
    );
}

#[test]
fn lookback_basis_is_configurable() {
    let mut doc = Policy::embedded_default().doc;
    let rule = &mut doc.purposes.get_mut(&JptSelection).unwrap().lookback[0];
    rule.basis = LookbackBasis::EffectiveUntil;
    let policy = Policy::new(doc).unwrap();
    let s = sanction("PP94_S3", "2024-03-25");
    let e = evaluate(
        &Records {
            asn: &active(),
            sanctions: &[s],
            blocks: &[],
            cases: &[],
        },
        &policy,
        JptSelection,
        d("2026-11-23"),
    );
    assert_eq!(
        e.eligible_from,
        Some(d("2028-03-25")),
        "3 years from the end 2025-03-25"
    );
}

#[test]
fn messages_exist_in_both_languages() {
    let policy = Policy::embedded_default();
    let e = evaluate(
        &Records {
            asn: &active(),
            sanctions: &[sanction("PP94_S3", "2024-03-25")],
            blocks: &[],
            cases: &[],
        },
        &policy,
        JptSelection,
        d("2024-06-01"),
    );
    let m = e.reasons[0].message(&policy);
    assert!(
        m.id.contains("Sedang menjalani") && m.id.contains("2025-03-25"),
        "{}",
        m.id
    );
    assert!(m.en.starts_with("Serving the sanction"), "{}", m.en);
}

#[test]
fn a_pending_appeal_suspends_the_sanction_and_blocks_promotion_jpt_and_kgb() {
    let mut s = sanction("PP94_S3", "2024-03-25");
    s.appeal_pending_since = Some(d("2024-04-01"));
    check(vec![
        Case {
            cite: "§4/§6 PP 53 Pasal 41: no KP while an appeal is pending; no known end",
            sanctions: vec![s.clone()],
            purpose: Promotion,
            as_of: "2024-06-01",
            outcome: Outcome::Ineligible,
            codes: &[ReasonCode::PendingAppeal],
            eligible_from: None,
        },
        Case {
            cite: "§4 PP 53 Pasal 41: no KGB while an appeal is pending",
            sanctions: vec![s.clone()],
            purpose: SalaryIncrement,
            as_of: "2024-06-01",
            outcome: Outcome::Ineligible,
            codes: &[ReasonCode::PendingAppeal],
            eligible_from: None,
        },
        Case {
            cite: "§5.2 [S] JPT: 'tidak dalam proses' — denied while an appeal is pending (policy 2026-12-01.1)",
            sanctions: vec![s.clone()],
            purpose: JptSelection,
            as_of: "2024-06-01",
            outcome: Outcome::Ineligible,
            codes: &[ReasonCode::PendingAppeal],
            eligible_from: None,
        },
        Case {
            cite: "§2 the decision under appeal takes effect per the appeal: a transfer is not blocked meanwhile",
            sanctions: vec![s.clone()],
            purpose: Transfer,
            as_of: "2024-06-01",
            outcome: Outcome::Eligible,
            codes: &[],
            eligible_from: Some("2024-06-01"),
        },
        Case {
            cite: "before the appeal was filed the sanction ran as decided",
            sanctions: vec![s],
            purpose: Promotion,
            as_of: "2024-03-28",
            outcome: Outcome::Ineligible,
            codes: &[ACTIVE],
            eligible_from: None,
        },
    ]);
}

#[test]
fn after_the_appeal_the_look_back_counts_from_what_it_decided() {
    // §6: upheld, the original period; reduced or changed, the replacement's (the appealed
    // sanction is superseded and counts nowhere).
    let upheld = sanction("PP94_B1", "2024-03-25");
    let mut superseded = sanction("PP94_B1", "2024-03-25");
    superseded.counts = false;
    let replacement_same_start = sanction("PP94_S1", "2024-03-25");
    let replacement_later = sanction("PP94_S1", "2024-06-03");
    check(vec![
        Case {
            cite: "§5.2 upheld: JPT look-back from the original effective_from, 3 years",
            sanctions: vec![upheld],
            purpose: JptSelection,
            as_of: "2026-01-05",
            outcome: Outcome::Ineligible,
            codes: &[HISTORY],
            eligible_from: Some("2027-03-25"),
        },
        Case {
            cite: "§6 reduced to S1 from the same day: the replacement's window",
            sanctions: vec![superseded.clone(), replacement_same_start],
            purpose: JptSelection,
            as_of: "2026-01-05",
            outcome: Outcome::Ineligible,
            codes: &[HISTORY],
            eligible_from: Some("2027-03-25"),
        },
        Case {
            cite: "§6 changed, in force from a later day: the window follows the replacement",
            sanctions: vec![superseded, replacement_later],
            purpose: JptSelection,
            as_of: "2027-04-01",
            outcome: Outcome::Ineligible,
            codes: &[HISTORY],
            eligible_from: Some("2027-06-03"),
        },
    ]);
}

#[test]
fn a_bkn_block_holds_until_released_and_never_by_the_clock() {
    let policy = Policy::embedded_default();
    let open = BlockFacts {
        id: "blk-1".into(),
        reference: Some("BKN/1".into()),
        period: Period::new(d("2024-01-10"), None).unwrap(),
    };
    let asn = active();
    let records = Records {
        asn: &asn,
        sanctions: &[],
        blocks: std::slice::from_ref(&open),
        cases: &[],
    };
    for purpose in Purpose::ALL {
        let e = evaluate(&records, &policy, *purpose, d("2030-01-01"));
        assert_eq!(
            e.outcome,
            Outcome::Ineligible,
            "§3.5 every purpose by default: {purpose}"
        );
        assert_eq!(
            (e.reasons[0].code, e.eligible_from),
            (ReasonCode::BknBlock, None)
        );
    }
    assert_eq!(
        evaluate(&records, &policy, Promotion, d("2024-01-09")).outcome,
        Outcome::Eligible,
        "before it was ordered"
    );
    let released = BlockFacts {
        period: Period::new(d("2024-01-10"), Some(d("2024-03-01"))).unwrap(),
        ..open
    };
    let records = Records {
        asn: &asn,
        sanctions: &[],
        blocks: std::slice::from_ref(&released),
        cases: &[],
    };
    let e = evaluate(&records, &policy, Promotion, d("2024-02-01"));
    assert_eq!(
        e.eligible_from,
        Some(d("2024-03-01")),
        "as of a day in the block, it ended on its release"
    );
    assert_eq!(
        evaluate(&records, &policy, Promotion, d("2024-03-01")).outcome,
        Outcome::Eligible
    );
}
