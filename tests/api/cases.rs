//! Neutrality cases (api.md "Neutrality cases", domain.md §3.4): the walk from report to
//! sanction, refused transitions, deadlines on the working-day calendar, the deadline job
//! once across instances, notices in decisions, the statistics against a hand count, scopes.

use crate::both;
use crate::helpers::{reason_codes, sanction, TestApp, NIP};
use asn_eligibility::config::Settings;
use serde_json::{json, Value};

pub(crate) fn report(nip: &str, reference: &str) -> Value {
    json!({
        "nip": nip, "source": "sbt", "source_reference": reference,
        "reported_on": "2026-09-28",
        "election": { "kind": "pilkada", "year": 2026, "region": "Kab. Grobogan" },
        "conduct": "campaign_attendance", "stage": "calon",
        "description": "Menghadiri kampanye pasangan calon",
        "evidence": [ { "url": "https://sbt.bkn.go.id/bukti/1", "sha256": "a".repeat(64) } ]
    })
}

pub(crate) async fn new_case(app: &TestApp, nip: &str, reference: &str) -> String {
    let r = app.post("/api/v1/cases", &report(nip, reference)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn step(app: &TestApp, id: &str, body: Value) -> crate::helpers::Resp {
    app.post(&format!("/api/v1/cases/{id}/steps"), &body).await
}

pub(crate) async fn to_recommended(app: &TestApp, id: &str, on: &str) -> Value {
    let r = step(
        app,
        id,
        json!({ "step": "verification_started", "on": "2026-09-29" }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = step(
        app,
        id,
        json!({ "step": "recommended", "on": on, "issuer": "BKN",
        "reference": { "number": "R-12/BKN/2026", "date": on, "issuer": "BKN" } }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

both!(
    a_case_walks_from_report_to_sanction_and_decisions_see_it,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let first = app
            .post("/api/v1/cases", &report(NIP, "SBT-2026-000123"))
            .await;
        assert_eq!(first.status, 201, "{:?}", first.body);
        assert_eq!(first.body["state"], "reported");
        assert_eq!(first.body["agency_code"], "3315");
        assert_eq!(first.body["steps"][0]["step"], "reported");
        let id = first.body["id"].as_str().unwrap().to_string();
        // The same report again is the same case; other content is a duplicate.
        let again = app
            .post("/api/v1/cases", &report(NIP, "SBT-2026-000123"))
            .await;
        assert_eq!(
            (again.status, again.body["id"].as_str()),
            (200, Some(id.as_str()))
        );
        let mut changed = report(NIP, "SBT-2026-000123");
        changed["description"] = json!("Lain");
        let dup = app.post("/api/v1/cases", &changed).await;
        assert_eq!((dup.status, dup.code()), (409, "duplicate_case"));
        assert_eq!(dup.body["case_id"], id.as_str());

        // Recommended on Monday 2026-10-05 with the conduct's default category: due 14 working
        // days later, Friday 2026-10-23.
        let case = to_recommended(&app, &id, "2026-10-05").await;
        assert_eq!(case["state"], "recommended");
        assert_eq!(case["recommendation"]["category"], "disciplinary_severe");
        assert_eq!(case["deadline"], "2026-10-23");
        assert_eq!(case["overdue"], true, "today is 2026-11-23");

        // JPT refuses an open case (pending_case, no end); promotion only notes it.
        let jpt = app.eligibility(NIP, "jpt_selection", "2026-11-23").await;
        assert_eq!(jpt.body["outcome"], "ineligible");
        assert_eq!(reason_codes(&jpt.body), vec!["pending_case"]);
        assert_eq!(jpt.body["reasons"][0]["case_id"], id.as_str());
        assert_eq!(jpt.body["eligible_from"], Value::Null);
        let promotion = app.eligibility(NIP, "promotion", "2026-11-23").await;
        assert_eq!(promotion.body["outcome"], "eligible");
        assert_eq!(promotion.body["notices"][0]["code"], "pending_case");
        assert_eq!(
            promotion.body["notices"][0]["decision_number"],
            "SBT-2026-000123"
        );
        // Before the recommendation the case did not count.
        let before = app.eligibility(NIP, "jpt_selection", "2026-10-01").await;
        assert_eq!(before.body["outcome"], "eligible");

        // The PPK's decree names the case: the case is sanctioned in the same transaction.
        let mut unknown = sanction(NIP, "800/75/BKPSDM/2026", "PP94_B1", "2026-11-10");
        unknown["case_id"] = json!("no-such-case");
        assert_eq!(app.record(&unknown).await.fields(), vec!["case_id"]);
        // A decree naming a case that does not await the PPK is refused whole.
        let other = new_case(&app, NIP, "SBT-2026-000124").await;
        let mut early = sanction(NIP, "800/76/BKPSDM/2026", "PP94_B1", "2026-11-10");
        early["case_id"] = json!(other);
        let refused = app.record(&early).await;
        assert_eq!(
            (refused.status, refused.body["state"].as_str()),
            (409, Some("reported"))
        );
        let mut decree = sanction(NIP, "800/77/BKPSDM/2026", "PP94_B1", "2026-11-10");
        // Dated before the recommendation (as sometimes keyed in): the step takes the later day.
        decree["decision"]["date"] = json!("2026-10-01");
        decree["decision"]["received_date"] = json!("2026-10-02");
        decree["case_id"] = json!(id);
        let recorded = app.record(&decree).await;
        assert_eq!(recorded.status, 201, "{:?}", recorded.body);
        let done = app.get(&format!("/api/v1/cases/{id}")).await;
        assert_eq!(done.body["state"], "sanctioned");
        assert_eq!(done.body["sanction_id"], recorded.body["id"]);
        assert_eq!(done.body["state_since"], "2026-10-05");
        assert_eq!(done.body["overdue"], false);
        let steps: Vec<&str> = done.body["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "reported",
                "verification_started",
                "recommended",
                "sanction_imposed"
            ]
        );
        let promotion = app.eligibility(NIP, "promotion", "2026-11-23").await;
        assert_eq!(
            promotion.body["notices"],
            json!([]),
            "closed cases are no notice"
        );
        let tr = app.get(&format!("/api/v1/asn/{NIP}/track-record")).await;
        let types = crate::helpers::event_types(&tr.body);
        for t in [
            "case.reported",
            "case.recommended",
            "case.sanctioned",
            "case.closed",
        ] {
            assert!(types.contains(&t), "{t} in {types:?}");
        }
        // Nothing in the change feed names a description.
        let feed = app.get("/api/v1/changes").await;
        assert!(!feed.body.to_string().contains("Menghadiri"), "thin events");
        assert!(feed.body.to_string().contains("case.recommended"));
        // The decree's transaction told several events of this person: each took the next
        // number, none twice, none skipped.
        let mine: Vec<(&str, i64)> = feed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["nip"] == NIP)
            .map(|c| (c["type"].as_str().unwrap(), c["seq"].as_i64().unwrap()))
            .collect();
        let seqs: Vec<i64> = mine.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            seqs,
            (1..=mine.len() as i64).collect::<Vec<_>>(),
            "{mine:?}"
        );
        assert!(
            mine.contains(&("case.closed", mine.len() as i64 - 1)),
            "{mine:?}"
        );
    }
);

both!(
    a_step_the_state_does_not_allow_is_invalid_transition,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let id = new_case(&app, NIP, "SBT-2026-9").await;
        for (s, state) in [
            ("recommended", "reported"),
            ("escalated", "reported"),
            ("not_proven", "reported"),
        ] {
            let r = step(
                &app,
                &id,
                json!({ "step": s, "on": "2026-10-01", "reason": "x" }),
            )
            .await;
            assert_eq!((r.status, r.code()), (409, "invalid_transition"), "{s}");
            assert_eq!(r.body["state"], state);
        }
        let r = step(&app, &id, json!({ "step": "rejected", "on": "2026-10-01" })).await;
        assert_eq!(r.fields(), vec!["reason"], "a rejection says why");
        let r = step(
            &app,
            &id,
            json!({ "step": "rejected", "on": "2026-10-01", "reason": "Tanpa NIP" }),
        )
        .await;
        assert_eq!(r.body["state"], "rejected");
        for s in [
            "verification_started",
            "withdrawn",
            "sanction_imposed",
            "block_requested",
        ] {
            let r = step(
                &app,
                &id,
                json!({ "step": s, "on": "2026-10-02", "reason": "x" }),
            )
            .await;
            assert_eq!(
                (r.status, r.body["state"].as_str()),
                (409, Some("rejected")),
                "{s} after the end"
            );
        }
        let r = step(
            &app,
            &id,
            json!({ "step": "teleported", "on": "2026-10-02" }),
        )
        .await;
        assert_eq!(r.fields(), vec!["step"]);
        let r = step(
            &app,
            &id,
            json!({ "step": "withdrawn", "on": "2099-01-01", "reason": "x" }),
        )
        .await;
        assert_eq!(r.fields(), vec!["on"]);
        let r = step(
            &app,
            "no-such-case",
            json!({ "step": "withdrawn", "on": "2026-10-02", "reason": "x" }),
        )
        .await;
        assert_eq!(r.status, 404);
    }
);

fn holiday_policy(s: &mut Settings) {
    let mut policy: Value =
        serde_json::from_str(asn_eligibility::domain::policy::DEFAULT_POLICY_JSON).unwrap();
    policy["version"] = json!("test-holidays");
    policy["effective_date"]["holidays"] = json!(["2026-11-05"]);
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join("policy.json");
    std::fs::write(&path, policy.to_string()).unwrap();
    s.policy_file = Some(path);
}

// The job reads the missed deadlines in batches, continuing after the last (deadline, id) it
// read: three cases missing the same day straddle a batch of two, and none is skipped or told
// twice.
both!(
    the_job_goes_through_every_batch_and_ties_on_a_day,
    settings = |s| s.job_batch_size = 2,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        for (i, on) in [
            "2026-10-01",
            "2026-10-01",
            "2026-10-01",
            "2026-10-02",
            "2026-10-05",
        ]
        .into_iter()
        .enumerate()
        {
            let id = new_case(&app, NIP, &format!("SBT-2026-B{i}")).await;
            to_recommended(&app, &id, on).await;
        }
        assert_eq!(app.run_job("case_deadlines").await["processed"], 5);
        assert_eq!(app.run_job("case_deadlines").await["processed"], 0);
        let overdue = app.get("/api/v1/cases?overdue=true").await;
        for case in overdue.body["items"].as_array().unwrap() {
            let id = case["id"].as_str().unwrap();
            let told = app.get(&format!("/api/v1/cases/{id}")).await;
            let steps = told.body["steps"].as_array().unwrap();
            assert_eq!(
                steps.iter().filter(|s| s["step"] == "overdue").count(),
                1,
                "{id}"
            );
        }
        assert_eq!(overdue.body["items"].as_array().unwrap().len(), 5);
    }
);

both!(
    deadlines_count_working_days_and_each_miss_is_told_once,
    settings = holiday_policy,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let id = new_case(&app, NIP, "SBT-2026-77").await;
        // Friday 2026-10-30 + 14 working days, skipping two weekends and the holiday on 5 Nov.
        let case = to_recommended(&app, &id, "2026-10-30").await;
        assert_eq!(case["deadline"], "2026-11-20");
        assert_eq!(case["overdue"], true);
        let overdue = app.get("/api/v1/cases?overdue=true").await;
        assert_eq!(overdue.body["items"].as_array().unwrap().len(), 1);
        let on_time = app.get("/api/v1/cases?overdue=false").await;
        assert_eq!(on_time.body["items"], json!([]));
        // Two instances run the job at once: the miss is told once.
        let other = app.sibling(crate::helpers::NOW, |_| {}).await;
        let (a, b) = tokio::join!(
            app.run_job("case_deadlines"),
            other.run_job("case_deadlines")
        );
        assert_eq!(
            a["processed"].as_i64().unwrap() + b["processed"].as_i64().unwrap(),
            1,
            "{a:?} {b:?}"
        );
        assert_eq!(app.run_job("case_deadlines").await["processed"], 0);
        drop(other);
        // Escalated today: 3 calendar days. A week later that deadline is missed too: told once more.
        let r = step(
            &app,
            &id,
            json!({ "step": "escalated", "on": "2026-11-23" }),
        )
        .await;
        assert_eq!(
            (r.body["state"].as_str(), r.body["deadline"].as_str()),
            (Some("escalated"), Some("2026-11-26"))
        );
        assert_eq!(r.body["overdue"], false);
        assert_eq!(
            r.body["followup_due"], "2026-11-20",
            "the PPK's first deadline is kept"
        );
        let later = app.sibling("2026-11-30T03:00:00Z", holiday_policy).await;
        assert_eq!(later.run_job("case_deadlines").await["processed"], 1);
        assert_eq!(later.run_job("case_deadlines").await["processed"], 0);
        let told = later.get(&format!("/api/v1/cases/{id}")).await;
        let overdue_steps: Vec<&Value> = told.body["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["step"] == "overdue")
            .collect();
        assert_eq!(overdue_steps.len(), 2);
        assert_eq!(overdue_steps[0]["data"]["deadline"], "2026-11-20");
        assert_eq!(overdue_steps[1]["data"]["days_overdue"], 4);
        drop(later);
    }
);

both!(
    a_block_ordered_for_a_case_is_linked_and_its_release_falls_due,
    |app| {
        app.upsert_profile(NIP, "3315", "active").await;
        let id = new_case(&app, NIP, "SBT-2026-55").await;
        to_recommended(&app, &id, "2026-10-05").await;
        let r = step(
            &app,
            &id,
            json!({ "step": "block_requested", "on": "2026-10-27" }),
        )
        .await;
        assert_eq!(r.body["state"], "blocked");
        let ordered = app
        .post("/api/v1/bkn/updates", &json!({ "events": [{
            "event_id": "bkn-blk-55", "nip": NIP, "occurred_at": "2026-10-28T02:00:00Z",
            "type": "block_ordered",
            "data": { "block_id": "BLK-55", "scope": "asn", "reference": "BKN/BLK/55", "case_id": id } }]}))
        .await;
        assert_eq!(
            ordered.body["results"][0]["outcome"], "applied",
            "{:?}",
            ordered.body
        );
        let unknown = app
            .post(
                "/api/v1/bkn/updates",
                &json!({ "events": [{
            "event_id": "bkn-blk-56", "nip": NIP, "occurred_at": "2026-10-28T02:00:00Z",
            "type": "block_ordered",
            "data": { "block_id": "BLK-56", "scope": "asn", "case_id": "nope" } }]}),
            )
            .await;
        assert_eq!(
            unknown.body["results"][0]["error"]["errors"][0]["field"],
            "events[0].data.case_id"
        );
        let case = app.get(&format!("/api/v1/cases/{id}")).await;
        assert_eq!(case.body["block_ids"], json!(["BLK-55"]));
        let decree = app
            .record(&sanction(NIP, "800/55/2026", "PP94_S2", "2026-11-10"))
            .await;
        let r = step(
            &app,
            &id,
            json!({ "step": "sanction_imposed", "on": "2026-11-03",
        "sanction_id": decree.body["id"] }),
        )
        .await;
        assert_eq!(r.body["state"], "sanctioned", "{:?}", r.body);
        let last = r.body["steps"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["step"].as_str(), &last["data"]["block_ids"]),
            (Some("block_release_due"), &json!(["BLK-55"]))
        );
        // The clock never releases the block: BKN does.
        let blocks = app.get(&format!("/api/v1/blocks?nip={NIP}")).await;
        assert_eq!(blocks.body["items"][0]["active"], true);
        let feed = app.get("/api/v1/changes").await;
        assert!(feed.body.to_string().contains("case.block_release_due"));
    }
);

both!(the_statistics_reproduce_a_hand_computed_table, |app| {
    let (a, b, c, d) = (
        "199001012015032001",
        "198001012005011003",
        "197512312000121004",
        "196801011990031005",
    );
    let (e, f) = ("199506062019032006", NIP);
    for (nip, agency) in [
        (a, "3315"),
        (b, "3315"),
        (c, "3315"),
        (d, "3315"),
        (e, "3316"),
        (f, "3316"),
    ] {
        app.upsert_profile(nip, agency, "active").await;
    }
    // 3315: A rejected; B sanctioned 10 days after its recommendation (within 14 working
    // days); C after 28 days (late); D recommended, overdue now. 3316: E not proven; F reported.
    let ca = new_case(&app, a, "S-A").await;
    step(
        &app,
        &ca,
        json!({ "step": "rejected", "on": "2026-09-29", "reason": "Tanpa bukti" }),
    )
    .await;
    for (nip, reference, sanctioned_on) in [(b, "S-B", "2026-10-15"), (c, "S-C", "2026-11-02")] {
        let id = new_case(&app, nip, reference).await;
        to_recommended(&app, &id, "2026-10-05").await;
        let decree = app
            .record(&sanction(
                nip,
                &format!("800/{reference}"),
                "PP94_S2",
                "2026-11-10",
            ))
            .await;
        let r = step(&app, &id, json!({ "step": "sanction_imposed", "on": sanctioned_on, "sanction_id": decree.body["id"] })).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let cd = new_case(&app, d, "S-D").await;
    to_recommended(&app, &cd, "2026-11-02").await;
    let ce = new_case(&app, e, "S-E").await;
    step(
        &app,
        &ce,
        json!({ "step": "verification_started", "on": "2026-09-29" }),
    )
    .await;
    step(
        &app,
        &ce,
        json!({ "step": "not_proven", "on": "2026-10-01", "reason": "Tidak terbukti" }),
    )
    .await;
    new_case(&app, f, "S-F").await;

    let stats = app
        .get("/api/v1/cases/stats?from=2026-01-01&to=2026-12-31&group_by=agency")
        .await;
    assert_eq!(stats.status, 200, "{:?}", stats.body);
    let groups = stats.body["groups"].as_array().unwrap();
    let g = |code: &str| groups.iter().find(|g| g["group"] == code).unwrap().clone();
    let expected_3315 = json!({ "group": "3315", "reported": 4, "rejected": 1, "not_proven": 0,
        "recommended": 3, "sanctioned": 2, "followed_up_within_deadline": 1,
        "followed_up_rate": 2.0 / 3.0, "median_days_to_follow_up": 19.0, "overdue_now": 1,
        "blocks_requested": 0, "blocks_released": 0 });
    assert_eq!(g("3315"), expected_3315);
    let expected_3316 = json!({ "group": "3316", "reported": 2, "rejected": 0, "not_proven": 1,
        "recommended": 0, "sanctioned": 0, "followed_up_within_deadline": 0,
        "followed_up_rate": null, "median_days_to_follow_up": null, "overdue_now": 0,
        "blocks_requested": 0, "blocks_released": 0 });
    assert_eq!(g("3316"), expected_3316);
    let by_election = app.get("/api/v1/cases/stats?group_by=election").await;
    assert_eq!(by_election.body["groups"][0]["group"], "pilkada 2026");
    assert_eq!(by_election.body["groups"][0]["reported"], 6);
    let none = app
        .get("/api/v1/cases/stats?from=2027-01-01&to=2027-12-31")
        .await;
    assert_eq!(none.body["groups"], json!([]));
    let bad = app.get("/api/v1/cases/stats?group_by=planet").await;
    assert_eq!(bad.fields(), vec!["group_by"]);
});

both!(scopes_and_agency_limit_who_moves_a_case, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    app.upsert_profile("199001012015032001", "3316", "active")
        .await;
    let ours = new_case(&app, NIP, "S-1").await;
    let theirs = new_case(&app, "199001012015032001", "S-2").await;
    to_recommended(&app, &ours, "2026-10-05").await;
    to_recommended(&app, &theirs, "2026-10-05").await;
    let as_ = |scope: &str,
               agency: Option<&str>,
               method: reqwest::Method,
               path: String,
               body: Option<Value>| {
        let mut req = app
            .request(method, &path)
            .bearer_auth(app.token_for(scope, agency));
        if let Some(b) = body {
            req = req.json(&b);
        }
        app.send(req)
    };
    let r = as_(
        "registry:read",
        None,
        reqwest::Method::GET,
        "/api/v1/cases".into(),
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    let r = as_(
        "cases:read",
        None,
        reqwest::Method::POST,
        "/api/v1/cases".into(),
        Some(report(NIP, "S-3")),
    )
    .await;
    assert_eq!(r.status, 403);
    let ppk = |path: String, body: Value| {
        as_(
            "cases:write",
            Some("3316"),
            reqwest::Method::POST,
            path,
            Some(body),
        )
    };
    let r = ppk("/api/v1/cases".into(), report(NIP, "S-4")).await;
    assert_eq!(r.status, 403, "a PPK does not record reports");
    let r = ppk(
        format!("/api/v1/cases/{theirs}/steps"),
        json!({ "step": "escalated", "on": "2026-11-02" }),
    )
    .await;
    assert_eq!(r.status, 403, "escalation is not the PPK's step");
    let r = ppk(
        format!("/api/v1/cases/{ours}/steps"),
        json!({ "step": "examination_started", "on": "2026-11-02" }),
    )
    .await;
    assert_eq!(r.status, 403, "not the PPK's ASN");
    let r = ppk(
        format!("/api/v1/cases/{theirs}/steps"),
        json!({ "step": "examination_started", "on": "2026-11-02" }),
    )
    .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("recommended")),
        "{:?}",
        r.body
    );
    let r = as_(
        "cases:read",
        None,
        reqwest::Method::GET,
        format!("/api/v1/cases?nip={NIP}"),
        None,
    )
    .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
});

both!(bad_reports_name_their_fields, |app| {
    let mut bad = report("12345", "S-1");
    let r = app.post("/api/v1/cases", &bad).await;
    assert_eq!(r.code(), "invalid_nip");
    bad = report(NIP, " ");
    bad["reported_on"] = json!("2099-01-01");
    bad["evidence"][0]["sha256"] = json!("xyz");
    bad["evidence"][0]["url"] = json!("javascript:alert(1)");
    bad["election"]["year"] = json!(1066);
    let r = app.post("/api/v1/cases", &bad).await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "election.year",
            "evidence[0].sha256",
            "evidence[0].url",
            "reported_on",
            "source_reference"
        ]
    );
    bad = report(NIP, "S-1");
    bad["conduct"] = json!("karaoke");
    assert_eq!(
        app.post("/api/v1/cases", &bad).await.fields(),
        vec!["conduct"]
    );
    bad = report(NIP, "S-1");
    bad["reporter_name"] = json!("Budi");
    let r = app.post("/api/v1/cases", &bad).await;
    assert_eq!(r.status, 400, "no field names a reporter");
    bad = report(NIP, "S-1");
    bad["source"] = json!("twitter");
    assert_eq!(
        app.post("/api/v1/cases", &bad).await.fields(),
        vec!["source"]
    );
    let r = app.get("/api/v1/cases?state=lost").await;
    assert_eq!(r.fields(), vec!["state"]);
    let r = app.get("/api/v1/cases/none").await;
    assert_eq!(r.status, 404);
});
