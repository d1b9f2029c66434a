//! Connection settings for bulk work (a job's batches, a snapshot's load): SQLite's page
//! cache and checkpoints, PostgreSQL's statistics afterwards.

use super::AnyConnection;
use diesel::connection::SimpleConnection;

/// Settings for a connection that writes batches of thousands of rows (a job's run), and back
/// (`false`). On SQLite: a 32 MiB page cache, so a batch's dirty pages are written to the WAL
/// once at commit rather than spilled again and again from the default 2 MiB; a WAL
/// checkpoint of its own every 40 000 pages (160 MiB) rather than every
/// [`super::wal::AUTOCHECKPOINT_PAGES`], so pages written by many batches are copied back
/// once (the WAL is cut back to 64 MiB when it restarts, see `SQLITE_PRAGMAS`; in a server
/// the checkpoint thread copies them meanwhile); and statement journals in memory, not in
/// temporary files (a batch's are small; an index rebuild's sort stays on disk, it runs
/// without this). `case_deadlines` over 100 000 cases: 13.7 s → 9.6–10.9 s.
pub fn for_batches(conn: &mut AnyConnection, on: bool) -> diesel::QueryResult<()> {
    let (cache_kib, checkpoint_pages, temp) = if on {
        (32 * 1024, 40_000, "MEMORY")
    } else {
        (2000, super::wal::AUTOCHECKPOINT_PAGES, "DEFAULT")
    };
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(&format!(
            "PRAGMA cache_size = -{cache_kib}; PRAGMA wal_autocheckpoint = {checkpoint_pages}; \
             PRAGMA temp_store = {temp};"
        )),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// The planner's statistics after a bulk load. PostgreSQL needs them: without them it plans
/// a batch's `nip = ANY($1)` over 500 000 sanctions as a sequential scan (125 ms instead of
/// 9 ms measured), until autovacuum gets to the table (never, where it is off). SQLite plans
/// by its indexes without statistics, and the plans measured are those.
pub fn analyze_after_bulk(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => c.batch_execute("ANALYZE"),
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// Bulk-load settings for this connection: on SQLite a page cache of `cache_mib` (bounded,
/// so memory stays flat whatever the file size; the default 2 MiB makes random-key index
/// inserts thrash).
pub fn prepare_bulk(conn: &mut AnyConnection, cache_mib: u32) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            c.batch_execute(&format!("PRAGMA cache_size = -{}", cache_mib * 1024))
        }
        AnyConnection::Postgresql(_) => Ok(()),
    }
}
