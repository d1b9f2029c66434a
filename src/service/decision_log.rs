//! Group commit for eligibility decisions. A check decides on a pooled connection, then hands
//! its decisions and audit entries to this instance's log writer and waits. The writer stores
//! everything waiting in one transaction (decision rows, then the audit rows under one lock
//! of the chain's head) and answers every waiter once it committed. Nothing is answered
//! before its commit, so durability is kept; one commit and one head lock serve the group.
//! On PostgreSQL the group is one statement, one round trip (see `store_chained`).

use super::eligibility::{DecisionRecord, Signed, ToStore};
use crate::audit::{chain, Actor, Group};
use crate::db::{self, audit, decisions, AnyConnection, Pool};
use crate::error::ApiError;
use chrono::NaiveDateTime;
use tokio::sync::{mpsc, oneshot};

/// Decisions one request waits on.
struct Pending {
    store: ToStore,
    actor: Actor,
    at: NaiveDateTime,
    done: oneshot::Sender<Result<(), Failure>>,
}

/// Why a group did not commit, for each of its waiters.
#[derive(Debug, Clone)]
struct Failure {
    unavailable: bool,
    message: String,
}

impl Failure {
    fn of(e: &ApiError) -> Failure {
        Failure {
            unavailable: e.is_connection_lost(),
            message: e.to_string(),
        }
    }

    fn into_error(self) -> ApiError {
        let cause = anyhow::anyhow!("storing decisions: {}", self.message);
        if self.unavailable {
            ApiError::unavailable(cause)
        } else {
            ApiError::internal(cause)
        }
    }
}

/// The sending side, shared by the handlers of one instance.
#[derive(Clone)]
pub struct DecisionLog {
    tx: mpsc::Sender<Pending>,
}

/// Decisions stored per transaction at most (each with its audit row).
const MAX_GROUP: usize = 2000;

impl DecisionLog {
    /// Starts the writer thread; it ends when every `DecisionLog` handle is dropped.
    pub fn start(pool: Pool) -> DecisionLog {
        let (tx, rx) = mpsc::channel(4096);
        std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || write_loop(pool, rx))
            .expect("the decision-log thread starts");
        DecisionLog { tx }
    }

    /// Stores the decisions (and audits them); returns them once committed.
    pub async fn store(
        &self,
        decided: Signed,
        actor: Actor,
        at: NaiveDateTime,
    ) -> Result<Vec<Result<DecisionRecord, ApiError>>, ApiError> {
        let (results, store) = decided.split();
        if store.rows.is_empty() {
            return Ok(results);
        }
        let (done, wait) = oneshot::channel();
        let pending = Pending {
            store,
            actor,
            at,
            done,
        };
        let gone = || ApiError::internal(anyhow::anyhow!("the decision-log writer stopped"));
        self.tx.send(pending).await.map_err(|_| gone())?;
        wait.await
            .map_err(|_| gone())?
            .map_err(Failure::into_error)?;
        Ok(results)
    }
}

fn write_loop(pool: Pool, mut rx: mpsc::Receiver<Pending>) {
    // On PostgreSQL: the chain's head as this writer's last group left it.
    let mut head = None;
    while let Some(first) = rx.blocking_recv() {
        let mut rows = first.store.rows.len();
        let mut group = vec![first];
        while rows < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => {
                    rows += p.store.rows.len();
                    group.push(p);
                }
                Err(_) => break,
            }
        }
        let outcome = write_group(&pool, &mut group, &mut head).map_err(|e| {
            tracing::error!(error = %e, decisions = rows, "a group of decisions was not stored");
            Failure::of(&e)
        });
        for p in group {
            let _ = p.done.send(outcome.clone());
        }
    }
}

fn write_group(
    pool: &Pool,
    group: &mut [Pending],
    head: &mut Option<(i64, String)>,
) -> Result<(), ApiError> {
    let mut conn = pool.get()?;
    let rows: Vec<decisions::DecisionRow> = group
        .iter_mut()
        .flat_map(|p| std::mem::take(&mut p.store.rows))
        .collect();
    let groups: Vec<Group<'_>> = group
        .iter()
        .map(|p| Group {
            actor: &p.actor,
            at: p.at,
            entries: &p.store.entries,
        })
        .collect();
    let result = match store_chained(&mut conn, &rows, &groups, head) {
        Ok(true) => Ok(()),
        Ok(false) => db::write_tx(&mut conn, |c| -> Result<(), ApiError> {
            decisions::insert_all(c, &rows)?;
            audit::append_groups(c, &groups)?;
            Ok(())
        }),
        Err(e) => Err(e.into()),
    };
    if result.is_err() {
        *head = None;
    }
    if result.as_ref().is_err_and(ApiError::is_connection_lost) {
        conn.mark_broken();
    }
    result
}

/// On PostgreSQL the group in one statement, chained after the head this writer left (read
/// again when another writer moved it). `false` on SQLite, or when the head moved under
/// three tries in a row: then the group is written under the head's lock, as any other
/// write's audit entries are.
fn store_chained(
    conn: &mut AnyConnection,
    rows: &[decisions::DecisionRow],
    groups: &[Group<'_>],
    head: &mut Option<(i64, String)>,
) -> diesel::QueryResult<bool> {
    let AnyConnection::Postgresql(c) = conn else {
        return Ok(false);
    };
    for _ in 0..3 {
        let (seq, hash) = match head.take() {
            Some(known) => known,
            None => audit::head_pg(c)?,
        };
        let chained = chain((seq, &hash), groups);
        let Some(last) = chained.last() else {
            return Ok(false);
        };
        if decisions::store_chained(c, (seq, &hash), rows, &chained)? {
            *head = Some((last.seq, last.hash.clone()));
            return Ok(true);
        }
    }
    Ok(false)
}
