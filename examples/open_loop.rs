//! An open-loop load generator for `benches/http.sh`. wrk is closed-loop: each connection
//! waits for its answer before it asks again, so when the server stalls wrk slows down and
//! the stall hardly shows in its percentiles. Here requests leave on a fixed schedule
//! whatever the server answers, and each latency counts from the moment its request was
//! due, so queueing anywhere (here, in the kernel, in the server) is in the figures.
//!
//! ```text
//! RATE=1300 SECONDS=15 URL=http://127.0.0.1:18080 TOKEN=… NIPS=target/bench-http/nips.txt \
//!   target/release/examples/open_loop
//! ```
//! GETs `/api/v1/asn/{nip}/eligibility?purpose=promotion` for NIPs drawn from `NIPS` and
//! prints one line: `sent ok errors p50_ms p99_ms max_ms achieved_per_s`, over the requests
//! due after the first second (`WARMUP` seconds: while connections are being opened).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).map_err(|_| anyhow::anyhow!("open_loop needs {name}"))
}

/// Requests in flight at most; a request due while this many wait for answers waits for a
/// slot, and that wait counts in its latency.
const MAX_IN_FLIGHT: usize = 256;

// One thread: the generator takes as little of the server's two cores as it can.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let rate: f64 = env("RATE")?.parse()?;
    let seconds: f64 = env("SECONDS")?.parse()?;
    let base = env("URL")?;
    let token = env("TOKEN")?;
    let nips: Vec<String> = std::fs::read_to_string(env("NIPS")?)?
        .lines()
        .map(str::to_string)
        .collect();
    anyhow::ensure!(
        rate > 0.0 && seconds > 0.0,
        "RATE and SECONDS must be positive"
    );
    anyhow::ensure!(!nips.is_empty(), "NIPS is empty");
    let purpose = std::env::var("PURPOSE").unwrap_or_else(|_| "promotion".into());
    let warmup: f64 = std::env::var("WARMUP").map_or(Ok(1.0), |w| w.parse())?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .timeout(Duration::from_secs(30))
        .build()?;
    let period = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * (warmup + seconds)).round() as u64;
    let counted_from = (rate * warmup).round() as u64;
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let results: Arc<Mutex<Vec<(bool, Duration)>>> =
        Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let nip = &nips[(seed % nips.len() as u64) as usize];
        let url = format!("{base}/api/v1/asn/{nip}/eligibility?purpose={purpose}");
        let (client, token, slots, results) = (
            client.clone(),
            token.clone(),
            slots.clone(),
            results.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.expect("never closed");
            let answered = client.get(url).bearer_auth(token).send().await;
            let ok = match answered {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            let took = due.elapsed();
            if i >= counted_from {
                results.lock().expect("not poisoned").push((ok, took));
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = start.elapsed().as_secs_f64() - warmup;
    let mut all = std::mem::take(&mut *results.lock().expect("not poisoned"));
    let errors = all.iter().filter(|(ok, _)| !ok).count();
    all.sort_by_key(|(_, took)| *took);
    let at = |q: f64| {
        let i = ((all.len() as f64 * q).ceil() as usize).clamp(1, all.len()) - 1;
        all[i].1.as_secs_f64() * 1000.0
    };
    println!(
        "{} {} {} {:.2} {:.2} {:.2} {:.0}",
        all.len(),
        all.len() - errors,
        errors,
        at(0.50),
        at(0.99),
        at(1.0),
        all.len() as f64 / elapsed
    );
    Ok(())
}
