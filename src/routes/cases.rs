//! `/api/v1/cases`: neutrality cases, their steps and the follow-up statistics.

use super::{page, parse_nip, reply, write, write_reply};
use crate::auth::Principal;
use crate::db::cases::{GroupBy, ListFilter, StepRow};
use crate::db::{self};
use crate::domain::case::{CaseState, Category, Source, Stage};
use crate::domain::sanction::draft::check_text;
use crate::domain::FieldError;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, IdempotencyKey, Query};
use crate::i18n::L10n;
use crate::service::cases::{self as svc, CaseView, Election, Evidence, NewCase, StepInput};
use crate::service::idempotency::{Fingerprint, Reply};
use crate::state::AppState;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    #[schema(pattern = r"^\s*[0-9]{18}\s*$")]
    pub nip: String,
    pub source: Source,
    /// The source's own reference (e.g. `SBT-2024-000123`); never the reporter's identity.
    pub source_reference: String,
    #[serde(deserialize_with = "crate::extract::iso::date")]
    #[schema(value_type = String, format = Date)]
    pub reported_on: NaiveDate,
    pub election: Option<Election>,
    /// A code of the policy's conduct catalogue (`GET /api/v1/catalogue`, `cases.conduct`).
    pub conduct: String,
    pub stage: Stage,
    pub description: Option<String>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationOut {
    pub category: Category,
    pub issuer: Option<String>,
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    pub seq: i32,
    /// A step's name, or `reported`, `overdue`, `block_linked`, `block_release_due`.
    pub step: String,
    pub on: NaiveDate,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub actor: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    pub id: String,
    pub nip: String,
    pub agency_code: Option<String>,
    pub source: Source,
    pub source_reference: String,
    pub reported_on: NaiveDate,
    pub election: Option<Election>,
    pub conduct: String,
    pub stage: Stage,
    pub description: Option<String>,
    pub evidence: Vec<Evidence>,
    pub state: CaseState,
    pub state_since: NaiveDate,
    /// The day the current step is due; `null` when nothing is due.
    pub deadline: Option<NaiveDate>,
    /// Derived for today in the configured zone.
    pub overdue: bool,
    pub recommendation: Option<RecommendationOut>,
    /// The PPK's first follow-up deadline (kept through an escalation).
    pub followup_due: Option<NaiveDate>,
    pub sanction_id: Option<String>,
    pub block_ids: Vec<String>,
    /// The case's own timeline.
    pub steps: Vec<StepOut>,
    pub policy_version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseOut>,
    pub next_cursor: Option<String>,
}

fn step_out(s: &StepRow) -> StepOut {
    StepOut {
        seq: s.seq,
        step: s.step.clone(),
        on: s.on_day,
        from_state: s.from_state,
        to_state: s.to_state,
        data: serde_json::from_str(&s.data).unwrap_or_default(),
        actor: s.actor.clone(),
        at: s.at.and_utc(),
    }
}

pub fn case_out(v: &CaseView) -> CaseOut {
    let r = &v.row;
    CaseOut {
        id: r.id.clone(),
        nip: r.nip.clone(),
        agency_code: r.agency_code.clone(),
        source: r.source,
        source_reference: r.source_reference.clone(),
        reported_on: r.reported_on,
        election: r.election_kind.clone().map(|kind| Election {
            kind,
            year: r.election_year.unwrap_or_default(),
            region: r.election_region.clone(),
        }),
        conduct: r.conduct.clone(),
        stage: r.stage,
        description: r.description.clone(),
        evidence: serde_json::from_str(&r.evidence).unwrap_or_default(),
        state: r.state,
        state_since: r.state_since,
        deadline: r.deadline,
        overdue: v.overdue,
        recommendation: r.recommendation.map(|category| RecommendationOut {
            category,
            issuer: r.recommendation_issuer.clone(),
            on: r.recommended_on,
        }),
        followup_due: r.followup_due,
        sanction_id: r.sanction_id.clone(),
        block_ids: v.block_ids.clone(),
        steps: v.steps.iter().map(step_out).collect(),
        policy_version: r.policy_version.clone(),
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    }
}

/// Every problem of a report, each naming its field.
fn checked(input: CaseIn, today: NaiveDate) -> Result<NewCase, ApiError> {
    let nip = parse_nip(&input.nip)?;
    let mut errors = Vec::new();
    check_text(
        &mut errors,
        "source_reference",
        &input.source_reference,
        100,
    );
    check_text(&mut errors, "conduct", &input.conduct, 100);
    if input.reported_on > today {
        errors.push(FieldError::new(
            "reported_on",
            L10n::new("tidak boleh di masa depan", "must not be in the future"),
        ));
    }
    if let Some(e) = &input.election {
        check_text(&mut errors, "election.kind", &e.kind, 40);
        if !(1999..=2100).contains(&e.year) {
            errors.push(FieldError::new(
                "election.year",
                L10n::new("harus 1999-2100", "must be 1999-2100"),
            ));
        }
        if let Some(r) = &e.region {
            check_text(&mut errors, "election.region", r, 200);
        }
    }
    if let Some(d) = &input.description {
        check_text(&mut errors, "description", d, 10_000);
    }
    if input.evidence.len() > 20 {
        errors.push(FieldError::new(
            "evidence",
            L10n::new("paling banyak 20", "at most 20"),
        ));
    }
    for (i, e) in input.evidence.iter().enumerate() {
        let web = url::Url::parse(&e.url)
            .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && e.url.len() <= 2000);
        if !web {
            errors.push(FieldError::new(
                format!("evidence[{i}].url"),
                L10n::new(
                    "harus URL http(s), paling panjang 2000",
                    "must be an http(s) URL of at most 2000",
                ),
            ));
        }
        if e.sha256.len() != 64 || !e.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            errors.push(FieldError::new(
                format!("evidence[{i}].sha256"),
                L10n::new("harus 64 digit heksadesimal", "must be 64 hex digits"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(NewCase {
        nip,
        source: input.source,
        source_reference: input.source_reference.trim().to_string(),
        reported_on: input.reported_on,
        election: input.election,
        conduct: input.conduct.trim().to_string(),
        stage: input.stage,
        description: input.description,
        evidence: input.evidence,
    })
}

/// A case as `case_out`, loaded after its write.
fn case_reply(
    c: &mut db::AnyConnection,
    row: db::cases::CaseRow,
    today: NaiveDate,
    status: u16,
) -> Result<Reply, ApiError> {
    let id = row.id.clone();
    let view = svc::views(c, vec![row], today)?
        .pop()
        .expect("one view per row");
    Ok(Reply {
        status,
        location: Some(format!("/api/v1/cases/{id}")),
        body: json!(case_out(&view)).into(),
    })
}

/// Record a neutrality case (a report).
#[utoipa::path(operation_id = "recordCase", tag = "cases", request_body = CaseIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same body")),
    responses((status = 201, body = CaseOut, description = "Recorded"),
               (status = 200, body = CaseOut, description = "The same report (source and reference) with the same content was recorded before"),
               (status = 400, body = Problem), (status = 403, body = Problem),
               (status = 409, body = Problem, description = "duplicate_case: the same source reference with other content")),
    security(("bearer" = ["cases:write"])))]
#[post("/cases")]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    body: ApiJson<CaseIn>,
) -> Result<HttpResponse, ApiError> {
    let fp = Fingerprint::new(&who.sub, key.0, "POST /api/v1/cases", &body.value);
    let today = state.today();
    let new = checked(body.body, today)?;
    let policy = state.policy.clone();
    let reply = write(&state, &who, fp, move |c, who, j| {
        let (row, created) = svc::report(c, &policy, who, &new, j)?;
        case_reply(c, row, today, if created { 201 } else { 200 })
    })
    .await?;
    Ok(write_reply(reply))
}

/// Take a step of a case (the state machine of api.md).
#[utoipa::path(operation_id = "takeCaseStep", tag = "cases", request_body = StepInput,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = CaseOut), (status = 400, body = Problem), (status = 403, body = Problem),
               (status = 404, body = Problem),
               (status = 409, body = Problem, description = "invalid_transition, with the current `state`")),
    security(("bearer" = ["cases:write"])))]
#[post("/cases/{id}/steps")]
pub async fn step(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ApiJson<StepInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let route = format!("POST /api/v1/cases/{id}/steps");
    let fp = Fingerprint::new(&who.sub, key.0, &route, &body.value);
    let input = body.body;
    let today = state.today();
    if input.on > today {
        return Err(ApiError::field(
            "on",
            L10n::new("tidak boleh di masa depan", "must not be in the future"),
        ));
    }
    for (field, value) in [
        ("note", &input.note),
        ("reason", &input.reason),
        ("issuer", &input.issuer),
    ] {
        if let Some(v) = value {
            let mut errors = Vec::new();
            check_text(
                &mut errors,
                field,
                v,
                if field == "issuer" { 100 } else { 10_000 },
            );
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
        }
    }
    let policy = state.policy.clone();
    let reply = write(&state, &who, fp, move |c, who, j| {
        let row = svc::take_step(c, &policy, who, &id, &input, j)?;
        case_reply(c, row, today, 200)
    })
    .await?;
    Ok(write_reply(reply))
}

/// One case with its timeline.
#[utoipa::path(operation_id = "getCase", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = CaseOut), (status = 404, body = Problem)),
    security(("bearer" = ["cases:read"])))]
#[get("/cases/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (id, today) = (id.into_inner(), state.today());
    let view = db::run(&state.pool, move |c| {
        let row = db::cases::find(c, &id)?.ok_or_else(|| svc::case_not_found(&id))?;
        Ok(svc::views(c, vec![row], today)?.pop())
    })
    .await?;
    Ok(reply(&case_out(&view.expect("one view per row"))))
}

/// Cases, filtered, cursor-paginated.
#[utoipa::path(operation_id = "listCases", tag = "cases",
    params(("nip" = Option<String>, Query), ("state" = Option<CaseState>, Query),
           ("agency_code" = Option<String>, Query),
           ("overdue" = Option<bool>, Query, description = "Overdue today (true) or not (false)"),
           ("election_year" = Option<i32>, Query),
           ("limit" = Option<i64>, Query, description = "1-500, default 50"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = CasePage), (status = 400, body = Problem)),
    security(("bearer" = ["cases:read"])))]
#[get("/cases")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let nip = q.string("nip").map(|n| parse_nip(&n)).transpose()?;
    let today = state.today();
    let overdue: Option<bool> = q.parsed("overdue");
    let filter = ListFilter {
        nip: nip.map(|n| n.as_str().to_string()),
        state: q.parsed("state"),
        agency_code: q.string("agency_code"),
        overdue_on: overdue.filter(|o| *o).map(|_| today),
        not_overdue_on: overdue.filter(|o| !*o).map(|_| today),
        election_year: q.parsed("election_year"),
        after: q.string("cursor"),
        limit: q.limit(),
    };
    q.finish()?;
    let limit = filter.limit;
    let views = db::run(&state.pool, move |c| {
        let rows = db::cases::list(c, &filter)?;
        svc::views(c, rows, today)
    })
    .await?;
    let (views, next_cursor) = page(views, limit, |v| v.row.id.clone());
    Ok(reply(&CasePage {
        items: views.iter().map(case_out).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsGroup {
    /// The agency code, issuer, conduct code or `kind year` of the election; `-`: none.
    pub group: String,
    pub reported: i64,
    pub rejected: i64,
    pub not_proven: i64,
    pub recommended: i64,
    pub sanctioned: i64,
    pub followed_up_within_deadline: i64,
    /// `sanctioned ÷ recommended`; `null` when nothing was recommended.
    pub followed_up_rate: Option<f64>,
    /// Median days from recommendation to sanction; `null` when none was sanctioned.
    pub median_days_to_follow_up: Option<f64>,
    pub overdue_now: i64,
    pub blocks_requested: i64,
    pub blocks_released: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: String,
    pub groups: Vec<StatsGroup>,
}

/// The follow-up figures the authorities publish, per group, for cases reported in a period.
#[utoipa::path(operation_id = "caseStats", tag = "cases",
    params(("from" = Option<NaiveDate>, Query, description = "First day reported (default 2000-01-01)"),
           ("to" = Option<NaiveDate>, Query, description = "Last day reported (default today)"),
           ("group_by" = Option<String>, Query, description = "agency (default), issuer, conduct or election")),
    responses((status = 200, body = StatsOut), (status = 400, body = Problem)),
    security(("bearer" = ["cases:read"])))]
#[get("/cases/stats")]
pub async fn stats(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let today = state.today();
    let from = q
        .date("from")
        .unwrap_or(NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"));
    let to = q.date("to").unwrap_or(today);
    let group_name = q.string("group_by").unwrap_or_else(|| "agency".into());
    q.finish()?;
    let group_by = match group_name.as_str() {
        "agency" => GroupBy::Agency,
        "issuer" => GroupBy::Issuer,
        "conduct" => GroupBy::Conduct,
        "election" => GroupBy::Election,
        other => {
            return Err(ApiError::field(
                "group_by",
                L10n::new(
                    format!("'{other}' bukan salah satu dari agency, issuer, conduct, election"),
                    format!("'{other}' is not one of agency, issuer, conduct, election"),
                ),
            ))
        }
    };
    let rows = stats_rows(&state, (from, to, today), group_by).await?;
    Ok(reply(&StatsOut {
        from,
        to,
        group_by: group_name,
        groups: rows,
    }))
}

/// The statistics per group (the API's and the console's).
pub async fn stats_rows(
    state: &AppState,
    period: (NaiveDate, NaiveDate, NaiveDate),
    group_by: GroupBy,
) -> Result<Vec<StatsGroup>, ApiError> {
    let rows = db::run(&state.pool, move |c| {
        Ok(db::cases::stats(c, period, group_by)?)
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|(r, median, released)| StatsGroup {
            followed_up_rate: (r.recommended > 0)
                .then(|| r.sanctioned as f64 / r.recommended as f64),
            median_days_to_follow_up: median,
            blocks_released: released,
            group: r.grp,
            reported: r.reported,
            rejected: r.rejected,
            not_proven: r.not_proven,
            recommended: r.recommended,
            sanctioned: r.sanctioned,
            followed_up_within_deadline: r.within_deadline,
            overdue_now: r.overdue_now,
            blocks_requested: r.blocks_requested,
        })
        .collect())
}
