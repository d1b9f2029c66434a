//! Importing a snapshot file: into an empty registry as one initial load (indexes dropped
//! and rebuilt), otherwise through the chunked [`Importer`](super::Importer).

use super::parse::parse_file;
use super::{Format, ImportReport, Importer, Rejection, MAX_LISTED};
use crate::audit::{Actor, Entry};
use crate::db::{audit, initial_load, prepare_bulk, write_tx, AnyConnection};
use crate::service::outbox::Watch;
use chrono::NaiveDateTime;
use serde_json::json;
use std::collections::HashMap;

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
        let started = std::time::Instant::now();
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
        report.phases.push(("rows", started.elapsed()));
        let rebuilt = initial_load::finish(c, dropped, MAX_LISTED as i64, &mut report.phases)?;
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
