//! Eligibility checks, one pipeline for one NIP or a batch: load the records (`load`), turn
//! them into facts and evaluate them with the pure rules (`facts`), sign each decision and
//! hand it to be stored before the answer leaves (`record`). `replay` evaluates a stored
//! decision again. A batch costs a constant number of queries (four per 250 NIPs).

mod facts;
mod load;
mod record;
mod replay;

pub use facts::{block_facts, sanction_facts, PurposeOutcome, Verdicts};
pub use load::Loaded;
pub use record::{find, find_many, DecisionRecord, Localized, ReasonRecord, Signed, ToStore};
pub use replay::{replay, Replay, Verdict};

use crate::audit::Actor;
use crate::db::AnyConnection;
use crate::domain::nip::Nip;
use crate::domain::policy::Policy;
use crate::domain::Purpose;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::{CheckStage, Metrics};
use crate::receipts::Receipts;
use crate::service::journal::Journal;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::time::{Duration, Instant};

pub fn asn_not_found(nip: &str) -> ApiError {
    ApiError::with_detail(
        ErrorCode::AsnNotFound,
        format!("NIP {nip} tidak terdaftar"),
        format!("NIP {nip} is not in the registry"),
    )
}

/// What a decision is made under: the policy, the question, and "now".
pub struct Rule<'a> {
    pub policy: &'a Policy,
    pub purpose: Purpose,
    pub as_of: NaiveDate,
    pub now: DateTime<Utc>,
}

/// A check as asked: the rule, whose registry (now, or as known at an instant), who asked.
pub struct Check<'a> {
    pub rule: Rule<'a>,
    pub as_known_at: Option<DateTime<Utc>>,
    pub receipts: &'a Receipts,
    pub actor: &'a Actor,
    pub tz: Tz,
    /// Where the time of each stage is counted.
    pub metrics: &'a Metrics,
}

/// A batch check (the API's `POST /eligibility/batch` and the console's check): each NIP as
/// sent parsed and decided, the decisions stored with their audit entries in the caller's
/// write, and `answer` made of the results (in the order given) on another thread while they
/// are stored: rendering a thousand answers no longer waits for their rows to be written.
/// Each decision is counted in the metrics once its row is stored.
pub fn check_batch<R: Send>(
    conn: &mut AnyConnection,
    check: &Check<'_>,
    raw: &[String],
    journal: &mut Journal,
    answer: impl FnOnce(&[Result<DecisionRecord, ApiError>]) -> R + Send,
) -> Result<R, ApiError> {
    let nips = raw.iter().map(|n| super::parse_nip(n)).collect();
    let (results, store) = evaluate_many(conn, check, nips)?.split();
    let started = Instant::now();
    let (stored, answered) = std::thread::scope(|s| {
        let answering = s.spawn(|| answer(&results));
        let stored = store.store(conn, journal);
        let answered = answering
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (stored, answered)
    });
    check
        .metrics
        .check_stage(CheckStage::Store, started.elapsed());
    stored?;
    for d in results.iter().flatten() {
        check
            .metrics
            .decision(d.purpose.as_str(), d.outcome.as_str());
    }
    Ok(answered)
}

/// Decides for NIPs (each parsed, or the error to report for it), in order; unknown NIPs
/// are `asn_not_found` items. Reads only. A large batch is loaded in parts of [`PART`], each
/// part signed on another thread while the next one loads (the connection reads one query at
/// a time; the receipts are CPU work the other core can do meanwhile).
pub fn evaluate_many(
    conn: &mut AnyConnection,
    check: &Check<'_>,
    nips: Vec<Result<Nip, ApiError>>,
) -> Result<Signed, ApiError> {
    let mut spent = Spent::default();
    if nips.len() <= 2 * PART {
        let mut results = load_and_evaluate(conn, check, nips, &mut spent)?;
        spent.observe(check.metrics);
        let started = Instant::now();
        let mut made: Vec<&mut DecisionRecord> =
            results.iter_mut().filter_map(|r| r.as_mut().ok()).collect();
        let store = sign_all(&mut made, check.receipts, &check.actor.label())?;
        check
            .metrics
            .check_stage(CheckStage::Sign, started.elapsed());
        return Ok(Signed { results, store });
    }
    let actor = check.actor.label();
    let mut nips = nips.into_iter();
    let parts = std::iter::from_fn(|| {
        let part: Vec<_> = nips.by_ref().take(PART).collect();
        (!part.is_empty()).then_some(part)
    });
    let (to_sign, queue) = std::sync::mpsc::channel::<(usize, Decided)>();
    let queue = std::sync::Mutex::new(queue);
    // Takes parts off the queue and signs them until it is empty and no part will come.
    let sign_queued = || -> Result<Vec<(usize, Decided, ToStore)>, ApiError> {
        let mut done = Vec::new();
        loop {
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
            let Ok((i, mut part)) = next else {
                return Ok(done);
            };
            let store = sign(&mut part, check.receipts, &actor)?;
            done.push((i, part, store));
        }
    };
    let (loaded, signed_here, signed_there, waited) = std::thread::scope(|s| {
        let there = s.spawn(sign_queued);
        let loaded = parts.enumerate().try_for_each(|(i, part)| {
            let decided = load_and_evaluate(conn, check, part, &mut spent)?;
            // The signing thread only ends early with an error, which its join reports.
            let _ = to_sign.send((i, decided));
            Ok::<(), ApiError>(())
        });
        drop(to_sign);
        let waiting = Instant::now();
        let here = if loaded.is_ok() {
            sign_queued()
        } else {
            Ok(Vec::new())
        };
        let there = there
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, here, there, waiting.elapsed())
    });
    loaded?;
    spent.observe(check.metrics);
    // The signing the request still waited for once the last part was loaded.
    check.metrics.check_stage(CheckStage::Sign, waited);
    let mut signed = signed_here?;
    signed.extend(signed_there?);
    signed.sort_by_key(|(i, _, _)| *i);
    let asked = signed.iter().map(|(_, part, _)| part.len()).sum();
    let mut results = Vec::with_capacity(asked);
    let mut store = ToStore {
        rows: Vec::with_capacity(asked),
        entries: Vec::with_capacity(asked),
    };
    for (_, part, part_store) in signed {
        results.extend(part);
        store.rows.extend(part_store.rows);
        store.entries.extend(part_store.entries);
    }
    Ok(Signed { results, store })
}

/// NIPs of a large batch loaded with one set of queries (four, however many NIPs).
const PART: usize = 250;

/// Decisions or the error reported for each NIP, in the order asked.
type Decided = Vec<Result<DecisionRecord, ApiError>>;

/// The time a check spent loading and evaluating, over all its parts: one observation of
/// each stage per request.
#[derive(Default)]
struct Spent {
    load: Duration,
    evaluate: Duration,
}

impl Spent {
    fn observe(&self, metrics: &Metrics) {
        metrics.check_stage(CheckStage::Load, self.load);
        metrics.check_stage(CheckStage::Evaluate, self.evaluate);
    }
}

/// Loads the records of these NIPs and decides for each, unsigned.
fn load_and_evaluate(
    conn: &mut AnyConnection,
    check: &Check<'_>,
    nips: Vec<Result<Nip, ApiError>>,
    spent: &mut Spent,
) -> Result<Decided, ApiError> {
    let wanted: Vec<&str> = nips
        .iter()
        .filter_map(|n| n.as_ref().ok())
        .map(Nip::as_str)
        .collect();
    let loaded = timed(&mut spent.load, || {
        Loaded::load(conn, &wanted, check.as_known_at)
    })?;
    let results = nips
        .into_iter()
        .map(|n| {
            let nip = n?;
            let mut d = timed(&mut spent.evaluate, || {
                loaded.evaluate(nip.as_str(), &check.rule, check.tz)
            })
            .ok_or_else(|| asn_not_found(nip.as_str()))?;
            d.as_known_at = check.as_known_at;
            Ok(d)
        })
        .collect();
    Ok(results)
}

/// Decisions signed at most by one thread; a larger batch is signed in two halves at once
/// (about 12 µs a receipt: 12 ms for a batch of 1000 on one core).
const SIGN_ALONE: usize = 64;

/// Puts each decision's receipt on it, and makes its row and its audit entry (in the same
/// order); a large batch in two halves at once.
fn sign_all(
    made: &mut [&mut DecisionRecord],
    receipts: &Receipts,
    actor: &str,
) -> Result<ToStore, ApiError> {
    if made.len() <= SIGN_ALONE {
        return sign_refs(made, receipts, actor);
    }
    let (first, second) = made.split_at_mut(made.len() / 2);
    let (first, second) = std::thread::scope(|s| {
        let other = s.spawn(|| sign_refs(second, receipts, actor));
        let here = sign_refs(first, receipts, actor);
        (here, other.join().expect("signing does not panic"))
    });
    let (mut store, rest) = (first?, second?);
    store.rows.extend(rest.rows);
    store.entries.extend(rest.entries);
    Ok(store)
}

/// [`sign_refs`] for the decisions among these results.
fn sign(part: &mut Decided, receipts: &Receipts, actor: &str) -> Result<ToStore, ApiError> {
    let mut made: Vec<&mut DecisionRecord> =
        part.iter_mut().filter_map(|r| r.as_mut().ok()).collect();
    sign_refs(&mut made, receipts, actor)
}

/// Signs these decisions on this thread, making each one's row and audit entry.
fn sign_refs(
    part: &mut [&mut DecisionRecord],
    receipts: &Receipts,
    actor: &str,
) -> Result<ToStore, ApiError> {
    let mut store = ToStore {
        rows: Vec::with_capacity(part.len()),
        entries: Vec::with_capacity(part.len()),
    };
    for d in part {
        let claims = d.claims(receipts.issuer());
        d.receipt = receipts
            .sign(&claims)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("signing a receipt: {e}")))?;
        store.rows.push(record::row_of(d, actor)?);
        store.entries.push(d.audit_entry());
    }
    Ok(store)
}

/// Runs `f`, adding the time it took to `total`.
fn timed<T>(total: &mut Duration, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    *total += started.elapsed();
    out
}
