//! `TestApp`: the real server on port 0 against a fresh database (a temp SQLite file, or a
//! fresh PostgreSQL schema dropped afterwards), with a token minter and request helpers.

use asn_eligibility::auth::{mint, MintRequest};
use asn_eligibility::clock::Clock;
use asn_eligibility::config::{Settings, Source};
use asn_eligibility::startup::Application;
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;
use std::sync::Once;

pub const SECRET: &str = "test-secret-0123456789-0123456789-abcdef";
pub const ALL_SCOPES: &str =
    "sanctions:write registry:read eligibility:read bkn:push jobs:run webhooks:manage audit:read cases:write cases:read";
/// "Now" for every test: 2026-11-23 10:00 in Jakarta.
pub const NOW: &str = "2026-11-23T03:00:00Z";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn admin() -> PgConnection {
    PgConnection::establish(&admin_url()).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL tests need a server at {} (set TEST_DATABASE_URL): {e}. \
             Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            admin_url()
        )
    })
}

static SWEEP: Once = Once::new();

/// Drops test schemas left by runs that died more than two hours ago.
fn sweep_leftovers() {
    SWEEP.call_once(|| {
        let cutoff = Utc::now().timestamp() - 7200;
        let sql = format!(
            "DO $$ DECLARE s text; BEGIN FOR s IN SELECT nspname FROM pg_namespace \
             WHERE nspname ~ '^t_[0-9]+_' AND split_part(nspname, '_', 2)::bigint < {cutoff} \
             LOOP EXECUTE 'DROP SCHEMA ' || quote_ident(s) || ' CASCADE'; END LOOP; END $$;"
        );
        admin().batch_execute(&sql).expect("sweep old test schemas");
    });
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    pub schema: Option<String>,
    /// The settings the server runs with (for the deterministic hooks below).
    pub settings: Settings,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Set by tests that break the audit trail on purpose; otherwise dropping the app
    /// checks that the trail verifies.
    tampered: std::sync::atomic::AtomicBool,
    _dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The problem's stable `code`.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::spawn_inner(backend, None, tweak).await
    }

    /// A second instance on this one's database, its clock at `now`: two instances side by
    /// side, or the same service after days of downtime. Drop it before its elder.
    pub async fn sibling(&self, now: &str, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let clock = Clock::Fixed(now.parse::<DateTime<Utc>>().unwrap());
        // One deployment: the same data directory, so the same webhook secret key.
        let data_dir = self.settings.data_dir.clone();
        TestApp::spawn_inner(self.backend, Some(self.database_url.clone()), move |s| {
            s.clock = clock;
            s.data_dir = data_dir;
            tweak(s)
        })
        .await
    }

    async fn spawn_inner(
        backend: Backend,
        shared: Option<String>,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, schema) = match (backend, shared) {
            (_, Some(url)) => (url, None),
            (backend, None) => match backend {
                Backend::Sqlite => (
                    format!("sqlite://{}", dir.path().join("test.db").display()),
                    None,
                ),
                Backend::Postgres => {
                    sweep_leftovers();
                    let schema = format!(
                        "t_{}_{}",
                        Utc::now().timestamp(),
                        uuid::Uuid::new_v4().simple()
                    );
                    admin()
                        .batch_execute(&format!("CREATE SCHEMA {schema}"))
                        .expect("create test schema");
                    let sep = if admin_url().contains('?') { '&' } else { '?' };
                    (
                        format!(
                            "{}{sep}options=-csearch_path%3D{schema}&application_name={schema}",
                            admin_url()
                        ),
                        Some(schema),
                    )
                }
            },
        };
        let data_dir = dir.path().join("data").display().to_string();
        let mut settings = Settings::from_source(&Source::from_pairs([
            ("DATABASE_URL", database_url.as_str()),
            ("ASN_BIND", "127.0.0.1:0"),
            ("ASN_JWT_SECRET", SECRET),
            ("ASN_DATA_DIR", data_dir.as_str()),
            ("ASN_WORKERS", "2"),
            ("ASN_DB_POOL_SIZE", "4"),
            ("ASN_DB_TIMEOUT_MS", "3000"),
            // Test receivers listen on loopback; the worker looks for work every 50 ms.
            ("ASN_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8"),
            ("ASN_WEBHOOK_POLL_MS", "50"),
        ]))
        .expect("test settings");
        settings.clock = Clock::Fixed(NOW.parse::<DateTime<Utc>>().unwrap());
        tweak(&mut settings);
        let kept = settings.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match Application::build(settings).await {
                    Ok(app) => {
                        tx.send(Ok((app.port(), app.handle()))).unwrap();
                        app.run_until_stopped().await.unwrap();
                    }
                    Err(e) => tx.send(Err(format!("{e:#}"))).unwrap(),
                }
            })
        });
        let (port, handle) = rx
            .recv()
            .expect("server thread")
            .unwrap_or_else(|e| panic!("application failed to start: {e}"));
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            backend,
            database_url,
            schema,
            settings: kept,
            handle: Some(handle),
            thread: Some(thread),
            tampered: Default::default(),
            _dir: dir,
        }
    }

    pub fn token(&self, scope: &str) -> String {
        self.token_for(scope, None)
    }

    pub fn token_for(&self, scope: &str, agency: Option<&str>) -> String {
        let now = Utc::now().timestamp() as u64;
        mint(&MintRequest {
            secret: SECRET.as_bytes(),
            issuer: "asn-eligibility-dev",
            audience: "asn-eligibility",
            sub: "tester",
            scope,
            agency,
            ttl_secs: 3600,
            now_secs: now,
        })
        .unwrap()
    }

    /// Sends a request; the response is checked against the committed OpenAPI document
    /// (see `contract.rs`), and a response outside it fails the test.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let request = req.build().expect("a request");
        let (method, path) = (
            request.method().to_string(),
            request.url().path().to_string(),
        );
        let res = self.client.execute(request).await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if let Err(e) = crate::contract::check(&method, &path, status, content_type, &body) {
            panic!("contract: {e}");
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        let req = self
            .client
            .get(format!("{}{path}", self.address))
            .bearer_auth(self.token(ALL_SCOPES));
        self.send(req).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        let req = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(self.token(ALL_SCOPES))
            .json(body);
        self.send(req).await
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// A connection of its own to this test's database.
    pub fn conn(&self) -> asn_eligibility::db::AnyConnection {
        let url = asn_eligibility::db::DatabaseUrl::parse(&self.database_url).unwrap();
        asn_eligibility::db::establish(&url).expect("direct connection")
    }

    /// Runs SQL directly against this test's database (to tamper, or to look).
    pub fn sql(&self, sql: &str) {
        self.conn().batch_execute(sql).expect("direct SQL");
    }

    /// This test breaks the audit trail on purpose: do not check it when the app is dropped.
    pub fn tamper_with_audit_trail(&self) {
        self.tampered
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// A number from a query that selects one BIGINT column named `n`.
    pub fn count(&self, sql: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let url = asn_eligibility::db::DatabaseUrl::parse(&self.database_url).unwrap();
        let mut conn = asn_eligibility::db::establish(&url).expect("direct connection");
        diesel::sql_query(sql)
            .get_result::<N>(&mut conn)
            .expect("count query")
            .n
    }

    /// Starts a job run through the API and waits until it ends; returns the finished run.
    pub async fn run_job(&self, name: &str) -> Value {
        let started = self
            .post(&format!("/api/v1/jobs/{name}/run"), &serde_json::json!({}))
            .await;
        assert_eq!(started.status, 202, "{:?}", started.body);
        let id = started.body["run_id"].as_str().unwrap().to_string();
        self.wait_run(&id).await
    }

    pub async fn wait_run(&self, id: &str) -> Value {
        for _ in 0..400 {
            let run = self.get(&format!("/api/v1/jobs/runs/{id}")).await;
            if run.body["outcome"] != "running" {
                return run.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("job run {id} did not finish in 10 s");
    }

    /// A job runner on this test's database, as the server's scheduler has it: `fire` is
    /// exactly what the scheduler does when a job's time comes ("run now", no clock wait).
    pub fn runner(&self) -> asn_eligibility::jobs::Runner {
        let s = &self.settings;
        asn_eligibility::jobs::Runner {
            pool: self.pool(),
            policy: std::sync::Arc::new(asn_eligibility::startup::load_policy(s).unwrap()),
            metrics: asn_eligibility::metrics::Metrics::new(),
            clock: s.clock,
            tz: s.timezone,
            batch_size: s.job_batch_size,
        }
    }

    fn pool(&self) -> asn_eligibility::db::Pool {
        asn_eligibility::db::build_pool(&self.settings.database, &self.settings.pool)
            .expect("a pool on the test database")
    }

    /// Delivers every webhook that is due now, to the end ("drain now"): fans out every new
    /// change and sends every due delivery, with this server's settings and clock. With the
    /// server's own worker idle ([`idle_worker`]), what the receiver got afterwards is all
    /// there is to get.
    pub async fn drain_webhooks(&self) {
        let s = &self.settings;
        let sealer = asn_eligibility::webhooks::sealed::Sealer::load(
            s.webhooks.secret_key.as_deref(),
            &s.webhooks.previous_secret_keys,
            &s.data_dir,
        )
        .unwrap();
        let worker = asn_eligibility::webhooks::worker::Worker::new(
            self.pool(),
            s.webhooks.clone(),
            (s.clock, std::sync::Arc::new(sealer)),
            asn_eligibility::metrics::Metrics::new(),
        )
        .unwrap();
        worker.drain().await.expect("deliveries drain");
    }

    /// Ends every server connection to this test's PostgreSQL schema, as a restart would.
    pub fn kill_pg_connections(&self) {
        let schema = self.schema.as_ref().expect("PostgreSQL only");
        admin()
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'"
            ))
            .unwrap();
    }

    // ---- domain helpers ----

    pub async fn record(&self, body: &Value) -> Resp {
        self.post("/api/v1/sanctions", body).await
    }

    pub async fn upsert_profile(&self, nip: &str, agency: &str, status: &str) -> Resp {
        // Dated 2026-01-01, or now for a server whose clock is earlier (BKN events are never
        // dated in the future).
        let dated = "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let occurred_at = dated.min(self.settings.clock.now());
        let event = serde_json::json!({ "events": [{
            "event_id": format!("ev-{nip}-{status}-{}", uuid::Uuid::new_v4()), "nip": nip,
            "occurred_at": occurred_at, "type": "asn_upserted",
            "data": { "name": "Test Person", "agency_code": agency, "agency_name": "Pemkab Test",
                      "rank": "III/c", "position": "Analis", "employment_type": "PNS", "status": status } }]});
        let r = self.post("/api/v1/bkn/updates", &event).await;
        assert_eq!(r.body["results"][0]["outcome"], "applied", "{:?}", r.body);
        r
    }

    pub async fn eligibility(&self, nip: &str, purpose: &str, as_of: &str) -> Resp {
        self.get(&format!(
            "/api/v1/asn/{nip}/eligibility?purpose={purpose}&as_of={as_of}"
        ))
        .await
    }

    /// The server pool's connections in `state` (`idle`, `in_use`), as `/metrics` reports them.
    pub async fn pool_connections(&self, state: &str) -> i64 {
        let m = self
            .send(self.request(reqwest::Method::GET, "/metrics"))
            .await;
        let line = format!("asn_db_pool_connections{{state=\"{state}\"}}");
        m.body
            .as_str()
            .unwrap()
            .lines()
            .find(|l| l.starts_with(&line))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl TestApp {
    /// Stops the server and its background workers, keeping the database: a shutdown.
    pub fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            // Not on the test's own runtime: actix refuses a System inside it.
            let _ =
                std::thread::spawn(move || actix_web::rt::System::new().block_on(h.stop(false)))
                    .join();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        eprintln!(
            "contract: {} responses validated against openapi/openapi.json so far",
            crate::contract::VALIDATED.load(std::sync::atomic::Ordering::Relaxed)
        );
        if !std::thread::panicking() && !self.tampered.load(std::sync::atomic::Ordering::SeqCst) {
            let v = asn_eligibility::audit::verify(&mut self.conn()).expect("audit walk");
            assert!(
                v.ok,
                "the audit trail does not verify at the end of the test: {v:?}"
            );
        }
        if let Some(schema) = &self.schema {
            let _ = admin().batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

pub const NIP: &str = "198503302010011002";

/// The `code` of each reason of an eligibility decision, in order.
pub fn reason_codes(decision: &Value) -> Vec<&str> {
    decision["reasons"]
        .as_array()
        .expect("a decision has reasons")
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

/// The `type` of each event in a track record's timeline.
pub fn event_types(track_record: &Value) -> Vec<&str> {
    track_record["events"]
        .as_array()
        .expect("a track record has events")
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

/// A valid sanction body of api.md's example, with a decision number of the caller's. A
/// sanction in force before api.md's decree date gets a decree of its first day (a sanction
/// never takes effect before its decree).
pub fn sanction(nip: &str, number: &str, type_code: &str, effective_from: &str) -> Value {
    let (date, received) = if effective_from < "2024-03-01" {
        (effective_from, effective_from)
    } else {
        ("2024-03-01", "2024-03-04")
    };
    serde_json::json!({
        "nip": nip,
        "decision": { "number": number, "date": date, "received_date": received,
                      "issuer": "PPK", "issuer_agency": "3315", "legal_basis": "PP 94/2021 Pasal 8 ayat (3)" },
        "type": type_code,
        "violation": { "category": "neutrality", "description": "Attended a campaign", "reference": "LHP-1" },
        "effective_from": effective_from,
    })
}

/// The server's own delivery worker looks for work only after an hour: tests drive deliveries with
/// [`TestApp::drain_webhooks`] and nothing is sent behind their back.
pub fn idle_worker(s: &mut Settings) {
    s.webhooks.poll_interval = std::time::Duration::from_secs(3600);
}

/// Runs a test body on SQLite and on PostgreSQL: `name::sqlite` and `name::postgres`;
/// `settings = f` adjusts the settings of both servers.
#[macro_export]
macro_rules! both {
    ($name:ident, settings = $tweak:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::helpers::*;
            async fn body($app: TestApp) $body
            #[tokio::test]
            async fn sqlite() {
                body(TestApp::spawn_with(Backend::Sqlite, $tweak).await).await
            }
            #[tokio::test]
            async fn postgres() {
                body(TestApp::spawn_with(Backend::Postgres, $tweak).await).await
            }
        }
    };
    ($name:ident, |$app:ident| $body:block) => {
        $crate::both!($name, settings = |_| {}, |$app| $body);
    };
}

/// Runs the `asn-eligibility` binary; fails the test, showing its stderr, unless it succeeds.
pub fn cli_ok(command: &mut std::process::Command) -> std::process::Output {
    let out = command.output().expect("run asn-eligibility");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
