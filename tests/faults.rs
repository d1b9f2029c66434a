//! Faults with the real binary: `kill -9` under concurrent writes, then a restart on the same
//! database — every acknowledged write is there, none twice, and the audit chain verifies —
//! on both backends; two instances on one PostgreSQL answering the same writes at once;
//! PostgreSQL lost under load (every connection cut, new ones refused) and back; hostile
//! input (control characters, oversize values and bodies, forged tokens) on every write route;
//! and commands that exit cleanly.
//!
//! Small by default (CI); `FAULT_ROUNDS=10 FAULT_WRITERS=8 cargo test --release --test faults`
//! is the full run the README documents.

#[path = "support/outage.rs"]
mod outage;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "fault-secret-0123456789-0123456789-abcdef";
const NIP: &str = "198503302010011002";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database: a SQLite file in `dir`, or a new PostgreSQL schema.
fn database(postgres: bool, dir: &std::path::Path) -> String {
    if !postgres {
        return format!("sqlite://{}", dir.join("faults.db").display());
    }
    let schema = format!(
        "t_{}_{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple()
    );
    PgConnection::establish(&admin_url())
        .expect("PostgreSQL for the fault suite")
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    format!("{}?options=-csearch_path%3D{schema}", admin_url())
}

/// The binary, serving `url`; its port read from its own log line.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(url: &str, data_dir: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("ASN_BIND", "127.0.0.1:0")
            .env("ASN_DATA_DIR", data_dir)
            .env("ASN_JWT_SECRET", SECRET)
            .env("ASN_WEBHOOK_POLL_MS", "3600000")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if let Some(port) = v["fields"]["port"].as_u64() {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the binary logs its port");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `kill -9`: no shutdown, no flush.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token() -> String {
    let now = chrono::Utc::now().timestamp() as u64;
    asn_eligibility::auth::mint(&asn_eligibility::auth::MintRequest {
        secret: SECRET.as_bytes(),
        issuer: "asn-eligibility-dev",
        audience: "asn-eligibility",
        sub: "faults",
        scope: "sanctions:write registry:read audit:read jobs:run",
        agency: None,
        ttl_secs: 3600,
        now_secs: now,
    })
    .unwrap()
}

fn sanction(number: &str) -> Value {
    json!({ "nip": NIP, "type": "PP94_S1", "effective_from": "2026-10-01",
            "decision": { "number": number, "date": "2026-10-01", "issuer": "PPK", "issuer_agency": "3315" } })
}

/// `GET url` with the token, as JSON.
async fn get_json(client: &reqwest::Client, url: String, token: &str) -> Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every decision number recorded for the NIP (each listed once per row).
async fn recorded(client: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let mut numbers = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = format!("{base}/api/v1/sanctions?nip={NIP}&limit=500&cursor={cursor}");
        let page = get_json(client, url, token).await;
        for item in page["items"].as_array().unwrap() {
            numbers.push(item["decision"]["number"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return numbers,
        }
    }
}

/// Writers recording sanctions as fast as they can against `base`, each decision numbered
/// `{tag}/{writer}/{n}`: `201` is acknowledged, `503` counted (and retried after 20 ms), any
/// other answer fails the test; a connection error means the server is gone, and the writer
/// stops — as it does when `stop` is set.
struct Writers {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    unavailable: Arc<std::sync::atomic::AtomicUsize>,
}

impl Writers {
    fn start(n: usize, base: &str, tag: &str, acked: &Arc<Mutex<BTreeSet<String>>>) -> Writers {
        let (client, token) = (reqwest::Client::new(), token());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let unavailable = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks = (0..n)
            .map(|w| {
                let (client, token, base) = (client.clone(), token.clone(), base.to_string());
                let (acked, stop, unavailable) = (acked.clone(), stop.clone(), unavailable.clone());
                let tag = tag.to_string();
                tokio::spawn(async move {
                    let mut i = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let number = format!("{tag}/{w}/{i}");
                        i += 1;
                        let sent = client
                            .post(format!("{base}/api/v1/sanctions"))
                            .bearer_auth(&token)
                            .json(&sanction(&number))
                            .send()
                            .await;
                        match sent.map(|r| r.status().as_u16()) {
                            Ok(201) => {
                                acked.lock().unwrap().insert(number);
                            }
                            Ok(503) => {
                                unavailable.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(20)).await;
                            }
                            Ok(other) => panic!("{number}: {other}"),
                            Err(_) => break, // the server is gone
                        }
                    }
                })
            })
            .collect();
        Writers {
            tasks,
            stop,
            unavailable,
        }
    }

    /// Stops them; how many answers were `503`.
    async fn stop(self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        self.unavailable.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Writers record sanctions as fast as they can; the server is killed mid-flight, then
/// started again: every acknowledged sanction is there exactly once, and the chain verifies.
async fn kill_nine_under_writes(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let url = database(postgres, dir.path());
    let (rounds, writers) = (env_or("FAULT_ROUNDS", 2), env_or("FAULT_WRITERS", 4));
    let (client, token) = (reqwest::Client::new(), token());
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    for round in 0..rounds {
        let server = Server::start(&url, &dir.path().join("data"));
        let running = Writers::start(writers, &server.base, &format!("K/{round}"), &acked);
        tokio::time::sleep(Duration::from_millis(400)).await;
        server.kill();
        running.stop().await;
    }
    let server = Server::start(&url, &dir.path().join("data"));
    let stored = recorded(&client, &server.base, &token).await;
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no sanction twice");
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= rounds,
        "writes were acknowledged: {}",
        acked.len()
    );
    for number in acked.iter() {
        assert!(unique.contains(number), "acknowledged {number} is lost");
    }
    let verify = get_json(
        &client,
        format!("{}/api/v1/audit/verify", server.base),
        &token,
    )
    .await;
    assert_eq!(verify["ok"], true, "{verify}");
    eprintln!(
        "kill -9 ({}): {} rounds, {} acknowledged, {} stored, chain of {} verified",
        if postgres { "postgres" } else { "sqlite" },
        rounds,
        acked.len(),
        stored.len(),
        verify["events_checked"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_under_writes_sqlite() {
    kill_nine_under_writes(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_under_writes_postgres() {
    kill_nine_under_writes(true).await
}

/// A command that does its work and exits opens no connection behind it: with a pool that
/// kept one in reserve, a third of `console-link` runs against PostgreSQL crashed as the
/// process exited (OpenSSL's exit-time cleanup under libpq's TLS handshake on r2d2's thread).
#[test]
fn commands_exit_cleanly_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(true, dir.path());
    for run in 0..20 {
        let out = Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
            .arg("console-link")
            .env("DATABASE_URL", &url)
            .env("ASN_DATA_DIR", dir.path().join("data"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "console-link run {run}: {:?}, {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Two instances on one PostgreSQL database take the same decisions at once: each is
/// recorded once (the second answer is `200` with the same sanction), and a job run on both
/// at once records each end once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(true, dir.path());
    let (a, b) = (
        Server::start(&url, &dir.path().join("data")),
        Server::start(&url, &dir.path().join("data")),
    );
    let (client, token) = (reqwest::Client::new(), token());
    let n = env_or("FAULT_DECISIONS", 50);
    let send = |base: String, number: String| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            client
                .post(format!("{base}/api/v1/sanctions"))
                .bearer_auth(&token)
                .json(&sanction(&number))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut statuses = Vec::new();
    for i in 0..n {
        let number = format!("T/{i}");
        let (x, y) = tokio::join!(
            send(a.base.clone(), number.clone()),
            send(b.base.clone(), number)
        );
        statuses.push((x, y));
    }
    for (x, y) in &statuses {
        assert!(
            matches!((x, y), (201, 200) | (200, 201)),
            "one records, the other answers with it: {statuses:?}"
        );
    }
    let stored = recorded(&client, &a.base, &token).await;
    assert_eq!(stored.len(), n, "each decision once");
    drop((a, b));
}

/// PostgreSQL lost under load and back: while the database is gone writers get `503` (never
/// `500`), once it is back they are served again, and every acknowledged write is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lost_under_load_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let direct = database(true, dir.path());
    let proxy = outage::Outage::start().await;
    let url = direct.replace("127.0.0.1:5432", &proxy.addr);
    let server = Server::start(&url, &dir.path().join("data"));
    let (client, token) = (reqwest::Client::new(), token());
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let writers = env_or("FAULT_WRITERS", 4);
    let running = Writers::start(writers, &server.base, "O", &acked);
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let during = acked.lock().unwrap().len();
    proxy.restore();
    let mut recovered = false;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        if acked.lock().unwrap().len() > during + writers {
            recovered = true;
            break;
        }
    }
    let unavailable = running.stop().await;
    assert!(
        recovered,
        "writes are served again once the database is back"
    );
    assert!(unavailable > 0, "the outage was seen");
    let stored: HashSet<String> = recorded(&client, &server.base, &token)
        .await
        .into_iter()
        .collect();
    let acked = acked.lock().unwrap().clone();
    for number in &acked {
        assert!(stored.contains(number), "acknowledged {number} is lost");
    }
    eprintln!(
        "postgres lost under load: {} acknowledged, {} answered 503 during the outage, 0 lost",
        acked.len(),
        unavailable
    );
}

/// Hostile input against the real binary, on every write route of the committed document:
/// control characters, oversize strings and bodies, forged tokens. Every answer is a 4xx
/// problem, never a 5xx, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_on_every_write_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&database(false, dir.path()), &dir.path().join("data"));
    let doc: Value = serde_json::from_str(include_str!("../openapi/openapi.json")).unwrap();
    let client = reqwest::Client::new();
    let all = {
        let now = chrono::Utc::now().timestamp() as u64;
        asn_eligibility::auth::mint(&asn_eligibility::auth::MintRequest {
            secret: SECRET.as_bytes(),
            issuer: "asn-eligibility-dev",
            audience: "asn-eligibility",
            sub: "hostile",
            scope: "sanctions:write registry:read eligibility:read bkn:push jobs:run webhooks:manage audit:read",
            agency: None,
            ttl_secs: 3600,
            now_secs: now,
        })
        .unwrap()
    };
    let nul = "a\u{0}b";
    let long = "x".repeat(20_000);
    let bodies = [
        json!({ "nip": nul, "url": nul, "reason": nul, "events": [{ "event_id": nul, "nip": NIP, "type": "asn_upserted",
                "occurred_at": "2026-01-01T00:00:00Z", "data": { "name": nul } }],
                "decision": { "number": nul, "date": "2026-01-01", "issuer": "PPK" }, "type": "PP94_S1" }),
        json!({ "nip": long, "url": long, "reason": long, "events": [{ "event_id": long }],
                "decision": { "number": long, "date": "2026-01-01", "issuer": long }, "type": long,
                "violation": { "description": "d".repeat(20_000) } }),
    ];
    let forged = [
        "not.a.jwt".to_string(),
        format!("{}.e30.", "eyJhbGciOiJub25lIn0"),
        all.rsplit_once('.')
            .map(|(h, _)| format!("{h}.AAAA"))
            .unwrap(),
    ];
    let mut answers = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/api/v1") {
            continue;
        }
        for method in item.as_object().unwrap().keys().filter(|m| *m != "get") {
            let path = template.replace("{nip}", NIP).replace(['{', '}'], "");
            let url = format!("{}{path}", server.base);
            let m: reqwest::Method = method.to_uppercase().parse().unwrap();
            let mut check = |status: u16, what: &str| {
                answers += 1;
                assert!(
                    (400..500).contains(&status),
                    "{method} {template} {what}: {status}"
                );
            };
            for body in &bodies {
                let r = client
                    .request(m.clone(), &url)
                    .bearer_auth(&all)
                    .json(body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                // A BKN batch answers 200 with each event rejected on its own.
                if status == 200 && template.ends_with("/bkn/updates") {
                    let v: Value = r.json().await.unwrap();
                    assert!(v["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|e| e["outcome"] == "rejected"));
                    continue;
                }
                if status == 200 && template.ends_with("/eligibility/batch") {
                    continue; // each bad NIP is an item error
                }
                check(status, "hostile body");
            }
            let huge = "z".repeat(9 * 1024 * 1024);
            let r = client
                .request(m.clone(), &url)
                .bearer_auth(&all)
                .header("Content-Type", "application/json")
                .body(huge)
                .send()
                .await
                .unwrap();
            check(r.status().as_u16(), "9 MB body");
            for t in &forged {
                let r = client
                    .request(m.clone(), &url)
                    .bearer_auth(t)
                    .json(&bodies[0])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 401, "{method} {template} forged token");
            }
        }
    }
    assert!(answers > 30, "{answers}");
    let stored = get_json(&client, format!("{}/api/v1/sanctions", server.base), &all).await;
    assert_eq!(stored["items"], json!([]), "nothing stored");
}
