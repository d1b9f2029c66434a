//! What a write tells subscribers: the events of api.md's list, written to the outbox in the
//! write's own transaction, each with a per-ASN sequence number; and `eligibility.changed`
//! whenever a purpose's outcome for a touched ASN differs from what was last told.
//!
//! The last-told outcomes live in `eligibility_states`, one row per watched ASN, locked
//! while a write settles it. An ASN seen for the first time is compared with the registry
//! as it stood just before this transaction ("as known at"), so its first change is told
//! too. `next_change` marks the day an outcome may turn without any write (a sanction
//! starting or ending, a look-back running out); every job run ends with a sweep of the
//! ASN whose day has come.

use super::eligibility::{Loaded, PurposeOutcome, Verdicts};
use crate::audit::Entry;
use crate::db::outbox::{self as store, NewChange, StateRow};
use crate::db::AnyConnection;
use crate::domain::policy::Policy;
use crate::domain::EventType;
use crate::domain::Purpose;
use crate::error::ApiError;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Fields of a timeline event's data a subscriber gets: identifiers and the new state, no
/// personal details (names, violation descriptions stay in the registry).
const THIN_FIELDS: &[&str] = &[
    "type",
    "decision_number",
    "effective_from",
    "effective_until",
    "lifted_on",
    "superseded_by",
    "outcome",
    "status",
    "effective_date",
    "scope",
    "agency_code",
    "reference",
    "ordered_at",
    "released_at",
];

/// What the outbox needs to judge eligibility: the policy in force, the zone, today.
#[derive(Clone)]
pub struct Watch {
    pub policy: Arc<Policy>,
    pub tz: Tz,
    pub today: NaiveDate,
}

struct Pending {
    event_type: EventType,
    nip: Option<String>,
    data: Value,
}

/// The changes one transaction has made so far.
#[derive(Default)]
pub struct Outbox {
    pending: Vec<Pending>,
    touched: BTreeSet<String>,
    agencies: BTreeSet<String>,
}

impl Outbox {
    /// Takes note of a timeline event: published if subscribers can hear of its type, and
    /// its ASN re-judged at the end if it may change eligibility.
    pub fn note(
        &mut self,
        nip: &str,
        event_type: EventType,
        sanction_id: Option<&str>,
        data: &Value,
    ) {
        if event_type.affects_eligibility() {
            self.touched.insert(nip.to_string());
        }
        if event_type.published() {
            let mut thin = Map::new();
            thin.insert("nip".into(), json!(nip));
            if let Some(id) = sanction_id {
                thin.insert("sanction_id".into(), json!(id));
            }
            // BKN profile events carry the pushed fields under `data`.
            let fields = data.get("data").unwrap_or(data);
            for f in THIN_FIELDS {
                if let Some(v) = fields.get(*f).filter(|v| !v.is_null()) {
                    thin.insert((*f).into(), v.clone());
                }
            }
            self.publish(event_type, Some(nip), Value::Object(thin));
        }
    }

    /// An event with no timeline entry of its own (blocks, agency-wide or not). It does not
    /// make its ASN judged again; [`Outbox::touch`] does.
    pub fn publish(&mut self, event_type: EventType, nip: Option<&str>, data: Value) {
        self.pending.push(Pending {
            event_type,
            nip: nip.map(str::to_string),
            data,
        });
    }

    /// Every ASN of `agency` is to be re-judged (an agency-wide block).
    pub fn touch_agency(&mut self, agency: &str) {
        self.agencies.insert(agency.to_string());
    }

    /// Judge these ASN again at the end (a block on them; the daily sweep).
    pub fn touch(&mut self, nips: impl IntoIterator<Item = String>) {
        self.touched.extend(nips);
    }

    /// Judges every touched ASN, numbers the changes per ASN and returns them in order with
    /// the audit entries of the `eligibility.changed` events. Call it inside the write
    /// transaction, after its last change to the registry and before the audit is flushed.
    pub fn settle(
        &mut self,
        conn: &mut AnyConnection,
        watch: &Watch,
        at: NaiveDateTime,
    ) -> Result<(Vec<NewChange>, Vec<Entry>), ApiError> {
        let mut judged = std::mem::take(&mut self.touched);
        for agency in std::mem::take(&mut self.agencies) {
            judged.extend(store::nips_in_agency(conn, &agency)?);
        }
        // Every ASN to judge, and every ASN with changes to number and how many, in NIP order.
        let mut counts: BTreeMap<String, i64> = judged.iter().map(|n| (n.clone(), 0)).collect();
        for nip in self.pending.iter().filter_map(|p| p.nip.clone()) {
            *counts.entry(nip).or_default() += 1;
        }
        let wanted: Vec<(&str, i64)> = counts.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        let mut changes: Vec<NewChange> = Vec::new();
        // Each state as reserved, and as it is to be saved.
        let mut states: HashMap<String, (StateRow, StateRow)> = HashMap::new();
        let mut told: Vec<(String, Value)> = Vec::new();
        for chunk in wanted.chunks(500) {
            for (state, updated, data) in judge(conn, watch, (chunk, &judged), at)? {
                if let Some(data) = data {
                    told.push((state.nip.clone(), data));
                }
                states.insert(state.nip.clone(), (state, updated));
            }
        }
        // The pending events take the numbers reserved for them, in order: the `k` up to the
        // reserved state's `last_seq`.
        let mut last: HashMap<&str, i64> = wanted
            .iter()
            .filter_map(|(nip, k)| Some((*nip, states.get(*nip)?.0.last_seq - k)))
            .collect();
        for p in std::mem::take(&mut self.pending) {
            let seq = p.nip.as_deref().and_then(|nip| {
                let n = last.get_mut(nip)?;
                *n += 1;
                Some(*n)
            });
            changes.push(change(p.event_type, p.nip, seq, p.data, at));
        }
        let mut next_seq = |nip: &str| {
            states.get_mut(nip).map(|(_, s)| {
                s.last_seq += 1;
                s.last_seq
            })
        };
        let mut entries = Vec::new();
        for (nip, data) in told {
            let seq = next_seq(&nip);
            entries.push(Entry::new(
                EventType::EligibilityChanged.as_str(),
                Some(&nip),
                None,
                data.clone(),
            ));
            changes.push(change(
                EventType::EligibilityChanged,
                Some(nip),
                seq,
                data,
                at,
            ));
        }
        // The states that changed (outcomes, next change, sequence numbers handed out), in
        // multi-row upserts.
        let mut changed: Vec<StateRow> = states
            .values()
            .filter(|(before, after)| after != before)
            .map(|(_, after)| StateRow {
                updated_at: at,
                ..after.clone()
            })
            .collect();
        changed.sort_by(|a, b| a.nip.cmp(&b.nip));
        store::save_states(conn, &changed)?;
        Ok((changes, entries))
    }
}

fn change(
    event_type: EventType,
    nip: Option<String>,
    seq: Option<i64>,
    data: Value,
    at: NaiveDateTime,
) -> NewChange {
    NewChange {
        event_id: format!("msg_{}", uuid::Uuid::now_v7().simple()),
        event_type: event_type.as_str().to_string(),
        nip,
        seq,
        occurred_at: at,
        data: data.to_string(),
    }
}

type Outcomes = BTreeMap<Purpose, PurposeOutcome>;

/// Reserves the states of `wanted` (locked on PostgreSQL, with the sequence numbers asked
/// for) and re-judges those in `judged`; returns each state as reserved, as it is to be (not
/// saved yet), and, where an outcome changed, the data of its `eligibility.changed` event.
fn judge(
    conn: &mut AnyConnection,
    watch: &Watch,
    (wanted, judged): (&[(&str, i64)], &BTreeSet<String>),
    at: NaiveDateTime,
) -> Result<Vec<(StateRow, StateRow, Option<Value>)>, ApiError> {
    let states = store::reserve_states(conn, wanted, at)?;
    let nips: Vec<&str> = wanted
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| judged.contains(*n))
        .collect();
    let unseen: Vec<&str> = states
        .iter()
        .filter(|s| s.outcomes.is_none() && judged.contains(&s.nip))
        .map(|s| s.nip.as_str())
        .collect();
    let before_unseen = if unseen.is_empty() {
        Loaded::default()
    } else {
        Loaded::known_at(conn, &unseen, at - TimeDelta::microseconds(1))?
    };
    let now = if nips.is_empty() {
        Loaded::default()
    } else {
        Loaded::current(conn, &nips)?
    };
    let verdicts = |loaded: &Loaded, nip: &str| -> Option<Verdicts> {
        loaded.verdicts(nip, &watch.policy, watch.today, watch.tz)
    };
    let mut out = Vec::with_capacity(states.len());
    for state in states {
        if !judged.contains(&state.nip) {
            out.push((state.clone(), state, None));
            continue;
        }
        let before: Option<Outcomes> = match &state.outcomes {
            Some(json) => serde_json::from_str(json).ok(),
            None => verdicts(&before_unseen, &state.nip).map(|v| v.outcomes),
        };
        let Some(after) = verdicts(&now, &state.nip) else {
            out.push((state.clone(), state, None));
            continue;
        };
        let told = before
            .as_ref()
            .and_then(|b| changed(&state.nip, b, &after.outcomes, watch.today));
        let updated = StateRow {
            as_of: Some(watch.today),
            outcomes: Some(serde_json::to_string(&after.outcomes)?),
            next_change: after.next_change,
            ..state.clone()
        };
        out.push((state, updated, told));
    }
    Ok(out)
}

/// The `eligibility.changed` data when some purpose's outcome differs.
fn changed(nip: &str, before: &Outcomes, after: &Outcomes, as_of: NaiveDate) -> Option<Value> {
    let moves: Vec<Value> = after
        .iter()
        .filter(|(p, v)| before.get(*p).map(|b| b.outcome) != Some(v.outcome))
        .map(|(p, v)| {
            json!({
                "purpose": p,
                "from": before.get(p).map(|b| b.outcome),
                "to": v.outcome,
                "eligible_from": v.eligible_from,
            })
        })
        .collect();
    (!moves.is_empty()).then(|| json!({ "nip": nip, "as_of": as_of, "changes": moves }))
}
