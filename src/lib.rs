//! asn-eligibility: sanction track records and eligibility checks for Indonesian civil
//! servants (ASN). `main.rs` is a thin shell around this library.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod gen_data;
pub mod i18n;
pub mod jobs;
pub mod keyfile;
pub mod metrics;
pub mod openapi;
pub mod receipts;
pub mod routes;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webhooks;
