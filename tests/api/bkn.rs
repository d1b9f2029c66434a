use crate::both;
use serde_json::json;

fn ev(id: &str, nip: &str, at: &str, kind: &str, data: serde_json::Value) -> serde_json::Value {
    json!({ "event_id": id, "nip": nip, "occurred_at": at, "type": kind, "data": data })
}

both!(events_are_applied_duplicate_stale_or_rejected, |app| {
    let other = "199001012015032001";
    let batch = json!({ "events": [
        ev("e1", NIP, "2026-05-01T00:00:00Z", "asn_upserted", json!({"name": "Siti", "agency_code": "3315", "employment_type": "PNS", "status": "active"})),
        ev("e2", NIP, "2026-06-01T00:00:00Z", "status_changed", json!({"status": "suspended", "effective_date": "2026-06-01"})),
        ev("e1", NIP, "2026-05-01T00:00:00Z", "asn_upserted", json!({"name": "Siti"})),
        ev("e3", NIP, "2026-04-01T00:00:00Z", "asn_upserted", json!({"name": "Old name"})),
        ev("e4", "12345", "2026-06-01T00:00:00Z", "asn_upserted", json!({})),
        ev("e5", other, "2026-06-01T00:00:00Z", "asn_upserted", json!({"status": "sleeping"})),
        ev("e6", other, "2026-06-01T00:00:00Z", "teleported", json!({})),
        json!({ "nip": other }),
        ev("e7", other, "2026-06-02T00:00:00Z", "asn_upserted", json!({"agency_code": "9999", "status": "active"})),
    ]});
    let r = app.post("/api/v1/bkn/updates", &batch).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let outcomes: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        vec![
            "applied",
            "applied",
            "duplicate",
            "stale",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "applied"
        ]
    );
    assert_eq!(r.body["results"][4]["error"]["code"], "validation_failed");
    assert_eq!(
        r.body["results"][4]["error"]["errors"][0]["field"],
        "events[4].nip"
    );
    assert_eq!(
        r.body["results"][5]["error"]["errors"][0]["field"],
        "events[5].data.status"
    );
    assert_eq!(
        r.body["results"][6]["error"]["errors"][0]["field"],
        "events[6].type"
    );
    assert_eq!(r.body["results"][0]["error"], serde_json::Value::Null);
    let p = app.get(&format!("/api/v1/asn/{NIP}")).await;
    assert_eq!(
        (p.body["name"].as_str(), p.body["status"].as_str()),
        (Some("Siti"), Some("suspended"))
    );
    assert_eq!(p.body["status_since"], "2026-06-01");
    assert_eq!(p.body["employment_type"], "PNS");
    // Duplicate forever, not only within a batch.
    let again = app.post("/api/v1/bkn/updates", &json!({"events": [ev("e2", NIP, "2026-07-01T00:00:00Z", "status_changed", json!({"status": "active"}))]})).await;
    assert_eq!(again.body["results"][0]["outcome"], "duplicate");
    assert_eq!(
        app.get(&format!("/api/v1/asn/{NIP}")).await.body["status"],
        "suspended"
    );
    // The status drives eligibility.
    let e = app.eligibility(NIP, "promotion", "2026-11-23").await;
    assert_eq!(e.body["reasons"][0]["code"], "not_active");
    assert_eq!(e.body["eligible_from"], serde_json::Value::Null);
});

both!(batch_limits_and_envelope_errors, |app| {
    let many: Vec<_> = (0..5001)
        .map(|i| {
            ev(
                &format!("x{i}"),
                NIP,
                "2026-05-01T00:00:00Z",
                "asn_upserted",
                json!({}),
            )
        })
        .collect();
    let r = app
        .post("/api/v1/bkn/updates", &json!({ "events": many }))
        .await;
    assert_eq!(
        (r.status, r.code(), r.fields()),
        (413, "payload_too_large", vec!["events".to_string()])
    );
    assert!(
        r.body["detail"].as_str().unwrap().contains("5000"),
        "{:?}",
        r.body
    );
    let r = app
        .post("/api/v1/bkn/updates", &json!({ "evnts": [] }))
        .await;
    assert_eq!(r.code(), "validation_failed");
    let forbidden = app
        .send(
            app.request(reqwest::Method::POST, "/api/v1/bkn/updates")
                .bearer_auth(app.token("registry:read"))
                .json(&json!({"events": []})),
        )
        .await;
    assert_eq!(forbidden.status, 403);
});

both!(blocks_of_both_scopes_end_only_by_release, |app| {
    let colleague = "199001012015032001";
    app.upsert_profile(NIP, "3315", "active").await;
    app.upsert_profile(colleague, "3315", "active").await;
    let order = json!({ "events": [
        ev("b1", NIP, "2026-06-01T02:00:00Z", "block_ordered", json!({"block_id": "BLK-1", "scope": "asn", "reference": "BKN/WASDAL/1", "reason": "neutrality not followed up"})),
        json!({ "event_id": "b2", "occurred_at": "2026-07-01T02:00:00Z", "type": "block_ordered",
                "data": {"block_id": "BLK-2", "scope": "agency", "agency_code": "3315", "reference": "BKN/2"} }),
        json!({ "event_id": "b3", "occurred_at": "2026-07-01T02:00:00Z", "type": "block_ordered", "data": {"block_id": "BLK-3", "scope": "agency"} }),
        ev("b4", NIP, "2026-07-02T02:00:00Z", "block_ordered", json!({"block_id": "BLK-1", "scope": "asn"})),
        json!({ "event_id": "b5", "occurred_at": "2026-07-02T02:00:00Z", "type": "block_released", "data": {"block_id": "BLK-404"} }),
    ]});
    let r = app.post("/api/v1/bkn/updates", &order).await;
    let outcomes: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        vec!["applied", "applied", "rejected", "rejected", "rejected"],
        "{:?}",
        r.body
    );
    assert_eq!(
        r.body["results"][2]["error"]["errors"][0]["field"],
        "events[2].data.agency_code"
    );
    assert_eq!(
        r.body["results"][3]["error"]["errors"][0]["field"],
        "events[3].data.block_id"
    );
    // Years later a block still holds: no clock ends it.
    let e = app.eligibility(NIP, "pension", "2030-01-01").await;
    let codes = reason_codes(&e.body);
    assert_eq!(
        codes,
        vec!["bkn_block", "bkn_block"],
        "the person's and the agency's"
    );
    assert_eq!(e.body["eligible_from"], serde_json::Value::Null);
    assert_eq!(e.body["reasons"][0]["block_id"], "BLK-1");
    let c = app.eligibility(colleague, "promotion", "2026-07-01").await;
    assert_eq!(
        c.body["reasons"][0]["block_id"], "BLK-2",
        "an agency block covers every ASN of it"
    );
    assert_eq!(
        app.eligibility(colleague, "promotion", "2026-06-30")
            .await
            .body["outcome"],
        "eligible"
    );
    let listed = app
        .get(&format!("/api/v1/blocks?nip={NIP}&active=true"))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    let release = json!({ "events": [
        ev("r1", NIP, "2026-08-01T02:00:00Z", "block_released", json!({"block_id": "BLK-1", "reference": "BKN/OPEN/1"})),
        ev("r2", NIP, "2026-08-02T02:00:00Z", "block_released", json!({"block_id": "BLK-1"})),
        json!({ "event_id": "r3", "occurred_at": "2026-08-01T02:00:00Z", "type": "block_released", "data": {"block_id": "BLK-2"} }),
    ]});
    let r = app.post("/api/v1/bkn/updates", &release).await;
    let outcomes: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["applied", "stale", "applied"]);
    assert_eq!(
        app.eligibility(NIP, "promotion", "2026-08-01").await.body["outcome"],
        "eligible"
    );
    let during = app.eligibility(NIP, "promotion", "2026-07-15").await;
    assert_eq!(
        during.body["eligible_from"], "2026-08-01",
        "as of a day inside, it ended on its release"
    );
    let inactive = app
        .get("/api/v1/blocks?agency_code=3315&active=false")
        .await;
    assert_eq!(
        inactive.body["items"][0]["release_reference"],
        serde_json::Value::Null
    );
    assert_eq!(inactive.body["items"][0]["active"], false);
    let tr = app.get(&format!("/api/v1/asn/{NIP}/track-record")).await;
    assert_eq!(tr.body["blocks"].as_array().unwrap().len(), 2);
    let types = event_types(&tr.body);
    for t in ["block.ordered", "block.released"] {
        assert_eq!(
            types.iter().filter(|x| **x == t).count(),
            2,
            "{t} in {types:?}"
        );
    }
});

both!(
    reconciliation_counts_the_day_and_digests_what_was_applied,
    |app| {
        let batch = json!({ "events": [
            ev("rc-2", NIP, "2026-05-01T00:00:00Z", "asn_upserted", json!({"status": "active"})),
            ev("rc-1", NIP, "2026-04-01T00:00:00Z", "asn_upserted", json!({"name": "old"})),
            ev("rc-2", NIP, "2026-05-01T00:00:00Z", "asn_upserted", json!({"status": "active"})),
            ev("rc-3", "1", "2026-05-01T00:00:00Z", "asn_upserted", json!({})),
            ev("rc-4", NIP, "2026-06-01T00:00:00Z", "status_changed", json!({"status": "retired"})),
        ]});
        app.post("/api/v1/bkn/updates", &batch).await;
        let r = app.get("/api/v1/bkn/reconciliation?date=2026-11-23").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(
            (
                r.body["applied"].as_i64(),
                r.body["stale"].as_i64(),
                r.body["duplicate"].as_i64(),
                r.body["rejected"].as_i64()
            ),
            (Some(2), Some(1), Some(1), Some(1))
        );
        use sha2::Digest;
        let expected = hex::encode(sha2::Sha256::digest(b"rc-2\nrc-4\n"));
        assert_eq!(
            r.body["applied_digest"],
            expected.as_str(),
            "SHA-256 over the sorted applied ids"
        );
        let other_day = app.get("/api/v1/bkn/reconciliation?date=2026-11-22").await;
        assert_eq!(
            (
                other_day.body["applied"].as_i64(),
                other_day.body["applied_digest"].as_str()
            ),
            (
                Some(0),
                Some(hex::encode(sha2::Sha256::digest(b"")).as_str())
            )
        );
        assert_eq!(
            app.get("/api/v1/bkn/reconciliation").await.fields(),
            vec!["date"]
        );
    }
);
