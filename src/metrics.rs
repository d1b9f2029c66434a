//! Prometheus metrics, one registry per application instance, served at `GET /metrics`.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Callers waiting for a pooled connection, across the process.
static POOL_WAITING: AtomicI64 = AtomicI64::new(0);

/// Counts a caller waiting for a connection while the guard lives.
pub struct Waiting;

impl Waiting {
    pub fn start() -> Waiting {
        POOL_WAITING.fetch_add(1, Ordering::Relaxed);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        POOL_WAITING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The stages of an eligibility check, as `eligibility_check_stage_seconds` labels them.
#[derive(Debug, Clone, Copy)]
pub enum CheckStage {
    Load = 0,
    Evaluate = 1,
    Sign = 2,
    Store = 3,
}

impl CheckStage {
    const ALL: [CheckStage; 4] = [
        CheckStage::Load,
        CheckStage::Evaluate,
        CheckStage::Sign,
        CheckStage::Store,
    ];

    fn as_str(self) -> &'static str {
        match self {
            CheckStage::Load => "load",
            CheckStage::Evaluate => "evaluate",
            CheckStage::Sign => "sign",
            CheckStage::Store => "store",
        }
    }
}

#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    requests: HistogramVec,
    /// `load`, `evaluate`, `sign`, `store`, resolved once (a label lookup hashes and locks).
    stages: [Histogram; 4],
    decisions: IntCounterVec,
    job_runs: IntCounterVec,
    attempts: IntCounterVec,
    deliveries: IntGaugeVec,
    pool: IntGaugeVec,
    pool_waiting: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("asn".into()), None).expect("valid prefix");
        let requests = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP requests by method, route pattern and status, with their latency",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ]),
            &["method", "route", "status"],
        )
        .expect("valid histogram");
        let stage_vec = HistogramVec::new(
            HistogramOpts::new(
                "eligibility_check_stage_seconds",
                "Time an eligibility check spends per stage: load (the queries), evaluate \
                 (the rules), sign (the receipts, with the rows and audit entries made of them), \
                 store (a single check: until its group committed; a batch: its rows written \
                 in the request's transaction while its answer is rendered)",
            )
            .buckets(vec![
                0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                0.25, 1.0,
            ]),
            &["stage"],
        )
        .expect("valid histogram");
        let stages = CheckStage::ALL.map(|s| stage_vec.with_label_values(&[s.as_str()]));
        let decisions = IntCounterVec::new(
            Opts::new("eligibility_decisions_total", "Eligibility decisions given"),
            &["purpose", "outcome"],
        )
        .expect("valid counter");
        let job_runs = IntCounterVec::new(
            Opts::new("job_runs_total", "Job runs by how they ended"),
            &["job", "outcome"],
        )
        .expect("valid counter");
        let attempts = IntCounterVec::new(
            Opts::new(
                "webhook_attempts_total",
                "Webhook delivery attempts by the state they left the delivery in",
            ),
            &["state"],
        )
        .expect("valid counter");
        let deliveries = IntGaugeVec::new(
            Opts::new(
                "webhook_deliveries",
                "Webhook deliveries in the database by state (sampled at scrape)",
            ),
            &["state"],
        )
        .expect("valid gauge");
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Pooled database connections by state",
            ),
            &["state"],
        )
        .expect("valid gauge");
        let pool_waiting = IntGauge::new(
            "db_pool_waiting",
            "Callers waiting for a pooled connection (process-wide)",
        )
        .expect("valid gauge");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(stage_vec),
            Box::new(decisions.clone()),
            Box::new(job_runs.clone()),
            Box::new(attempts.clone()),
            Box::new(deliveries.clone()),
            Box::new(pool.clone()),
            Box::new(pool_waiting.clone()),
        ] {
            registry.register(c).expect("each metric registered once");
        }
        Metrics(Arc::new(Inner {
            registry,
            requests,
            stages,
            decisions,
            job_runs,
            attempts,
            deliveries,
            pool,
            pool_waiting,
        }))
    }

    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.0
            .requests
            .with_label_values(&[method, route, status_label(status)])
            .observe(seconds);
    }

    /// Time one check (single or batch) spent in a stage.
    pub fn check_stage(&self, stage: CheckStage, took: std::time::Duration) {
        self.0.stages[stage as usize].observe(took.as_secs_f64());
    }

    pub fn decision(&self, purpose: &str, outcome: &str) {
        self.0
            .decisions
            .with_label_values(&[purpose, outcome])
            .inc();
    }

    pub fn job_run(&self, job: &str, outcome: &str) {
        self.0.job_runs.with_label_values(&[job, outcome]).inc();
    }

    pub fn delivery_attempt(&self, state: &str) {
        self.0.attempts.with_label_values(&[state]).inc();
    }

    /// The text exposition, after sampling the pool and the delivery queue.
    pub fn render(&self, pool: r2d2::State, deliveries: &[(String, i64)]) -> String {
        let i = &self.0;
        let idle = pool.idle_connections as i64;
        i.pool.with_label_values(&["idle"]).set(idle);
        i.pool
            .with_label_values(&["in_use"])
            .set(pool.connections as i64 - idle);
        i.pool_waiting.set(POOL_WAITING.load(Ordering::Relaxed));
        for state in ["pending", "delivered", "failed", "cancelled"] {
            let n = deliveries
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            i.deliveries.with_label_values(&[state]).set(n);
        }
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&i.registry.gather(), &mut out)
            .expect("text encoding to memory");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// Status codes as labels, without allocating for the common ones.
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        503 => "503",
        s if s < 300 => "2xx",
        s if s < 400 => "3xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}
