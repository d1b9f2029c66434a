use crate::both;
use serde_json::{json, Value};

both!(unknown_and_invalid_nips_are_never_eligible, |app| {
    let r = app.eligibility(NIP, "promotion", "2026-11-23").await;
    assert_eq!((r.status, r.code()), (404, "asn_not_found"));
    let r = app
        .eligibility("19850330201001100", "promotion", "2026-11-23")
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_nip"));
    let r = app.get(&format!("/api/v1/asn/{NIP}/eligibility")).await;
    assert_eq!((r.status, r.fields()), (400, vec!["purpose".to_string()]));
    let r = app
        .get(&format!(
            "/api/v1/asn/{NIP}/eligibility?purpose=flying&as_of=2024-02-30"
        ))
        .await;
    assert_eq!(r.fields(), vec!["purpose", "as_of"]);
});

both!(a_running_sanction_and_the_jpt_look_back, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let s = app
        .record(&sanction(
            NIP,
            "800/123/BKPSDM/2024",
            "PP94_S3",
            "2024-03-25",
        ))
        .await;
    let r = app.eligibility(NIP, "jpt_selection", "2024-06-01").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        (r.body["outcome"].as_str(), r.body["eligible"].as_bool()),
        (Some("ineligible"), Some(false))
    );
    let reasons = r.body["reasons"].as_array().unwrap();
    assert_eq!(reasons[0]["code"], "active_sanction");
    assert_eq!(reasons[0]["until"], "2025-03-25");
    assert_eq!(reasons[0]["sanction_id"], s.body["id"]);
    assert_eq!(reasons[0]["decision_number"], "800/123/BKPSDM/2024");
    assert_eq!(reasons[0]["legal_basis"], "PP 94/2021 Pasal 8 ayat (3)");
    assert!(
        reasons[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Sedang menjalani"),
        "Indonesian by default"
    );
    assert_eq!(reasons[1]["code"], "disciplinary_history");
    assert_eq!(r.body["eligible_from"], "2027-03-25");
    assert_eq!(r.body["policy_version"], "2026-12-01.2");
    // Promotion has no look-back: free when the sanction ends.
    let p = app.eligibility(NIP, "promotion", "2024-06-01").await;
    assert_eq!(p.body["eligible_from"], "2025-03-25");
    let later = app.eligibility(NIP, "promotion", "2025-03-25").await;
    assert_eq!(
        (
            later.body["outcome"].as_str(),
            later.body["eligible"].as_bool()
        ),
        (Some("eligible"), Some(true))
    );
    assert_eq!(later.body["reasons"], json!([]));
    // as_of defaults to today (2026-11-23 in Jakarta): look-back still counts.
    let today = app
        .get(&format!(
            "/api/v1/asn/{NIP}/eligibility?purpose=jpt_selection"
        ))
        .await;
    assert_eq!(today.body["as_of"], "2026-11-23");
    assert_eq!(today.body["reasons"][0]["code"], "disciplinary_history");
});

both!(an_unknown_status_is_undetermined, |app| {
    app.record(&sanction(NIP, "u-1", "PP94_R1", "2024-01-01"))
        .await;
    let r = app.eligibility(NIP, "promotion", "2026-11-23").await;
    assert_eq!(
        (r.body["outcome"].as_str(), r.body["eligible"].as_bool()),
        (Some("undetermined"), Some(false))
    );
    assert_eq!(r.body["reasons"][0]["code"], "status_unknown");
});

both!(decisions_are_stored_and_read_back, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    app.record(&sanction(NIP, "r-1", "PP94_B1", "2026-06-01"))
        .await;
    let r = app
        .send(
            app.request(
                reqwest::Method::GET,
                &format!("/api/v1/asn/{NIP}/eligibility?purpose=transfer&as_of=2026-11-23"),
            )
            .bearer_auth(app.token("eligibility:read"))
            .header("Accept-Language", "en"),
        )
        .await;
    assert!(r.body["reasons"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Serving the sanction"));
    let id = r.body["decision_id"].as_str().unwrap();
    let back = app
        .send(
            app.request(
                reqwest::Method::GET,
                &format!("/api/v1/eligibility/decisions/{id}"),
            )
            .bearer_auth(app.token("eligibility:read"))
            .header("Accept-Language", "en"),
        )
        .await;
    assert_eq!(back.body, r.body, "the decision exactly as given");
    // A sanction annulled later does not rewrite a given decision.
    let list = app.get("/api/v1/sanctions").await;
    let sid = list.body["items"][0]["id"].as_str().unwrap();
    let annulled = app.post(&format!("/api/v1/sanctions/{sid}/annul"), &json!({"reference": {"number": "X", "date": "2026-11-22", "issuer": "Court"}, "reason": "r"})).await;
    assert_eq!(
        (annulled.status, annulled.body["status"].as_str()),
        (200, Some("annulled")),
        "{:?}",
        annulled.body
    );
    let now = app.eligibility(NIP, "transfer", "2026-11-23").await;
    assert_eq!(
        now.body["outcome"], "eligible",
        "asked again, the annulment counts"
    );
    let still = app
        .get(&format!("/api/v1/eligibility/decisions/{id}"))
        .await;
    assert_eq!(still.body["outcome"], "ineligible");
    let missing = app.get("/api/v1/eligibility/decisions/nope").await;
    assert_eq!((missing.status, missing.code()), (404, "not_found"));
    let forbidden = app
        .send(
            app.request(
                reqwest::Method::GET,
                &format!("/api/v1/eligibility/decisions/{id}"),
            )
            .bearer_auth(app.token("registry:read")),
        )
        .await;
    assert_eq!(forbidden.status, 403);
});

both!(batch_answers_in_order_with_item_errors, |app| {
    let clean = "199001012015032001";
    app.upsert_profile(NIP, "3315", "active").await;
    app.upsert_profile(clean, "3315", "active").await;
    app.record(&sanction(NIP, "b-1", "PP94_S3", "2026-06-01"))
        .await;
    let r = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({
                "purpose": "promotion", "as_of": "2026-11-23",
                "nips": [NIP, "123", clean, "198001012005011003", NIP]
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["outcome"], "ineligible");
    assert_eq!(
        (
            results[1]["nip"].as_str(),
            results[1]["error"]["code"].as_str()
        ),
        (Some("123"), Some("invalid_nip"))
    );
    assert_eq!(results[2]["outcome"], "eligible");
    assert_eq!(results[3]["error"]["code"], "asn_not_found");
    assert_eq!(results[4]["outcome"], "ineligible");
    assert_ne!(results[0]["decision_id"], results[4]["decision_id"]);
    let stored = app
        .get(&format!(
            "/api/v1/eligibility/decisions/{}",
            results[2]["decision_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stored.body["nip"], clean);
    let too_many: Vec<String> = (0..1001).map(|_| NIP.to_string()).collect();
    let r = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({"purpose": "promotion", "nips": too_many}),
        )
        .await;
    assert_eq!((r.status, r.fields()), (400, vec!["nips".to_string()]));
    let r = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({"purpose": "nap", "nips": [NIP]}),
        )
        .await;
    assert_eq!(r.fields(), vec!["purpose"]);
});

// A batch past 500 NIPs is loaded and signed in parts at once (`service::eligibility`): each
// answer still stands at its NIP's place, across the parts' edges, and each decision is kept.
both!(a_full_batch_answers_in_order_across_its_parts, |app| {
    let clean = "199001012015032001";
    app.upsert_profile(NIP, "3315", "active").await;
    app.upsert_profile(clean, "3315", "active").await;
    app.record(&sanction(NIP, "b-1", "PP94_S3", "2026-06-01"))
        .await;
    let nip_at = |i: usize| match i % 4 {
        0 => NIP,
        1 => clean,
        2 => "123",
        _ => "198001012005011003",
    };
    let nips: Vec<&str> = (0..1000).map(nip_at).collect();
    let r = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({"purpose": "promotion", "as_of": "2026-11-23", "nips": nips}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    for (i, item) in results.iter().enumerate() {
        let got = (
            item["nip"].as_str(),
            item["outcome"].as_str(),
            item["error"]["code"].as_str(),
        );
        let want = match i % 4 {
            0 => (Some(NIP), Some("ineligible"), None),
            1 => (Some(clean), Some("eligible"), None),
            2 => (Some("123"), None, Some("invalid_nip")),
            _ => (Some("198001012005011003"), None, Some("asn_not_found")),
        };
        assert_eq!(got, want, "item {i}");
    }
    let ids: std::collections::HashSet<&str> = results
        .iter()
        .filter_map(|d| d["decision_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 500, "one decision per known NIP");
    for i in [1, 249, 253, 997] {
        let d = &results[i];
        let stored = app
            .get(&format!(
                "/api/v1/eligibility/decisions/{}",
                d["decision_id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(stored.status, 200, "item {i}: {:?}", stored.body);
        assert_eq!(stored.body, *d, "item {i} read back as given");
    }
});

// A single check reads its records with one statement (`db::records`): it returns what the
// per-table queries return, every column of every row, the person's and agency's blocks
// and no one else's, the steps of recommended cases only.
both!(one_statement_reads_what_the_per_table_queries_read, |app| {
    use asn_eligibility::db::{asn, blocks, cases, records, sanctions};
    let colleague = "199001012015032001";
    app.upsert_profile(NIP, "3315", "active").await;
    app.upsert_profile(colleague, "3315", "active").await;
    let first = app
        .record(&sanction(NIP, "800/1/BKPSDM/2025", "PP94_B1", "2025-01-10"))
        .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let second = app
        .record(&sanction(NIP, "800/2/BKPSDM/2026", "PP94_B1", "2026-02-10"))
        .await;
    let annulled = app
        .post(
            &format!("/api/v1/sanctions/{}/annul", second.body["id"].as_str().unwrap()),
            &json!({"reference": {"number": "PTUN-1", "date": "2026-11-20", "issuer": "PTUN"}, "reason": "dibatalkan"}),
        )
        .await;
    assert_eq!(annulled.status, 200, "{:?}", annulled.body);
    let ev = |id: &str, nip: Option<&str>, at: &str, kind: &str, data: Value| json!({ "event_id": id, "nip": nip, "occurred_at": at, "type": kind, "data": data });
    let events = json!({ "events": [
        ev("b1", Some(NIP), "2026-06-01T02:00:00Z", "block_ordered", json!({"block_id": "BLK-1", "scope": "asn", "reference": "BKN/1", "reason": "netralitas"})),
        ev("b2", None, "2026-07-01T02:00:00Z", "block_ordered", json!({"block_id": "BLK-2", "scope": "agency", "agency_code": "3315"})),
        ev("b3", Some(colleague), "2026-07-01T02:00:00Z", "block_ordered", json!({"block_id": "BLK-3", "scope": "asn"})),
        ev("b4", Some(NIP), "2026-08-01T02:00:00Z", "block_released", json!({"block_id": "BLK-1", "reference": "BKN/1/R"})),
    ]});
    let applied = app.post("/api/v1/bkn/updates", &events).await;
    assert_eq!(applied.status, 200, "{:?}", applied.body);
    let recommended = crate::cases::new_case(&app, NIP, "SBT-2026-1").await;
    crate::cases::to_recommended(&app, &recommended, "2026-10-05").await;
    crate::cases::new_case(&app, NIP, "SBT-2026-2").await;

    let mut conn = app.conn();
    let one = records::of_one(&mut conn, NIP)
        .unwrap()
        .expect("a known NIP");
    assert_eq!(
        Some(&one.profile),
        asn::find(&mut conn, NIP).unwrap().as_ref()
    );
    assert_eq!(
        one.sanctions,
        sanctions::for_nips(&mut conn, &[NIP]).unwrap()
    );
    assert_eq!(one.sanctions.len(), 2);
    assert!(one.sanctions[1].annulled_at.is_some());
    assert_eq!(
        one.blocks,
        blocks::affecting(&mut conn, &[NIP], &["3315"]).unwrap()
    );
    let ids: Vec<&str> = one.blocks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, vec!["BLK-1", "BLK-2"]);
    assert!(one.blocks[0].released_at.is_some());
    let steps: Vec<(String, cases::StepRow)> = cases::steps_for_nips(&mut conn, &[NIP], None)
        .unwrap()
        .into_iter()
        .map(|(_, reference, step)| (reference, step))
        .collect();
    assert_eq!(one.steps, steps);
    assert_eq!(one.steps.len(), 3, "reported, verification, recommendation");
    assert!(one.steps.iter().all(|(r, _)| r == "SBT-2026-1"));
    assert_eq!(
        records::of_one(&mut conn, "199901012020011001").unwrap(),
        None
    );
});

// A batch decides as single checks do: each item is what the single check says of its NIP
// (a sanction, the person's block, the agency's block, a recommended case, nothing, unknown).
both!(a_large_batch_decides_as_single_checks, |app| {
    let nips = [
        "199001012015032001",
        "199001012015032002",
        "199001012015031003",
        "199001012015031004",
        "199001012015031005",
        "199001012015031099",
    ];
    for (nip, agency) in nips[..5]
        .iter()
        .zip(["3315", "3315", "3316", "3315", "3315"])
    {
        assert_eq!(app.upsert_profile(nip, agency, "active").await.status, 200);
    }
    let s = app
        .record(&sanction(nips[0], "800/9/2026", "PP94_B1", "2026-02-10"))
        .await;
    assert_eq!(s.status, 201, "{:?}", s.body);
    let ev = |id: &str, nip: Option<&str>, data: Value| {
        json!({ "event_id": id, "nip": nip,
        "occurred_at": "2026-07-01T02:00:00Z", "type": "block_ordered", "data": data })
    };
    let events = json!({ "events": [
        ev("b1", Some(nips[1]), json!({"block_id": "BLK-1", "scope": "asn"})),
        ev("b2", None, json!({"block_id": "BLK-2", "scope": "agency", "agency_code": "3316"})),
    ]});
    assert_eq!(app.post("/api/v1/bkn/updates", &events).await.status, 200);
    let case = crate::cases::new_case(&app, nips[3], "SBT-2026-7").await;
    crate::cases::to_recommended(&app, &case, "2026-10-05").await;
    let singles = futures_util::future::join_all(
        nips.iter()
            .map(|n| app.eligibility(n, "promotion", "2026-11-01")),
    )
    .await;
    let asked: Vec<&str> = (0..120).map(|i| nips[i % nips.len()]).collect();
    let r = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({"purpose": "promotion", "as_of": "2026-11-01", "nips": asked}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // Each decision's outcome, reasons and notices; an error's code.
    let summary = |d: &Value| -> (String, Vec<String>) {
        let Some(outcome) = d["outcome"].as_str() else {
            return (d["code"].as_str().unwrap().to_string(), vec![]);
        };
        let listed = ["reasons", "notices"]
            .iter()
            .flat_map(|l| d[l].as_array().unwrap());
        let codes = listed.map(|r| r["code"].as_str().unwrap().to_string());
        (outcome.to_string(), codes.collect())
    };
    let singles: Vec<_> = singles.iter().map(|d| summary(&d.body)).collect();
    let expected = [
        ("ineligible", vec!["active_sanction"]),
        ("ineligible", vec!["bkn_block"]),
        ("ineligible", vec!["bkn_block"]),
        ("eligible", vec!["pending_case"]),
        ("eligible", vec![]),
        ("asn_not_found", vec![]),
    ]
    .map(|(o, c)| (o.to_string(), c.iter().map(|c| c.to_string()).collect()));
    assert_eq!(singles, expected);
    for (i, item) in r.body["results"].as_array().unwrap().iter().enumerate() {
        let got = match item["outcome"].is_string() {
            true => summary(item),
            false => summary(&item["error"]),
        };
        assert_eq!(got, singles[i % nips.len()], "item {i}: {item:?}");
    }
});

// A large batch is signed on two threads: every item's receipt verifies and is its own
// (decision, NIP, outcome), in request order.
both!(each_item_of_a_large_batch_carries_its_own_receipt, |app| {
    let other = "199001012015032001";
    app.upsert_profile(NIP, "3315", "active").await;
    app.upsert_profile(other, "3315", "active").await;
    app.record(&sanction(NIP, "800/9/BKPSDM/2026", "PP94_B1", "2026-02-10"))
        .await;
    let nips: Vec<&str> = (0..200)
        .map(|i| if i % 3 == 0 { NIP } else { other })
        .collect();
    let r = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({"purpose": "promotion", "as_of": "2026-06-01", "nips": nips}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let jwks = crate::evidence::jwks(&app).await;
    let items = r.body["results"].as_array().unwrap();
    assert_eq!(items.len(), 200);
    for (i, item) in items.iter().enumerate() {
        let claims = asn_eligibility::receipts::verify(item["receipt"].as_str().unwrap(), &jwks)
            .unwrap_or_else(|e| panic!("item {i}: {e}"));
        assert_eq!(
            claims.decision_id,
            item["decision_id"].as_str().unwrap(),
            "item {i}"
        );
        assert_eq!(claims.nip, nips[i], "item {i}");
        assert_eq!(
            claims.outcome,
            item["outcome"].as_str().unwrap(),
            "item {i}"
        );
        let expected = if nips[i] == NIP {
            "ineligible"
        } else {
            "eligible"
        };
        assert_eq!(claims.outcome, expected, "item {i}");
    }
});
