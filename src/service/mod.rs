//! Workflows: each runs on one connection inside one transaction, called from a handler
//! through `db::run`.

pub mod bkn;
pub mod decision_log;
pub mod eligibility;
pub mod idempotency;
pub mod journal;
pub mod outbox;
pub mod sanctions;
pub mod snapshot;
