//! The application state every handler shares through `web::Data`: built once by
//! `startup::Application::build`, the composition root; nothing below the routes imports it.

use crate::audit::Actor;
use crate::auth::Verifier;
use crate::clock::Clock;
use crate::db::{Backend, Pool};
use crate::domain::policy::Policy;
use crate::domain::Purpose;
use crate::jobs::{JobSchedule, Runner};
use crate::metrics::Metrics;
use crate::receipts::Receipts;
use crate::service::decision_log::DecisionLog;
use crate::service::eligibility::{Check, Rule};
use crate::service::outbox::Watch;
use crate::webhooks::target::Targets;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// Shared by every handler through `web::Data`.
pub struct AppState {
    pub pool: Pool,
    pub policy: Arc<Policy>,
    pub receipts: Arc<Receipts>,
    /// Stores decisions in group commits (one writer per instance).
    pub decisions: DecisionLog,
    pub verifier: Arc<Verifier>,
    pub clock: Clock,
    pub tz: Tz,
    pub backend: Backend,
    pub jobs: Vec<JobSchedule>,
    pub runner: Runner,
    pub metrics: Metrics,
    /// Which webhook URLs subscriptions may name.
    pub targets: Targets,
    /// Seals webhook signing secrets at rest.
    pub sealer: Arc<crate::webhooks::sealed::Sealer>,
    /// How far after now a BKN event may be dated (clock skew between systems).
    pub bkn_max_future: chrono::TimeDelta,
}

impl AppState {
    /// Today in the configured zone.
    pub fn today(&self) -> NaiveDate {
        self.clock.today(self.tz)
    }

    /// What a write needs to tell subscribers of eligibility changes.
    pub fn watch(&self) -> Watch {
        Watch {
            policy: self.policy.clone(),
            tz: self.tz,
            today: self.today(),
        }
    }

    /// An eligibility check under the policy in force, signed with the receipt key.
    pub fn check<'a>(
        &'a self,
        purpose: Purpose,
        as_of: NaiveDate,
        as_known_at: Option<DateTime<Utc>>,
        actor: &'a Actor,
        now: DateTime<Utc>,
    ) -> Check<'a> {
        Check {
            rule: Rule {
                policy: &self.policy,
                purpose,
                as_of,
                now,
            },
            as_known_at,
            receipts: &self.receipts,
            actor,
            tz: self.tz,
            metrics: &self.metrics,
        }
    }
}
