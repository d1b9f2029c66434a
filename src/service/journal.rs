//! What a write transaction records of itself: timeline events (written at once) and audit
//! entries (appended by [`Journal::flush`] as the transaction's last statement).
//!
//! The audit chain's head is one row that every writer locks on PostgreSQL. Taking it last,
//! after every other lock the transaction needs, means writers queue on it without ever
//! holding it while they wait for something else: no deadlock, and the lock is held only
//! for the commit.

use super::outbox::{Outbox, Watch};
use crate::audit::{Actor, Entry};
use crate::db::{audit, events, outbox, AnyConnection};
use crate::domain::EventType;
use crate::error::ApiError;
use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::Value;

pub struct Journal {
    actor: Actor,
    label: String,
    at: NaiveDateTime,
    entries: Vec<Entry>,
    watch: Watch,
    outbox: Outbox,
}

/// A timeline event to write: `(nip, event_type, sanction_id, data)`.
pub type Note<'a> = (&'a str, EventType, Option<&'a str>, Value);

impl Journal {
    pub fn new(actor: Actor, at: NaiveDateTime, watch: Watch) -> Journal {
        Journal {
            label: actor.label(),
            actor,
            at,
            entries: Vec::new(),
            watch,
            outbox: Outbox::default(),
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// How the timeline names the actor.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// "Now" for everything this transaction records.
    pub fn at(&self) -> NaiveDateTime {
        self.at
    }

    /// Writes a timeline event for the person and queues its audit entry.
    pub fn event(
        &mut self,
        conn: &mut AnyConnection,
        nip: &str,
        event_type: EventType,
        sanction_id: Option<&str>,
        data: Value,
    ) -> QueryResult<()> {
        self.events(conn, vec![(nip, event_type, sanction_id, data)])
    }

    /// Many timeline events, in multi-row inserts, each with its audit entry.
    pub fn events(&mut self, conn: &mut AnyConnection, notes: Vec<Note<'_>>) -> QueryResult<()> {
        let rows: Vec<events::NewEvent<'_>> = notes
            .iter()
            .map(|(nip, event_type, sanction_id, data)| events::NewEvent {
                nip,
                event_type: event_type.as_str(),
                at: self.at,
                actor: &self.label,
                sanction_id: *sanction_id,
                data: data.to_string(),
            })
            .collect();
        events::record_all(conn, &rows)?;
        for (nip, t, sid, data) in &notes {
            self.outbox.note(nip, *t, *sid, data);
        }
        self.entries.extend(
            notes
                .into_iter()
                .map(|(nip, t, sid, data)| Entry::new(t.as_str(), Some(nip), sid, data)),
        );
        Ok(())
    }

    /// An audit entry with no timeline event.
    pub fn audit(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// What subscribers will hear of this transaction, beyond its timeline events.
    pub fn outbox(&mut self) -> &mut Outbox {
        &mut self.outbox
    }

    /// Settles the outbox (re-judging eligibility of every ASN touched), appends the queued
    /// audit entries, then the outbox's changes. Call it as the transaction's last statement:
    /// the audit head is taken last and held only for the commit, and the changes get their
    /// ids under it, in commit order.
    pub fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), ApiError> {
        let (changes, told) = self.outbox.settle(conn, &self.watch, self.at)?;
        let mut entries = std::mem::take(&mut self.entries);
        entries.extend(told);
        audit::append(conn, &self.actor, self.at, &entries)?;
        if !changes.is_empty() {
            audit::lock_head(conn)?;
            outbox::insert_all(conn, &changes)?;
        }

        Ok(())
    }
}
