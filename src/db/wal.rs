//! SQLite's WAL checkpoints, mostly off the request path. By default SQLite copies the WAL
//! back into the database file inside the commit that takes it past 1 000 pages: on this
//! service that commit is the decision-log writer's (every waiting GET waits for the copy
//! and its fsync) or a batch's (9 % of a batch's server samples under `perf`, 4 % more in
//! the fsync). A thread of the server's own, with a connection of its own, runs a `PASSIVE`
//! checkpoint every [`EVERY`]: it copies what no reader still needs, taking no lock a request
//! waits on. Under load a writer is always in a transaction, so the WAL cannot start again
//! from its beginning on the thread's account; each connection therefore keeps SQLite's own
//! checkpoint, at [`AUTOCHECKPOINT_PAGES`]: in the commit that passes it, it copies only what
//! the thread has not copied yet, and the writer's next transaction restarts the WAL.

use super::{establish_waiting, AnyConnection, DatabaseUrl};
use diesel::sql_types::BigInt;
use diesel::{QueryResult, RunQueryDsl, SqliteConnection};
use std::sync::mpsc;
use std::time::Duration;

/// How often the WAL is copied back (passive).
pub const EVERY: Duration = Duration::from_millis(50);
/// SQLite's own checkpoint on every connection: past 4 096 WAL pages (16 MiB, about one
/// WAL-index segment of 4 062 frames, so a page read looks up one or two hash tables).
pub const AUTOCHECKPOINT_PAGES: u32 = 4096;
/// How long the thread's connection waits for a lock (a passive checkpoint takes none that
/// needs waiting for).
const WAIT: Duration = Duration::from_millis(200);

/// The running thread; it stops when this is dropped (with the last clone of its pool).
pub struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

#[derive(diesel::QueryableByName, Debug, Clone, Copy, PartialEq)]
pub struct Checkpoint {
    /// 1 when the checkpoint could not take the locks it needed.
    #[diesel(sql_type = BigInt)]
    pub busy: i64,
    /// Pages in the WAL (-1 when the database is not in WAL mode).
    #[diesel(sql_type = BigInt)]
    pub log: i64,
    /// Of those, the pages copied back to the database file.
    #[diesel(sql_type = BigInt)]
    pub checkpointed: i64,
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: copies back what no reader still needs.
fn passive(conn: &mut SqliteConnection) -> QueryResult<Checkpoint> {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn)
}

impl Checkpointer {
    /// Starts the thread for a SQLite database.
    pub fn start(url: &DatabaseUrl) -> Checkpointer {
        let (stop, stopped) = mpsc::channel::<()>();
        let url = url.clone();
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || run(&url, &stopped))
            .expect("the checkpoint thread starts");
        Checkpointer { _stop: stop }
    }
}

/// Checkpoints until stopped; a failure is logged once (then the thread reconnects and tries
/// again every [`EVERY`], the connections' own checkpoints covering meanwhile).
fn run(url: &DatabaseUrl, stopped: &mpsc::Receiver<()>) {
    let mut conn = None;
    let mut failing = false;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
        if conn.is_none() {
            conn = match establish_waiting(url, WAIT) {
                Ok(AnyConnection::Sqlite(c)) => Some(c),
                Ok(AnyConnection::Postgresql(_)) => return,
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "the WAL checkpoint thread cannot connect");
                    }
                    failing = true;
                    continue;
                }
            };
        }
        match passive(conn.as_mut().expect("connected above")) {
            Ok(_) => failing = false,
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "a WAL checkpoint failed");
                }
                failing = true;
                conn = None;
            }
        }
    }
}
