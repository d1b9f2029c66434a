//! Eligibility checks, one pipeline for one NIP or a batch: load the records (`load`), turn
//! them into facts and evaluate them with the pure rules (`facts`), sign each decision and
//! hand it to be stored before the answer leaves (`record`). `replay` evaluates a stored
//! decision again. A batch costs a constant number of queries.

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
/// are `asn_not_found` items. Reads only.
pub fn evaluate_many(
    conn: &mut AnyConnection,
    check: &Check<'_>,
    nips: Vec<Result<Nip, ApiError>>,
) -> Result<Signed, ApiError> {
    let wanted_owned: Vec<String> = nips
        .iter()
        .filter_map(|n| n.as_ref().ok())
        .map(|n| n.as_str().to_string())
        .collect();
    let wanted: Vec<&str> = wanted_owned.iter().map(String::as_str).collect();
    let started = Instant::now();
    let loaded = Loaded::load(conn, &wanted, check.as_known_at)?;
    check
        .metrics
        .check_stage(CheckStage::Load, started.elapsed());
    let mut evaluating = Duration::ZERO;
    let mut results: Vec<Result<DecisionRecord, ApiError>> = nips
        .into_iter()
        .map(|n| {
            let nip = n?;
            let mut d = timed(&mut evaluating, || {
                loaded.evaluate(nip.as_str(), &check.rule, check.tz)
            })
            .ok_or_else(|| asn_not_found(nip.as_str()))?;
            d.as_known_at = check.as_known_at;
            Ok(d)
        })
        .collect();
    check.metrics.check_stage(CheckStage::Evaluate, evaluating);
    let started = Instant::now();
    let mut made: Vec<&mut DecisionRecord> =
        results.iter_mut().filter_map(|r| r.as_mut().ok()).collect();
    let store = sign_all(&mut made, check.receipts, &check.actor.label())?;
    check
        .metrics
        .check_stage(CheckStage::Sign, started.elapsed());
    Ok(Signed { results, store })
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
    let sign = |part: &mut [&mut DecisionRecord]| -> Result<ToStore, ApiError> {
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
    };
    if made.len() <= SIGN_ALONE {
        return sign(made);
    }
    let (first, second) = made.split_at_mut(made.len() / 2);
    let (first, second) = std::thread::scope(|s| {
        let other = s.spawn(|| sign(second));
        let here = sign(first);
        (here, other.join().expect("signing does not panic"))
    });
    let (mut store, rest) = (first?, second?);
    store.rows.extend(rest.rows);
    store.entries.extend(rest.entries);
    Ok(store)
}

/// Runs `f`, adding the time it took to `total`.
fn timed<T>(total: &mut Duration, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    *total += started.elapsed();
    out
}
