//! Reading a snapshot: CSV or NDJSON, line by line, each line checked into a profile.

use super::{Format, CHUNK};
use crate::db::asn::AsnRow;
use crate::domain::nip::Nip;
use crate::domain::text::{is_forbidden_control, max_text};
use crate::domain::{AsnStatus, EmploymentType};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use std::io::BufRead;
use utoipa::ToSchema;

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
    #[serde(default, deserialize_with = "crate::domain::text::iso::opt_date")]
    pub status_since: Option<NaiveDate>,
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
    pub fn into_profile(self, now: NaiveDateTime) -> Result<AsnRow, String> {
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
            if text.chars().any(is_forbidden_control) {
                return Err(format!(
                    "{field} holds a control character (e.g. NUL), which is not allowed"
                ));
            }
            if text.chars().count() > max_text(field) {
                return Err(format!(
                    "{field} is longer than {} characters",
                    max_text(field)
                ));
            }
        }
        if self.status == AsnStatus::Unknown {
            return Err("status 'unknown' is not a BKN status".into());
        }
        Ok(AsnRow {
            nip: nip.into_string(),
            name: blank_to_none(self.name),
            agency_code: blank_to_none(self.agency_code),
            agency_name: blank_to_none(self.agency_name),
            unit: blank_to_none(self.unit),
            rank: blank_to_none(self.rank),
            position: blank_to_none(self.position),
            employment_type: self.employment_type,
            status: self.status,
            status_since: self.status_since,
            last_event_at: None,
            created_at: now,
            updated_at: now,
        })
    }
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

pub(super) type Parsed = Vec<(u64, Result<AsnRow, String>)>;

/// Reads and parses a file on a thread of its own, handing `consume` chunks of parsed lines
/// through a bounded channel, so parsing and database writes overlap and memory stays flat.
pub(super) fn parse_file<E: From<anyhow::Error>>(
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
