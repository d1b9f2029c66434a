use crate::both;
use crate::helpers::sanction;
use serde_json::json;

fn appeal(kind: &str, filed_on: &str) -> serde_json::Value {
    json!({ "kind": kind, "filed_on": filed_on, "reference": { "number": "KEB-1", "date": filed_on } })
}

/// A sanction whose decree is dated the day it takes effect, so an appeal can be timely.
fn decree(nip: &str, number: &str, type_code: &str, day: &str) -> serde_json::Value {
    let mut b = sanction(nip, number, type_code, day);
    b["decision"]["date"] = json!(day);
    b["decision"]["received_date"] = json!(day);
    b
}

fn decision(outcome: &str, replacement: Option<serde_json::Value>) -> serde_json::Value {
    let mut d = json!({ "outcome": outcome, "decided_on": "2026-11-22", "reference": { "number": "BPASN-9/2026", "date": "2026-11-22" } });
    if let Some(r) = replacement {
        d["replacement"] = r;
    }
    d
}

both!(an_upheld_appeal_returns_to_the_dated_status, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let s = app
        .record(&decree(NIP, "ap-1", "PP94_S3", "2026-11-10"))
        .await;
    let id = s.body["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal"),
            &appeal("keberatan", "2026-11-20"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("under_appeal")),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["appeal"]["kind"], "keberatan");
    // 14 working days after the decision of Tuesday 2026-11-10 (policy [U]); no decision
    // deadline for a keberatan in the default policy.
    assert_eq!(r.body["appeal"]["last_filing_day"], "2026-11-30");
    assert_eq!(r.body["appeal"]["decision_due"], serde_json::Value::Null);
    // PP 53/2010 Pasal 41 as policy: no promotion or KGB while the appeal is pending.
    let e = app.eligibility(NIP, "promotion", "2026-11-23").await;
    assert_eq!(e.body["reasons"][0]["code"], "pending_appeal");
    assert_eq!(e.body["eligible_from"], serde_json::Value::Null);
    // Before it was filed, the sanction ran as decided.
    let before = app.eligibility(NIP, "promotion", "2026-11-19").await;
    assert_eq!(before.body["reasons"][0]["code"], "active_sanction");
    let again = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal"),
            &appeal("banding", "2026-11-21"),
        )
        .await;
    assert_eq!(
        (
            again.status,
            again.code(),
            again.body["current_status"].as_str()
        ),
        (409, "invalid_transition", Some("under_appeal"))
    );
    let lift = app
        .post(
            &format!("/api/v1/sanctions/{id}/lift"),
            &json!({"reason": "other", "reference": {"number": "1", "date": "2026-11-21"}}),
        )
        .await;
    assert_eq!(lift.code(), "invalid_transition");
    let upheld = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal/decision"),
            &decision("upheld", None),
        )
        .await;
    assert_eq!(upheld.status, 200, "{:?}", upheld.body);
    assert_eq!(upheld.body["sanction"]["status"], "active");
    assert_eq!(
        upheld.body["sanction"]["appeal"]["decision"]["outcome"],
        "upheld"
    );
    assert_eq!(upheld.body["replacement"], serde_json::Value::Null);
    assert_eq!(
        app.eligibility(NIP, "promotion", "2026-11-23").await.body["reasons"][0]["code"],
        "active_sanction"
    );
    let twice = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal/decision"),
            &decision("upheld", None),
        )
        .await;
    assert_eq!(
        (twice.status, twice.body["current_status"].as_str()),
        (409, Some("active"))
    );
    let expired = app
        .record(&sanction(NIP, "ap-2", "PP94_S1", "2024-01-01"))
        .await;
    let r = app
        .post(
            &format!(
                "/api/v1/sanctions/{}/appeal",
                expired.body["id"].as_str().unwrap()
            ),
            &appeal("keberatan", "2026-11-20"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["current_status"].as_str()),
        (409, Some("expired"))
    );
});

both!(
    a_reduced_sanction_supersedes_the_old_one_with_lineage_both_ways,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let s = app
            .record(&decree(NIP, "ap-3", "PP94_B3", "2026-06-01"))
            .await;
        let id = s.body["id"].as_str().unwrap();
        // A dismissal (PDHTAPS), appealed to BPASN within 14 working days (PP 79/2021).
        let filed = app
            .post(
                &format!("/api/v1/sanctions/{id}/appeal"),
                &appeal("banding", "2026-06-10"),
            )
            .await;
        assert_eq!(filed.status, 200, "{:?}", filed.body);
        let missing = app
            .post(
                &format!("/api/v1/sanctions/{id}/appeal/decision"),
                &decision("reduced", None),
            )
            .await;
        assert_eq!(missing.fields(), vec!["replacement"]);
        let bad = app
            .post(
                &format!("/api/v1/sanctions/{id}/appeal/decision"),
                &decision("reduced", Some(json!({"type": "PP94_Z"}))),
            )
            .await;
        assert_eq!(bad.fields(), vec!["replacement.type"]);
        let r = app
            .post(
                &format!("/api/v1/sanctions/{id}/appeal/decision"),
                &decision("reduced", Some(json!({"type": "PP94_S1"}))),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let (old, new) = (&r.body["sanction"], &r.body["replacement"]);
        assert_eq!(old["status"], "superseded");
        assert_eq!(old["superseded_by"], new["id"]);
        assert_eq!(new["supersedes"], old["id"]);
        assert_eq!(
            new["decision"]["issuer"], "BPASN",
            "a banding is decided by BPASN"
        );
        assert_eq!(new["decision"]["number"], "BPASN-9/2026");
        assert_eq!(
            (
                new["effective_from"].as_str(),
                new["effective_until"].as_str()
            ),
            (Some("2026-06-01"), Some("2026-12-01"))
        );
        // Only the replacement counts now: 6 months instead of 12.
        let e = app.eligibility(NIP, "promotion", "2026-11-23").await;
        let reasons = e.body["reasons"].as_array().unwrap();
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0]["sanction_id"], new["id"]);
        assert_eq!(e.body["eligible_from"], "2026-12-01");
        let tr = app.get(&format!("/api/v1/asn/{NIP}/track-record")).await;
        let types = event_types(&tr.body);
        assert!(
            types.ends_with(&[
                "sanction.appealed",
                "sanction.appeal_decided",
                "sanction.recorded",
                "sanction.superseded"
            ]),
            "{types:?}"
        );
        let superseded = app.get("/api/v1/sanctions?status=superseded").await;
        assert_eq!(superseded.body["items"][0]["id"], old["id"]);
        let annul = app.post(&format!("/api/v1/sanctions/{}/annul", old["id"].as_str().unwrap()),
        &json!({"reference": {"number": "X", "date": "2026-11-22", "issuer": "Court"}, "reason": "r"})).await;
        assert_eq!(
            (annul.status, annul.body["current_status"].as_str()),
            (409, Some("superseded"))
        );
    }
);

both!(an_appeal_can_annul, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let s = app
        .record(&decree(NIP, "ap-4", "PP94_S2", "2026-09-01"))
        .await;
    let id = s.body["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/sanctions/{id}/appeal"),
        &appeal("keberatan", "2026-09-05"),
    )
    .await;
    let refused = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal/decision"),
            &decision("annulled", Some(json!({"type": "PP94_S1"}))),
        )
        .await;
    assert_eq!(refused.fields(), vec!["replacement"]);
    let r = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal/decision"),
            &decision("annulled", None),
        )
        .await;
    assert_eq!(r.body["sanction"]["status"], "annulled");
    assert_eq!(
        app.eligibility(NIP, "promotion", "2026-11-23").await.body["outcome"],
        "eligible"
    );
});
