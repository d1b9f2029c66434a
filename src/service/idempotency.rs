//! `Idempotency-Key` on every POST: the first response is stored in the same transaction
//! as the write it answers, and replayed for the same key and body.

use super::journal::Journal;
use super::outbox::Watch;
use crate::audit::Actor;
use crate::db::{self, idempotency as store, AnyConnection};
use crate::error::{is_unique_violation, ApiError, ErrorCode};
use chrono::NaiveDateTime;
use diesel::result::Error as DieselError;
use sha2::{Digest, Sha256};

/// A write's response, as stored for replay.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: Body,
}

/// A reply's JSON as text, written once: a batch's thousand decisions go straight from their
/// types to text, not through a `serde_json::Value` tree first (building, writing and
/// dropping that tree was a sixth of a batch's time).
#[derive(Debug, Clone)]
pub struct Body(String);

impl Body {
    pub fn of<T: serde::Serialize + ?Sized>(value: &T) -> Result<Body, ApiError> {
        Ok(Body(serde_json::to_string(value)?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The JSON parsed, to read or amend (a stored reply that is not JSON is an internal
    /// error, never an empty body).
    pub fn value(&self) -> Result<serde_json::Value, ApiError> {
        Ok(serde_json::from_str(&self.0)?)
    }
}

impl From<serde_json::Value> for Body {
    fn from(value: serde_json::Value) -> Body {
        Body(value.to_string())
    }
}

impl From<Body> for String {
    fn from(body: Body) -> String {
        body.0
    }
}

/// Who sent which key for which request.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    pub actor: String,
    pub key: String,
    pub route: String,
    pub hash: String,
}

impl Fingerprint {
    /// `None` without a key. The hash covers the route and the body as parsed JSON, so
    /// whitespace and member order do not matter.
    pub fn new(
        actor: &str,
        key: Option<String>,
        route: &str,
        body: &serde_json::Value,
    ) -> Option<Fingerprint> {
        let key = key?;
        let mut h = Sha256::new();
        h.update(route.as_bytes());
        h.update([0]);
        h.update(body.to_string().as_bytes());
        Some(Fingerprint {
            actor: actor.to_string(),
            key,
            route: route.to_string(),
            hash: hex::encode(h.finalize()),
        })
    }
}

/// Runs `work` in one write transaction, honouring the idempotency key; what `work` records
/// in its journal is audited as the transaction's last statement. A race on a unique
/// constraint (the same key, or the same decision, sent twice at once) is retried once,
/// when the first writer's row is visible.
pub fn run_write<F>(
    conn: &mut AnyConnection,
    fp: Option<&Fingerprint>,
    actor: &Actor,
    now: NaiveDateTime,
    watch: &Watch,
    mut work: F,
) -> Result<Reply, ApiError>
where
    F: FnMut(&mut AnyConnection, &mut Journal) -> Result<Reply, ApiError>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut journal = Journal::new(actor.clone(), now, watch.clone());
        let result = db::write_tx(conn, |c| {
            if let Some(fp) = fp {
                if let Some(stored) = store::find(c, &fp.actor, &fp.key)? {
                    return replay(stored, fp);
                }
            }
            let reply = work(c, &mut journal)?;
            if let Some(fp) = fp {
                store::insert(c, &stored_row(fp, &reply, now))?;
            }
            journal.flush(c)?;
            Ok(reply)
        });
        match result {
            Err(e)
                if attempt == 1
                    && e.source
                        .as_ref()
                        .and_then(|s| s.downcast_ref::<DieselError>())
                        .is_some_and(is_unique_violation) =>
            {
                continue
            }
            other => return other,
        }
    }
}

fn replay(stored: store::StoredResponse, fp: &Fingerprint) -> Result<Reply, ApiError> {
    if stored.request_hash != fp.hash || stored.route != fp.route {
        return Err(ApiError::with_detail(
            ErrorCode::IdempotencyKeyReused,
            "Idempotency-Key ini sudah dipakai untuk permintaan lain",
            "This Idempotency-Key was already used for a different request",
        ));
    }
    Ok(Reply {
        status: stored.status_code as u16,
        location: stored.location,
        body: Body(stored.body),
    })
}

fn stored_row(fp: &Fingerprint, reply: &Reply, now: NaiveDateTime) -> store::StoredResponse {
    store::StoredResponse {
        actor: fp.actor.clone(),
        idem_key: fp.key.clone(),
        route: fp.route.clone(),
        request_hash: fp.hash.clone(),
        status_code: reply.status as i32,
        location: reply.location.clone(),
        body: reply.body.as_str().to_string(),
        created_at: now,
    }
}

/// For work that commits in several transactions of its own (a BKN batch): the stored reply
/// for this key, if any. Pair with [`remember`] once the work is done.
pub fn lookup(conn: &mut AnyConnection, fp: &Fingerprint) -> Result<Option<Reply>, ApiError> {
    match store::find(conn, &fp.actor, &fp.key)? {
        Some(stored) => replay(stored, fp).map(Some),
        None => Ok(None),
    }
}

/// Stores the reply for this key; when a concurrent request stored one first, keeps that.
pub fn remember(
    conn: &mut AnyConnection,
    fp: &Fingerprint,
    reply: &Reply,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    match store::insert(conn, &stored_row(fp, reply, now)) {
        Err(e) if is_unique_violation(&e) => Ok(()),
        other => Ok(other?),
    }
}
