//! What a write transaction records of itself: timeline events (written at once) and audit
//! entries (appended by [`Journal::flush`] as the transaction's last statement).
//!
//! The audit chain's head is one row that every writer locks on PostgreSQL. Taking it last,
//! after every other lock the transaction needs, means writers queue on it without ever
//! holding it while they wait for something else: no deadlock, and the lock is held only
//! for the commit.

use crate::audit::{Actor, Entry};
use crate::db::{audit, events, AnyConnection};
use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::Value;

pub struct Journal {
    actor: Actor,
    label: String,
    at: NaiveDateTime,
    entries: Vec<Entry>,
}

/// A timeline event to write: `(nip, event_type, sanction_id, data)`.
pub type Note<'a> = (&'a str, &'a str, Option<&'a str>, Value);

impl Journal {
    pub fn new(actor: Actor, at: NaiveDateTime) -> Journal {
        Journal {
            label: actor.label(),
            actor,
            at,
            entries: Vec::new(),
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
        event_type: &str,
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
                event_type,
                at: self.at,
                actor: &self.label,
                sanction_id: *sanction_id,
                data: data.to_string(),
            })
            .collect();
        events::record_all(conn, &rows)?;
        self.entries.extend(
            notes
                .into_iter()
                .map(|(nip, t, sid, data)| Entry::new(t, Some(nip), sid, data)),
        );
        Ok(())
    }

    /// An audit entry with no timeline event.
    pub fn audit(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// Appends the queued audit entries. Call it as the transaction's last statement.
    pub fn flush(&mut self, conn: &mut AnyConnection) -> QueryResult<()> {
        let entries = std::mem::take(&mut self.entries);
        audit::append(conn, &self.actor, self.at, &entries)
    }
}
