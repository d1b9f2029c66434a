//! `gen-data --cases N`: a realistic mix of neutrality cases over the synthetic register —
//! most reported cases reviewed, a third of them recommended, most of those followed up,
//! some late, escalated or blocked — with every step in each case's own timeline.
//! `open_only` makes every case recommended with a missed deadline (the `case_deadlines`
//! benchmark).

use super::{day, profile, Rng};
use crate::db::cases::{self as store, CaseRow, StepRow};
use crate::db::{write_tx, AnyConnection};
use crate::domain::case::{CaseState, Category, Source, Stage};
use crate::domain::policy::Policy;
use anyhow::Context;
use chrono::{Duration, NaiveDate, NaiveDateTime};

const CHUNK: u64 = 10_000;

/// Writes `n` cases about people among the first `asn` of the register; `progress` hears
/// how many are written.
pub fn generate(
    conn: &mut AnyConnection,
    policy: &Policy,
    (seed, asn, n, open_only): (u64, u64, u64, bool),
    now: NaiveDateTime,
    progress: impl Fn(u64),
) -> anyhow::Result<u64> {
    let mut written = 0;
    for start in (0..n).step_by(CHUNK as usize) {
        let mut cases = Vec::new();
        let mut steps = Vec::new();
        for k in start..(start + CHUNK).min(n) {
            let (case, mut its) = case(policy, (seed, asn, open_only), k, now);
            cases.push(case);
            steps.append(&mut its);
        }
        write_tx(conn, |c| store::insert_bulk(c, &cases, &steps)).context("writing cases")?;
        written += cases.len() as u64;
        progress(written);
    }
    Ok(written)
}

/// Case `k`: always the same.
fn case(
    policy: &Policy,
    (seed, asn, open_only): (u64, u64, bool),
    k: u64,
    now: NaiveDateTime,
) -> (CaseRow, Vec<StepRow>) {
    let mut r = Rng::for_row(seed, 7, k);
    let person = profile(seed, r.below(asn.max(1)), now);
    let reported_on = day(2024, 1, 1) + Duration::days(r.below(880) as i64);
    let conducts = &policy.doc.cases.conduct;
    let conduct = &conducts[r.below(conducts.len().max(1) as u64) as usize];
    let stage = if r.chance(0.3) {
        Stage::BakalCalon
    } else {
        Stage::Calon
    };
    let mut row = CaseRow {
        id: format!("GEN-CASE-{k:08}"),
        nip: person.nip.clone(),
        agency_code: person.agency_code.clone(),
        source: [Source::Sbt, Source::Bawaslu, Source::Lapor][r.below(3) as usize],
        source_reference: format!("GEN-{k:08}"),
        reported_on,
        election_kind: Some(
            if reported_on.format("%Y").to_string() == "2024" {
                "pemilu"
            } else {
                "pilkada"
            }
            .into(),
        ),
        election_year: Some(reported_on.format("%Y").to_string().parse().unwrap_or(2024)),
        election_region: None,
        conduct: conduct.code.clone(),
        stage,
        description: None,
        evidence: "[]".into(),
        content_hash: format!("gen-{k}"),
        state: CaseState::Reported,
        state_since: reported_on,
        deadline: None,
        overdue_recorded: None,
        recommended_on: None,
        followup_due: None,
        recommendation: None,
        recommendation_issuer: None,
        sanctioned_on: None,
        sanction_id: None,
        block_requested_on: None,
        closed_on: None,
        policy_version: policy.version().to_string(),
        created_at: now,
        updated_at: now,
    };
    let mut steps = vec![];
    let mut take = |row: &mut CaseRow, name: &str, to: CaseState, on: NaiveDate| {
        steps.push(StepRow {
            case_id: row.id.clone(),
            seq: steps.len() as i32 + 1,
            step: name.into(),
            on_day: on,
            from_state: (name != "reported").then_some(row.state),
            to_state: to,
            data: "{}".into(),
            actor: "gen-data".into(),
            at: now,
        });
        row.state = to;
        row.state_since = on;
        row.deadline = policy.doc.cases.deadline(to, on, &policy.calendar);
        if to.is_final() {
            row.closed_on = Some(on);
        }
    };
    take(&mut row, "reported", CaseState::Reported, reported_on);
    let roll = if open_only { 50 } else { r.below(100) };
    if roll < 8 {
        return (row, steps);
    }
    let verified = reported_on + Duration::days(1 + r.below(7) as i64);
    if roll < 12 {
        take(&mut row, "rejected", CaseState::Rejected, verified);
        return (row, steps);
    }
    take(
        &mut row,
        "verification_started",
        CaseState::UnderReview,
        verified,
    );
    if roll < 18 {
        return (row, steps);
    }
    let decided = verified + Duration::days(3 + r.below(27) as i64);
    match roll {
        18..=27 => take(&mut row, "not_proven", CaseState::NotProven, decided),
        28..=31 => take(&mut row, "withdrawn", CaseState::Withdrawn, decided),
        _ => {
            take(&mut row, "recommended", CaseState::Recommended, decided);
            row.recommended_on = Some(decided);
            row.followup_due = row.deadline;
            row.recommendation = Some(
                conduct
                    .default_category(stage)
                    .unwrap_or(Category::DisciplinaryModerate),
            );
            row.recommendation_issuer = Some(
                if decided.format("%Y").to_string() == "2024" {
                    "KASN"
                } else {
                    "BKN"
                }
                .into(),
            );
            if open_only {
                return (row, steps);
            }
            let due = row.deadline.unwrap_or(decided);
            if roll < 42 {
                return (row, steps); // awaiting the PPK (many of them late)
            }
            if roll < 50 {
                take(
                    &mut row,
                    "escalated",
                    CaseState::Escalated,
                    due + Duration::days(1),
                );
                if roll < 46 {
                    return (row, steps);
                }
                let blocked = due + Duration::days(5);
                take(&mut row, "block_requested", CaseState::Blocked, blocked);
                row.block_requested_on = Some(blocked);
                return (row, steps);
            }
            // Followed up: two thirds within the deadline.
            let after = if r.chance(0.66) {
                1 + r.below(14)
            } else {
                20 + r.below(90)
            };
            let on = decided + Duration::days(after as i64);
            take(&mut row, "sanction_imposed", CaseState::Sanctioned, on);
            row.sanctioned_on = Some(on);
        }
    }
    (row, steps)
}
