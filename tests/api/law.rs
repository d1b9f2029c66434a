//! The rules of domain.md that a selection committee relies on in front of a court, each over
//! HTTP on both backends: appeals (§6), dates (§2), JPT while an appeal is pending (§5.2),
//! status as of a day, the whole catalogue (§1, §4), PPPK (§7.2), old NIPs (§7.1).

use crate::both;
use crate::helpers::{reason_codes, Backend, TestApp, NIP};
use serde_json::{json, Value};

/// A sanction whose decree is dated `date` and takes effect on `from`.
fn decree(nip: &str, number: &str, type_code: &str, date: &str, from: &str) -> Value {
    json!({
        "nip": nip, "type": type_code, "effective_from": from,
        "decision": { "number": number, "date": date, "issuer": "PPK", "issuer_agency": "3315" },
    })
}

fn appeal(kind: &str, filed_on: &str) -> Value {
    json!({ "kind": kind, "filed_on": filed_on, "reference": { "number": "UA-1", "date": filed_on } })
}

/// A sanction of `type_code` decreed and in force from `day`, with a keberatan filed on
/// `filed_on`; its id.
async fn appealed(
    app: &TestApp,
    number: &str,
    type_code: &str,
    day: &str,
    filed_on: &str,
) -> String {
    let id = record_id(app, &decree(NIP, number, type_code, day, day)).await;
    let r = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal"),
            &appeal("keberatan", filed_on),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    id
}

async fn record_id(app: &TestApp, body: &Value) -> String {
    let r = app.record(body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

both!(appeals_lie_by_kind_and_deadline_as_pp_79_says, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    // Monday 2026-11-02; 14 working days later is Friday 2026-11-20 (domain.md §6 [C]).
    let demotion = record_id(
        &app,
        &decree(NIP, "B1/1", "PP94_B1", "2026-11-02", "2026-11-02"),
    )
    .await;
    let dismissal = record_id(
        &app,
        &decree(NIP, "B3/1", "PP94_B3", "2026-11-02", "2026-11-02"),
    )
    .await;
    let path = |id: &str| format!("/api/v1/sanctions/{id}/appeal");

    let banding_on_demotion = app
        .post(&path(&demotion), &appeal("banding", "2026-11-03"))
        .await;
    assert_eq!(
        (banding_on_demotion.status, banding_on_demotion.code()),
        (422, "appeal_not_allowed"),
        "banding lies against a dismissal only: {:?}",
        banding_on_demotion.body
    );
    let keberatan_on_dismissal = app
        .post(&path(&dismissal), &appeal("keberatan", "2026-11-03"))
        .await;
    assert_eq!(
        (keberatan_on_dismissal.status, keberatan_on_dismissal.code()),
        (422, "appeal_not_allowed")
    );
    assert_eq!(
        keberatan_on_dismissal.header("content-type"),
        Some("application/problem+json")
    );
    let late = app
        .post(&path(&dismissal), &appeal("banding", "2026-11-23"))
        .await;
    assert_eq!((late.status, late.code()), (422, "appeal_too_late"));
    assert_eq!(late.body["last_filing_day"], "2026-11-20");
    let early = app
        .post(&path(&dismissal), &appeal("banding", "2026-11-01"))
        .await;
    assert_eq!(
        (early.status, early.fields()),
        (400, vec!["filed_on".to_string()]),
        "never before the decision"
    );
    // Refusals changed nothing: both sanctions are still active and unappealed.
    let still = app.get(&format!("/api/v1/sanctions/{dismissal}")).await;
    assert_eq!(
        (still.body["status"].as_str(), &still.body["appeal"]),
        (Some("active"), &Value::Null)
    );

    let banding = app
        .post(&path(&dismissal), &appeal("banding", "2026-11-20"))
        .await;
    assert_eq!(banding.status, 200, "{:?}", banding.body);
    assert_eq!(banding.body["status"], "under_appeal");
    assert_eq!(banding.body["appeal"]["last_filing_day"], "2026-11-20");
    assert_eq!(
        banding.body["appeal"]["decision_due"], "2027-02-19",
        "BPASN decides within 65 working days"
    );
    let keberatan = app
        .post(&path(&demotion), &appeal("keberatan", "2026-11-03"))
        .await;
    assert_eq!(keberatan.status, 200, "{:?}", keberatan.body);

    let too_soon = app
        .post(
            &format!("/api/v1/sanctions/{dismissal}/appeal/decision"),
            &json!({ "outcome": "upheld", "decided_on": "2026-11-19",
                     "reference": { "number": "BPASN-1", "date": "2026-11-19" } }),
        )
        .await;
    assert_eq!(
        (too_soon.status, too_soon.fields()),
        (400, vec!["decided_on".to_string()]),
        "a decision never precedes its appeal"
    );
});

both!(dates_cannot_precede_their_decree, |app| {
    let before = app
        .record(&decree(NIP, "D/1", "PP94_S1", "2024-03-01", "2024-02-29"))
        .await;
    assert_eq!(
        (before.status, before.code(), before.fields()),
        (400, "validation_failed", vec!["effective_from".to_string()])
    );
    let mut received_early = decree(NIP, "D/2", "PP94_S1", "2024-03-01", "2024-03-25");
    received_early["decision"]["received_date"] = json!("2024-02-28");
    let r = app.record(&received_early).await;
    assert_eq!(r.fields(), vec!["decision.received_date"]);
    assert_eq!(app.get("/api/v1/sanctions").await.body["items"], json!([]));
    // Received on a Saturday: the 15th working day counts from Monday (domain.md §2).
    let mut saturday = decree(NIP, "D/3", "PP94_S1", "2024-03-01", "2024-03-01");
    saturday["effective_from"] = Value::Null;
    saturday["decision"]["received_date"] = json!("2024-03-02");
    let r = app.record(&saturday).await;
    assert_eq!(
        (r.status, r.body["effective_from"].as_str()),
        (201, Some("2024-03-22"))
    );
});

/// The default policy with Nyepi (Monday 2024-03-11) as a holiday, under a version of its own.
fn policy_with_holiday(dir: &std::path::Path) -> std::path::PathBuf {
    let mut doc: Value =
        serde_json::from_str(asn_eligibility::domain::policy::DEFAULT_POLICY_JSON).unwrap();
    doc["version"] = json!("test-nyepi-2024");
    doc["effective_date"]["holidays"] = json!(["2024-03-11"]);
    let path = dir.join("policy.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

async fn holiday_from_a_policy_file_moves_the_effective_date(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let file = policy_with_holiday(dir.path());
    let app = TestApp::spawn_with(backend, |s| s.policy_file = Some(file)).await;
    let mut b = decree(NIP, "H/1", "PP94_S3", "2024-03-01", "2024-03-01");
    b["effective_from"] = Value::Null;
    b["decision"]["received_date"] = json!("2024-03-04");
    let r = app.record(&b).await;
    // api.md's example gives 2024-03-25; the configured holiday pushes it one working day.
    assert_eq!(r.body["effective_from"], "2024-03-26", "{:?}", r.body);
    // Received on the holiday itself: counting starts the next working day.
    let mut on_holiday = decree(NIP, "H/2", "PP94_S3", "2024-03-08", "2024-03-08");
    on_holiday["effective_from"] = Value::Null;
    on_holiday["decision"]["received_date"] = json!("2024-03-11");
    let r = app.record(&on_holiday).await;
    assert_eq!(r.body["effective_from"], "2024-04-01", "{:?}", r.body);
    let catalogue = app.get("/api/v1/catalogue").await;
    assert_eq!(catalogue.body["policy_version"], "test-nyepi-2024");
}

#[tokio::test]
async fn holidays_from_a_policy_file_sqlite() {
    holiday_from_a_policy_file_moves_the_effective_date(Backend::Sqlite).await
}

#[tokio::test]
async fn holidays_from_a_policy_file_postgres() {
    holiday_from_a_policy_file_moves_the_effective_date(Backend::Postgres).await
}

both!(jpt_and_kgb_are_denied_while_an_appeal_is_pending, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let id = appealed(&app, "S3/9", "PP94_S3", "2026-11-10", "2026-11-16").await;
    for purpose in ["jpt_selection", "salary_increment", "promotion"] {
        let e = app.eligibility(NIP, purpose, "2026-11-23").await;
        assert_eq!(e.body["outcome"], "ineligible", "{purpose}: {:?}", e.body);
        assert_eq!(e.body["reasons"][0]["code"], "pending_appeal", "{purpose}");
        assert_eq!(e.body["eligible_from"], Value::Null, "{purpose}");
    }
    // The appeal takes effect as decided: meanwhile a transfer is not blocked.
    let transfer = app.eligibility(NIP, "transfer", "2026-11-23").await;
    assert_eq!(transfer.body["outcome"], "eligible");
    let upheld = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal/decision"),
            &json!({ "outcome": "upheld", "decided_on": "2026-11-20",
                     "reference": { "number": "ATS-1", "date": "2026-11-20" } }),
        )
        .await;
    assert_eq!(upheld.status, 200, "{:?}", upheld.body);
    // Upheld: the original period runs, and the JPT look-back counts from its start.
    let jpt = app.eligibility(NIP, "jpt_selection", "2026-11-23").await;
    let codes = reason_codes(&jpt.body);
    assert_eq!(codes, vec!["active_sanction", "disciplinary_history"]);
    assert_eq!(jpt.body["eligible_from"], "2029-11-10");
});

both!(a_status_is_derived_for_the_day_asked, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let id = record_id(
        &app,
        &decree(NIP, "L/1", "PP94_S3", "2026-06-01", "2026-06-01"),
    )
    .await;
    let lift = app
        .post(
            &format!("/api/v1/sanctions/{id}/lift"),
            &json!({"reason": "other", "reference": {"number": "L-1", "date": "2026-11-23"},
                    "effective_on": "2026-11-23"}),
        )
        .await;
    assert_eq!(lift.body["status"], "lifted", "{:?}", lift.body);
    let july = app
        .get(&format!("/api/v1/sanctions/{id}?as_of=2026-07-01"))
        .await;
    assert_eq!(
        july.body["status"], "active",
        "the lift is dated 2026-11-23"
    );
    let record = app
        .get(&format!("/api/v1/asn/{NIP}/track-record?as_of=2026-07-01"))
        .await;
    assert_eq!(record.body["sanctions"][0]["status"], "active");
    let e = app.eligibility(NIP, "promotion", "2026-07-01").await;
    assert_eq!(
        e.body["reasons"][0]["code"], "active_sanction",
        "the same day's eligibility agrees"
    );
    assert_eq!(
        app.get(&format!("/api/v1/sanctions/{id}?as_of=2026-11-23"))
            .await
            .body["status"],
        "lifted"
    );
    assert_eq!(
        app.get(&format!("/api/v1/sanctions/{id}?as_of=2026-05-31"))
            .await
            .body["status"],
        "scheduled"
    );
    let other = appealed(&app, "A/1", "PP94_S3", "2026-11-10", "2026-11-20").await;
    let before = app
        .get(&format!("/api/v1/sanctions/{other}?as_of=2026-11-19"))
        .await;
    assert_eq!(before.body["status"], "active");
    let on = app
        .get(&format!("/api/v1/sanctions/{other}?as_of=2026-11-20"))
        .await;
    assert_eq!(on.body["status"], "under_appeal");
    let bad = app
        .get(&format!("/api/v1/sanctions/{other}?as_of=2026-1-1"))
        .await;
    assert_eq!(bad.fields(), vec!["as_of"]);
});

/// domain.md §1.1 (PP 94 Pasal 8), §1.4 (PP 42 Pasal 15), §1.6 (PP 53 Pasal 7): one row per
/// catalogue entry: regime, kind, level, default duration, dismissal, default blocked
/// purposes (abbreviated: P promotion, J jpt_selection, A position_appointment, T transfer,
/// K salary_increment, N pension), and the article its legal basis cites.
/// `(code, regime, kind, level, duration, dismissal, blocked purposes, article)`.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    &'static str,
);

const CATALOGUE: &[Row] = &[
    (
        "PP94_R1",
        "PP94_2021",
        "disciplinary",
        "light",
        "none",
        false,
        "",
        "Pasal 8 ayat (2) huruf a",
    ),
    (
        "PP94_R2",
        "PP94_2021",
        "disciplinary",
        "light",
        "none",
        false,
        "",
        "Pasal 8 ayat (2) huruf b",
    ),
    (
        "PP94_R3",
        "PP94_2021",
        "disciplinary",
        "light",
        "none",
        false,
        "",
        "Pasal 8 ayat (2) huruf c",
    ),
    (
        "PP94_S1",
        "PP94_2021",
        "disciplinary",
        "moderate",
        "6",
        false,
        "PJATK",
        "Pasal 8 ayat (3) huruf a",
    ),
    (
        "PP94_S2",
        "PP94_2021",
        "disciplinary",
        "moderate",
        "9",
        false,
        "PJATK",
        "Pasal 8 ayat (3) huruf b",
    ),
    (
        "PP94_S3",
        "PP94_2021",
        "disciplinary",
        "moderate",
        "12",
        false,
        "PJATK",
        "Pasal 8 ayat (3) huruf c",
    ),
    (
        "PP94_S1_TUNDA_KGB",
        "PP94_2021",
        "disciplinary",
        "moderate",
        "12",
        false,
        "PJATK",
        "Pasal 42",
    ),
    (
        "PP94_S2_TUNDA_KP",
        "PP94_2021",
        "disciplinary",
        "moderate",
        "12",
        false,
        "PJATK",
        "Pasal 42",
    ),
    (
        "PP94_S3_TURUN_PANGKAT",
        "PP94_2021",
        "disciplinary",
        "moderate",
        "12",
        false,
        "PJATK",
        "Pasal 42",
    ),
    (
        "PP94_B1",
        "PP94_2021",
        "disciplinary",
        "severe",
        "12",
        false,
        "PJATK",
        "Pasal 8 ayat (4) huruf a",
    ),
    (
        "PP94_B2",
        "PP94_2021",
        "disciplinary",
        "severe",
        "12",
        false,
        "PJATK",
        "Pasal 8 ayat (4) huruf b",
    ),
    (
        "PP94_B3",
        "PP94_2021",
        "disciplinary",
        "severe",
        "terminal",
        true,
        "PJATK",
        "Pasal 8 ayat (4) huruf c",
    ),
    (
        "PP53_R1",
        "PP53_2010",
        "disciplinary",
        "light",
        "none",
        false,
        "",
        "Pasal 7 ayat (2) huruf a",
    ),
    (
        "PP53_R2",
        "PP53_2010",
        "disciplinary",
        "light",
        "none",
        false,
        "",
        "Pasal 7 ayat (2) huruf b",
    ),
    (
        "PP53_R3",
        "PP53_2010",
        "disciplinary",
        "light",
        "none",
        false,
        "",
        "Pasal 7 ayat (2) huruf c",
    ),
    (
        "PP53_S1",
        "PP53_2010",
        "disciplinary",
        "moderate",
        "12",
        false,
        "PJATK",
        "Pasal 7 ayat (3) huruf a",
    ),
    (
        "PP53_S2",
        "PP53_2010",
        "disciplinary",
        "moderate",
        "12",
        false,
        "PJATK",
        "Pasal 7 ayat (3) huruf b",
    ),
    (
        "PP53_S3",
        "PP53_2010",
        "disciplinary",
        "moderate",
        "12",
        false,
        "PJATK",
        "Pasal 7 ayat (3) huruf c",
    ),
    (
        "PP53_B1",
        "PP53_2010",
        "disciplinary",
        "severe",
        "36",
        false,
        "PJATK",
        "Pasal 7 ayat (4) huruf a",
    ),
    (
        "PP53_B2",
        "PP53_2010",
        "disciplinary",
        "severe",
        "none",
        false,
        "PJATK",
        "Pasal 7 ayat (4) huruf b",
    ),
    (
        "PP53_B3",
        "PP53_2010",
        "disciplinary",
        "severe",
        "none",
        false,
        "PJATK",
        "Pasal 7 ayat (4) huruf c",
    ),
    (
        "PP53_B4",
        "PP53_2010",
        "disciplinary",
        "severe",
        "terminal",
        true,
        "PJATK",
        "Pasal 7 ayat (4) huruf d",
    ),
    (
        "PP53_B5",
        "PP53_2010",
        "disciplinary",
        "severe",
        "terminal",
        true,
        "PJATKN",
        "Pasal 7 ayat (4) huruf e",
    ),
    (
        "PP42_E1",
        "PP42_2004",
        "ethics",
        "",
        "none",
        false,
        "",
        "Pasal 15 ayat (1) huruf a",
    ),
    (
        "PP42_E2",
        "PP42_2004",
        "ethics",
        "",
        "none",
        false,
        "",
        "Pasal 15 ayat (1) huruf b",
    ),
];

fn purposes(abbrev: &str) -> Vec<&'static str> {
    abbrev
        .chars()
        .map(|c| match c {
            'P' => "promotion",
            'J' => "jpt_selection",
            'A' => "position_appointment",
            'T' => "transfer",
            'K' => "salary_increment",
            'N' => "pension",
            other => panic!("no purpose {other}"),
        })
        .collect()
}

both!(
    every_catalogue_entry_is_as_the_law_says_and_has_its_effects,
    |app| {
        let catalogue = app.get("/api/v1/catalogue").await;
        let types = catalogue.body["sanction_types"].as_array().unwrap();
        assert_eq!(types.len(), CATALOGUE.len(), "one row per catalogue entry");
        for (i, &(code, regime, kind, level, duration, dismissal, blocks, article)) in
            CATALOGUE.iter().enumerate()
        {
            let t = types
                .iter()
                .find(|t| t["code"] == code)
                .unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(t["regime"], regime, "{code}");
            assert_eq!(t["kind"], kind, "{code}");
            assert_eq!(t["level"].as_str().unwrap_or(""), level, "{code}");
            let d = match &t["duration"] {
                Value::String(s) => s.clone(),
                other => other["months"].to_string(),
            };
            assert_eq!(d, duration, "{code}");
            assert_eq!(t["dismissal"], dismissal, "{code}");
            assert_eq!(
                t["default_blocked_purposes"],
                json!(purposes(blocks)),
                "{code}"
            );
            assert!(
                t["legal_basis"].as_str().unwrap().contains(article),
                "{code} cites {article}: {}",
                t["legal_basis"]
            );
            // §4 effects: in force on 2026-11-23 from 2026-11-01, a sanction blocks the purposes
            // it names (PP53_S1 KGB, PP53_S2/S3/B1 KP, ...); a one-off measure blocks nothing.
            let nip = format!("19850330201001{}{:03}", 1, i + 1);
            app.upsert_profile(&nip, "3315", "active").await;
            record_id(&app, &decree(&nip, code, code, "2026-11-01", "2026-11-01")).await;
            for purpose in ["promotion", "salary_increment", "pension"] {
                let e = app.eligibility(&nip, purpose, "2026-11-23").await;
                let active = e.body["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["code"] == "active_sanction");
                let expected = duration != "none" && purposes(blocks).contains(&purpose);
                assert_eq!(active, expected, "{code} for {purpose}: {:?}", e.body);
            }
        }
    }
);

both!(pppk_end_to_end_with_bkn_employment_type_winning, |app| {
    // NI PPPK layout (digit 13 is 2), domain.md §7.2.
    let pppk = "200012312024211001";
    app.upsert_profile(pppk, "3315", "active").await;
    let profile = app.get(&format!("/api/v1/asn/{pppk}")).await;
    assert_eq!(
        profile.body["employment_type"], "PNS",
        "BKN's employment_type is stored, never decoded from the NIP"
    );
    let event = json!({ "events": [{ "event_id": "pppk-1", "nip": pppk, "occurred_at": "2026-02-01T00:00:00Z",
        "type": "asn_upserted", "data": { "employment_type": "PPPK" } }]});
    app.post("/api/v1/bkn/updates", &event).await;
    assert_eq!(
        app.get(&format!("/api/v1/asn/{pppk}")).await.body["employment_type"],
        "PPPK"
    );
    record_id(
        &app,
        &decree(pppk, "P/1", "PP94_S2", "2026-10-01", "2026-10-01"),
    )
    .await;
    let e = app.eligibility(pppk, "promotion", "2026-11-23").await;
    assert_eq!(
        (e.body["outcome"].as_str(), e.body["eligible_from"].as_str()),
        (Some("ineligible"), Some("2027-07-01"))
    );
    let batch = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({ "purpose": "promotion", "as_of": "2027-07-01", "nips": [pppk] }),
        )
        .await;
    assert_eq!(batch.body["results"][0]["outcome"], "eligible");
});

both!(an_old_nine_digit_nip_must_be_converted, |app| {
    let r = app
        .send(
            app.request(
                reqwest::Method::GET,
                "/api/v1/asn/150307928/eligibility?purpose=promotion",
            )
            .bearer_auth(app.token("eligibility:read"))
            .header("Accept-Language", "en"),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_nip"));
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("9 digits") && detail.contains("converted"),
        "{detail}"
    );
});

both!(lift_expired_leaves_bkn_blocks_alone, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    record_id(
        &app,
        &decree(NIP, "E/1", "PP94_S1", "2026-11-10", "2026-11-10"),
    )
    .await;
    let block = json!({ "events": [{ "event_id": "blk-ev-1", "nip": NIP, "occurred_at": "2026-11-20T00:00:00Z",
        "type": "block_ordered", "data": { "block_id": "BLK-1", "scope": "asn", "reference": "BKN/1" } }]});
    assert_eq!(
        app.post("/api/v1/bkn/updates", &block).await.body["results"][0]["outcome"],
        "applied"
    );
    // Seven months on, the sanction (6 months) has ended; the block has not.
    let later = app.sibling("2027-06-01T03:00:00Z", |_| {}).await;
    let run = later.run_job("lift_expired").await;
    assert_eq!(
        (run["outcome"].as_str(), run["processed"].as_i64()),
        (Some("succeeded"), Some(1))
    );
    let blocks = later
        .get(&format!("/api/v1/blocks?nip={NIP}&active=true"))
        .await;
    assert_eq!(
        blocks.body["items"][0]["block_id"], "BLK-1",
        "{:?}",
        blocks.body
    );
    let e = later.eligibility(NIP, "promotion", "2027-06-01").await;
    let codes = reason_codes(&e.body);
    assert_eq!(codes, vec!["bkn_block"]);
    assert_eq!(e.body["eligible_from"], Value::Null);
    drop(later);
});

both!(death_or_retirement_while_an_appeal_is_pending, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let id = appealed(&app, "S3/7", "PP94_S3", "2026-11-10", "2026-11-12").await;
    for (n, status) in ["retired", "deceased"].iter().enumerate() {
        let event = json!({ "events": [{ "event_id": format!("st-{n}"), "nip": NIP,
            "occurred_at": format!("2026-11-1{}T00:00:00Z", 3 + n), "type": "status_changed",
            "data": { "status": status } }]});
        assert_eq!(
            app.post("/api/v1/bkn/updates", &event).await.body["results"][0]["outcome"],
            "applied"
        );
        let e = app.eligibility(NIP, "promotion", "2026-11-23").await;
        let codes = reason_codes(&e.body);
        assert_eq!(codes, vec!["not_active", "pending_appeal"], "{status}");
        assert_eq!(e.body["eligible_from"], Value::Null);
    }
    // The appeal is still decided and recorded (domain.md §2: death before the decision).
    let decided = app
        .post(
            &format!("/api/v1/sanctions/{id}/appeal/decision"),
            &json!({ "outcome": "annulled", "decided_on": "2026-11-20",
                     "reference": { "number": "ATS-2", "date": "2026-11-20" } }),
        )
        .await;
    assert_eq!(
        decided.body["sanction"]["status"], "annulled",
        "{:?}",
        decided.body
    );
    let e = app.eligibility(NIP, "promotion", "2026-11-23").await;
    assert_eq!(e.body["reasons"].as_array().unwrap().len(), 1);
    assert_eq!(e.body["reasons"][0]["code"], "not_active");
});
