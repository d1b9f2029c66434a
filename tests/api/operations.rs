use crate::both;
use crate::helpers::{sanction, Backend, TestApp, NIP};
use asn_eligibility::config::{Settings, Source};
use asn_eligibility::startup::Application;
use serde_json::json;

both!(health_and_request_ids, |app| {
    let live = app
        .send(app.request(reqwest::Method::GET, "/health/live"))
        .await;
    assert_eq!(
        (live.status, live.body["status"].as_str()),
        (200, Some("ok"))
    );
    assert!(live.header("x-request-id").is_some_and(|id| id.len() >= 32));
    let ready = app
        .send(
            app.request(reqwest::Method::GET, "/health/ready")
                .header("X-Request-Id", "trace-42"),
        )
        .await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.header("x-request-id"), Some("trace-42"));
    let catalogue = app.get("/api/v1/catalogue").await;
    assert_eq!(catalogue.body["policy_version"], "2026-12-01.2");
    assert_eq!(
        catalogue.body["sanction_types"].as_array().unwrap().len(),
        25
    );
    assert_eq!(
        catalogue.body["rules"]["jpt_selection"]["lookback"][0]["years"],
        3
    );
});

both!(migrations_go_down_and_up_again, |app| {
    let url = asn_eligibility::db::DatabaseUrl::parse(&app.database_url).unwrap();
    asn_eligibility::db::redo_all(&url).expect("down and up");
    assert!(
        asn_eligibility::db::migrate(&url).unwrap().is_empty(),
        "nothing left to apply"
    );
});

/// A lost PostgreSQL connection is a 503, never SQL text; from then on callers get their 503
/// at once (with `Retry-After`) until the probe reaches the database again, and then 200.
#[tokio::test]
async fn a_lost_database_is_503_then_recovers() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        s.pool.max_size = 1;
        s.webhooks.poll_interval = std::time::Duration::from_secs(3600);
    })
    .await;
    app.upsert_profile(crate::helpers::NIP, "3315", "active")
        .await;
    app.kill_pg_connections();
    let path = format!("/api/v1/asn/{}", crate::helpers::NIP);
    let first = app.get(&path).await;
    assert_eq!((first.status, first.code()), (503, "service_unavailable"));
    assert_eq!(first.header("retry-after"), Some("1"));
    let text = first.body.to_string().to_lowercase();
    assert!(
        !text.contains("select") && !text.contains("terminat"),
        "{text}"
    );
    let mut statuses = vec![first.status];
    for _ in 0..200 {
        let r = app.get(&path).await;
        statuses.push(r.status);
        if r.status == 200 {
            break;
        }
        assert_eq!((r.status, r.code()), (503, "service_unavailable"));
        // Polling for the probe (every 250 ms), at most 5 s in all.
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        statuses.last(),
        Some(&200),
        "the probe finds the database again: {statuses:?}"
    );
    assert_eq!(app.get(&path).await.status, 200);
}

#[tokio::test]
async fn start_up_against_an_unreachable_database_is_one_clear_error() {
    let mut s = Settings::from_source(&Source::from_pairs([
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ("ASN_JWT_SECRET", crate::helpers::SECRET),
    ]))
    .unwrap();
    s.bind = "127.0.0.1:0".into();
    let err = Application::build(s).await.err().expect("start-up fails");
    let text = format!("{err:#}");
    assert!(
        text.contains("cannot use the database at postgres://nobody@127.0.0.1:1/none"),
        "{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
        .arg("migrate")
        .env(
            "DATABASE_URL",
            "postgresql://nobody:secret@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("asn-eligibility: cannot use the database"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secret") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    let generated = asn_eligibility::openapi::document();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test --test api openapi"
    );
}

#[tokio::test]
async fn the_served_openapi_document_lists_every_route() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = app
        .send(app.request(reqwest::Method::GET, "/openapi.json"))
        .await;
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/sanctions",
        "/api/v1/sanctions/{id}/lift",
        "/api/v1/asn/{nip}/eligibility",
        "/api/v1/eligibility/batch",
        "/api/v1/bkn/updates",
        "/health/ready",
    ] {
        assert!(paths.contains_key(p), "{p}");
    }
    assert_eq!(
        doc.body,
        serde_json::from_str::<serde_json::Value>(&asn_eligibility::openapi::document()).unwrap()
    );
}

#[test]
fn the_token_command_mints_a_token_the_service_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::helpers::cli_ok(
        std::process::Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
            .args([
                "token",
                "--scope",
                "registry:read",
                "--agency",
                "3315",
                "--ttl",
                "15m",
            ])
            .env("ASN_DATA_DIR", dir.path())
            .env_remove("ASN_JWT_SECRET"),
    );
    assert!(
        dir.path().join("jwt-secret").exists(),
        "a development secret was generated"
    );
    let token = String::from_utf8(out.stdout).unwrap();
    let secret = std::fs::read_to_string(dir.path().join("jwt-secret")).unwrap();
    let verifier = asn_eligibility::auth::Verifier::new(
        vec![asn_eligibility::auth::keys::hs256(secret.trim().as_bytes())],
        "asn-eligibility-dev".into(),
        "asn-eligibility".into(),
    );
    let who = verifier.verify(token.trim()).expect("valid");
    assert_eq!(who.agency.as_deref(), Some("3315"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
        .args(["token", "--scope", "root"])
        .env("ASN_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scope 'root'"));
}

/// An external writer holds the lock `asn` needs until the test lets go: the real way a
/// request comes to wait in the database.
struct HeldLock {
    release: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl HeldLock {
    fn take(app: &TestApp) -> HeldLock {
        use diesel::connection::SimpleConnection;
        let url = asn_eligibility::db::DatabaseUrl::parse(&app.database_url).unwrap();
        let sql = match app.backend {
            Backend::Postgres => "BEGIN; LOCK TABLE asn IN ACCESS EXCLUSIVE MODE;",
            Backend::Sqlite => "BEGIN IMMEDIATE;",
        };
        let (locked_tx, locked_rx) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut c = asn_eligibility::db::establish(&url).unwrap();
            c.batch_execute(sql).unwrap();
            locked_tx.send(()).unwrap();
            let _ = released.recv();
            c.batch_execute("COMMIT").unwrap();
        });
        locked_rx.recv().unwrap();
        HeldLock { release, thread }
    }

    fn release(self) {
        self.release.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

// With every pooled connection busy, a request waits `ASN_DB_TIMEOUT_MS`, then gets 503. The
// only connection is held by a write that waits on a lock the test holds: the second request
// is sent once the pool says the connection is in use, not after a head start.
both!(
    an_exhausted_pool_is_503,
    settings = |s| {
        s.pool.max_size = 1;
        s.pool.checkout_timeout = std::time::Duration::from_millis(300);
        s.pool.busy_timeout = std::time::Duration::from_secs(30);
        idle_worker(s);
    },
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let lock = HeldLock::take(&app);
        let body = sanction(NIP, "pool-1", "PP94_S1", "2026-10-01");
        let writer = app.record(&body);
        let second = async {
            for _ in 0..200 {
                if app.pool_connections("in_use").await == 1 {
                    return app.get(&format!("/api/v1/asn/{NIP}")).await;
                }
            }
            panic!("the writer never took the connection");
        };
        let release = async {
            let r = second.await;
            lock.release();
            r
        };
        let (first, second) = tokio::join!(writer, release);
        assert_eq!((second.status, second.code()), (503, "service_unavailable"));
        assert_eq!(
            first.status, 201,
            "the holder of the only connection finishes once the lock is gone: {:?}",
            first.body
        );
    }
);

// A SQLite writer waits `busy_timeout` for another writer's lock, then gets 503; nothing was
// written, and the same request succeeds once the lock is gone.
#[tokio::test]
async fn a_sqlite_lock_held_past_busy_timeout_is_503() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.pool.busy_timeout = std::time::Duration::from_millis(200);
    })
    .await;
    let lock = HeldLock::take(&app);
    let body = sanction(NIP, "busy-1", "PP94_S1", "2026-10-01");
    let r = app.record(&body).await;
    assert_eq!(
        (r.status, r.code()),
        (503, "service_unavailable"),
        "{:?}",
        r.body
    );
    assert!(
        !r.body.to_string().contains("locked"),
        "opaque: {:?}",
        r.body
    );
    lock.release();
    assert_eq!(app.get("/api/v1/sanctions").await.body["items"], json!([]));
    assert_eq!(app.record(&body).await.status, 201);
}

// A server copies its SQLite WAL back into the database file on a thread of its own: a write
// reaches the file within moments, not only once some commit passes SQLite's checkpoint
// threshold (and then inside that commit, which every request waiting on it waits for).
#[tokio::test]
async fn a_sqlite_write_reaches_the_database_file_off_the_request_path() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let number = "CHECKPOINT/7731/WAL/2026";
    let r = app
        .record(&sanction(NIP, number, "PP94_S1", "2026-10-01"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let file = app.database_url.trim_start_matches("sqlite://").to_string();
    let in_file = || {
        std::fs::read(&file)
            .expect("the database file")
            .windows(number.len())
            .any(|w| w == number.as_bytes())
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !in_file() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(in_file(), "the sanction is still only in {file}-wal");
}

both!(metrics_are_scraped_in_prometheus_text, |app| {
    use crate::helpers::{sanction, NIP};
    app.upsert_profile(NIP, "3315", "active").await;
    app.record(&sanction(NIP, "800/1/2026", "PP94_S3", "2026-10-01"))
        .await;
    let d = app.eligibility(NIP, "promotion", "2026-11-23").await;
    assert_eq!(d.body["outcome"], "ineligible");
    app.run_job("lift_expired").await;
    let r = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "no token needed");
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let checks = r#"asn_http_request_duration_seconds_count{method="GET",route="/api/v1/asn/{nip}/eligibility",status="200"}"#;
    assert_eq!(value(checks), 1.0);
    let created = r#"asn_http_request_duration_seconds_count{method="POST",route="/api/v1/sanctions",status="201"}"#;
    assert_eq!(value(created), 1.0);
    assert!(text.contains(r#"asn_http_request_duration_seconds_bucket{method="GET",route="/api/v1/asn/{nip}/eligibility",status="200",le="0.01"}"#));
    let decided = r#"asn_eligibility_decisions_total{outcome="ineligible",purpose="promotion"}"#;
    assert_eq!(value(decided), 1.0);
    // The one check, timed per stage: each stage observed once, and its time spent.
    for stage in ["load", "evaluate", "sign", "store"] {
        let count = format!(r#"asn_eligibility_check_stage_seconds_count{{stage="{stage}"}}"#);
        assert_eq!(value(&count), 1.0, "{stage}");
        let sum = format!(r#"asn_eligibility_check_stage_seconds_sum{{stage="{stage}"}}"#);
        assert!(value(&sum) > 0.0, "{stage} took no time");
    }
    assert_eq!(
        value(r#"asn_job_runs_total{job="lift_expired",outcome="succeeded"}"#),
        1.0
    );
    assert_eq!(value(r#"asn_webhook_deliveries{state="failed"}"#), 0.0);
    assert!(value(r#"asn_db_pool_connections{state="idle"}"#) >= 1.0);
    assert!(text.contains("asn_db_pool_waiting "));
});

use crate::outage::Outage;

// During an outage callers get their 503 at once — never after waiting ASN_DB_TIMEOUT_MS
// (3 s here) — and /health/ready answers within a second; when the network is back the
// service is too, and nothing written before is lost. (The proxy runs on the test's runtime,
// which must keep going while the server starts: a multi-threaded one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_answered_at_once_and_recovered_from() {
    let outage = Outage::start().await;
    let addr = outage.addr.clone();
    let app = TestApp::spawn_with(Backend::Postgres, move |s| {
        let target = s.database.target.replace("127.0.0.1:5432", &addr);
        s.database = asn_eligibility::db::DatabaseUrl::parse(&target).unwrap();
        s.webhooks.poll_interval = std::time::Duration::from_secs(3600);
    })
    .await;
    app.upsert_profile(NIP, "3315", "active").await;
    outage.cut();
    let path = format!("/api/v1/asn/{NIP}");
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let r = app.get(&path).await;
        assert_eq!((r.status, r.code()), (503, "service_unavailable"));
        assert!(
            started.elapsed() < std::time::Duration::from_millis(1500),
            "answered after {:?}",
            started.elapsed()
        );
    }
    let started = std::time::Instant::now();
    let ready = app
        .send(app.request(reqwest::Method::GET, "/health/ready"))
        .await;
    assert_eq!(ready.status, 503);
    assert!(started.elapsed() < std::time::Duration::from_millis(1500));
    outage.restore();
    let mut back = false;
    for _ in 0..200 {
        if app.get(&path).await.status == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(back, "the service recovers once the database is reachable");
    assert_eq!(
        app.get(&path).await.body["agency_code"],
        "3315",
        "nothing lost"
    );
}
