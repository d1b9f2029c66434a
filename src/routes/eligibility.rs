//! Eligibility checks, single and batch, and decisions read back.

use super::{parse_nip, reply, write_reply};
use crate::auth::Principal;
use crate::db;
use crate::domain::eligibility::{Outcome, ReasonCode};
use crate::domain::Purpose;
use crate::error::{ApiError, ErrorCode, Problem};
use crate::extract::{IdempotencyKey, ItemwiseJson, Query};
use crate::i18n::{L10n, Lang};
use crate::metrics::CheckStage;
use crate::service::eligibility::{self as svc, DecisionRecord, Replay};
use crate::service::idempotency::{run_write, Body, Fingerprint, Reply};
use crate::state::AppState;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const MAX_BATCH: usize = 1000;

// A reason as answered, borrowed from its record: a batch of 1000 answers is written out
// without a copy of each decision's strings. (Not a doc comment: it would be the schema's
// description in the contract.)
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut<'a> {
    pub code: ReasonCode,
    pub message: &'a str,
    pub legal_basis: &'a str,
    pub sanction_id: Option<&'a str>,
    pub sanction_type: Option<&'a str>,
    pub decision_number: Option<&'a str>,
    /// The look-back rule behind a `disciplinary_history` reason.
    pub rule: Option<&'a str>,
    /// The BKN block behind a `bkn_block` reason.
    pub block_id: Option<&'a str>,
    /// The neutrality case behind a `pending_case` reason or notice.
    pub case_id: Option<&'a str>,
    /// First day this reason no longer holds; `null`: no known end.
    pub until: Option<NaiveDate>,
}

impl<'a> ReasonOut<'a> {
    fn of(r: &'a crate::service::eligibility::ReasonRecord, lang: Lang) -> ReasonOut<'a> {
        ReasonOut {
            code: r.code,
            message: r.message.get(lang),
            legal_basis: &r.legal_basis,
            sanction_id: r.sanction_id.as_deref(),
            sanction_type: r.sanction_type.as_deref(),
            decision_number: r.decision_number.as_deref(),
            rule: r.rule.as_deref(),
            block_id: r.block_id.as_deref(),
            case_id: r.case_id.as_deref(),
            until: r.until,
        }
    }
}

// A decision as answered, borrowed from its record (see `ReasonOut`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionOut<'a> {
    pub decision_id: &'a str,
    pub nip: &'a str,
    pub purpose: Purpose,
    pub as_of: NaiveDate,
    pub outcome: Outcome,
    pub eligible: bool,
    pub reasons: Vec<ReasonOut<'a>>,
    /// Same shape as `reasons`, never changing the outcome: an open neutrality case
    /// (`pending_case`) where the policy does not make it a reason for this purpose.
    pub notices: Vec<ReasonOut<'a>>,
    /// First day every reason known now has ended; `null` when one has no end.
    pub eligible_from: Option<NaiveDate>,
    pub policy_version: &'a str,
    pub evaluated_at: DateTime<Utc>,
    /// Set when the registry was consulted as it stood at this instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_known_at: Option<DateTime<Utc>>,
    /// Compact JWS (EdDSA or ES256) over the decision; verify it against
    /// `/.well-known/jwks.json`.
    pub receipt: &'a str,
}

pub fn render(d: &DecisionRecord, lang: Lang) -> DecisionOut<'_> {
    DecisionOut {
        decision_id: &d.decision_id,
        nip: &d.nip,
        purpose: d.purpose,
        as_of: d.as_of,
        outcome: d.outcome,
        eligible: d.eligible,
        reasons: d.reasons.iter().map(|r| ReasonOut::of(r, lang)).collect(),
        notices: d.notices.iter().map(|r| ReasonOut::of(r, lang)).collect(),
        eligible_from: d.eligible_from,
        policy_version: &d.policy_version,
        evaluated_at: d.evaluated_at,
        as_known_at: d.as_known_at,
        receipt: &d.receipt,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    pub purpose: Purpose,
    /// Default: today in the configured zone.
    #[serde(default, deserialize_with = "crate::extract::iso::opt_date")]
    pub as_of: Option<NaiveDate>,
    /// The registry as it stood at this instant (default: as it stands now).
    pub as_known_at: Option<DateTime<Utc>>,
    /// At most 1000 NIPs; answered in this order.
    pub nips: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchError {
    pub nip: String,
    pub error: Problem,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchItem<'a> {
    Decision(DecisionOut<'a>),
    Error(BatchError),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchOut<'a> {
    pub results: Vec<BatchItem<'a>>,
}

/// Is this ASN eligible for a purpose on a day?
#[utoipa::path(operation_id = "checkEligibility", tag = "eligibility",
    params(("nip" = String, Path), ("purpose" = Purpose, Query), ("as_of" = Option<NaiveDate>, Query, description = "Default today in the configured zone"),
           ("as_known_at" = Option<DateTime<Utc>>, Query, description = "Answer from the registry as it stood at this instant (RFC 3339)")),
    responses((status = 200, body = DecisionOut), (status = 400, body = Problem),
               (status = 404, body = Problem, description = "asn_not_found: a well-formed NIP the registry does not know")),
    security(("bearer" = ["eligibility:read"])))]
#[get("/asn/{nip}/eligibility")]
pub async fn check(
    state: web::Data<AppState>,
    who: Principal,
    lang: Lang,
    nip: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let nip = parse_nip(&nip)?;
    let mut q = Query::new(&req);
    let purpose = q.parsed::<Purpose>("purpose");
    let purpose = q.require("purpose", purpose);
    let as_of = q.date("as_of").unwrap_or_else(|| state.today());
    let now = state.clock.now();
    let as_known_at = q.past_instant("as_known_at", now);
    q.finish()?;
    let purpose = purpose.expect("checked above");
    let (st, actor) = (state.clone(), who.audit_actor());
    let decided = db::run(&state.pool, move |c| {
        let asked = st.check(purpose, as_of, as_known_at, &actor, now);
        svc::evaluate_many(c, &asked, vec![Ok(nip)])
    })
    .await?;
    let storing = std::time::Instant::now();
    let stored = state
        .decisions
        .store(decided, who.audit_actor(), now.naive_utc())
        .await;
    state
        .metrics
        .check_stage(CheckStage::Store, storing.elapsed());
    let made = stored?.pop().expect("one result per NIP")?;
    let (purpose, outcome) = (made.purpose.as_str(), made.outcome.as_str());
    state.metrics.decision(purpose, outcome);
    Ok(reply(&render(&made, lang)))
}

/// Check up to 1000 NIPs for one purpose; a bad or unknown NIP is an error item.
#[utoipa::path(operation_id = "checkEligibilityBatch", tag = "eligibility", request_body = BatchIn,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = BatchOut), (status = 400, body = Problem)),
    security(("bearer" = ["eligibility:read"])))]
#[post("/eligibility/batch")]
pub async fn batch(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    lang: Lang,
    body: ItemwiseJson<BatchIn>,
) -> Result<HttpResponse, ApiError> {
    let fp = Fingerprint::new(
        &who.sub,
        key.0,
        "POST /api/v1/eligibility/batch",
        &body.value,
    );
    let input = body.body;
    if input.nips.len() > MAX_BATCH || input.nips.is_empty() {
        return Err(ApiError::field(
            "nips",
            L10n::new(
                format!(
                    "berisi {} NIP; harus 1 sampai {MAX_BATCH}",
                    input.nips.len()
                ),
                format!("holds {} NIPs; must be 1 to {MAX_BATCH}", input.nips.len()),
            ),
        ));
    }
    let as_of = input.as_of.unwrap_or_else(|| state.today());
    let now = state.clock.now();
    if input.as_known_at.is_some_and(|t| t > now) {
        return Err(ApiError::field(
            "as_known_at",
            L10n::new("tidak boleh di masa depan", "must not be in the future"),
        ));
    }
    let (purpose, raw, as_known_at) = (input.purpose, input.nips, input.as_known_at);
    let (st, actor, watch) = (state.clone(), who.audit_actor(), state.watch());
    let reply = db::run(&state.pool, move |c| {
        run_write(c, fp.as_ref(), &actor, now.naive_utc(), &watch, |c, j| {
            let asked = st.check(purpose, as_of, as_known_at, &actor, now);
            let body = svc::check_batch(c, &asked, &raw, j, |decided| {
                let results = decided
                    .iter()
                    .zip(&raw)
                    .map(|(r, nip)| match r {
                        Ok(d) => BatchItem::Decision(render(d, lang)),
                        Err(e) => BatchItem::Error(BatchError {
                            nip: nip.clone(),
                            error: e.problem(lang),
                        }),
                    })
                    .collect();
                Body::of(&BatchOut { results })
            })??;
            Ok(Reply {
                status: 200,
                location: None,
                body,
            })
        })
    })
    .await?;
    Ok(write_reply(reply))
}

/// A decision as it was given.
#[utoipa::path(operation_id = "getDecision", tag = "eligibility",
    params(("decision_id" = String, Path)),
    responses((status = 200, body = DecisionOut), (status = 404, body = Problem)),
    security(("bearer" = ["eligibility:read"])))]
#[get("/eligibility/decisions/{decision_id}")]
pub async fn decision(
    state: web::Data<AppState>,
    lang: Lang,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = db::run(&state.pool, move |c| svc::find(c, &id)).await?;
    let d = found.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::NotFound,
            "Keputusan tidak ditemukan",
            "No decision has this id",
        )
    })?;
    Ok(reply(&render(&d, lang)))
}

/// Evaluate a stored decision again: with the registry and the policy of then (which must
/// give the same answer), with today's registry, and with today's policy.
#[utoipa::path(operation_id = "replayDecision", tag = "eligibility",
    params(("decision_id" = String, Path)),
    responses((status = 200, body = Replay), (status = 404, body = Problem)),
    security(("bearer" = ["eligibility:read"])))]
#[post("/eligibility/decisions/{decision_id}/replay")]
pub async fn replay(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (id, st) = (id.into_inner(), state.clone());
    let found = db::run(&state.pool, move |c| {
        svc::replay(c, &id, &st.policy, st.clock.now(), st.tz)
    })
    .await?;
    let replay = found.ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::NotFound,
            "Keputusan tidak ditemukan",
            "No decision has this id",
        )
    })?;
    Ok(reply(&replay))
}
