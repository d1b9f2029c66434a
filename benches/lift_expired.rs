//! `cargo bench --bench lift_expired`: `lift_expired` over N due sanctions (default 100 000,
//! `BENCH_N`), on PostgreSQL (`BENCH_DATABASE_URL`, default the local server, in a scratch
//! schema) and on a temp SQLite file. Prints time, rate and peak RSS of the run; a second,
//! ten times smaller run shows whether memory grows with N.

#[path = "support/mod.rs"]
mod support;
use asn_eligibility::db::{self, DatabaseUrl};
use asn_eligibility::jobs::Job;
use diesel::connection::SimpleConnection;
use std::time::Duration;

const NIP: &str = "198503302010011002";

fn seed_sql(postgres: bool, n: usize) -> String {
    let (now, rows) = if postgres {
        ("now()", format!("generate_series(1, {n}) AS i"))
    } else {
        ("datetime('now')", "g".to_string())
    };
    let with = if postgres {
        String::new()
    } else {
        format!("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) ")
    };
    format!(
        "INSERT INTO asn (nip, status, created_at, updated_at) VALUES ('{NIP}', 'active', {now}, {now});
         {with}INSERT INTO sanctions (id, nip, type_code, regime, kind, level, decision_number, decision_date, issuer,
           effective_from, effective_until, blocked_purposes, state, content_hash, recorded_at, recorded_by, updated_at, activated_at)
         SELECT 'due-' || i, '{NIP}', 'PP94_S1', 'PP94_2021', 'disciplinary', 'moderate', 'D-' || i, '2026-01-01', 'PPK',
           '2026-06-01', '2026-12-01', '[]', 'recorded', 'h', {now}, 'seed', {now}, {now} FROM {rows};"
    )
}

fn run(url: &DatabaseUrl, n: usize) -> (Duration, i64, u64) {
    db::migrate(url).expect("migrate");
    let postgres = url.backend == db::Backend::Postgres;
    db::establish(url)
        .unwrap()
        .batch_execute(&seed_sql(postgres, n))
        .expect("seed");
    support::run_job(url, Job::LiftExpired, "2027-03-01T03:00:00Z")
}

fn report(backend: &str, n: usize, (t, processed, rss): (Duration, i64, u64)) {
    assert_eq!(processed as usize, n);
    println!(
        "| {backend} | {n} | {:.2} s | {:.0} sanctions/s | {:.1} MiB |",
        t.as_secs_f64(),
        n as f64 / t.as_secs_f64(),
        rss as f64 / 1024.0
    );
}

fn main() {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    println!("| backend | due sanctions | lift_expired | rate | peak RSS during the run |");
    println!("|---|---|---|---|---|");
    for size in [n / 10, n] {
        let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = db::establish(&DatabaseUrl::parse(&admin).unwrap())
            .expect("PostgreSQL for the benchmark");
        conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url =
            DatabaseUrl::parse(&format!("{admin}{sep}options=-csearch_path%3D{schema}")).unwrap();
        let result = run(&url, size);
        conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
        report("PostgreSQL", size, result);
    }
    for size in [n / 10, n] {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ))
        .unwrap();
        report("SQLite", size, run(&url, size));
    }
}
