//! Applying a snapshot to a registry that holds data: chunk by chunk, each chunk one
//! transaction that writes only what changed.

use super::parse::{read_ndjson, SnapshotLine};
use super::{ImportReport, CHUNK};
use crate::audit::{Actor, Entry};
use crate::db::asn::{self, AsnRow};
use crate::db::{write_tx, AnyConnection};
use crate::domain::nip_set::NipSet;
use crate::domain::{AsnStatus, EventType};
use crate::error::ApiError;
use crate::service::journal::Journal;
use crate::service::outbox::Watch;
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::BufRead;

/// Accumulates parsed lines and writes them chunk by chunk.
pub struct Importer<'c> {
    conn: &'c mut AnyConnection,
    actor: Actor,
    now: NaiveDateTime,
    /// Today, and how to tell subscribers of the statuses the snapshot changes.
    watch: Watch,
    pending: Vec<(u64, AsnRow)>,
    /// Every NIP written or found unchanged so far: a NIP repeated chunks apart is a
    /// repeat, not an update.
    seen: NipSet,
    pub report: ImportReport,
}

impl<'c> Importer<'c> {
    pub fn new(
        conn: &'c mut AnyConnection,
        actor: Actor,
        now: NaiveDateTime,
        watch: Watch,
    ) -> Self {
        Importer {
            conn,
            actor,
            now,
            watch,
            pending: Vec::with_capacity(CHUNK),
            seen: NipSet::default(),
            report: ImportReport::default(),
        }
    }

    pub fn push(
        &mut self,
        line: u64,
        parsed: Result<SnapshotLine, String>,
    ) -> Result<(), ApiError> {
        let profile = parsed.and_then(|l| l.into_profile(self.now));
        self.push_profile(line, profile)
    }

    /// Takes a line already turned into a profile (or the reason it could not be).
    pub fn push_profile(
        &mut self,
        line: u64,
        profile: Result<AsnRow, String>,
    ) -> Result<(), ApiError> {
        self.report.lines += 1;
        match profile {
            Ok(p) => self.pending.push((line, p)),
            Err(reason) => self.report.reject(line, None, reason),
        }
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<ImportReport, ApiError> {
        self.flush()?;
        Ok(self.report)
    }

    fn flush(&mut self) -> Result<(), ApiError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.pending);
        let (now, watch) = (self.now, &self.watch);
        let (actor, seen) = (&self.actor, &mut self.seen);
        let counts = write_tx(self.conn, |c| -> Result<ChunkCounts, ApiError> {
            let counts = apply_chunk(c, chunk, now, watch.today, seen)?;
            // Every status the snapshot changed is a timeline event, told to subscribers
            // with what it does to eligibility, in this chunk's transaction.
            let mut j = Journal::new(actor.clone(), now, watch.clone());
            let notes = counts
                .status_changes
                .iter()
                .map(|(nip, status, since)| {
                    let data =
                        json!({ "status": status, "effective_date": since, "source": "snapshot" });
                    (nip.as_str(), EventType::AsnStatusChanged, None, data)
                })
                .collect();
            j.events(c, notes)?;
            j.outbox().touch(counts.first_profiles.iter().cloned());
            j.audit(counts.audit_entry());
            j.flush(c)?;
            Ok(counts)
        })?;
        let r = &mut self.report;
        r.inserted += counts.inserted;
        r.updated += counts.updated;
        r.unchanged += counts.unchanged;
        for (line, nip, reason) in counts.duplicates {
            r.reject(line, Some(nip), reason);
        }
        self.pending = Vec::with_capacity(CHUNK);
        Ok(())
    }
}

#[derive(Default)]
struct ChunkCounts {
    lines: (u64, u64),
    inserted: u64,
    updated: u64,
    unchanged: u64,
    duplicates: Vec<(u64, String, String)>,
    /// `(nip, new status, since)` of every known ASN whose status the chunk changed.
    status_changes: Vec<(String, AsnStatus, Option<NaiveDate>)>,
    /// ASN registered before (by a sanction, status `unknown`) that get their first profile.
    first_profiles: Vec<String>,
    /// SHA-256 of the NIPs inserted or updated, sorted, each followed by a newline.
    written_digest: String,
}

impl ChunkCounts {
    /// One audit entry per chunk: the profiles' earlier versions are in the history, and
    /// the digest names which were written.
    fn audit_entry(&self) -> Entry {
        Entry::new(
            "bkn.snapshot_chunk",
            None,
            None,
            json!({ "lines": [self.lines.0, self.lines.1], "inserted": self.inserted,
                    "updated": self.updated, "unchanged": self.unchanged,
                    "rejected": self.duplicates.len(), "written_nips_sha256": self.written_digest }),
        )
    }
}

/// The fields a snapshot sets, to compare with what is stored.
fn same_profile(stored: &asn::AsnRow, new: &AsnRow) -> bool {
    stored.name == new.name
        && stored.agency_code == new.agency_code
        && stored.agency_name == new.agency_name
        && stored.unit == new.unit
        && stored.rank == new.rank
        && stored.position == new.position
        && stored.employment_type == new.employment_type
        && stored.status == new.status
        && (new.status_since.is_none() || stored.status_since == new.status_since)
}

fn apply_chunk(
    c: &mut AnyConnection,
    chunk: Vec<(u64, AsnRow)>,
    now: NaiveDateTime,
    today: NaiveDate,
    seen: &mut NipSet,
) -> Result<ChunkCounts, ApiError> {
    let mut counts = ChunkCounts {
        lines: (
            chunk.first().map_or(0, |(l, _)| *l),
            chunk.last().map_or(0, |(l, _)| *l),
        ),
        ..ChunkCounts::default()
    };
    let mut first_line: HashMap<String, u64> = HashMap::with_capacity(chunk.len());
    let mut rows = Vec::with_capacity(chunk.len());
    for (line, p) in chunk {
        match first_line.get(&p.nip) {
            Some(first) => counts.duplicates.push((
                line,
                p.nip.clone(),
                format!("NIP already given on line {first}"),
            )),
            None if seen.contains(&p.nip) => {
                counts
                    .duplicates
                    .push((line, p.nip, "NIP already given on an earlier line".into()))
            }
            None => {
                first_line.insert(p.nip.clone(), line);
                rows.push(p);
            }
        }
    }
    let nips: Vec<&str> = rows.iter().map(|p| p.nip.as_str()).collect();
    seen.extend(nips.iter().copied());
    let stored: HashMap<String, asn::AsnRow> = asn::find_many(c, &nips)?
        .into_iter()
        .map(|r| (r.nip.clone(), r))
        .collect();
    let (mut new, mut changed) = (Vec::new(), Vec::new());
    for mut p in rows {
        match stored.get(&p.nip) {
            None => {
                p.status_since = p.status_since.or(Some(today));
                new.push(p)
            }
            Some(s) if same_profile(s, &p) => counts.unchanged += 1,
            Some(s) => {
                p.status_since = p.status_since.or(if s.status == p.status {
                    s.status_since
                } else {
                    Some(today)
                });
                if s.status == AsnStatus::Unknown {
                    // Its first BKN profile: no status change to tell, but eligibility turns
                    // (from undetermined), and must be judged and told.
                    counts.first_profiles.push(p.nip.clone());
                } else if s.status != p.status {
                    let change = (p.nip.clone(), p.status, p.status_since);
                    counts.status_changes.push(change);
                }
                p.created_at = s.created_at;
                p.updated_at = now;
                changed.push(p)
            }
        }
    }
    // Index pages in key order: random-key B-tree inserts are what bulk loads pay for.
    new.sort_unstable_by(|a, b| a.nip.cmp(&b.nip));
    changed.sort_unstable_by(|a, b| a.nip.cmp(&b.nip));
    counts.inserted = new.len() as u64;
    counts.updated = changed.len() as u64;
    let mut written: Vec<&str> = new.iter().chain(&changed).map(|p| p.nip.as_str()).collect();
    written.sort_unstable();
    let mut digest = Sha256::new();
    for nip in written {
        digest.update(nip.as_bytes());
        digest.update(b"\n");
    }
    counts.written_digest = hex::encode(digest.finalize());
    asn::insert_new(c, &new)?;
    asn::overwrite(c, &changed)?;
    Ok(counts)
}

/// Imports NDJSON from any reader into `importer` (the HTTP path: parsing and writing on
/// one blocking thread, the body arriving through a channel).
pub fn import_ndjson(importer: &mut Importer<'_>, reader: impl BufRead) -> Result<(), ApiError> {
    let mut failed = None;
    read_ndjson(
        reader,
        &mut |line, parsed| importer.push(line, parsed).map_err(|e| failed = Some(e)),
        &|_| {},
    );
    failed.map_or(Ok(()), Err)
}
