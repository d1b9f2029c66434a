//! Bulk import of a BKN snapshot (the national register): CSV with a header, or NDJSON.
//! Streams: at most one chunk of rows is in memory. Each chunk is one transaction that
//! compares the rows with what is stored and writes only what changed, so importing the
//! same file again changes nothing. A bad line is reported by number and never stops the rest.

mod apply;
mod initial;
mod parse;

pub use apply::{import_ndjson, Importer};
pub use initial::import_path;
pub use parse::{read_csv, read_ndjson, SnapshotLine};

use serde::Serialize;
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
    /// Where an initial load's time went, in order (empty for a chunked import); for the
    /// operator and the benchmark, not part of the reply.
    #[serde(skip)]
    pub phases: Vec<(&'static str, std::time::Duration)>,
}

impl ImportReport {
    /// An initial load's phases in words: "rows 7.4 s, keys 2.5 s, …".
    pub fn phase_summary(&self) -> String {
        self.phases
            .iter()
            .map(|(name, t)| format!("{name} {:.1} s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn reject(&mut self, line: u64, nip: Option<String>, reason: String) {
        self.rejected += 1;
        if self.rejections.len() < MAX_LISTED {
            self.rejections.push(Rejection { line, nip, reason });
        }
    }
}
