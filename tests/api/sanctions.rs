use crate::both;
use serde_json::json;

both!(recording_creates_the_asn_and_derives_dates, |app| {
    let r = app.record(&json!({
        "nip": NIP,
        "decision": { "number": "800/123/BKPSDM/2024", "date": "2024-03-01", "received_date": "2024-03-04",
                      "issuer": "PPK", "issuer_agency": "3315" },
        "type": "PP94_S3"
    })).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/sanctions/{id}").as_str())
    );
    // 15th working day after Monday 2024-03-04 (api.md's example), 12 months (domain.md §1.1).
    assert_eq!(r.body["effective_from"], "2024-03-25");
    assert_eq!(r.body["effective_until"], "2025-03-25");
    assert_eq!(
        (
            r.body["kind"].as_str(),
            r.body["level"].as_str(),
            r.body["regime"].as_str()
        ),
        (Some("disciplinary"), Some("moderate"), Some("PP94_2021"))
    );
    assert_eq!(r.body["status"], "expired", "today is 2026-11-23");
    assert_eq!(r.body["recorded_by"], "tester");
    assert_eq!(r.body["blocked_purposes"].as_array().unwrap().len(), 5);
    let profile = app.get(&format!("/api/v1/asn/{NIP}")).await;
    assert_eq!(
        (profile.status, profile.body["status"].as_str()),
        (200, Some("unknown"))
    );
    let again = app.get(&format!("/api/v1/sanctions/{id}")).await;
    assert_eq!(again.body["id"], id.as_str());
});

both!(same_decision_is_200_and_other_content_is_409, |app| {
    let body = sanction(NIP, "800/1/2026", "PP94_S1", "2026-06-01");
    let first = app.record(&body).await;
    assert_eq!(first.status, 201);
    let second = app.record(&body).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["id"], first.body["id"]);
    let mut changed = body.clone();
    changed["type"] = json!("PP94_S2");
    let conflict = app.record(&changed).await;
    assert_eq!(
        (conflict.status, conflict.code()),
        (409, "duplicate_decision")
    );
    assert_eq!(conflict.body["sanction_id"], first.body["id"]);
    // The same number from another issuer is another decision.
    let mut other_issuer = body.clone();
    other_issuer["decision"]["issuer"] = json!("BKN");
    assert_eq!(app.record(&other_issuer).await.status, 201);
});

both!(durations_from_the_request_or_the_catalogue, |app| {
    let mut b = sanction(NIP, "d-1", "PP94_S1", "2024-01-31");
    b["duration_months"] = json!(1);
    let r = app.record(&b).await;
    assert_eq!(
        r.body["effective_until"], "2024-02-29",
        "end of month clamped"
    );
    let r = app
        .record(&sanction(NIP, "d-2", "PP94_B3", "2024-01-01"))
        .await;
    assert_eq!(
        r.body["effective_until"],
        serde_json::Value::Null,
        "PDHTAPS is terminal"
    );
    assert_eq!(r.body["status"], "active");
    let r = app
        .record(&sanction(NIP, "d-3", "PP94_R1", "2024-01-01"))
        .await;
    assert_eq!(
        r.body["effective_until"], "2024-01-01",
        "a reprimand is a one-off"
    );
    let r = app
        .record(&sanction(NIP, "d-4", "PP53_B1", "2024-01-01"))
        .await;
    assert_eq!(
        r.body["effective_until"], "2027-01-01",
        "PP 53 B1 runs 3 years"
    );
    let r = app
        .record(&sanction(NIP, "d-5", "PP94_S3", "2027-01-01"))
        .await;
    assert_eq!(r.body["status"], "scheduled");
});

both!(bad_sanctions_name_each_bad_field, |app| {
    let r = app
        .record(&json!({
            "nip": NIP,
            "decision": { "number": " ", "date": "2024-03-01", "issuer": "Mayor" },
            "type": "PP94_X9", "effective_until": "2024-01-01", "duration_months": 3,
            "document": { "url": "ftp://x", "sha256": "abc" }
        }))
        .await;
    assert_eq!((r.status, r.code()), (400, "validation_failed"));
    let fields = r.fields();
    for f in [
        "decision.number",
        "decision.issuer",
        "type",
        "effective_from",
        "duration_months",
        "document.url",
        "document.sha256",
    ] {
        assert!(
            fields.contains(&f.to_string()),
            "{f} missing from {fields:?}"
        );
    }
    let mut b = sanction(NIP, "x", "PP94_S1", "2024-05-01");
    b["effective_until"] = json!("2024-04-01");
    let r = app.record(&b).await;
    assert_eq!(r.fields(), vec!["effective_until"]);
    let r = app
        .record(&sanction("1985033020100110", "x", "PP94_S1", "2024-05-01"))
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_nip"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("16"),
        "{:?}",
        r.body
    );
    let mut b = sanction(NIP, "x", "PP94_S1", "2024-05-01");
    b["unexpected"] = json!(1);
    assert_eq!(app.record(&b).await.code(), "validation_failed");
    b = sanction(NIP, "x", "PP94_S1", "2024-05-01");
    b["blocked_purposes"] = json!(["flying"]);
    assert_eq!(app.record(&b).await.fields(), vec!["blocked_purposes[0]"]);
    // Nothing of the refused requests was stored.
    let list = app.get("/api/v1/sanctions").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    let profile = app.get(&format!("/api/v1/asn/{NIP}")).await;
    assert_eq!(profile.code(), "asn_not_found");
});

both!(unknown_sanction_is_404, |app| {
    let r = app
        .get("/api/v1/sanctions/01900000-0000-7000-8000-000000000000")
        .await;
    assert_eq!((r.status, r.code()), (404, "sanction_not_found"));
    let r = app
        .post(
            "/api/v1/sanctions/nope/lift",
            &json!({"reason": "other", "reference": {"number": "1", "date": "2026-11-01"}}),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "sanction_not_found"));
});

both!(list_filters_and_paginates, |app| {
    let other = "199001012015032001";
    for i in 0..5 {
        app.record(&sanction(NIP, &format!("n-{i}"), "PP94_S3", "2026-06-01"))
            .await;
    }
    app.record(&sanction(other, "o-1", "PP94_S3", "2024-01-01"))
        .await;
    app.record(&sanction(other, "o-2", "PP94_S1", "2027-01-01"))
        .await;
    let p1 = app
        .get(&format!("/api/v1/sanctions?nip={NIP}&limit=2"))
        .await;
    assert_eq!(p1.body["items"].as_array().unwrap().len(), 2);
    let cursor = p1.body["next_cursor"].as_str().unwrap().to_string();
    let p2 = app
        .get(&format!(
            "/api/v1/sanctions?nip={NIP}&limit=2&cursor={cursor}"
        ))
        .await;
    let p3 = app
        .get(&format!(
            "/api/v1/sanctions?nip={NIP}&limit=2&cursor={}",
            p2.body["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(p3.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(p3.body["next_cursor"], serde_json::Value::Null);
    let mut ids: Vec<String> = [&p1, &p2, &p3]
        .iter()
        .flat_map(|p| {
            p.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(p2.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(ids.len(), 5);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "every item once");
    let active = app.get("/api/v1/sanctions?status=active").await;
    assert_eq!(active.body["items"].as_array().unwrap().len(), 5);
    let expired = app
        .get(&format!("/api/v1/sanctions?status=expired&nip={other}"))
        .await;
    assert_eq!(expired.body["items"][0]["decision"]["number"], "o-1");
    let scheduled = app.get("/api/v1/sanctions?status=scheduled").await;
    assert_eq!(scheduled.body["items"][0]["decision"]["number"], "o-2");
    let bad = app.get("/api/v1/sanctions?status=sleeping&limit=0").await;
    assert_eq!(bad.code(), "validation_failed");
    assert_eq!(bad.fields(), vec!["status", "limit"]);
});

both!(lift_ends_early_and_refuses_illegal_moves, |app| {
    let r = app
        .record(&sanction(NIP, "l-1", "PP94_S3", "2026-06-01"))
        .await;
    let id = r.body["id"].as_str().unwrap();
    let lift = json!({ "reason": "followed_up", "reference": { "number": "800/9/2026", "date": "2026-11-20" }, "note": "done" });
    let r = app
        .post(&format!("/api/v1/sanctions/{id}/lift"), &lift)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["status"], "lifted");
    assert_eq!(r.body["lift"]["effective_on"], "2026-11-23");
    let again = app
        .post(&format!("/api/v1/sanctions/{id}/lift"), &lift)
        .await;
    assert_eq!(
        (
            again.status,
            again.code(),
            again.body["current_status"].as_str()
        ),
        (409, "invalid_transition", Some("lifted"))
    );
    let expired = app
        .record(&sanction(NIP, "l-2", "PP94_S1", "2024-01-01"))
        .await;
    let r = app
        .post(
            &format!(
                "/api/v1/sanctions/{}/lift",
                expired.body["id"].as_str().unwrap()
            ),
            &lift,
        )
        .await;
    assert_eq!(
        (r.status, r.body["current_status"].as_str()),
        (409, Some("expired"))
    );
    let mut future = lift.clone();
    future["effective_on"] = json!("2026-12-01");
    let r = app
        .post(&format!("/api/v1/sanctions/{id}/lift"), &future)
        .await;
    assert_eq!(r.fields(), vec!["effective_on"]);
});

both!(
    annulled_sanctions_stay_in_history_and_count_nowhere,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let r = app
            .record(&sanction(NIP, "a-1", "PP94_B1", "2026-06-01"))
            .await;
        let id = r.body["id"].as_str().unwrap();
        assert_eq!(
            app.eligibility(NIP, "promotion", "2026-11-23").await.body["outcome"],
            "ineligible"
        );
        let annul = json!({ "reference": { "number": "BPASN/7/2026", "date": "2026-11-01", "issuer": "BPASN" }, "reason": "not proven" });
        let r = app
            .post(&format!("/api/v1/sanctions/{id}/annul"), &annul)
            .await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("annulled"))
        );
        assert_eq!(r.body["annulment"]["reference"]["issuer"], "BPASN");
        let again = app
            .post(&format!("/api/v1/sanctions/{id}/annul"), &annul)
            .await;
        assert_eq!((again.status, again.code()), (409, "invalid_transition"));
        let lift =
            json!({ "reason": "other", "reference": { "number": "1", "date": "2026-11-01" } });
        assert_eq!(
            app.post(&format!("/api/v1/sanctions/{id}/lift"), &lift)
                .await
                .code(),
            "invalid_transition"
        );
        let e = app.eligibility(NIP, "jpt_selection", "2026-11-23").await;
        assert_eq!(e.body["outcome"], "eligible", "{:?}", e.body);
        let tr = app.get(&format!("/api/v1/asn/{NIP}/track-record")).await;
        assert_eq!(tr.body["sanctions"][0]["status"], "annulled");
    }
);

both!(idempotency_key_replays_and_refuses_reuse, |app| {
    let body = sanction(NIP, "i-1", "PP94_S1", "2026-06-01");
    let send = |b: serde_json::Value, key: &str| {
        app.request(reqwest::Method::POST, "/api/v1/sanctions")
            .bearer_auth(app.token(ALL_SCOPES))
            .header("Idempotency-Key", key)
            .json(&b)
    };
    let first = app.send(send(body.clone(), "k-1")).await;
    assert_eq!(first.status, 201);
    let replay = app.send(send(body.clone(), "k-1")).await;
    assert_eq!(replay.status, 201, "the first response, replayed");
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("location"), first.header("location"));
    let other = app
        .send(send(sanction(NIP, "i-2", "PP94_S1", "2026-06-01"), "k-1"))
        .await;
    assert_eq!(
        (other.status, other.code()),
        (422, "idempotency_key_reused")
    );
    let list = app.get("/api/v1/sanctions").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
});

// A write's answer says the instant every later read says (microseconds on both backends).
both!(a_write_answers_what_is_read_back, |app| {
    let app = app.sibling("2026-11-23T03:00:00.305916085Z", |_| {}).await;
    let r = app
        .record(&sanction(NIP, "t/1", "PP94_S1", "2026-10-01"))
        .await;
    assert_eq!(r.body["recorded_at"], "2026-11-23T03:00:00.305916Z");
    let back = app
        .get(&format!(
            "/api/v1/sanctions/{}",
            r.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(back.body, r.body);
});

both!(a_corrupt_stored_value_is_an_error_never_a_default, |app| {
    let r = app
        .record(&sanction(
            NIP,
            "800/9/CORRUPT/2024",
            "PP94_S3",
            "2024-03-25",
        ))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    // A state no version of the service ever wrote, e.g. from a hand-made migration.
    app.sql(&format!(
        "UPDATE sanctions SET state = 'revoked' WHERE id = '{id}'"
    ));
    let read = app.get(&format!("/api/v1/sanctions/{id}")).await;
    assert_eq!(
        (read.status, read.code()),
        (500, "internal"),
        "{:?}",
        read.body
    );
    assert!(
        !read.body.to_string().contains("revoked"),
        "the cause is logged, not shown: {:?}",
        read.body
    );
    let check = app.eligibility(NIP, "promotion", "2024-06-01").await;
    assert_eq!(
        check.status, 500,
        "never judged on a guessed state: {:?}",
        check.body
    );
    app.sql(&format!(
        "UPDATE sanctions SET state = 'recorded', blocked_purposes = 'promotion' WHERE id = '{id}'"
    ));
    let read = app.get(&format!("/api/v1/sanctions/{id}")).await;
    assert_eq!(
        read.status, 500,
        "purposes that are not a JSON list: {:?}",
        read.body
    );
});
