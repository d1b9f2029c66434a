//! Neutrality cases: a report recorded once per source reference, moved by steps (the state
//! machine of `domain::case`), each step one transaction with its case timeline entry, the
//! person's timeline event, its audit entry and what subscribers hear. Joined to what exists:
//! a sanction recorded with `case_id` is the `sanction_imposed` step; a BKN block ordered
//! with `case_id` is linked to the case.

mod deadlines;
mod step;

pub use deadlines::run_deadlines;
pub use step::{link_sanction, take_step, StepInput};

use super::journal::Journal;
use super::Caller;
use crate::audit::Entry;
use crate::db::cases::{self as store, CaseRow, StepRow};
use crate::db::{asn, AnyConnection};
use crate::domain::case::{CaseState, Source, Stage};
use crate::domain::nip::Nip;
use crate::domain::policy::Policy;
use crate::domain::EventType;
use crate::error::{ApiError, ErrorCode};
use crate::i18n::L10n;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A report, checked at the edge.
#[derive(Debug, Clone, Serialize)]
pub struct NewCase {
    #[serde(serialize_with = "nip_str")]
    pub nip: Nip,
    pub source: Source,
    pub source_reference: String,
    pub reported_on: NaiveDate,
    pub election: Option<Election>,
    pub conduct: String,
    pub stage: Stage,
    pub description: Option<String>,
    pub evidence: Vec<Evidence>,
}

fn nip_str<S: serde::Serializer>(n: &Nip, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(n.as_str())
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Election {
    /// e.g. `pilkada`, `pemilu`.
    pub kind: String,
    pub year: i32,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub url: String,
    /// 64 hex digits.
    pub sha256: String,
}

impl NewCase {
    fn content_hash(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

pub fn case_not_found(id: &str) -> ApiError {
    ApiError::with_detail(
        ErrorCode::NotFound,
        format!("Kasus {id} tidak ditemukan"),
        format!("No case has the id {id}"),
    )
}

/// Records a report: `Ok((row, true))` when new; the same source reference with the same
/// content again is `Ok((row, false))`, with other content `duplicate_case`.
pub fn report(
    conn: &mut AnyConnection,
    policy: &Policy,
    who: &Caller,
    new: &NewCase,
    j: &mut Journal,
) -> Result<(CaseRow, bool), ApiError> {
    if let Some(agency) = &who.agency {
        return Err(ApiError::with_detail(
            ErrorCode::Forbidden,
            format!("Penulis yang terbatas pada instansi {agency} hanya mencatat langkah PPK"),
            format!("A writer limited to agency {agency} takes only the PPK's steps"),
        ));
    }
    let hash = new.content_hash();
    if let Some(existing) = store::find_by_source(conn, new.source, &new.source_reference)? {
        if existing.content_hash == hash {
            return Ok((existing, false));
        }
        return Err(ApiError::with_detail(
            ErrorCode::DuplicateCase,
            format!(
                "Laporan {} dari {} sudah tercatat sebagai kasus {} dengan isi lain",
                new.source_reference, new.source, existing.id
            ),
            format!(
                "Report {} from {} is recorded as case {} with other content",
                new.source_reference, new.source, existing.id
            ),
        )
        .extra("case_id", json!(existing.id)));
    }
    if policy.doc.cases.conduct(&new.conduct).is_none() {
        let known: Vec<&str> = policy
            .doc
            .cases
            .conduct
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        return Err(ApiError::field(
            "conduct",
            L10n::new(
                format!(
                    "'{}' tidak ada dalam katalog; salah satu dari: {}",
                    new.conduct,
                    known.join(", ")
                ),
                format!(
                    "'{}' is not in the catalogue; one of: {}",
                    new.conduct,
                    known.join(", ")
                ),
            ),
        ));
    }
    let nip = new.nip.as_str();
    super::register_unknown(conn, nip, j)?;
    let agency_code = asn::find(conn, nip)?.and_then(|p| p.agency_code);
    let now = j.at();
    let row = CaseRow {
        id: uuid::Uuid::now_v7().to_string(),
        nip: nip.to_string(),
        agency_code,
        source: new.source,
        source_reference: new.source_reference.clone(),
        reported_on: new.reported_on,
        election_kind: new.election.as_ref().map(|e| e.kind.clone()),
        election_year: new.election.as_ref().map(|e| e.year),
        election_region: new.election.as_ref().and_then(|e| e.region.clone()),
        conduct: new.conduct.clone(),
        stage: new.stage,
        description: new.description.clone(),
        evidence: serde_json::to_string(&new.evidence)?,
        content_hash: hash,
        state: CaseState::Reported,
        state_since: new.reported_on,
        deadline: None,
        overdue_recorded: None,
        recommended_on: None,
        followup_due: None,
        recommendation: None,
        recommendation_issuer: None,
        sanctioned_on: None,
        sanction_id: None,
        block_requested_on: None,
        closed_on: None,
        policy_version: policy.version().to_string(),
        created_at: now,
        updated_at: now,
    };
    store::insert(conn, &row)?;
    let data = json!({ "source": row.source, "source_reference": row.source_reference });
    note(conn, &row, ("reported", None, new.reported_on), data, j)?;
    tell(conn, &row, EventType::CaseReported, json!({}), j)?;
    Ok((row, true))
}

/// Appends an entry to the case's own timeline (`kind`: a step's name, `reported`, `overdue`,
/// `block_linked`, `block_release_due`), and audits it.
fn note(
    conn: &mut AnyConnection,
    case: &CaseRow,
    (kind, from, on): (&str, Option<CaseState>, NaiveDate),
    data: Value,
    j: &mut Journal,
) -> Result<(), ApiError> {
    let row = StepRow {
        case_id: case.id.clone(),
        seq: store::next_seq(conn, &case.id)?,
        step: kind.to_string(),
        on_day: on,
        from_state: from,
        to_state: case.state,
        data: data.to_string(),
        actor: j.label().to_string(),
        at: j.at(),
    };
    store::insert_step(conn, &row)?;
    j.audit(Entry::new(
        &format!("case.{kind}"),
        Some(&case.nip),
        Some(&case.id),
        json!({ "on": on, "from": from, "to": case.state, "data": data }),
    ));
    Ok(())
}

/// The person's timeline event (and, for published types, what subscribers hear): thin —
/// ids, state, dates, never descriptions.
fn tell(
    conn: &mut AnyConnection,
    case: &CaseRow,
    event_type: EventType,
    extra: Value,
    j: &mut Journal,
) -> Result<(), ApiError> {
    let mut data = json!({
        "case_id": case.id, "state": case.state, "state_since": case.state_since,
        "deadline": case.deadline,
    });
    if let (Value::Object(d), Value::Object(e)) = (&mut data, extra) {
        d.extend(e);
    }
    j.event(
        conn,
        &case.nip,
        event_type,
        case.sanction_id.as_deref(),
        data,
    )?;
    Ok(())
}

/// Links a block BKN ordered for a case (a `block_ordered` event with `case_id`), in the
/// event's transaction; an unknown case or another person's is the event's error.
pub fn link_block(
    conn: &mut AnyConnection,
    case_id: &str,
    nip: Option<&str>,
    block_id: &str,
    j: &mut Journal,
) -> Result<(), ApiError> {
    let unknown = |id: &str, en: &str| {
        ApiError::field("data.case_id", L10n::new(id.to_string(), en.to_string()))
    };
    let Some(case) = store::find(conn, case_id)? else {
        return Err(unknown("kasus tidak dikenal", "is not a known case"));
    };
    if nip.is_some_and(|n| n != case.nip) {
        return Err(unknown(
            "kasus ini tentang ASN lain",
            "is a case about another ASN",
        ));
    }
    let on = j.at().date();
    note(
        conn,
        &case,
        ("block_linked", Some(case.state), on),
        json!({ "block_id": block_id }),
        j,
    )
}

/// A case as shown: its row, its own timeline, its blocks, and whether it is overdue `today`.
pub struct CaseView {
    pub row: CaseRow,
    pub steps: Vec<StepRow>,
    pub block_ids: Vec<String>,
    pub overdue: bool,
}

/// Views of these cases, with their steps and blocks in two queries.
pub fn views(
    conn: &mut AnyConnection,
    rows: Vec<CaseRow>,
    today: NaiveDate,
) -> Result<Vec<CaseView>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut steps = store::steps_of(conn, &ids, None)?;
    let blocks = store::blocks_of(conn, &ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (mine, rest): (Vec<StepRow>, Vec<StepRow>) =
            steps.into_iter().partition(|s| s.case_id == row.id);
        steps = rest;
        out.push(CaseView {
            overdue: crate::domain::case::is_overdue(row.state, row.deadline, today),
            block_ids: blocks
                .iter()
                .filter(|(c, _)| c == &row.id)
                .map(|(_, b)| b.clone())
                .collect(),
            steps: mine,
            row,
        });
    }
    Ok(out)
}
