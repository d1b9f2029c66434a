//! `cargo bench --bench cases`: the follow-up statistics over N generated neutrality cases
//! (default 100 000, `BENCH_N`; a realistic mix, `gen_data::cases`), and the
//! `case_deadlines` job over N open cases whose deadline has passed (every one told once),
//! with a run ten times smaller beside it to show memory does not grow with N. On
//! PostgreSQL (`BENCH_DATABASE_URL`, default the local server, a scratch schema) and on a
//! temp SQLite file (`BENCH_BACKENDS=SQLite` runs one). Prints each figure with its target
//! and pass/fail.

#[path = "support/mod.rs"]
mod support;
use asn_eligibility::db::{self, cases::GroupBy, DatabaseUrl};
use asn_eligibility::domain::policy::Policy;
use asn_eligibility::jobs::Job;
use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use std::time::{Duration, Instant};

/// The allocator `asn-eligibility` itself runs with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: &str = "2026-12-01T03:00:00Z";
/// The cases are about this many people of the synthetic register (100 000 cases: one in two
/// has one; Pilkada 2020 had 2 000 cases among 4.5 million).
const PEOPLE: u64 = 200_000;

fn fresh(url: &DatabaseUrl, n: u64, open_only: bool) {
    db::migrate(url).expect("migrate");
    let mut conn = db::establish(url).unwrap();
    let policy = Policy::embedded_default();
    let now = NOW
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .naive_utc();
    // The people the cases are about (the events of a case go on their timelines).
    let people: Vec<_> = (0..PEOPLE)
        .map(|i| asn_eligibility::gen_data::profile(42, i, now))
        .collect();
    for chunk in people.chunks(5000) {
        db::asn::insert_new(&mut conn, chunk).expect("people");
    }
    asn_eligibility::gen_data::cases::generate(
        &mut conn,
        &policy,
        (42, PEOPLE, n, open_only),
        now,
        |_| {},
    )
    .expect("generate cases");
    conn.batch_execute("ANALYZE").unwrap();
}

/// The median of seven runs of the statistics, grouped by agency and by conduct.
fn stats(url: &DatabaseUrl) -> (Duration, Duration, usize) {
    let mut conn = db::establish(url).unwrap();
    let period = (
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    );
    let mut time = |g: GroupBy| {
        let mut runs: Vec<(Duration, usize)> = (0..7)
            .map(|_| {
                let t = Instant::now();
                let rows = db::cases::stats(&mut conn, period, g).unwrap();
                (t.elapsed(), rows.len())
            })
            .collect();
        runs.sort();
        runs[3]
    };
    let (agency, groups) = time(GroupBy::Agency);
    let (conduct, _) = time(GroupBy::Conduct);
    (agency, conduct, groups)
}

fn deadlines(url: &DatabaseUrl) -> (Duration, i64, u64) {
    support::run_job(url, Job::CaseDeadlines, NOW)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "FAIL"
    }
}

fn main() {
    let n: u64 = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let databases = |label: &str| -> (DatabaseUrl, Box<dyn FnOnce()>) {
        if label == "SQLite" {
            let dir = tempfile::tempdir().unwrap();
            let url = DatabaseUrl::parse(&format!(
                "sqlite://{}",
                dir.path().join("cases.db").display()
            ))
            .unwrap();
            return (url, Box::new(move || drop(dir)));
        }
        let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let admin_url = DatabaseUrl::parse(&admin).unwrap();
        db::establish(&admin_url)
            .expect("PostgreSQL for the benchmark")
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url =
            DatabaseUrl::parse(&format!("{admin}{sep}options=-csearch_path%3D{schema}")).unwrap();
        (
            url,
            Box::new(move || {
                if let Ok(mut c) = db::establish(&admin_url) {
                    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
                }
            }),
        )
    };
    println!("| backend | what | N | time | target | result | peak RSS |");
    println!("|---|---|---|---|---|---|---|");
    let mut failed = false;
    // `BENCH_BACKENDS=SQLite` (or `PostgreSQL`) runs one.
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_default();
    for backend in ["PostgreSQL", "SQLite"] {
        if !only.is_empty() && !only.split(',').any(|b| b.trim() == backend) {
            continue;
        }
        let (url, drop_it) = databases(backend);
        fresh(&url, n, false);
        let (agency, conduct, groups) = stats(&url);
        for (what, t) in [
            (format!("stats by agency ({groups} groups)"), agency),
            ("stats by conduct".into(), conduct),
        ] {
            let ok = t <= Duration::from_millis(200);
            failed |= !ok;
            println!(
                "| {backend} | {what} | {n} cases | {:.0} ms | ≤ 200 ms | {} | — |",
                t.as_secs_f64() * 1000.0,
                verdict(ok)
            );
        }
        drop_it();
        for size in [n / 10, n] {
            let (url, drop_it) = databases(backend);
            fresh(&url, size, true);
            let (t, processed, rss) = deadlines(&url);
            assert_eq!(processed as u64, size, "every missed deadline told once");
            let ok = size < n || t <= Duration::from_secs(10);
            failed |= !ok;
            println!(
                "| {backend} | case_deadlines | {size} open, overdue | {:.2} s | {} | {} | {:.1} MiB |",
                t.as_secs_f64(),
                if size < n { "—" } else { "≤ 10 s" },
                if size < n { "—" } else { verdict(ok) },
                rss as f64 / 1024.0
            );
            drop_it();
        }
    }
    if failed {
        std::process::exit(1);
    }
}
