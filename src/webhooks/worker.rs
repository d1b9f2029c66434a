//! The delivery worker: fans new changes out into deliveries, claims due deliveries, sends
//! them signed, records each attempt. Every instance runs one; the database decides who
//! sends what (claims are leases), so a restart loses nothing and re-sends only what was in
//! flight when it stopped. Receivers de-duplicate on `webhook-id`.

use super::{sealed::Sealer, sign, target::Targets, WebhookSettings};
use crate::clock::Clock;
use crate::db::webhooks::{self as store, Attempt, Claim};
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::metrics::Metrics;
use chrono::TimeDelta;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Deliveries claimed (and sent concurrently) at a time.
const CLAIM: i64 = 32;
/// Changes fanned out per transaction.
const DISPATCH: i64 = 1000;

#[derive(Clone)]
pub struct Worker {
    pool: Pool,
    settings: Arc<WebhookSettings>,
    client: reqwest::Client,
    targets: Targets,
    clock: Clock,
    metrics: Metrics,
    sealer: Arc<Sealer>,
}

impl Worker {
    pub fn new(
        pool: Pool,
        settings: WebhookSettings,
        (clock, sealer): (Clock, Arc<Sealer>),
        metrics: Metrics,
    ) -> anyhow::Result<Worker> {
        let targets = Targets::new(settings.allowed_networks.clone());
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(targets.clone()))
            .user_agent(concat!("asn-eligibility/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Worker {
            pool,
            settings: Arc::new(settings),
            client,
            targets,
            clock,
            metrics,
            sealer,
        })
    }

    /// Runs forever on the current (actix) runtime, a round every poll interval (at once
    /// again while busy); a failing round is logged and retried.
    pub fn spawn(self) {
        actix_web::rt::spawn(async move {
            let mut busy = false;
            loop {
                if !busy {
                    actix_web::rt::time::sleep(self.settings.poll_interval).await;
                }
                busy = match self.round().await {
                    Ok(more) => more,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook delivery round failed");
                        false
                    }
                };
            }
        });
    }

    /// Rounds until nothing is waiting that is due now: every new change fanned out, every
    /// due delivery attempted (and a retry due at once attempted again). Returns the number
    /// of attempts made.
    pub async fn drain(&self) -> Result<usize, ApiError> {
        let mut attempts = 0;
        loop {
            let (more, sent) = self.counted_round().await?;
            attempts += sent;
            if !more && sent == 0 {
                return Ok(attempts);
            }
        }
    }

    /// One round: fan out, then claim and send one batch. `true` when there may be more.
    pub async fn round(&self) -> Result<bool, ApiError> {
        Ok(self.counted_round().await?.0)
    }

    /// A round, and how many attempts it made.
    async fn counted_round(&self) -> Result<(bool, usize), ApiError> {
        let now = self.clock.now_naive();
        let (undispatched, due) =
            db::run(&self.pool, move |c| Ok(store::work_waiting(c, now)?)).await?;
        if !undispatched && !due {
            return Ok((false, 0));
        }
        let dispatched = if undispatched {
            db::run(&self.pool, move |c| {
                db::write_tx(c, |c| Ok(store::dispatch(c, now, DISPATCH)?))
            })
            .await?
        } else {
            Some(0)
        };
        if !due && dispatched.unwrap_or(0) == 0 {
            return Ok((false, 0));
        }
        let lease = TimeDelta::from_std(self.settings.timeout + Duration::from_secs(30))
            .unwrap_or(TimeDelta::minutes(1));
        let claims = db::run(&self.pool, move |c| {
            db::write_tx(c, |c| Ok(store::claim(c, now, lease, CLAIM)?))
        })
        .await?;
        let n = claims.len() as i64;
        let attempts =
            futures_util::future::join_all(claims.into_iter().map(|c| self.attempt(c))).await;
        for (_, a) in &attempts {
            self.metrics.delivery_attempt(a.status);
        }
        db::run(&self.pool, move |c| {
            db::write_tx(c, |c| {
                for (id, a) in &attempts {
                    store::record_attempt(c, id, a)?;
                }
                Ok(())
            })
        })
        .await?;
        Ok((
            n == CLAIM || dispatched == Some(DISPATCH as usize),
            n as usize,
        ))
    }

    /// Sends one delivery and says what happened.
    async fn attempt(&self, claim: Claim) -> (String, Attempt) {
        let now = self.clock.now();
        let at = now.naive_utc();
        let change = &claim.change;
        let body = json!({
            "type": change.event_type,
            "timestamp": change.occurred_at.and_utc(),
            "data": serde_json::from_str::<serde_json::Value>(&change.data).unwrap_or_default(),
        })
        .to_string();
        let sent = self.send(&claim, &body, now.timestamp()).await;
        let attempts = claim.delivery.attempts as u32 + 1;
        let (response_status, error, retry_after) = match sent {
            Ok((status, _)) if (200..300).contains(&status) => {
                let a = Attempt {
                    at,
                    response_status: Some(status as i32),
                    error: None,
                    status: "delivered",
                    next_attempt_at: None,
                };
                return (claim.delivery.id, a);
            }
            Ok((status, retry_after)) => (
                Some(status as i32),
                Some(format!("the receiver answered {status}")),
                retry_after,
            ),
            Err(e) => (None, Some(e), None),
        };
        let next = if claim.delivery.manual {
            None
        } else {
            self.settings.next_wait(attempts, retry_after)
        };
        let attempt = Attempt {
            at,
            response_status,
            error,
            status: if next.is_some() { "pending" } else { "failed" },
            next_attempt_at: next.map(|w| at + TimeDelta::from_std(w).unwrap_or(TimeDelta::MAX)),
        };
        tracing::info!(
            delivery_id = claim.delivery.id,
            attempts,
            status = attempt.status,
            error = attempt.error.as_deref(),
            "webhook attempt failed"
        );
        (claim.delivery.id, attempt)
    }

    /// POSTs the body; the response status and any `Retry-After` (seconds), or why nothing
    /// was answered.
    async fn send(
        &self,
        claim: &Claim,
        body: &str,
        timestamp: i64,
    ) -> Result<(u16, Option<Duration>), String> {
        self.targets
            .check_url(&claim.url)
            .map_err(|e| format!("the URL {e}"))?;
        let id = &claim.change.event_id;
        let signature = self
            .sealer
            .open(&claim.delivery.subscription_id, &claim.secret)
            .and_then(|secret| sign(&secret, id, timestamp, body.as_bytes()))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .post(&claim.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_string())
            .send()
            .await
            .map_err(describe)?;
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Ok((response.status().as_u16(), retry_after))
    }
}

/// A transport error in one line, without the URL's query (it may hold a token).
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = std::error::Error::source(&e);
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    match last {
        Some(c) => format!("{kind}: {c}"),
        None => kind.to_string(),
    }
}
