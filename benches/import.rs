//! `cargo bench --bench import`: a synthetic national register of N profiles (default
//! 4 500 000, `BENCH_N`) as CSV, loaded side by side in one run:
//! 1. `BENCH_ROUNDS` (default 3) rounds of: `psql \copy` into a bare table with the same
//!    columns (the reference), then `asn-eligibility`'s initial load (the registry empty)
//!    into a fresh PostgreSQL schema; each load after a `CHECKPOINT`, on the same cluster
//!    with the same WAL settings. The target compares the medians: ≤ 1.5× the bare `\copy`.
//! 2. `\copy` into a table with `asn`'s two indexes; `\copy` of the loaded `asn`'s own rows in
//!    binary with FREEZE into a table made in the same transaction, no index (the server's
//!    part of a load, as a floor); and the same file imported again into the loaded registry
//!    (chunk by chunk, all unchanged),
//! 3. the same two imports into a temp SQLite file.
//!
//! Prints times, the ratio to `\copy`, this process's peak RSS during each import, and the
//! target with pass/fail (exit 1 on a miss).

#[path = "support/mod.rs"]
mod support;
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
    support::peak_rss_kib() as f64 / 1024.0
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
    support::reset_peak_rss();
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

    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
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
    // psql with these commands, in one transaction.
    let psql = |commands: &[String]| {
        let mut cmd = std::process::Command::new("psql");
        cmd.arg(&admin).arg("-q").arg("-1");
        for c in commands {
            cmd.arg("-c").arg(c);
        }
        assert!(cmd.status().expect("psql on PATH").success(), "psql failed");
    };
    let psql_copy = |table: &str| {
        checkpoint(&admin_url);
        let started = Instant::now();
        psql(&[format!(
            "\\copy {schema}.{table} FROM '{}' WITH (FORMAT csv, HEADER)",
            file.display()
        )]);
        started.elapsed()
    };
    let sep = if admin.contains('?') { '&' } else { '?' };
    let registry = |name: &str| {
        DatabaseUrl::parse(&format!("{admin}{sep}options=-csearch_path%3D{name}")).unwrap()
    };
    // Side by side, `rounds` times: the bare \copy, then our initial load into a fresh schema.
    let (mut copies, mut loads, mut load_rss) = (Vec::new(), Vec::new(), 0f64);
    let mut loaded = None;
    for round in 0..rounds {
        admin_conn
            .batch_execute(&format!("TRUNCATE {schema}.bare"))
            .unwrap();
        copies.push(psql_copy("bare"));
        let name = format!("{schema}_r{round}");
        admin_conn
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap();
        let pg = registry(&name);
        db::migrate(&pg).unwrap();
        let (t, rss, report) = timed_import(&pg, &file);
        assert_eq!(report.inserted, n, "{report:?}");
        eprintln!(
            "round {}: \\copy {:.1} s, initial load {:.1} s ({:.2}×: {})",
            round + 1,
            copies[round].as_secs_f64(),
            t.as_secs_f64(),
            t.as_secs_f64() / copies[round].as_secs_f64(),
            report.phase_summary()
        );
        loads.push(t);
        load_rss = load_rss.max(rss);
        // The last round's registry stays for the import of the same file again.
        if let Some(earlier) = loaded.replace(name) {
            admin_conn
                .batch_execute(&format!("DROP SCHEMA {earlier} CASCADE"))
                .unwrap();
        }
    }
    let median = |list: &[Duration]| {
        let mut sorted = list.to_vec();
        sorted.sort();
        sorted[sorted.len() / 2]
    };
    let (copy, pg_time) = (median(&copies), median(&loads));
    let copy_indexed = psql_copy("indexed");
    let last = loaded.expect("at least one round");
    // The server's own part of the load, as a floor: the rows as `asn` holds them, in binary
    // (nothing to parse), COPY FREEZE into a table created in the same transaction, no index.
    let binary = dir.path().join("asn.bin");
    let typed = "nip, name, agency_code, agency_name, unit, rank, position, employment_type, \
                 status, status_since, created_at, updated_at";
    psql(&[format!(
        "\\copy (SELECT {typed} FROM {last}.asn) TO '{}' WITH (FORMAT binary)",
        binary.display()
    )]);
    checkpoint(&admin_url);
    let started = Instant::now();
    psql(&[
        format!("CREATE TABLE {schema}.frozen (LIKE {last}.asn)"),
        format!(
            "\\copy {schema}.frozen ({typed}) FROM '{}' WITH (FORMAT binary, FREEZE)",
            binary.display()
        ),
    ]);
    let copy_binary = started.elapsed();
    let (pg_again, pg_again_rss, again) = timed_import(&registry(&last), &file);
    assert_eq!(again.unchanged, n, "{again:?}");
    admin_conn
        .batch_execute(&format!(
            "DROP SCHEMA {last} CASCADE; DROP SCHEMA {schema} CASCADE"
        ))
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
    let seconds = |list: &[Duration]| {
        list.iter()
            .map(|t| format!("{:.1}", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("| {n} profiles, {:.0} MiB CSV | time | rate | vs `\\copy` bare | vs `\\copy` indexed | peak RSS |", size as f64 / 1048576.0);
    println!("|---|---|---|---|---|---|");
    row(
        &format!(
            "`psql \\copy` into a bare table (reference; median of {}: {} s)",
            copies.len(),
            seconds(&copies)
        ),
        copy,
        None,
    );
    row(
        "`psql \\copy` into a table with `asn`'s two indexes",
        copy_indexed,
        None,
    );
    row(
        "`psql \\copy` of `asn`'s own rows in binary, FREEZE, no index (the server's part)",
        copy_binary,
        None,
    );
    row(
        &format!(
            "initial load into PostgreSQL (median of {}: {} s)",
            loads.len(),
            seconds(&loads)
        ),
        pg_time,
        Some(load_rss),
    );
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
    let ratio = pg_time.as_secs_f64() / copy.as_secs_f64();
    let ok = ratio <= 1.5;
    println!();
    println!(
        "target: initial load ≤ 1.5× the bare `\\copy` (medians): {ratio:.2}× — {}",
        if ok { "pass" } else { "FAIL" }
    );
    if !ok {
        std::process::exit(1);
    }
}
