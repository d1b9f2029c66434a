use crate::both;
use crate::helpers::{Backend, Resp, TestApp};
use asn_eligibility::gen_data::synthetic;
use serde_json::json;

async fn send_ndjson(app: &TestApp, body: String) -> Resp {
    let req = app
        .request(reqwest::Method::POST, "/api/v1/bkn/snapshot")
        .bearer_auth(app.token("bkn:push"))
        .header("Content-Type", "application/x-ndjson")
        .body(body);
    app.send(req).await
}

fn counts(r: &Resp) -> [i64; 5] {
    ["lines", "inserted", "updated", "unchanged", "rejected"]
        .map(|k| r.body[k].as_i64().unwrap_or(-1))
}

both!(
    a_100k_line_snapshot_imports_and_reimports_as_unchanged,
    |app| {
        const N: u64 = 100_000;
        let bad = [
            (10u64, "not json".to_string()),
            (500, synthetic::ndjson_line(499).replace("\"19", "\"X9")),
            (
                99_999,
                synthetic::ndjson_line(99_998).replace("\"active\"", "\"sleeping\""),
            ),
        ];
        let body: String = (1..=N)
            .map(|line| {
                bad.iter()
                    .find(|(l, _)| *l == line)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_else(|| synthetic::ndjson_line(line - 1))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let first = send_ndjson(&app, body.clone()).await;
        assert_eq!(first.status, 200, "{:?}", first.body);
        assert_eq!(counts(&first), [N as i64, N as i64 - 3, 0, 0, 3]);
        let lines: Vec<i64> = first.body["rejections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["line"].as_i64().unwrap())
            .collect();
        assert_eq!(lines, vec![10, 500, 99_999]);
        assert!(
            first.body["rejections"][1]["reason"]
                .as_str()
                .unwrap()
                .contains("NIP"),
            "{:?}",
            first.body["rejections"]
        );
        let again = send_ndjson(&app, body).await;
        assert_eq!(
            counts(&again),
            [N as i64, 0, 0, N as i64 - 3, 3],
            "re-running the same file changes nothing"
        );
        // One changed profile is one update; the registry shows it.
        let changed = synthetic::ndjson_line(1).replace("\"active\"", "\"retired\"");
        let r = send_ndjson(&app, changed).await;
        assert_eq!(counts(&r), [1, 0, 1, 0, 0]);
        let p = app.get(&format!("/api/v1/asn/{}", synthetic::nip(1))).await;
        assert_eq!(
            (p.body["status"].as_str(), p.body["status_since"].as_str()),
            (Some("retired"), Some("2026-11-23"))
        );
        assert_eq!(
            app.get(&format!("/api/v1/asn/{}", synthetic::nip(77_777)))
                .await
                .body["agency_code"],
            "1377"
        );
        let wrong_type = app
            .send(
                app.request(reqwest::Method::POST, "/api/v1/bkn/snapshot")
                    .bearer_auth(app.token("bkn:push"))
                    .header("Content-Type", "text/csv")
                    .body("x"),
            )
            .await;
        assert_eq!(wrong_type.status, 415);
    }
);

#[test]
fn the_cli_imports_the_example_csv_and_reports_bad_lines_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = || {
        crate::helpers::cli_ok(
            std::process::Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
                .args([
                    "import",
                    concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/tests/fixtures/snapshot-example.csv"
                    ),
                ])
                .env("DATABASE_URL", &db)
                .env("ASN_DATA_DIR", dir.path()),
        )
    };
    let out = run();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["inserted"].as_i64(), report["rejected"].as_i64()),
        (Some(3), Some(3)),
        "{report}"
    );
    let rejected: Vec<(i64, String)> = report["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![5, 6, 7],
        "{rejected:?}"
    );
    assert!(rejected[0].1.contains("NIP character 18"), "{rejected:?}");
    assert!(rejected[1].1.contains("sleeping"), "{rejected:?}");
    let again: serde_json::Value = serde_json::from_slice(&run().stdout).unwrap();
    assert_eq!(
        (again["inserted"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(3))
    );
}

/// Indexes on `asn`, and foreign keys into it, as the catalog lists them.
fn registry_structure(app: &TestApp) -> (i64, i64) {
    match app.backend {
        Backend::Postgres => (
            app.count("SELECT count(*) AS n FROM pg_index WHERE indrelid = 'asn'::regclass"),
            app.count(
                "SELECT count(*) AS n FROM pg_constraint \
                 WHERE confrelid = 'asn'::regclass AND contype = 'f'",
            ),
        ),
        Backend::Sqlite => (
            app.count(
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'asn'",
            ),
            app.count(
                "SELECT count(*) AS n FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND f.\"table\" = 'asn'",
            ),
        ),
    }
}

both!(
    an_initial_load_keeps_the_first_of_repeated_nips_and_puts_every_index_back,
    |app| {
        // 50 000 lines: more than two chunks, so repeats fall in other chunks than their
        // first line, and one within its chunk.
        const N: u64 = 50_000;
        let repeats = [(30_001u64, 2u64), (45_000, 40_000), (7, 3)];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("register.csv");
        let mut csv = String::from(synthetic::COLUMNS);
        for line in 2..=N + 1 {
            csv.push('\n');
            match repeats.iter().find(|(l, _)| *l == line) {
                // The same NIP as the earlier line, with another name.
                Some((_, earlier)) => csv.push_str(&synthetic::csv_line(earlier - 2).replacen(
                    ",ASN ",
                    ",Later ASN ",
                    1,
                )),
                None if line == 12 => csv.push_str("1985,Too short,3315,,,,,PNS,active"),
                None => csv.push_str(&synthetic::csv_line(line - 2)),
            }
        }
        std::fs::write(&file, csv).unwrap();
        let before = registry_structure(&app);
        assert!(before.0 >= 2 && before.1 >= 2, "{before:?}");
        let import = || {
            let out = cli_ok(
                std::process::Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
                    .args(["import", file.to_str().unwrap()])
                    .env("DATABASE_URL", &app.database_url)
                    .env("ASN_DATA_DIR", dir.path()),
            );
            let said = String::from_utf8_lossy(&out.stderr).into_owned();
            (
                serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
                said,
            )
        };
        let (report, said) = import();
        // The operator is told where an initial load's time went.
        let phases = said
            .lines()
            .find_map(|l| l.strip_prefix("initial load: "))
            .unwrap_or_else(|| panic!("no phases in {said}"));
        let named: Vec<&str> = phases
            .split(", ")
            .map(|p| p.rsplitn(3, ' ').nth(2).unwrap_or(p))
            .collect();
        let expected: &[&str] = if app.schema.is_some() {
            &["rows", "keys", "indexes", "foreign keys and statistics"]
        } else {
            &["rows", "indexes"]
        };
        assert_eq!(named, expected, "{phases}");
        assert_eq!(
            ["lines", "inserted", "updated", "unchanged", "rejected"]
                .map(|k| report[k].as_i64().unwrap()),
            [N as i64, N as i64 - 4, 0, 0, 4],
            "{report}"
        );
        let rejected: Vec<(i64, &str)> = report["rejections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["line"].as_i64().unwrap(), r["reason"].as_str().unwrap()))
            .collect();
        assert_eq!(rejected.len(), 4, "{rejected:?}");
        assert_eq!(
            rejected[0],
            (7, "NIP already given on line 3"),
            "{rejected:?}"
        );
        assert_eq!(rejected[1].0, 12, "{rejected:?}");
        assert_eq!(
            &rejected[2..],
            [
                (30_001, "NIP already given on line 2"),
                (45_000, "NIP already given on line 40000")
            ],
            "{rejected:?}"
        );
        // The first line given is the one kept.
        for (_, earlier) in repeats {
            let p = app
                .get(&format!("/api/v1/asn/{}", synthetic::nip(earlier - 2)))
                .await;
            assert_eq!(
                p.body["name"],
                format!("ASN {}", earlier - 2),
                "{:?}",
                p.body
            );
        }
        assert_eq!(
            registry_structure(&app),
            before,
            "every index and foreign key is back"
        );
        assert_eq!(
            app.count("SELECT count(*) AS n FROM audit_events WHERE action = 'bkn.snapshot_load'"),
            1
        );
        // A second run is an ordinary import, chunk by chunk; repeats chunks apart are
        // still repeats, not updates, so it changes nothing.
        let (again, said) = import();
        assert!(!said.contains("initial load:"), "a chunked import: {said}");
        assert_eq!(
            ["lines", "inserted", "updated", "unchanged", "rejected"]
                .map(|k| again[k].as_i64().unwrap()),
            [N as i64, 0, 0, N as i64 - 4, 4],
            "{again}"
        );
        assert_eq!(
            again["rejections"][2]["reason"], "NIP already given on an earlier line",
            "{again}"
        );
        let p = app.get(&format!("/api/v1/asn/{}", synthetic::nip(0))).await;
        assert_eq!(p.body["name"], "ASN 0");
    }
);

// A nightly snapshot that marks people dismissed tells subscribers: each status it changes is
// a timeline event and an `asn.status_changed` in the feed, with the `eligibility.changed` it
// causes; an unchanged line tells nobody.
both!(statuses_a_snapshot_changes_are_told, |app| {
    let other = "199001012015031001";
    app.upsert_profile(NIP, "3315", "active").await;
    app.upsert_profile(other, "3315", "active").await;
    // What the feed has told so far; the snapshot's changes come after it.
    let cursor = app.get("/api/v1/changes?limit=500").await.body["items"]
        .as_array()
        .unwrap()
        .last()
        .map(|c| c["cursor"].as_str().unwrap().to_string())
        .unwrap_or_default();
    let lines = format!(
        "{}\n{}\n",
        json!({"nip": NIP, "status": "dismissed", "agency_code": "3315", "name": "Test Person",
               "agency_name": "Pemkab Test", "rank": "III/c", "position": "Analis", "employment_type": "PNS"}),
        json!({"nip": other, "status": "active", "agency_code": "3315", "name": "Test Person",
               "agency_name": "Pemkab Test", "rank": "III/c", "position": "Analis", "employment_type": "PNS"})
    );
    let r = app
        .send(
            app.request(reqwest::Method::POST, "/api/v1/bkn/snapshot")
                .bearer_auth(app.token(ALL_SCOPES))
                .header("Content-Type", "application/x-ndjson")
                .body(lines),
        )
        .await;
    assert_eq!(
        (r.body["updated"].as_i64(), r.body["unchanged"].as_i64()),
        (Some(1), Some(1)),
        "{:?}",
        r.body
    );
    let tr = app.get(&format!("/api/v1/asn/{NIP}/track-record")).await;
    assert_eq!(event_types(&tr.body).last(), Some(&"asn.status_changed"));
    let feed = app
        .get(&format!("/api/v1/changes?after={cursor}&limit=500"))
        .await;
    let told: Vec<(&str, &str)> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["nip"].as_str().unwrap()))
        .collect();
    assert_eq!(
        told,
        vec![("asn.status_changed", NIP), ("eligibility.changed", NIP)],
        "the unchanged line tells nobody"
    );
    assert_eq!(feed.body["items"][0]["data"]["status"], "dismissed");
});

// An ASN the registry knew only from a sanction (status `unknown`) gets its first profile
// from a snapshot: its eligibility turns from undetermined, and subscribers are told.
both!(a_first_profile_from_a_snapshot_is_told, |app| {
    // A written reprimand: it blocks nothing, so only the unknown status holds it back.
    app.record(&crate::helpers::sanction(
        NIP,
        "first/1",
        "PP94_R2",
        "2026-10-01",
    ))
    .await;
    let before = app.get("/api/v1/changes?type=eligibility.changed").await;
    assert_eq!(
        before.body["items"],
        json!([]),
        "undetermined until BKN speaks"
    );
    let line = format!(
        "{}\n",
        json!({"nip": NIP, "status": "active", "agency_code": "3315"})
    );
    let r = send_ndjson(&app, line).await;
    assert_eq!(r.body["updated"], 1, "{:?}", r.body);
    let told = app.get("/api/v1/changes?type=eligibility.changed").await;
    let items = told.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{:?}", told.body);
    let promotion = items[0]["data"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "promotion")
        .unwrap()
        .clone();
    assert_eq!(
        (promotion["from"].as_str(), promotion["to"].as_str()),
        (Some("undetermined"), Some("eligible"))
    );
});
