use crate::both;
use serde_json::json;

both!(profile_of_an_unknown_nip_is_asn_not_found, |app| {
    let r = app.get(&format!("/api/v1/asn/{NIP}")).await;
    assert_eq!((r.status, r.code()), (404, "asn_not_found"));
    let r = app.get("/api/v1/asn/19850330201001100X").await;
    assert_eq!((r.status, r.code()), (400, "invalid_nip"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("18"),
        "{:?}",
        r.body
    );
});

both!(track_record_has_profile_sanctions_and_timeline, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let s1 = app
        .record(&sanction(NIP, "t-1", "PP94_S3", "2026-06-01"))
        .await;
    let s2 = app
        .record(&sanction(NIP, "t-2", "PP94_S1", "2026-01-01"))
        .await;
    app.post(&format!("/api/v1/sanctions/{}/lift", s1.body["id"].as_str().unwrap()),
        &json!({"reason": "obligation_ended", "reference": {"number": "L-1", "date": "2026-11-20"}})).await;
    app.post(&format!("/api/v1/sanctions/{}/annul", s2.body["id"].as_str().unwrap()),
        &json!({"reference": {"number": "BPASN-1", "date": "2026-11-21", "issuer": "BPASN"}, "reason": "annulled on appeal"})).await;
    let tr = app
        .get(&format!("/api/v1/asn/{NIP}/track-record?as_of=2026-07-01"))
        .await;
    assert_eq!(tr.status, 200, "{:?}", tr.body);
    assert_eq!(tr.body["profile"]["agency_code"], "3315");
    assert_eq!(tr.body["profile"]["status"], "active");
    let statuses: Vec<&str> = tr.body["sanctions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        vec!["annulled", "active"],
        "oldest first, annulled kept; as of 2026-07-01 the sanction lifted today still ran"
    );
    let types = event_types(&tr.body);
    assert_eq!(
        types,
        vec![
            "asn.registered",
            "asn.profile_updated",
            "sanction.recorded",
            "sanction.recorded",
            // t-2 (6 months from 2026-01-01) was recorded after its end: its end is told too.
            "sanction.expired",
            "sanction.lifted",
            "sanction.annulled"
        ]
    );
    assert_eq!(tr.body["events"][5]["actor"], "tester");
    assert_eq!(tr.body["events"][5]["data"]["reference"]["number"], "L-1");
    let bad = app
        .get(&format!("/api/v1/asn/{NIP}/track-record?as_of=yesterday"))
        .await;
    assert_eq!(bad.fields(), vec!["as_of"]);
});
