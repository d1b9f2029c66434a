use crate::both;
use crate::helpers::{Backend, TestApp, NIP};
use serde_json::json;

const LATER: &str = "2027-03-01T03:00:00Z";

both!(
    each_end_and_start_is_recorded_once_and_downtime_is_caught_up,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let mut a = sanction(NIP, "j-a", "PP94_S1", "2026-06-01"); // ends 2026-12-01
        a["decision"]["received_date"] = json!(null);
        app.record(&a).await;
        app.record(&sanction(NIP, "j-b", "PP94_S3", "2026-01-15"))
            .await; // ends 2027-01-15
        app.record(&sanction(NIP, "j-c", "PP94_S1", "2027-02-01"))
            .await; // starts later
        app.record(&sanction(NIP, "j-d", "PP94_B3", "2026-01-01"))
            .await; // never ends
                    // Nothing is due yet: starts and ends already past were marked when recorded.
        assert_eq!(app.run_job("lift_expired").await["processed"], 0);
        assert_eq!(app.run_job("activate_scheduled").await["processed"], 0);
        // Three months of downtime later, another instance catches up.
        let later = app.sibling(LATER, |_| {}).await;
        let run = later.run_job("lift_expired").await;
        assert_eq!(
            (run["outcome"].as_str(), run["processed"].as_i64()),
            (Some("succeeded"), Some(2)),
            "{run:?}"
        );
        assert_eq!(run["trigger"], "api");
        assert_eq!(
            later.run_job("lift_expired").await["processed"],
            0,
            "each end once"
        );
        assert_eq!(later.run_job("activate_scheduled").await["processed"], 1);
        assert_eq!(later.run_job("activate_scheduled").await["processed"], 0);
        let tr = later.get(&format!("/api/v1/asn/{NIP}/track-record")).await;
        let count = |t: &str| {
            tr.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["type"] == t)
                .count()
        };
        assert_eq!(
            (count("sanction.expired"), count("sanction.activated")),
            (2, 1)
        );
        let jobs = later.get("/api/v1/jobs").await;
        assert_eq!(jobs.body[0]["name"], "lift_expired");
        assert_eq!(jobs.body[0]["schedule"], "0 5 0 * * *");
        assert_eq!(jobs.body[0]["timezone"], "Asia/Jakarta");
        assert_eq!(jobs.body[0]["next_run"], "2027-03-01T17:05:00Z");
        assert_eq!(jobs.body[0]["last_run"]["processed"], 0);
        let runs = later
            .get("/api/v1/jobs/runs?job=activate_scheduled&limit=1")
            .await;
        assert_eq!(runs.body["items"].as_array().unwrap().len(), 1);
        assert!(runs.body["next_cursor"].is_string());
        assert_eq!(
            later.get("/api/v1/jobs/runs?job=nap").await.fields(),
            vec!["job"]
        );
        let unknown = later.post("/api/v1/jobs/nap/run", &json!({})).await;
        assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
        let no_scope = later
            .send(
                later
                    .request(reqwest::Method::GET, "/api/v1/jobs")
                    .bearer_auth(later.token("registry:read")),
            )
            .await;
        assert_eq!(no_scope.status, 403);
        drop(later);
    }
);

/// Inserts `n` sanctions that ended before `LATER` and whose end is not yet recorded.
fn seed_due(app: &TestApp, n: i64) {
    let rows = match app.backend {
        Backend::Postgres => format!(
            "INSERT INTO asn (nip, status, created_at, updated_at) VALUES ('{NIP}', 'active', now(), now()) ON CONFLICT DO NOTHING;
             INSERT INTO sanctions (id, nip, type_code, regime, kind, level, decision_number, decision_date, issuer,
               effective_from, effective_until, blocked_purposes, state, content_hash, recorded_at, recorded_by, updated_at, activated_at)
             SELECT 'due-' || lpad(i::text, 6, '0'), '{NIP}', 'PP94_S1', 'PP94_2021', 'disciplinary', 'moderate', 'D-' || i, DATE '2026-01-01', 'PPK',
               DATE '2026-06-01', DATE '2026-12-01', '[]', 'recorded', 'h', now(), 'seed', now(), now()
             FROM generate_series(1, {n}) AS i;"),
        Backend::Sqlite => format!(
            "INSERT OR IGNORE INTO asn (nip, status, created_at, updated_at) VALUES ('{NIP}', 'active', datetime('now'), datetime('now'));
             WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n})
             INSERT INTO sanctions (id, nip, type_code, regime, kind, level, decision_number, decision_date, issuer,
               effective_from, effective_until, blocked_purposes, state, content_hash, recorded_at, recorded_by, updated_at, activated_at)
             SELECT 'due-' || substr('000000' || i, -6), '{NIP}', 'PP94_S1', 'PP94_2021', 'disciplinary', 'moderate', 'D-' || i, '2026-01-01', 'PPK',
               '2026-06-01', '2026-12-01', '[]', 'recorded', 'h', datetime('now'), 'seed', datetime('now'), datetime('now')
             FROM g;"),
    };
    app.sql(&rows);
}

const EXPIRED_EVENTS: &str =
    "SELECT COUNT(*) AS n FROM asn_events WHERE event_type = 'sanction.expired'";
const DISTINCT_EXPIRED: &str =
    "SELECT COUNT(DISTINCT sanction_id) AS n FROM asn_events WHERE event_type = 'sanction.expired'";

both!(two_instances_running_at_once_record_each_end_once, |app| {
    seed_due(&app, 2000);
    let small_batches = |s: &mut asn_eligibility::config::Settings| s.job_batch_size = 50;
    let one = app.sibling(LATER, small_batches).await;
    let two = app.sibling(LATER, small_batches).await;
    let (a, b) = tokio::join!(one.run_job("lift_expired"), two.run_job("lift_expired"));
    assert_eq!(
        (a["outcome"].as_str(), b["outcome"].as_str()),
        (Some("succeeded"), Some("succeeded")),
        "{a:?} {b:?}"
    );
    let total = a["processed"].as_i64().unwrap() + b["processed"].as_i64().unwrap();
    assert_eq!(total, 2000, "{a:?} {b:?}");
    assert_eq!(app.count(EXPIRED_EVENTS), 2000);
    assert_eq!(app.count(DISTINCT_EXPIRED), 2000);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM sanctions WHERE expired_at IS NULL"),
        0
    );
    drop((one, two));
});

both!(an_interrupted_run_is_finished_by_the_next, |app| {
    seed_due(&app, 300);
    // A run that died after its first batch: its record says running and stops beating.
    let url = asn_eligibility::db::DatabaseUrl::parse(&app.database_url).unwrap();
    let mut conn = asn_eligibility::db::establish(&url).unwrap();
    let then = "2027-03-01T01:00:00".parse().unwrap();
    asn_eligibility::db::jobs::start(
        &mut conn,
        "01000000-dead-7000-8000-000000000000",
        "lift_expired",
        "schedule",
        then,
    )
    .unwrap();
    let watch = asn_eligibility::service::outbox::Watch {
        policy: std::sync::Arc::new(asn_eligibility::domain::policy::Policy::embedded_default()),
        tz: chrono_tz::Asia::Jakarta,
        today: "2027-03-01".parse().unwrap(),
    };
    let first = asn_eligibility::jobs::sanctions::run_batch(
        &mut conn,
        (
            asn_eligibility::jobs::Job::LiftExpired,
            &asn_eligibility::audit::Actor::system("scheduler", None),
        ),
        &watch,
        then,
        None,
        100,
    )
    .unwrap();
    assert_eq!(first.0, 100);
    drop(conn);
    let later = app.sibling(LATER, |_| {}).await;
    let runs = later.get("/api/v1/jobs/runs?job=lift_expired").await;
    assert_eq!(runs.body["items"][0]["outcome"], "interrupted");
    let run = later.run_job("lift_expired").await;
    assert_eq!(run["processed"], 200, "the rest, and only the rest");
    assert_eq!(app.count(EXPIRED_EVENTS), 300);
    assert_eq!(app.count(DISTINCT_EXPIRED), 300);
    drop(later);
});

// A failing scheduled run is recorded as `failed` and never stops the schedule: the next
// scheduled run goes on and does the work. `fire` is what the scheduler does when a job's
// time comes, so no test waits for a clock.
both!(the_scheduler_keeps_going_after_a_failed_run, |app| {
    seed_due(&app, 5);
    match app.backend {
        Backend::Sqlite => app.sql("CREATE TRIGGER no_expiry BEFORE UPDATE OF expired_at ON sanctions BEGIN SELECT RAISE(ABORT, 'injected'); END;"),
        Backend::Postgres => app.sql(
            "CREATE FUNCTION no_expiry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$;
             CREATE TRIGGER no_expiry BEFORE UPDATE OF expired_at ON sanctions FOR EACH ROW EXECUTE FUNCTION no_expiry();"),
    }
    let later = app.sibling(LATER, |_| {}).await;
    let scheduler = later.runner();
    for _ in 0..2 {
        let run = scheduler
            .fire(asn_eligibility::jobs::Job::LiftExpired)
            .await
            .expect("the run starts");
        assert_eq!((run.outcome, run.processed), ("failed", 0));
        assert!(run.error.unwrap().contains("internal"));
    }
    assert_eq!(app.count(EXPIRED_EVENTS), 0, "a failed batch wrote nothing");
    match app.backend {
        Backend::Sqlite => app.sql("DROP TRIGGER no_expiry"),
        Backend::Postgres => app.sql("DROP TRIGGER no_expiry ON sanctions"),
    }
    let run = scheduler
        .fire(asn_eligibility::jobs::Job::LiftExpired)
        .await
        .unwrap();
    assert_eq!((run.outcome, run.processed), ("succeeded", 5));
    let outcomes = |o: &str| {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM job_runs WHERE trigger = 'schedule' AND outcome = '{o}'"
        ))
    };
    assert_eq!((outcomes("failed"), outcomes("succeeded")), (2, 1));
    assert_eq!(app.count(EXPIRED_EVENTS), 5);
    drop(later);
});

// A sanction recorded after its end (back-dated) has its end in the timeline and the change
// feed at once, and exactly once: the job never records it again.
both!(a_back_dated_end_is_told_once, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let s = app
        .record(&sanction(NIP, "late-1", "PP94_S1", "2025-01-06"))
        .await;
    assert_eq!(s.body["status"], "expired");
    let feed = app
        .get(&format!("/api/v1/changes?nip={NIP}&type=sanction.expired"))
        .await;
    let items = feed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{:?}", feed.body);
    assert_eq!(items[0]["data"]["sanction_id"], s.body["id"]);
    assert_eq!(items[0]["data"]["effective_until"], "2025-07-06");
    assert_eq!(app.run_job("lift_expired").await["processed"], 0);
    assert_eq!(app.count(EXPIRED_EVENTS), 1);
});
