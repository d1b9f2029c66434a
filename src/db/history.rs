//! "As known at": the registry as it stood at an instant. A row's current version is known
//! from its `updated_at`; earlier versions are in `record_history`, each known from
//! `known_from` until `known_until`, written by triggers (see the evidence migration).
//! Rows are never deleted, so a row whose first version came later was not known yet.

use super::asn::{self, AsnRow};
use super::blocks::{self, BlockRow};
use super::events::{self, EventRow};
use super::sanctions::{self, SanctionRow};
use super::schema::record_history as h;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

type BodyQuery = h::BoxedQuery<'static, super::AnyBackend, diesel::sql_types::Text>;

/// Earlier versions of rows of `entity` that were current at `t`, chosen by `which`.
fn versions_at<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    entity: &str,
    t: NaiveDateTime,
    which: impl FnOnce(BodyQuery) -> BodyQuery,
) -> QueryResult<Vec<T>> {
    let q = h::table
        .filter(h::entity.eq(entity.to_string()))
        .filter(h::known_from.le(t))
        .filter(h::known_until.gt(t))
        .select(h::body)
        .into_boxed();
    which(q)
        .load::<String>(conn)?
        .iter()
        .map(|body| parse(body))
        .collect()
}

/// A stored row as the triggers wrote it.
fn parse<T: DeserializeOwned>(body: &str) -> QueryResult<T> {
    from_value(serde_json::from_str(body).map_err(corrupt)?)
}

/// A row written as a JSON object by the database (a trigger's copy, or `row_to_json` /
/// `json_object`). SQLite writes timestamps with a space where PostgreSQL (and chrono) put
/// a `T`; every timestamp column is `at` or ends in `_at`.
pub(super) fn from_value<T: DeserializeOwned>(mut v: Value) -> QueryResult<T> {
    if let Value::Object(map) = &mut v {
        for (k, val) in map.iter_mut() {
            let timestamp = k == "at" || k.ends_with("_at");
            if let (true, Value::String(s)) = (timestamp, &mut *val) {
                if s.len() > 10 && s.as_bytes()[10] == b' ' {
                    s.replace_range(10..11, "T");
                }
            }
        }
    }
    serde_json::from_value(v).map_err(corrupt)
}

pub(super) fn corrupt(e: serde_json::Error) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(Box::new(e))
}

/// The profile as known at `t`; `None` when it was not known yet.
pub fn asn_at(
    conn: &mut AnyConnection,
    nip: &str,
    t: NaiveDateTime,
) -> QueryResult<Option<AsnRow>> {
    match asn::find(conn, nip)? {
        None => Ok(None),
        Some(current) if current.updated_at <= t => Ok(Some(current)),
        Some(_) => {
            let nip = nip.to_string();
            Ok(versions_at(conn, "asn", t, |q| q.filter(h::entity_id.eq(nip)))?.pop())
        }
    }
}

/// The person's sanctions as known at `t`.
pub fn sanctions_at(
    conn: &mut AnyConnection,
    nip: &str,
    t: NaiveDateTime,
) -> QueryResult<Vec<SanctionRow>> {
    let mut rows: Vec<SanctionRow> = sanctions::for_nips(conn, &[nip])?
        .into_iter()
        .filter(|s| s.updated_at <= t)
        .collect();
    let owned = nip.to_string();
    rows.extend(versions_at::<SanctionRow>(conn, "sanction", t, |q| {
        q.filter(h::nip.eq(owned))
    })?);
    rows.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
    Ok(rows)
}

/// The blocks on the person or on their agency, as known at `t`.
pub fn blocks_at(
    conn: &mut AnyConnection,
    nip: &str,
    agency: Option<&str>,
    t: NaiveDateTime,
) -> QueryResult<Vec<BlockRow>> {
    let agencies: Vec<&str> = agency.into_iter().collect();
    let mut rows: Vec<BlockRow> = blocks::affecting(conn, &[nip], &agencies)?
        .into_iter()
        .filter(|b| b.updated_at <= t)
        .collect();
    let (owned_nip, owned_agency) = (nip.to_string(), agency.map(str::to_string));
    rows.extend(versions_at::<BlockRow>(
        conn,
        "block",
        t,
        |q| match owned_agency {
            Some(a) => q.filter(h::nip.eq(owned_nip).or(h::agency_code.eq(a))),
            None => q.filter(h::nip.eq(owned_nip)),
        },
    )?);
    rows.retain(|b| {
        b.nip.as_deref() == Some(nip) || (b.scope == "agency" && b.agency_code.as_deref() == agency)
    });
    rows.sort_by(|a, b| (a.ordered_at, &a.id).cmp(&(b.ordered_at, &b.id)));
    Ok(rows)
}

/// The person's timeline up to `t`.
pub fn events_until(
    conn: &mut AnyConnection,
    nip: &str,
    t: NaiveDateTime,
) -> QueryResult<Vec<EventRow>> {
    Ok(events::for_nip(conn, nip)?
        .into_iter()
        .filter(|e| e.at <= t)
        .collect())
}
