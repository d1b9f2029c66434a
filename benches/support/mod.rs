//! What the benchmarks share: the process's peak resident memory, and resetting it; one job
//! run as the scheduler makes it.

/// The peak resident set size of this process so far (Linux `VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Linux: writing 5 to `clear_refs` resets `VmHWM` to the current RSS.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs `job` to the end as the scheduler does (a pool of two, the default batch size or
/// `BENCH_BATCH`, the clock fixed at `now`), asserting it succeeded: (time, rows processed,
/// peak RSS in KiB).
#[allow(dead_code)] // each bench compiles this module; the import bench runs no job
pub fn run_job(
    url: &asn_eligibility::db::DatabaseUrl,
    job: asn_eligibility::jobs::Job,
    now: &str,
) -> (std::time::Duration, i64, u64) {
    use asn_eligibility::{audit::Actor, clock::Clock, db, jobs::Runner};
    use std::time::Duration;
    let settings = db::PoolSettings {
        max_size: 2,
        checkout_timeout: Duration::from_secs(10),
        busy_timeout: Duration::from_secs(10),
    };
    let runner = Runner {
        pool: db::build_pool(url, &settings).unwrap(),
        policy: std::sync::Arc::new(asn_eligibility::domain::policy::Policy::embedded_default()),
        metrics: asn_eligibility::metrics::Metrics::new(),
        clock: Clock::Fixed(now.parse().unwrap()),
        tz: chrono_tz::Asia::Jakarta,
        batch_size: std::env::var("BENCH_BATCH")
            .ok()
            .and_then(|b| b.parse().ok())
            .unwrap_or(asn_eligibility::config::DEFAULT_JOB_BATCH_SIZE),
    };
    reset_peak_rss();
    let started = std::time::Instant::now();
    let done = runner
        .run_now(job, "bench", &Actor::system("bench", None))
        .expect("run");
    let elapsed = started.elapsed();
    assert_eq!(done.outcome, "succeeded", "{:?}", done.error);
    (elapsed, done.processed, peak_rss_kib())
}
