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
use diesel::RunQueryDsl;
use std::sync::mpsc;
use std::time::Duration;

/// How often the WAL is copied back (passive).
pub const EVERY: Duration = Duration::from_millis(50);
/// SQLite's own checkpoint on every connection: past 4 096 WAL pages (16 MiB, one WAL-index
/// segment, so that a page read looks up one hash table).
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

/// `PRAGMA wal_checkpoint(mode)` on a SQLite connection.
pub fn checkpoint(conn: &mut AnyConnection, mode: &str) -> diesel::QueryResult<Checkpoint> {
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).get_result(c)
        }
        AnyConnection::Postgresql(_) => Ok(Checkpoint {
            busy: 0,
            log: -1,
            checkpointed: -1,
        }),
    }
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

fn run(url: &DatabaseUrl, stopped: &mpsc::Receiver<()>) {
    let mut conn = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
        if conn.is_none() {
            match establish_waiting(url, WAIT) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "the WAL checkpoint thread cannot connect");
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        if let Err(e) = checkpoint(c, "PASSIVE") {
            tracing::warn!(error = %e, "WAL checkpoint failed");
            conn = None;
        }
    }
}
