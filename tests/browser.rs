//! The console in a real browser, on each backend: `tests/browser/console.test.mjs` run with
//! Node against the binary (Debian's Chromium through playwright-core, axe-core, a real
//! OpenID provider). Its npm packages are installed from the lock file on first run; Chromium
//! must be installed (`apt-get install chromium`), and is, by `.ci/run`.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One browser suite at a time: each starts a browser, an OpenID provider and two servers.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn install_packages() {
    let dir = suite_dir();
    if dir.join("node_modules/playwright-core").exists()
        && dir.join("node_modules/oidc-provider").exists()
    {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .expect("npm (Node.js) is needed for the browser tests");
    assert!(status.success(), "npm ci in tests/browser failed");
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn run(backend: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "the browser tests need Chromium: apt-get install chromium"
    );
    install_packages();
    let dir = tempfile::tempdir().unwrap();
    let schema = format!("browser_{}", uuid::Uuid::new_v4().simple());
    let url = match backend {
        "sqlite" => format!("sqlite://{}", dir.path().join("console.db").display()),
        _ => {
            PgConnection::establish(&admin_url())
                .expect("PostgreSQL for the browser suite")
                .batch_execute(&format!("CREATE SCHEMA {schema}"))
                .unwrap();
            format!("{}?options=-csearch_path%3D{schema}", admin_url())
        }
    };
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(shots.join(backend)).unwrap();
    let output = Command::new("node")
        .args(["--test", "--test-concurrency=1", "console.test.mjs"])
        .current_dir(suite_dir())
        .env("ASN_BIN", env!("CARGO_BIN_EXE_asn-eligibility"))
        .env("DATABASE_URL", &url)
        .env("TEST_BACKEND", backend)
        .env("SCREENSHOT_DIR", shots.join(backend))
        .env_remove("ASN_CONFIG")
        .output()
        .expect("node (Node.js 20) is needed for the browser tests");
    if backend != "sqlite" {
        if let Ok(mut c) = PgConnection::establish(&admin_url()) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    assert!(
        output.status.success(),
        "browser suite failed on {backend}:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The suite ran its tests (node --test prints the counts).
    assert!(
        report.contains("# pass 4"),
        "not every browser test ran:\n{report}"
    );
}

#[test]
fn console_in_a_browser_sqlite() {
    run("sqlite");
}

#[test]
fn console_in_a_browser_postgres() {
    run("postgres");
}
