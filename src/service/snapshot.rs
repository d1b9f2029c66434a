//! Bulk import of a BKN snapshot (the national register): CSV with a header, or NDJSON.
//! Streams: at most one chunk of rows is in memory. Each chunk is one transaction that
//! compares the rows with what is stored and writes only what changed, so importing the
//! same file again changes nothing. A bad line is reported by number and never stops the rest.

use super::journal::Journal;
use super::outbox::Watch;
use crate::audit::{Actor, Entry};
use crate::db::asn::{self, NewProfile};
use crate::db::{audit, initial_load, write_tx, AnyConnection};
use crate::domain::nip::Nip;
use crate::domain::nip_set::NipSet;
use crate::domain::EventType;
use crate::domain::{AsnStatus, EmploymentType};
use crate::error::ApiError;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::BufRead;
use utoipa::ToSchema;

/// Rows per transaction.
pub const CHUNK: usize = 20_000;
/// Rejections listed in a report (all are counted).
pub const MAX_LISTED: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// From a file name: `.csv` is CSV, `.ndjson` / `.jsonl` NDJSON.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// One line of a snapshot. Columns (CSV header names) are these field names; only `nip`
/// and `status` are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotLine {
    pub nip: String,
    pub name: Option<String>,
    pub agency_code: Option<String>,
    pub agency_name: Option<String>,
    pub unit: Option<String>,
    pub rank: Option<String>,
    pub position: Option<String>,
    pub employment_type: Option<EmploymentType>,
    pub status: AsnStatus,
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub status_since: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rejection {
    pub line: u64,
    pub nip: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub lines: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first 1000 rejected lines, with their line numbers (1 is the first line; a CSV
    /// header is line 1).
    pub rejections: Vec<Rejection>,
}

impl ImportReport {
    fn reject(&mut self, line: u64, nip: Option<String>, reason: String) {
        self.rejected += 1;
        if self.rejections.len() < MAX_LISTED {
            self.rejections.push(Rejection { line, nip, reason });
        }
    }
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    let s = v?;
    let trimmed = s.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == s.len() {
        Some(s)
    } else {
        Some(trimmed.to_string())
    }
}

impl SnapshotLine {
    pub fn into_profile(self, now: NaiveDateTime) -> Result<NewProfile, String> {
        let nip = Nip::parse(&self.nip).map_err(|e| e.to_string())?;
        let texts = [
            ("name", &self.name),
            ("agency_code", &self.agency_code),
            ("agency_name", &self.agency_name),
            ("unit", &self.unit),
            ("rank", &self.rank),
            ("position", &self.position),
        ];
        for (field, value) in texts {
            let Some(text) = value.as_deref() else {
                continue;
            };
            if text.chars().any(crate::extract::is_forbidden_control) {
                return Err(format!(
                    "{field} holds a control character (e.g. NUL), which is not allowed"
                ));
            }
            if text.chars().count() > crate::extract::max_text(field) {
                return Err(format!(
                    "{field} is longer than {} characters",
                    crate::extract::max_text(field)
                ));
            }
        }
        if self.status == AsnStatus::Unknown {
            return Err("status 'unknown' is not a BKN status".into());
        }
        Ok(NewProfile {
            nip: nip.into_string(),
            name: blank_to_none(self.name),
            agency_code: blank_to_none(self.agency_code),
            agency_name: blank_to_none(self.agency_name),
            unit: blank_to_none(self.unit),
            rank: blank_to_none(self.rank),
            position: blank_to_none(self.position),
            employment_type: self.employment_type.map(|t| t.as_str().to_string()),
            status: self.status.as_str().to_string(),
            status_since: self.status_since,
            created_at: now,
            updated_at: now,
        })
    }
}

/// Accumulates parsed lines and writes them chunk by chunk.
pub struct Importer<'c> {
    conn: &'c mut AnyConnection,
    actor: Actor,
    now: NaiveDateTime,
    /// Today, and how to tell subscribers of the statuses the snapshot changes.
    watch: Watch,
    pending: Vec<(u64, NewProfile)>,
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
        profile: Result<NewProfile, String>,
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
    status_changes: Vec<(String, String, Option<NaiveDate>)>,
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
fn same_profile(stored: &asn::AsnRow, new: &NewProfile) -> bool {
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
    chunk: Vec<(u64, NewProfile)>,
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
                if s.status == "unknown" {
                    // Its first BKN profile: no status change to tell, but eligibility turns
                    // (from undetermined), and must be judged and told.
                    counts.first_profiles.push(p.nip.clone());
                } else if s.status != p.status {
                    let change = (p.nip.clone(), p.status.clone(), p.status_since);
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

/// Reads NDJSON line by line, handing each line's number and parse to `emit`; stops early
/// when `emit` says so.
pub fn read_ndjson<E>(
    reader: impl BufRead,
    emit: &mut impl FnMut(u64, Result<SnapshotLine, String>) -> Result<(), E>,
    progress: &impl Fn(u64),
) {
    for (i, line) in reader.lines().enumerate() {
        let number = i as u64 + 1;
        let parsed = match line {
            Err(e) => Err(format!("line is not UTF-8 text: {e}")),
            Ok(line) => {
                progress(line.len() as u64 + 1);
                if line.trim().is_empty() {
                    continue;
                }
                serde_json::from_str::<SnapshotLine>(&line).map_err(|e| e.to_string())
            }
        };
        if emit(number, parsed).is_err() {
            return;
        }
    }
}

/// Reads CSV with a header line record by record, like [`read_ndjson`].
pub fn read_csv<E>(
    reader: impl std::io::Read,
    emit: &mut impl FnMut(u64, Result<SnapshotLine, String>) -> Result<(), E>,
    progress: &impl Fn(u64),
) {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = match csv.headers() {
        Ok(h) if h.iter().any(|h| h == "nip") && h.iter().any(|h| h == "status") => h.clone(),
        Ok(_) => {
            let _ = emit(
                1,
                Err("the header line must name the columns nip and status".into()),
            );
            return;
        }
        Err(e) => {
            let _ = emit(1, Err(format!("the header line cannot be read: {e}")));
            return;
        }
    };
    let mut record = csv::StringRecord::new();
    let mut last_byte = 0;
    loop {
        let line = csv.position().line();
        let parsed = match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => record
                .deserialize::<SnapshotLine>(Some(&headers))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let number = record.position().map_or(line.max(2), |p| p.line());
        if emit(number, parsed).is_err() {
            return;
        }
        let byte = csv.position().byte();
        progress(byte - last_byte);
        last_byte = byte;
    }
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

type Parsed = Vec<(u64, Result<NewProfile, String>)>;

/// Reads and parses a file on a thread of its own, handing `consume` chunks of parsed lines
/// through a bounded channel, so parsing and database writes overlap and memory stays flat.
fn parse_file<E: From<anyhow::Error>>(
    path: &std::path::Path,
    format: Format,
    now: NaiveDateTime,
    progress: &(impl Fn(u64) + Sync),
    mut consume: impl FnMut(Parsed) -> Result<(), E>,
) -> Result<(), E> {
    use anyhow::Context;
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open {}", path.display()))
        .map_err(E::from)?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(2);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut chunk: Parsed = Vec::with_capacity(CHUNK);
            let mut emit = |line: u64, parsed: Result<SnapshotLine, String>| {
                chunk.push((line, parsed.and_then(|l| l.into_profile(now))));
                if chunk.len() >= CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    if tx.send(full).is_err() {
                        return Err(());
                    }
                }
                Ok(())
            };
            match format {
                Format::Csv => read_csv(reader, &mut emit, &progress),
                Format::Ndjson => read_ndjson(reader, &mut emit, &progress),
            }
            let _ = tx.send(chunk);
        });
        // Dropping `rx` on an error stops the parser at its next send.
        rx.into_iter().try_for_each(&mut consume)?;
        parser
            .join()
            .map_err(|_| E::from(anyhow::anyhow!("the parser thread panicked")))
    })
}

/// Imports a file; `progress` is told how many bytes were read. Into an empty registry the
/// file is one transaction that loads with the indexes dropped ([`initial_load`]); otherwise
/// it goes chunk by chunk through an [`Importer`].
pub fn import_path(
    conn: &mut AnyConnection,
    actor: &Actor,
    path: &std::path::Path,
    format: Format,
    now: NaiveDateTime,
    watch: Watch,
    progress: impl Fn(u64) + Sync,
) -> anyhow::Result<ImportReport> {
    let today = watch.today;
    // SQLite's sorter, rebuilding an index after an initial load, takes as much again as
    // the page cache; a chunked import holds the set of NIPs met (36 MB for 4.5 million).
    prepare_bulk(conn, 48)?;
    let progress = &progress;
    let first = write_tx(conn, |c| -> anyhow::Result<Option<ImportReport>> {
        let Some(dropped) = initial_load::begin(c)? else {
            return Ok(None);
        };
        let mut report = ImportReport::default();
        let mut repeated = Repeats::default();
        parse_file(path, format, now, progress, |chunk| -> anyhow::Result<()> {
            let mut rows = Vec::with_capacity(chunk.len());
            for (line, profile) in chunk {
                report.lines += 1;
                match profile {
                    Ok(mut p) => {
                        p.status_since = p.status_since.or(Some(today));
                        rows.push(p)
                    }
                    Err(reason) => report.reject(line, None, reason),
                }
            }
            for i in initial_load::load(c, &rows)? {
                repeated.note(&rows[i].nip);
            }
            report.inserted += rows.len() as u64;
            Ok(())
        })?;
        let rebuilt = initial_load::finish(c, dropped, MAX_LISTED as i64)?;
        repeated.removed += rebuilt.removed as u64;
        repeated.nips.extend(rebuilt.nips);
        if repeated.removed > 0 {
            report.inserted -= repeated.removed;
            report.rejected += repeated.removed;
            list_repeats(&mut report, &repeated.nips, path, format, now)?;
        }
        let entry = Entry::new(
            "bkn.snapshot_load",
            None,
            None,
            json!({ "initial_load": true, "lines": report.lines, "inserted": report.inserted,
                    "rejected": report.rejected }),
        );
        audit::append(c, actor, now, &[entry])?;
        Ok(Some(report))
    })?;
    if let Some(report) = first {
        return Ok(report);
    }
    prepare_bulk(conn, 32)?;
    let mut importer = Importer::new(conn, actor.clone(), now, watch);
    parse_file(path, format, now, progress, |chunk| -> anyhow::Result<()> {
        for (line, profile) in chunk {
            importer
                .push_profile(line, profile)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(())
    })?;
    importer.finish().map_err(|e| anyhow::anyhow!("{e}"))
}

/// NIPs an initial load met again: how many lines, and (up to [`MAX_LISTED`]) which NIPs.
#[derive(Default)]
struct Repeats {
    removed: u64,
    nips: Vec<String>,
}

impl Repeats {
    fn note(&mut self, nip: &str) {
        self.removed += 1;
        if self.nips.len() < MAX_LISTED {
            self.nips.push(nip.to_string());
        }
    }
}

/// Lists the lines that repeated a NIP of an earlier line, reading the file once more (only
/// when some did): which lines they were is known only to the file.
fn list_repeats(
    report: &mut ImportReport,
    nips: &[String],
    path: &std::path::Path,
    format: Format,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let mut first: HashMap<&str, Option<u64>> = nips.iter().map(|n| (n.as_str(), None)).collect();
    let mut listed = Vec::new();
    parse_file(path, format, now, &|_| {}, |chunk| -> anyhow::Result<()> {
        for (line, profile) in chunk {
            let Ok(p) = profile else { continue };
            match first.get_mut(p.nip.as_str()) {
                Some(None) => *first.get_mut(p.nip.as_str()).expect("present") = Some(line),
                Some(Some(earlier)) => listed.push(Rejection {
                    line,
                    reason: format!("NIP already given on line {earlier}"),
                    nip: Some(p.nip),
                }),
                None => {}
            }
        }
        Ok(())
    })?;
    report.rejections.extend(listed);
    report.rejections.sort_by_key(|r| r.line);
    report.rejections.truncate(MAX_LISTED);
    Ok(())
}

/// Bulk-load settings for this connection: on SQLite a page cache of `cache_mib` (bounded,
/// so memory stays flat whatever the file size; the default 2 MiB makes random-key index
/// inserts thrash).
pub fn prepare_bulk(conn: &mut AnyConnection, cache_mib: u32) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        AnyConnection::Sqlite(c) => {
            c.batch_execute(&format!("PRAGMA cache_size = -{}", cache_mib * 1024))
        }
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// A blocking `Read` over byte chunks arriving through a channel (a streamed request body).
pub struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<bytes::Bytes, String>>,
    current: bytes::Bytes,
}

impl ChannelReader {
    pub fn new(rx: tokio::sync::mpsc::Receiver<Result<bytes::Bytes, String>>) -> Self {
        ChannelReader {
            rx,
            current: bytes::Bytes::new(),
        }
    }
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                Some(Ok(chunk)) => self.current = chunk,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// A deterministic synthetic national register, for tests and benchmarks: row `i` is always
/// the same profile, and NIPs are distinct for `i` below 5 760 000 (and always parse).
pub mod synthetic {
    use chrono::{Datelike, Duration, NaiveDate};

    pub const COLUMNS: &str =
        "nip,name,agency_code,agency_name,unit,rank,position,employment_type,status";
    const RANKS: [&str; 8] = [
        "II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b",
    ];

    pub fn nip(i: u64) -> String {
        let birth = NaiveDate::from_ymd_opt(1960, 1, 1).expect("valid")
            + Duration::days((i % 16_000) as i64);
        let year = birth.year() as u64 + 20 + (i / 16_000) % 15;
        let month = (i / 240_000) % 12 + 1;
        let gender = (i / 2_880_000) % 2 + 1;
        format!(
            "{}{year:04}{month:02}{gender}{:03}",
            birth.format("%Y%m%d"),
            i % 7 + 1
        )
    }

    /// The fields of row `i`, in `COLUMNS` order.
    pub fn fields(i: u64) -> [String; 9] {
        let agency = format!("{:04}", 1000 + i % 600);
        let status = if i % 50 == 0 { "retired" } else { "active" };
        [
            nip(i),
            format!("ASN {i}"),
            agency.clone(),
            format!("Instansi {agency}"),
            format!("Unit {}", i % 40),
            RANKS[(i % 8) as usize].to_string(),
            "Analis Kebijakan".to_string(),
            "PNS".to_string(),
            status.to_string(),
        ]
    }

    pub fn csv_line(i: u64) -> String {
        fields(i).join(",")
    }

    pub fn ndjson_line(i: u64) -> String {
        let f = fields(i);
        serde_json::json!({
            "nip": f[0], "name": f[1], "agency_code": f[2], "agency_name": f[3], "unit": f[4],
            "rank": f[5], "position": f[6], "employment_type": f[7], "status": f[8],
        })
        .to_string()
    }
}
