//! `cargo bench --bench import`: a synthetic national register of N profiles (default
//! 4 500 000, `BENCH_N`) as CSV, loaded side by side in one run:
//! 1. `psql \copy` into a bare table with the same columns (the reference),
//! 2. `asn-eligibility`'s import into PostgreSQL (a scratch schema): the first is an initial
//!    load (the registry is empty), then the same file again (chunk by chunk, all unchanged),
//! 3. the same two imports into a temp SQLite file.
//!
//! Prints times, the ratio to `\copy`, and this process's peak RSS during each import.

use asn_eligibility::audit::Actor;
use asn_eligibility::db::{self, DatabaseUrl};
use asn_eligibility::gen_data::synthetic;
use asn_eligibility::service::snapshot::{import_path, Format, ImportReport};
use diesel::connection::SimpleConnection;
use std::io::Write;
use std::time::{Duration, Instant};

/// The allocator `asn-eligibility` itself runs with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Every load starts from the same state: no earlier load's dirty pages still being written.
fn checkpoint(url: &DatabaseUrl) {
    let mut conn = db::establish(url).expect("connect");
    let sql = match url.backend {
        db::Backend::Postgres => "CHECKPOINT",
        db::Backend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
    };
    conn.batch_execute(sql).expect("checkpoint");
}

fn timed_import(url: &DatabaseUrl, file: &std::path::Path) -> (Duration, f64, ImportReport) {
    checkpoint(url);
    let mut conn = db::establish(url).expect("connect");
    reset_peak_rss();
    let started = Instant::now();
    let now = chrono::Utc::now().naive_utc();
    let report =
        import_path(
            &mut conn,
            &Actor::system("bench", None),
            file,
            Format::Csv,
            now,
            asn_eligibility::service::outbox::Watch {
                policy: std::sync::Arc::new(
                    asn_eligibility::domain::policy::Policy::embedded_default(),
                ),
                tz: chrono_tz::Asia::Jakarta,
                today: now.date(),
            },
            |_| {},
        )
        .expect("import");
    (started.elapsed(), peak_rss_mib(), report)
}

fn main() {
    let n: u64 = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_500_000);
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("register.csv");
    let started = Instant::now();
    {
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&file).unwrap());
        writeln!(out, "{}", synthetic::COLUMNS).unwrap();
        for i in 0..n {
            writeln!(out, "{}", synthetic::csv_line(i)).unwrap();
        }
    }
    let size = std::fs::metadata(&file).unwrap().len();
    eprintln!(
        "generated {n} rows ({:.0} MiB) in {:.1} s",
        size as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );

    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin_conn =
        db::establish(&DatabaseUrl::parse(&admin).unwrap()).expect("PostgreSQL for the benchmark");
    let columns = "nip text, name text, agency_code text, agency_name text, unit text, rank text, position text, employment_type text, status text";
    admin_conn
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.bare ({columns}); \
             CREATE TABLE {schema}.indexed ({columns}, PRIMARY KEY (nip)); CREATE INDEX ON {schema}.indexed (agency_code);"
        ))
        .unwrap();
    let admin_url = DatabaseUrl::parse(&admin).unwrap();
    let psql_copy = |table: &str| {
        checkpoint(&admin_url);
        let started = Instant::now();
        let status = std::process::Command::new("psql")
            .arg(&admin)
            .arg("-q")
            .arg("-c")
            .arg(format!(
                "\\copy {schema}.{table} FROM '{}' WITH (FORMAT csv, HEADER)",
                file.display()
            ))
            .status()
            .expect("psql on PATH");
        assert!(status.success(), "psql \\copy failed");
        started.elapsed()
    };
    let copy = psql_copy("bare");
    let copy_indexed = psql_copy("indexed");

    let sep = if admin.contains('?') { '&' } else { '?' };
    let pg = DatabaseUrl::parse(&format!("{admin}{sep}options=-csearch_path%3D{schema}")).unwrap();
    db::migrate(&pg).unwrap();
    let (pg_time, pg_rss, pg_report) = timed_import(&pg, &file);
    assert_eq!(pg_report.inserted, n, "{pg_report:?}");
    let (pg_again, pg_again_rss, again) = timed_import(&pg, &file);
    assert_eq!(again.unchanged, n, "{again:?}");
    admin_conn
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();

    let sqlite = DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("bench.db").display()
    ))
    .unwrap();
    db::migrate(&sqlite).unwrap();
    let (sq_time, sq_rss, sq_report) = timed_import(&sqlite, &file);
    assert_eq!(sq_report.inserted, n);
    let (sq_again, sq_again_rss, _) = timed_import(&sqlite, &file);

    let row = |what: &str, t: Duration, rss: Option<f64>| {
        println!(
            "| {what} | {:.1} s | {:.0} rows/s | {:.2}× | {:.2}× | {} |",
            t.as_secs_f64(),
            n as f64 / t.as_secs_f64(),
            t.as_secs_f64() / copy.as_secs_f64(),
            t.as_secs_f64() / copy_indexed.as_secs_f64(),
            rss.map_or("—".to_string(), |r| format!("{r:.0} MiB"))
        )
    };
    println!("| {n} profiles, {:.0} MiB CSV | time | rate | vs `\\copy` bare | vs `\\copy` indexed | peak RSS |", size as f64 / 1048576.0);
    println!("|---|---|---|---|---|---|");
    row("`psql \\copy` into a bare table (reference)", copy, None);
    row(
        "`psql \\copy` into a table with `asn`'s two indexes",
        copy_indexed,
        None,
    );
    row("import into PostgreSQL", pg_time, Some(pg_rss));
    row(
        "same file again into PostgreSQL (all unchanged)",
        pg_again,
        Some(pg_again_rss),
    );
    row("import into SQLite", sq_time, Some(sq_rss));
    row(
        "same file again into SQLite (all unchanged)",
        sq_again,
        Some(sq_again_rss),
    );
}
