//! The audit trail: every write and every eligibility decision, appended in the same
//! transaction as what it records, hash-chained so that an edited, removed or inserted row
//! is found by walking the chain.
//!
//! `hash = SHA-256(prev_hash ‖ canonical JSON of the row)`, where `prev_hash` is the previous
//! row's hash as 64 lowercase hex characters (64 zeros before the first row) and the
//! canonical JSON is [`canonical`] of `{seq, at, actor: {sub, client_id}, action, nip,
//! subject_id, request_id, data}`: keys sorted, no white space, `at` as
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ`.

use crate::db::audit::AuditRow;
use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it: the token's subject and client, and the request (or job run) it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub sub: String,
    pub client_id: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// How the timeline and the decision log name the actor: `sub`, or `sub (client_id)`.
    pub fn label(&self) -> String {
        match &self.client_id {
            Some(c) if c != &self.sub => format!("{} ({c})", self.sub),
            _ => self.sub.clone(),
        }
    }

    /// The service itself, e.g. `system:scheduler` for job runs (`request_id`: the run id).
    pub fn system(name: &str, request_id: Option<String>) -> Actor {
        Actor {
            sub: format!("system:{name}"),
            client_id: None,
            request_id,
        }
    }
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: String,
    pub nip: Option<String>,
    pub subject_id: Option<String>,
    pub data: Value,
}

impl Entry {
    pub fn new(action: &str, nip: Option<&str>, subject_id: Option<&str>, data: Value) -> Entry {
        Entry {
            action: action.to_string(),
            nip: nip.map(str::to_string),
            subject_id: subject_id.map(str::to_string),
            data,
        }
    }
}

/// Instants as stored: microseconds, which both backends keep exactly.
pub fn truncate_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond() / 1000 * 1000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// JSON with object keys sorted and no white space (strings and numbers as serde_json
/// writes them): the same value always gives the same bytes.
pub fn canonical(v: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_text(out, Some(k));
                out.push(b':');
                write_canonical(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => serde_json::to_writer(&mut *out, other).expect("a JSON scalar serialises"),
    }
}

/// A JSON string as serde_json writes it, or `null`.
fn json_text(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => serde_json::to_writer(&mut *out, s).expect("a string serialises"),
        None => out.extend_from_slice(b"null"),
    }
}

/// The document a row's hash covers, in canonical form: `{action, actor: {client_id, sub},
/// at, data, nip, request_id, seq, subject_id}`, keys sorted, `data` as stored (it is
/// stored canonical). Written field by field: hashing is a tenth of a job's batch otherwise.
pub fn hashed_document(row: &AuditRow, out: &mut Vec<u8>) {
    use std::io::Write;
    out.extend_from_slice(b"{\"action\":");
    json_text(out, Some(&row.action));
    out.extend_from_slice(b",\"actor\":{\"client_id\":");
    json_text(out, row.actor_client_id.as_deref());
    out.extend_from_slice(b",\"sub\":");
    json_text(out, Some(&row.actor_sub));
    let t = row.at;
    let _ = write!(
        out,
        "}},\"at\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z\",\"data\":",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() % 1_000_000_000 / 1000
    );
    out.extend_from_slice(row.data.as_bytes());
    out.extend_from_slice(b",\"nip\":");
    json_text(out, row.nip.as_deref());
    out.extend_from_slice(b",\"request_id\":");
    json_text(out, row.request_id.as_deref());
    let _ = write!(out, ",\"seq\":{},\"subject_id\":", row.seq);
    json_text(out, row.subject_id.as_deref());
    out.push(b'}');
}

pub fn row_hash(prev_hash: &str, row: &AuditRow) -> String {
    let mut doc = Vec::with_capacity(256 + row.data.len());
    hashed_document(row, &mut doc);
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(&doc);
    hex::encode(h.finalize())
}

/// Entries one actor recorded at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a> {
    pub actor: &'a Actor,
    pub at: NaiveDateTime,
    pub entries: &'a [Entry],
}

/// The rows that follow a chain's head `(seq, hash)`, hashed, group after group.
pub fn chain(head: (i64, &str), groups: &[Group<'_>]) -> Vec<AuditRow> {
    let (mut seq, mut prev) = (head.0, head.1.to_string());
    let mut rows = Vec::with_capacity(groups.iter().map(|g| g.entries.len()).sum());
    for g in groups {
        let at = truncate_micros(g.at);
        for e in g.entries {
            seq += 1;
            let mut row = AuditRow {
                seq,
                at,
                actor_sub: g.actor.sub.clone(),
                actor_client_id: g.actor.client_id.clone(),
                action: e.action.clone(),
                nip: e.nip.clone(),
                subject_id: e.subject_id.clone(),
                request_id: g.actor.request_id.clone(),
                data: canonical(&e.data),
                prev_hash: prev,
                hash: String::new(),
            };
            row.hash = row_hash(&row.prev_hash, &row);
            prev = row.hash.clone();
            rows.push(row);
        }
    }
    rows
}

/// What a walk of the chain found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    pub ok: bool,
    pub events_checked: i64,
    /// The hash of the last row checked (the head when `ok`).
    pub head: String,
    /// The first row that does not fit, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<Break>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

/// Walks rows in `seq` order, carrying what was checked so far; page by page.
#[derive(Debug, Clone)]
pub struct Walker {
    pub expected_seq: i64,
    pub prev_hash: String,
    pub checked: i64,
}

impl Default for Walker {
    fn default() -> Self {
        Walker {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
            checked: 0,
        }
    }
}

impl Walker {
    /// Checks the next rows; the first break found, if any.
    pub fn check(&mut self, rows: &[AuditRow]) -> Option<Break> {
        for row in rows {
            let broken = |reason: String| {
                Some(Break {
                    seq: row.seq,
                    reason,
                })
            };
            if row.seq != self.expected_seq {
                return Break {
                    seq: self.expected_seq,
                    reason: format!(
                        "row {} is missing (the next row is {})",
                        self.expected_seq, row.seq
                    ),
                }
                .into();
            }
            if row.prev_hash != self.prev_hash {
                return broken(format!(
                    "prev_hash is {} but the previous row's hash is {}",
                    row.prev_hash, self.prev_hash
                ));
            }
            let computed = row_hash(&self.prev_hash, row);
            if computed != row.hash {
                return broken(format!(
                    "the row's content hashes to {computed}, not to its stored hash {}",
                    row.hash
                ));
            }
            self.prev_hash = row.hash.clone();
            self.expected_seq += 1;
            self.checked += 1;
        }
        None
    }

    /// After the last row: the chain must end where the head says.
    pub fn finish(self, head: (i64, &str), broken: Option<Break>) -> Verification {
        let broken = broken.or_else(|| {
            let last = self.expected_seq - 1;
            (head.0 != last || head.1 != self.prev_hash).then(|| Break {
                seq: head.0.max(last),
                reason: format!(
                    "the chain ends at row {last} ({}) but its head records row {} ({})",
                    self.prev_hash, head.0, head.1
                ),
            })
        });
        Verification {
            ok: broken.is_none(),
            events_checked: self.checked,
            head: self.prev_hash,
            broken_at: broken,
        }
    }
}

/// Walks the whole chain, page by page, up to the head read when the walk starts (rows
/// appended meanwhile are for the next walk).
pub fn verify(conn: &mut crate::db::AnyConnection) -> diesel::QueryResult<Verification> {
    let (head_seq, head_hash) = crate::db::audit::head(conn)?;
    let mut walker = Walker::default();
    let mut after = 0;
    let broken = loop {
        let rows = crate::db::audit::page(conn, after, head_seq, 2000)?;
        let Some(last) = rows.last() else {
            break None;
        };
        after = last.seq;
        if let Some(b) = walker.check(&rows) {
            break Some(b);
        }
    };
    Ok(walker.finish((head_seq, &head_hash), broken))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The document as the chain has always defined it: a JSON value made canonical.
    fn reference_document(row: &AuditRow) -> String {
        let data: Value = serde_json::from_str(&row.data).unwrap();
        canonical(&json!({
            "seq": row.seq,
            "at": row.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            "actor": { "sub": row.actor_sub, "client_id": row.actor_client_id },
            "action": row.action,
            "nip": row.nip,
            "subject_id": row.subject_id,
            "request_id": row.request_id,
            "data": data,
        }))
    }

    #[test]
    fn the_hashed_document_is_the_rows_canonical_json() {
        let odd = Actor {
            sub: "ppk \"3315\"\\ é\u{1}".into(),
            client_id: None,
            request_id: None,
        };
        let mut groups_entries = entries(3);
        groups_entries.push(Entry::new(
            "case.overdue",
            None,
            None,
            json!({ "ü": "\n", "n": -1.5e300, "a": [true, {}] }),
        ));
        for (a, t) in [
            (actor(), at()),
            (odd, "1999-01-02T00:00:00".parse().unwrap()),
        ] {
            let groups = [Group {
                actor: &a,
                at: t,
                entries: &groups_entries,
            }];
            for row in chain((41, GENESIS), &groups) {
                let mut doc = Vec::new();
                hashed_document(&row, &mut doc);
                assert_eq!(String::from_utf8(doc).unwrap(), reference_document(&row));
            }
        }
    }

    fn at() -> NaiveDateTime {
        "2026-11-23T03:00:00.1234567".parse().unwrap()
    }

    fn actor() -> Actor {
        Actor {
            sub: "ppk-3315".into(),
            client_id: Some("simpeg".into()),
            request_id: Some("req-1".into()),
        }
    }

    fn entries(n: usize) -> Vec<Entry> {
        (0..n)
            .map(|i| {
                Entry::new(
                    "sanction.recorded",
                    Some("198503302010011002"),
                    Some("s-1"),
                    json!({ "i": i, "b": [2, 1], "a": null }),
                )
            })
            .collect()
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({ "b": 1, "a": { "d": [ { "z": 1, "y": "é\"" } ], "c": null } });
        assert_eq!(
            canonical(&v),
            r#"{"a":{"c":null,"d":[{"y":"é\"","z":1}]},"b":1}"#
        );
    }

    #[test]
    fn a_chain_verifies_and_any_edit_is_found_at_its_row() {
        let (a, es) = (actor(), entries(5));
        let rows = chain(
            (0, GENESIS),
            &[Group {
                actor: &a,
                at: at(),
                entries: &es,
            }],
        );
        assert_eq!(
            rows[0].at.nanosecond(),
            123_456_000,
            "stored to the microsecond"
        );
        let head = (5, rows[4].hash.as_str());
        let mut w = Walker::default();
        let v = {
            let b = w.check(&rows);
            w.finish(head, b)
        };
        assert!(v.ok, "{v:?}");
        assert_eq!(v.events_checked, 5);

        for (field, edit) in [
            (
                "data",
                Box::new(|r: &mut AuditRow| r.data = r#"{"i":9}"#.into())
                    as Box<dyn Fn(&mut AuditRow)>,
            ),
            (
                "actor",
                Box::new(|r: &mut AuditRow| r.actor_sub = "someone".into()),
            ),
            (
                "at",
                Box::new(|r: &mut AuditRow| r.at += chrono::Duration::seconds(1)),
            ),
        ] {
            let mut tampered = rows.clone();
            edit(&mut tampered[2]);
            let mut w = Walker::default();
            let b = w.check(&tampered);
            let v = w.finish(head, b);
            assert!(!v.ok, "{field}");
            assert_eq!(v.broken_at.unwrap().seq, 3, "{field}");
            assert_eq!(v.events_checked, 2);
        }

        let mut gap = rows.clone();
        gap.remove(1);
        let mut w = Walker::default();
        let b = w.check(&gap);
        assert_eq!(b.unwrap().seq, 2);

        let mut w = Walker::default();
        let b = w.check(&rows[..4]);
        let v = w.finish(head, b);
        assert!(!v.ok, "a removed last row is found through the head");
    }
}
