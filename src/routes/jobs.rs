//! `/api/v1/jobs`: schedules, runs, and running a job now.

use super::reply;
use crate::auth::Principal;
use crate::db::{self, jobs::RunRow};
use crate::error::{ApiError, ErrorCode};
use crate::extract::Query;
use crate::jobs::{is_stale, Job};
use crate::state::AppState;
use actix_web::{get, post};
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct RunOut {
    pub id: String,
    pub job: String,
    /// `schedule`, `api` or `cli`.
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `succeeded`, `failed`, or `interrupted` (stopped beating: its process died;
    /// the next run finishes its work).
    pub outcome: String,
    /// Sanctions recorded.
    pub processed: i64,
    pub error: Option<String>,
}

impl RunOut {
    fn from_row(r: RunRow, now: NaiveDateTime) -> RunOut {
        let outcome = if is_stale(&r, now) {
            "interrupted".to_string()
        } else {
            r.outcome.clone()
        };
        RunOut {
            id: r.id,
            job: r.job,
            trigger: r.trigger,
            started_at: r.started_at.and_utc(),
            finished_at: r.finished_at.map(|f| f.and_utc()),
            outcome,
            processed: r.processed,
            error: r.error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobOut {
    pub name: Job,
    /// 6-field cron expression (seconds first); `null`: disabled.
    pub schedule: Option<String>,
    pub timezone: String,
    pub last_run: Option<RunOut>,
    pub next_run: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    pub items: Vec<RunOut>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunAccepted {
    pub run_id: String,
    pub job: Job,
    pub outcome: String,
}

/// Every job with its schedule, last and next run.
#[utoipa::path(operation_id = "listJobs", tag = "jobs",
    responses((status = 200, body = [JobOut])), security(("bearer" = ["jobs:run"])))]
#[get("/jobs")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let last = db::run(&state.pool, |c| {
        Job::ALL
            .iter()
            .map(|j| Ok(db::jobs::list(c, Some(j.name()), None, 1)?.pop()))
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await?;
    let now = state.clock.now();
    let jobs: Vec<JobOut> = state
        .jobs
        .iter()
        .zip(last)
        .map(|(s, last)| JobOut {
            name: s.job,
            schedule: s.expression.clone(),
            timezone: state.tz.name().to_string(),
            last_run: last.map(|r| RunOut::from_row(r, now.naive_utc())),
            next_run: s.next_after(now, state.tz),
        })
        .collect();
    Ok(reply(&jobs))
}

/// Runs, newest first.
#[utoipa::path(operation_id = "listJobRuns", tag = "jobs",
    params(("job" = Option<Job>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = RunPage), (status = 400, body = crate::error::Problem)),
    security(("bearer" = ["jobs:run"])))]
#[get("/jobs/runs")]
pub async fn runs(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let job = q.typed("job");
    if let Some(j) = &job {
        if Job::parse(j).is_none() {
            q.errors.push(crate::error::FieldError::new(
                "job",
                crate::i18n::L10n::same(format!(
                    "'{j}' is not one of: lift_expired, activate_scheduled"
                )),
            ));
        }
    }
    let (limit, cursor) = (q.limit(), q.string("cursor"));
    q.finish()?;
    let rows = db::run(&state.pool, move |c| {
        Ok(db::jobs::list(
            c,
            job.as_deref(),
            cursor.as_deref(),
            limit + 1,
        )?)
    })
    .await?;
    let (rows, next_cursor) = super::page(rows, limit, |r| r.id.clone());
    let now = state.clock.now_naive();
    Ok(reply(&RunPage {
        items: rows.into_iter().map(|r| RunOut::from_row(r, now)).collect(),
        next_cursor,
    }))
}

/// Start a run now; it goes on in the background.
#[utoipa::path(operation_id = "runJob", tag = "jobs", params(("name" = Job, Path)),
    responses((status = 202, body = RunAccepted), (status = 404, body = crate::error::Problem)),
    security(("bearer" = ["jobs:run"])))]
#[post("/jobs/{name}/run")]
pub async fn run(
    state: web::Data<AppState>,
    who: Principal,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = Job::parse(&name).ok_or_else(|| {
        ApiError::with_detail(
            ErrorCode::NotFound,
            format!("Tidak ada job '{name}'"),
            format!("There is no job '{name}'"),
        )
    })?;
    let (runner, actor) = (state.runner.clone(), who.audit_actor());
    let run_id = web::block(move || runner.start(job, "api", &actor))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("blocking task failed: {e}")))??;
    let (runner, id) = (state.runner.clone(), run_id.clone());
    actix_web::rt::spawn(async move {
        if let Err(e) = web::block(move || runner.execute(job, &id)).await {
            tracing::error!(error = %e, "job run aborted");
        }
    });
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/jobs/runs/{run_id}")))
        .json(RunAccepted {
            run_id,
            job,
            outcome: "running".into(),
        }))
}

/// One run.
#[utoipa::path(operation_id = "getJobRun", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = RunOut), (status = 404, body = crate::error::Problem)),
    security(("bearer" = ["jobs:run"])))]
#[get("/jobs/runs/{id}")]
pub async fn get_run(
    pool: web::Data<db::Pool>,
    clock: web::Data<crate::clock::Clock>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db::run(&pool, move |c| Ok(db::jobs::find(c, &id)?)).await?;
    let row = row.ok_or_else(ApiError::not_found)?;
    Ok(reply(&RunOut::from_row(row, clock.now_naive())))
}
