//! The `case_deadlines` job: every open case whose deadline has passed gets `case.overdue`
//! once per missed deadline (the conditional update on `overdue_recorded` makes it once,
//! however many instances run it at the same time).

use crate::audit::Actor;
use crate::db::cases::{self as store, DeadlineCursor, MissedCase, StepRow};
use crate::db::{write_tx, AnyConnection};
use crate::domain::EventType;
use crate::error::ApiError;
use crate::service::journal::Journal;
use crate::service::outbox::Watch;
use chrono::NaiveDateTime;
use serde_json::json;

/// One batch of up to `limit` missed deadlines after `after` (and up to `upto`, inclusive,
/// when given), in one transaction. Returns how many it recorded and where it got to
/// (`None`: nothing more is due in the range).
pub fn run_deadlines(
    conn: &mut AnyConnection,
    (actor, watch, now): (&Actor, &Watch, NaiveDateTime),
    range: (Option<&DeadlineCursor>, Option<&DeadlineCursor>),
    limit: i64,
) -> Result<(usize, Option<DeadlineCursor>), ApiError> {
    write_tx(conn, |c| {
        // Claimed in one statement: a case another instance told since is not returned, so
        // it is told once. None claimed while some are still due: another run took this
        // window meanwhile (PostgreSQL); the next one is read again.
        let told: Vec<(MissedCase, Option<i32>)> = loop {
            let claimed = store::claim_missed(c, watch.today, range, limit)?;
            if !claimed.is_empty() {
                break claimed;
            }
            if !store::any_missed(c, watch.today, range)? {
                return Ok((0, None));
            }
        };
        let last = told
            .last()
            .and_then(|(r, _)| Some((r.deadline?, r.id.clone())));
        let mut journal = Journal::new(actor.clone(), now, watch.clone());
        let mut steps = Vec::with_capacity(told.len());
        let mut notes = Vec::with_capacity(told.len());
        for (case, last_seq) in &told {
            let deadline = case.deadline.unwrap_or(watch.today);
            let data = json!({ "deadline": deadline, "days_overdue": (watch.today - deadline).num_days() });
            steps.push(StepRow {
                case_id: case.id.clone(),
                seq: last_seq.unwrap_or(0) + 1,
                step: "overdue".into(),
                on_day: watch.today,
                from_state: Some(case.state),
                to_state: case.state,
                data: data.to_string(),
                actor: journal.label().to_string(),
                at: now,
            });
            let event = json!({ "case_id": case.id, "state": case.state, "state_since": case.state_since,
                                "deadline": deadline, "days_overdue": data["days_overdue"] });
            notes.push((case.nip.as_str(), EventType::CaseOverdue, None, event));
        }
        store::insert_steps(c, &steps)?;
        journal.events(c, notes)?;
        journal.flush(c)?;
        Ok((told.len(), last))
    })
}
