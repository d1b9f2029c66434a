//! One integration-test binary: the real server, the real database, both backends.

mod contract;
mod helpers;
#[path = "../support/outage.rs"]
mod outage;

mod auth;
mod bkn;
mod cases;
mod eligibility;
mod errors;
mod evidence;
mod jobs;
mod law;
mod lifecycle;
mod operations;
mod registry;
mod sanctions;
mod snapshot;
mod webhooks;
