//! Scheduled jobs: `lift_expired` and `activate_scheduled`, on cron schedules in the
//! configured zone. Each job body is a plain function; the database, not timing, makes
//! every transition recorded exactly once.

pub mod sanctions;

use crate::audit::{Actor, Entry};
use crate::clock::Clock;
use crate::db::cases::DeadlineCursor;
use crate::db::{self, audit, jobs as store, Pool};
use crate::domain::policy::Policy;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::service::outbox::Watch;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cron::Schedule;
use serde::Serialize;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// `case_deadlines` splits its work between two workers from this many batches due.
const SPLIT_AT_BATCHES: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    LiftExpired,
    ActivateScheduled,
    CaseDeadlines,
}

impl Job {
    pub const ALL: [Job; 3] = [Job::LiftExpired, Job::ActivateScheduled, Job::CaseDeadlines];

    pub fn name(&self) -> &'static str {
        match self {
            Job::LiftExpired => "lift_expired",
            Job::ActivateScheduled => "activate_scheduled",
            Job::CaseDeadlines => "case_deadlines",
        }
    }

    pub fn env_var(&self) -> &'static str {
        match self {
            Job::LiftExpired => "ASN_CRON_LIFT_EXPIRED",
            Job::ActivateScheduled => "ASN_CRON_ACTIVATE_SCHEDULED",
            Job::CaseDeadlines => "ASN_CRON_CASE_DEADLINES",
        }
    }

    pub fn default_expression(&self) -> &'static str {
        match self {
            Job::LiftExpired => "0 5 0 * * *",
            Job::ActivateScheduled => "0 6 0 * * *",
            Job::CaseDeadlines => "0 10 0 * * *",
        }
    }

    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }
}

/// A job's schedule: a 6-field cron expression (seconds first), or none (disabled).
#[derive(Debug, Clone)]
pub struct JobSchedule {
    pub job: Job,
    pub expression: Option<String>,
    schedule: Option<Schedule>,
}

impl JobSchedule {
    /// Parses `expression`; empty disables the job. The error names the variable.
    pub fn parse(job: Job, expression: &str) -> anyhow::Result<JobSchedule> {
        let expression = expression.trim();
        if expression.is_empty() {
            return Ok(JobSchedule {
                job,
                expression: None,
                schedule: None,
            });
        }
        if expression.split_whitespace().count() != 6 {
            anyhow::bail!(
                "{}={expression:?}: expected 6 fields (sec min hour day month weekday)",
                job.env_var()
            );
        }
        let schedule = Schedule::from_str(expression).map_err(|e| {
            anyhow::anyhow!(
                "{}={expression:?} is not a cron expression: {e}",
                job.env_var()
            )
        })?;
        Ok(JobSchedule {
            job,
            expression: Some(expression.to_string()),
            schedule: Some(schedule),
        })
    }

    /// The next run strictly after `now`, evaluated in `tz`.
    pub fn next_after(&self, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let schedule = self.schedule.as_ref()?;
        schedule
            .after(&now.with_timezone(&tz))
            .next()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Everything a job run needs.
#[derive(Clone)]
pub struct Runner {
    pub pool: Pool,
    pub policy: Arc<Policy>,
    pub metrics: Metrics,
    pub clock: Clock,
    pub tz: Tz,
    pub batch_size: i64,
}

/// A run after it ended.
#[derive(Debug, Clone)]
pub struct Finished {
    pub run_id: String,
    pub outcome: &'static str,
    pub processed: i64,
    pub error: Option<String>,
}

impl Runner {
    /// What a job's writes need to tell subscribers of eligibility changes.
    pub fn watch(&self) -> Watch {
        Watch {
            policy: self.policy.clone(),
            tz: self.tz,
            today: self.clock.today(self.tz),
        }
    }

    /// Records the start of a run and returns its id.
    /// Records a new run of `job`, started by `actor` (the scheduler or a caller), and
    /// audits it in the same transaction.
    pub fn start(&self, job: Job, trigger: &str, actor: &Actor) -> Result<String, ApiError> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut conn = self.pool.get()?;
        let now = self.clock.now_naive();
        db::write_tx(&mut conn, |c| -> Result<(), ApiError> {
            store::start(c, &id, job.name(), trigger, now)?;
            let data = serde_json::json!({ "job": job.name(), "trigger": trigger });
            audit::append(
                c,
                actor,
                now,
                &[Entry::new("job.run_started", None, Some(&id), data)],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Runs a started job to the end, in batches; records how it ended. Never panics on a
    /// database fault: the run is `failed` and the next run picks up where it stopped.
    pub fn execute(&self, job: Job, run_id: &str) -> Finished {
        let span = tracing::info_span!("job", job = job.name(), run_id);
        let _entered = span.enter();
        let mut processed = 0;
        let (outcome, error) = match self.work(job, run_id, &mut processed) {
            Ok(()) => ("succeeded", None),
            Err(e) => ("failed", Some(e.to_string())),
        };
        self.metrics.job_run(job.name(), outcome);
        match &error {
            None => tracing::info!(processed, "job run succeeded"),
            Some(e) => tracing::error!(processed, error = %e, "job run failed"),
        }
        let recorded = self.pool.get().and_then(|mut c| {
            Ok(store::finish(
                &mut c,
                run_id,
                outcome,
                processed,
                error.clone(),
                self.clock.now_naive(),
            )?)
        });
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the end of the job run");
        }
        Finished {
            run_id: run_id.to_string(),
            outcome,
            processed,
            error,
        }
    }

    /// Runs batches until nothing is due; `processed` counts what was recorded, even on failure.
    fn work(&self, job: Job, run_id: &str, processed: &mut i64) -> Result<(), ApiError> {
        let mut conn = self.pool.get()?;
        // A batch dirties pages all over the tables it writes (SQLite: see `for_batches`).
        db::for_batches(&mut conn, true)?;
        let ran = self.batches(&mut conn, job, run_id, processed);
        // The run's own outcome stands; a connection that cannot be reset is not reused.
        if let Err(e) = db::for_batches(&mut conn, false) {
            tracing::warn!(error = %e, "a job's connection kept its batch settings");
            conn.mark_broken();
        }
        ran
    }

    fn batches(
        &self,
        conn: &mut db::AnyConnection,
        job: Job,
        run_id: &str,
        processed: &mut i64,
    ) -> Result<(), ApiError> {
        let actor = Actor::system("scheduler", Some(run_id.to_string()));
        if job == Job::CaseDeadlines {
            return self.case_deadlines(conn, &actor, run_id, processed);
        }
        let mut cursor = None;
        loop {
            let now = self.clock.now_naive();
            let watch = self.watch();
            let (n, next) = sanctions::run_batch(
                conn,
                (job, &actor),
                &watch,
                now,
                cursor.as_ref(),
                self.batch_size,
            )?;
            cursor = next;
            *processed += n as i64;
            store::heartbeat(conn, run_id, *processed, now)?;
            if (n as i64) < self.batch_size {
                break;
            }
        }
        // Outcomes that turn with the date (sanctions starting or ending, look-backs running
        // out): judged once per ASN, and told.
        let mut after = String::new();
        loop {
            let now = self.clock.now_naive();
            let watch = self.watch();
            let batch = (&actor, &watch, now, self.batch_size);
            match sanctions::sweep_batch(conn, batch, &after)? {
                Some(last) => after = last,
                None => return Ok(()),
            }
        }
    }

    /// `case_deadlines`: every missed deadline told once, in batches; memory stays flat. On
    /// PostgreSQL, when there is enough to tell and the pool has a connection to spare, a
    /// second worker takes the later half (one connection's round trips left a core idle);
    /// the claim in each batch keeps it once per miss either way.
    fn case_deadlines(
        &self,
        conn: &mut db::AnyConnection,
        actor: &Actor,
        run_id: &str,
        processed: &mut i64,
    ) -> Result<(), ApiError> {
        let done = AtomicI64::new(0);
        let middle = match conn {
            db::AnyConnection::Postgresql(_) => db::cases::middle_of_missed(
                conn,
                self.watch().today,
                SPLIT_AT_BATCHES * self.batch_size,
            )?,
            db::AnyConnection::Sqlite(_) => None,
        };
        let spare = middle
            .as_ref()
            .and_then(|_| self.pool.spare(Duration::from_millis(500)));
        let ran = match (middle, spare) {
            (Some(middle), Some(mut other)) => std::thread::scope(|s| {
                let (done, middle) = (&done, &middle);
                let later = s.spawn(move || {
                    self.deadline_range(
                        &mut other,
                        (actor, run_id),
                        (Some(middle.clone()), None),
                        done,
                    )
                });
                let earlier =
                    self.deadline_range(conn, (actor, run_id), (None, Some(middle)), done);
                let later = later.join().unwrap_or_else(|_| {
                    Err(ApiError::internal(anyhow::anyhow!(
                        "a case_deadlines worker panicked"
                    )))
                });
                earlier.and(later)
            }),
            _ => self.deadline_range(conn, (actor, run_id), (None, None), &done),
        };
        *processed += done.load(Ordering::Relaxed);
        ran
    }

    /// The batches of one range of missed deadlines, counted into `done`.
    fn deadline_range(
        &self,
        conn: &mut db::AnyConnection,
        (actor, run_id): (&Actor, &str),
        (mut after, upto): (Option<DeadlineCursor>, Option<&DeadlineCursor>),
        done: &AtomicI64,
    ) -> Result<(), ApiError> {
        loop {
            let now = self.clock.now_naive();
            let watch = self.watch();
            let batch = (actor, &watch, now);
            let range = (after.as_ref(), upto);
            let (n, last) =
                crate::service::cases::run_deadlines(conn, batch, range, self.batch_size)?;
            let total = done.fetch_add(n as i64, Ordering::Relaxed) + n as i64;
            store::heartbeat(conn, run_id, total, now)?;
            match last {
                Some(last) => after = Some(last),
                None => return Ok(()),
            }
        }
    }

    /// Starts and runs a job to the end (the CLI's `run-job`, and the scheduler).
    pub fn run_now(&self, job: Job, trigger: &str, actor: &Actor) -> Result<Finished, ApiError> {
        let id = self.start(job, trigger, actor)?;
        Ok(self.execute(job, &id))
    }

    /// One scheduled run, exactly as the scheduler makes it when the time comes: started and
    /// run to the end on the blocking pool. A run that cannot start, or fails, is logged and
    /// recorded, never raised, so the schedule goes on (`None`: it could not start).
    pub async fn fire(&self, job: Job) -> Option<Finished> {
        let (r, actor) = (self.clone(), Actor::system("scheduler", None));
        match actix_web::web::block(move || r.run_now(job, "schedule", &actor)).await {
            Ok(Ok(finished)) => Some(finished),
            Ok(Err(e)) => {
                tracing::error!(job = job.name(), error = %e, "scheduled run could not start");
                None
            }
            Err(e) => {
                tracing::error!(job = job.name(), error = %e, "scheduled run aborted");
                None
            }
        }
    }
}

/// Runs each scheduled job on its schedule, forever. A failing run is logged and recorded;
/// the loop goes on.
pub fn spawn_scheduler(runner: Runner, schedules: Vec<JobSchedule>) {
    for schedule in schedules.into_iter().filter(|s| s.expression.is_some()) {
        let runner = runner.clone();
        actix_web::rt::spawn(async move {
            loop {
                let now = runner.clock.now();
                let Some(next) = schedule.next_after(now, runner.tz) else {
                    return;
                };
                let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
                actix_web::rt::time::sleep(wait).await;
                runner.fire(schedule.job).await;
            }
        });
    }
}

/// Whether a run still marked `running` has stopped beating (its process died).
pub fn is_stale(run: &store::RunRow, now: chrono::NaiveDateTime) -> bool {
    run.outcome == "running" && now - run.heartbeat_at > chrono::Duration::minutes(10)
}

pub use db::jobs::Transition;
