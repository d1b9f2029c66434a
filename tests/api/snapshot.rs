use crate::both;
use crate::helpers::{Resp, TestApp};
use asn_eligibility::service::snapshot::synthetic;

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
        std::process::Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
            .args([
                "import",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/snapshot-example.csv"
                ),
            ])
            .env("DATABASE_URL", &db)
            .env("ASN_DATA_DIR", dir.path())
            .output()
            .unwrap()
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
