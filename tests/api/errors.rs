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
