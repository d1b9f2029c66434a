use crate::both;
use serde_json::json;

both!(every_bad_request_is_a_precise_problem, |app| {
    let post = |body: &'static str, ct: &'static str| {
        app.request(reqwest::Method::POST, "/api/v1/sanctions")
            .bearer_auth(app.token(ALL_SCOPES))
            .header("Content-Type", ct)
            .body(body)
    };
    let r = app.send(post("{\"nip\": ", "application/json")).await;
    assert_eq!((r.status, r.code()), (400, "malformed_json"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let r = app
        .send(post("nip=1", "application/x-www-form-urlencoded"))
        .await;
    assert_eq!((r.status, r.code()), (415, "unsupported_media_type"));
    let r = app.send(post("[]", "application/json")).await;
    assert_eq!((r.status, r.code()), (400, "validation_failed"));
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expected struct SanctionIn"),
        "{:?}",
        r.body
    );
    let r = app
        .send(post(
            r#"{"nip": "198503302010011002", "type": "PP94_S1", "decision": {"number": "1", "date": "2024-13-01", "issuer": "PPK"}}"#,
            "application/json",
        ))
        .await;
    assert_eq!(
        (r.status, r.code(), r.fields()),
        (400, "validation_failed", vec!["decision.date".to_string()])
    );
    let r = app
        .send(
            app.request(reqwest::Method::GET, "/api/v1/nowhere")
                .bearer_auth(app.token(ALL_SCOPES)),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = app
        .send(
            app.request(reqwest::Method::PUT, "/api/v1/sanctions")
                .bearer_auth(app.token(ALL_SCOPES)),
        )
        .await;
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"));
    let r = app
        .send(
            app.request(reqwest::Method::GET, "/nowhere")
                .header("Accept-Language", "en"),
        )
        .await;
    assert_eq!(r.body["title"], "Not found");
    assert_eq!(
        r.body["type"],
        "https://asn-eligibility.dev/problems/not_found"
    );
});

both!(oversized_bodies_are_413, |app| {
    let big = "x".repeat(9 * 1024 * 1024);
    let r = app
        .send(
            app.request(reqwest::Method::POST, "/api/v1/eligibility/batch")
                .bearer_auth(app.token(ALL_SCOPES))
                .header("Content-Type", "application/json")
                .body(format!(
                    "{{\"purpose\": \"promotion\", \"nips\": [\"{big}\"]}}"
                )),
        )
        .await;
    assert_eq!((r.status, r.code()), (413, "payload_too_large"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let ok = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({"purpose": "promotion", "nips": ["1"]}),
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["results"][0]["error"]["code"], "invalid_nip");
});

both!(a_fault_mid_write_leaves_the_database_as_it_was, |app| {
    // The timeline insert is the last statement of recording a sanction: make it fail.
    match app.backend {
        Backend::Sqlite => app.sql("CREATE TRIGGER fail_events BEFORE INSERT ON asn_events BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"),
        Backend::Postgres => app.sql(
            "CREATE FUNCTION fail_events() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$;
             CREATE TRIGGER fail_events BEFORE INSERT ON asn_events FOR EACH ROW EXECUTE FUNCTION fail_events();"),
    }
    let r = app
        .record(&sanction(NIP, "f-1", "PP94_S3", "2026-06-01"))
        .await;
    assert_eq!((r.status, r.code()), (500, "internal"));
    let text = r.body.to_string();
    assert!(
        !text.contains("injected") && !text.contains("INSERT"),
        "opaque body: {text}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/asn/{NIP}")).await.code(),
        "asn_not_found",
        "the ASN row rolled back too"
    );
    assert_eq!(app.get("/api/v1/sanctions").await.body["items"], json!([]));
    app.sql(
        "DROP TRIGGER fail_events ON asn_events"
            .replace(
                " ON asn_events",
                if app.backend == Backend::Sqlite {
                    ""
                } else {
                    " ON asn_events"
                },
            )
            .as_str(),
    );
    assert_eq!(
        app.record(&sanction(NIP, "f-1", "PP94_S3", "2026-06-01"))
            .await
            .status,
        201,
        "the same write succeeds once the fault is gone"
    );
});

// A control character (NUL above all: PostgreSQL's text refuses it) is `validation_failed`
// naming the field, on both backends and every path: JSON bodies, a BKN event (rejected on
// its own), a snapshot line, a query parameter, a path segment. Nothing is stored.
both!(control_characters_are_refused_naming_the_field, |app| {
    let body = sanction(NIP, "800/1/2024", "PP94_S1", "2026-10-01");
    for field in [
        "decision.number",
        "decision.issuer_agency",
        "decision.legal_basis",
        "violation.description",
    ] {
        let mut b = body.clone();
        let path: Vec<&str> = field.split('.').collect();
        b[path[0]][path[1]] = json!("800\u{0}1");
        let r = app.record(&b).await;
        assert_eq!(
            (r.status, r.code(), r.fields()),
            (400, "validation_failed", vec![field.to_string()]),
            "{field}"
        );
    }
    assert_eq!(app.get("/api/v1/sanctions").await.body["items"], json!([]));
    let webhook = app
        .post(
            "/api/v1/webhooks",
            &json!({"url": "https://x.example/\u{0}", "event_types": ["sanction.recorded"]}),
        )
        .await;
    assert_eq!(webhook.fields(), vec!["url"]);
    let events = json!({ "events": [
        { "event_id": "nul-1", "nip": NIP, "occurred_at": "2026-01-01T00:00:00Z", "type": "asn_upserted",
          "data": { "name": "Siti\u{0}", "status": "active" } },
        { "event_id": "nul\u{0}2", "nip": NIP, "occurred_at": "2026-01-01T00:00:00Z", "type": "asn_upserted",
          "data": { "status": "active" } },
        { "event_id": "ok-3", "nip": NIP, "occurred_at": "2026-01-01T00:00:00Z", "type": "asn_upserted",
          "data": { "name": "Siti", "status": "active" } } ]});
    let r = app.post("/api/v1/bkn/updates", &events).await;
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results[0]["outcome"], "rejected");
    assert_eq!(
        results[0]["error"]["errors"][0]["field"],
        "events[0].data.name"
    );
    assert_eq!(
        results[1]["error"]["errors"][0]["field"],
        "events[1].event_id"
    );
    assert_eq!(
        results[2]["outcome"], "applied",
        "a bad event never holds back the others"
    );
    let line = format!(
        "{}\n",
        json!({"nip": "199001012015031001", "status": "active", "unit": "Bagian\u{1}Umum"})
    );
    let snapshot = app
        .send(
            app.request(reqwest::Method::POST, "/api/v1/bkn/snapshot")
                .bearer_auth(app.token(ALL_SCOPES))
                .header("Content-Type", "application/x-ndjson")
                .body(line),
        )
        .await;
    assert_eq!(snapshot.body["rejected"], 1, "{:?}", snapshot.body);
    assert!(snapshot.body["rejections"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("unit"));
    let q = app.get("/api/v1/sanctions?issuer=PPK%00").await;
    assert_eq!((q.status, q.fields()), (400, vec!["issuer".to_string()]));
    let p = app.get("/api/v1/sanctions/abc%00").await;
    assert_eq!((p.status, p.code()), (404, "not_found"));
});

// Nonsense that was accepted: a sanction of 0 months, and a BKN event dated 9999-12-31 (it
// made every later real update for that person `stale`).
both!(
    nonsense_durations_and_far_future_events_are_refused,
    |app| {
        let mut b = sanction(NIP, "z/1", "PP94_S1", "2026-10-01");
        b["duration_months"] = json!(0);
        let r = app.record(&b).await;
        assert_eq!(
            (r.status, r.fields()),
            (400, vec!["duration_months".to_string()])
        );
        let ev = |id: &str, at: &str, name: &str| {
            json!({ "event_id": id, "nip": NIP, "occurred_at": at, "type": "asn_upserted",
                "data": { "name": name, "status": "active" } })
        };
        let r = app
            .post(
                "/api/v1/bkn/updates",
                &json!({ "events": [ev("far-1", "9999-12-31T00:00:00Z", "Future"),
                                ev("real-2", "2026-11-23T02:00:00Z", "Siti")] }),
            )
            .await;
        let results = r.body["results"].as_array().unwrap();
        assert_eq!(results[0]["outcome"], "rejected");
        assert_eq!(
            results[0]["error"]["errors"][0]["field"],
            "events[0].occurred_at"
        );
        assert_eq!(
            results[1]["outcome"], "applied",
            "the real update is not stale"
        );
        // Within the configured skew (an hour by default), a slightly early clock is fine.
        let r = app
            .post(
                "/api/v1/bkn/updates",
                &json!({ "events": [ev("skew-3", "2026-11-23T03:30:00Z", "Siti R.")] }),
            )
            .await;
        assert_eq!(r.body["results"][0]["outcome"], "applied");
    }
);

// A body that never arrives holds nothing open: after `ASN_HTTP_BODY_TIMEOUT_MS` the caller
// gets `408 request_timeout` as problem+json.
both!(
    a_body_that_never_arrives_times_out,
    settings = |s| s.body_timeout = std::time::Duration::from_millis(300),
    |app| {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.address.trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /api/v1/sanctions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"nip\":",
            app.token(ALL_SCOPES)
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            let mut buf = [0u8; 4096];
            loop {
                let n = stream.read(&mut buf).await.unwrap_or(0);
                answer.extend_from_slice(&buf[..n]);
                if n == 0 || String::from_utf8_lossy(&answer).contains("request_timeout") {
                    break;
                }
            }
        })
        .await;
        assert!(read.is_ok(), "no answer within 10 s");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(
            text.contains("application/problem+json") && text.contains("request_timeout"),
            "{text}"
        );
    }
);

// No unbounded value is stored: every string has its documented maximum (free text 10 000
// characters, anything else 2 000), an over-long `X-Request-Id` is replaced, not stored, and a
// date not written YYYY-MM-DD is refused in a body as in a query.
both!(nothing_unbounded_is_stored, |app| {
    let mut b = sanction(NIP, "len/1", "PP94_S1", "2026-10-01");
    b["violation"]["description"] = json!("x".repeat(10_001));
    assert_eq!(app.record(&b).await.fields(), vec!["violation.description"]);
    b["violation"]["description"] = json!("x".repeat(10_000));
    b["decision"]["legal_basis"] = json!("y".repeat(2_001));
    assert_eq!(app.record(&b).await.fields(), vec!["decision.legal_basis"]);
    let mut dated = sanction(NIP, "len/2", "PP94_S1", "2026-10-01");
    dated["decision"]["date"] = json!("2024-1-1");
    assert_eq!(app.record(&dated).await.fields(), vec!["decision.date"]);
    let name = json!({ "events": [{ "event_id": "long-1", "nip": NIP, "occurred_at": "2026-01-01T00:00:00Z",
        "type": "asn_upserted", "data": { "name": "n".repeat(2_001), "status": "active" } }]});
    let r = app.post("/api/v1/bkn/updates", &name).await;
    assert_eq!(
        r.body["results"][0]["error"]["errors"][0]["field"],
        "events[0].data.name"
    );
    let long_id = "r".repeat(2_000);
    let r = app
        .send(
            app.request(reqwest::Method::GET, "/api/v1/catalogue")
                .bearer_auth(app.token(ALL_SCOPES))
                .header("X-Request-Id", &long_id),
        )
        .await;
    let given = r.header("x-request-id").unwrap();
    assert!(given != long_id && given.len() <= 128, "replaced: {given}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_events WHERE LENGTH(request_id) > 128"),
        0
    );
    assert_eq!(app.get("/api/v1/sanctions").await.body["items"], json!([]));
});
