//! The `case_deadlines` job: every open case whose deadline has passed gets `case.overdue`
//! once per missed deadline (the conditional update on `overdue_recorded` makes it once,
//! however many instances run it at the same time).

use super::{note, tell};
use crate::audit::Actor;
use crate::db::cases as store;
use crate::db::{write_tx, AnyConnection};
use crate::domain::EventType;
use crate::error::ApiError;
use crate::service::journal::Journal;
use crate::service::outbox::Watch;
use chrono::NaiveDateTime;
use serde_json::json;

/// One batch of up to `limit` missed deadlines after case id `after`, in one transaction.
/// Returns how many it recorded and the last id looked at (`None`: nothing more is due).
pub fn run_deadlines(
    conn: &mut AnyConnection,
    (actor, watch, now): (&Actor, &Watch, NaiveDateTime),
    after: &str,
    limit: i64,
) -> Result<(usize, Option<String>), ApiError> {
    write_tx(conn, |c| {
        let due = store::missed(c, watch.today, after, limit)?;
        let Some(last) = due.last().map(|r| r.id.clone()) else {
            return Ok((0, None));
        };
        let mut journal = Journal::new(actor.clone(), now, watch.clone());
        let mut recorded = 0;
        for case in &due {
            let Some(deadline) = case.deadline else {
                continue;
            };
            // Another instance may have told this miss since the batch was read.
            if !store::mark_overdue(c, &case.id, deadline)? {
                continue;
            }
            let days = (watch.today - deadline).num_days();
            let data = json!({ "deadline": deadline, "days_overdue": days });
            note(
                c,
                case,
                ("overdue", Some(case.state), watch.today),
                data.clone(),
                &mut journal,
            )?;
            tell(c, case, EventType::CaseOverdue, data, &mut journal)?;
            recorded += 1;
        }
        journal.flush(c)?;
        Ok((recorded, Some(last)))
    })
}
