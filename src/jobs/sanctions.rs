//! The job bodies: record each sanction's end (`lift_expired`) or start
//! (`activate_scheduled`) once, with its event, in one transaction per batch.

use super::Job;
use crate::audit::Actor;
use crate::db::jobs::{claim_due, stamp, Cursor, Transition};
use crate::db::{write_tx, AnyConnection};
use crate::domain::EventType;
use crate::error::ApiError;
use crate::service::journal::Journal;
use crate::service::outbox::Watch;
use chrono::NaiveDateTime;
use serde_json::json;

/// One batch: claims up to `limit` due sanctions after `after`, stamps them, writes their
/// events. Returns how many it recorded (fewer than `limit`: nothing more is due) and the
/// cursor for the next batch of the same run.
pub fn run_batch(
    conn: &mut AnyConnection,
    (job, actor): (Job, &Actor),
    watch: &Watch,
    now: NaiveDateTime,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<(usize, Option<Cursor>), ApiError> {
    let (transition, event_type, date_field) = match job {
        Job::LiftExpired => (
            Transition::Expired,
            EventType::SanctionExpired,
            "effective_until",
        ),
        Job::ActivateScheduled => (
            Transition::Activated,
            EventType::SanctionActivated,
            "effective_from",
        ),
        // Not a sanction job: nothing of it is due here.
        Job::CaseDeadlines => return Ok((0, None)),
    };
    let today = watch.today;
    write_tx(conn, |c| {
        let due = claim_due(c, transition, today, after, limit)?;
        let Some((last_id, _, Some(last_day))) = due.last() else {
            return Ok((0, None));
        };
        let cursor = Some((*last_day, last_id.clone()));
        let ids: Vec<&str> = due.iter().map(|(id, _, _)| id.as_str()).collect();
        let stamped = stamp(c, transition, &ids, now)?;
        if stamped != due.len() {
            // Claimed rows are locked by this transaction; a mismatch means another writer
            // got there first. Roll back and let the next batch see the truth.
            return Err(ApiError::internal(anyhow::anyhow!(
                "{} of {} claimed sanctions were already recorded",
                due.len() - stamped,
                due.len()
            )));
        }
        let mut journal = Journal::new(actor.clone(), now, watch.clone());
        let notes = due
            .iter()
            .map(|(id, nip, day)| {
                let data = json!({ date_field: day });
                (nip.as_str(), event_type, Some(id.as_str()), data)
            })
            .collect();
        journal.events(c, notes)?;
        journal.flush(c)?;
        Ok((due.len(), cursor))
    })
}

/// One batch of the daily sweep: re-judges up to `limit` ASN whose outcomes may have turned
/// by today, after NIP `after`; their `eligibility.changed` events go out in the same
/// transaction. Returns the last NIP judged, or `None` when nothing more is due.
pub fn sweep_batch(
    conn: &mut AnyConnection,
    (actor, watch, now, limit): (&Actor, &Watch, NaiveDateTime, i64),
    after: &str,
) -> Result<Option<String>, ApiError> {
    write_tx(conn, |c| {
        let due = crate::db::outbox::due(c, watch.today, after, limit)?;
        let Some(last) = due.last().cloned() else {
            return Ok(None);
        };
        let mut journal = Journal::new(actor.clone(), now, watch.clone());
        journal.outbox().touch(due);
        journal.flush(c)?;
        Ok(Some(last))
    })
}
