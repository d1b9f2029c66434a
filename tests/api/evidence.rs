//! Evidence: the audit trail and its hash chain, signed receipts, "as known at", replay.

use crate::both;
use crate::helpers::*;
use base64::Engine;
use serde_json::{json, Value};

const MARCH: &str = "2024-03-10T03:00:00Z";
const APRIL: &str = "2024-04-10T03:00:00Z";
const JUNE: &str = "2024-06-10T03:00:00Z";

/// The audit events of a NIP, all pages.
async fn trail(app: &TestApp, nip: &str) -> Vec<Value> {
    let (mut items, mut cursor) = (Vec::new(), String::new());
    loop {
        let r = app
            .get(&format!("/api/v1/audit/events?nip={nip}&limit=2{cursor}"))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        items.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return items,
        }
    }
}

both!(every_write_and_decision_is_in_the_chain, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let req = app
        .client
        .post(format!("{}/api/v1/sanctions", app.address))
        .bearer_auth(app.token(ALL_SCOPES))
        .header("X-Request-Id", "req-record-1")
        .json(&sanction(NIP, "800/1/2024", "PP94_S3", "2026-10-01"));
    let s = app.send(req).await;
    assert_eq!(s.status, 201, "{:?}", s.body);
    let id = s.body["id"].as_str().unwrap();
    let lift = json!({ "reason": "followed_up", "reference": { "number": "800/9/2026", "date": "2026-11-20" },
                       "effective_on": "2026-11-20" });
    let lifted = app
        .post(&format!("/api/v1/sanctions/{id}/lift"), &lift)
        .await;
    assert_eq!(lifted.status, 200, "{:?}", lifted.body);
    let d = app.eligibility(NIP, "promotion", "2026-11-01").await;
    let batch = json!({ "purpose": "transfer", "as_of": "2026-11-01", "nips": [NIP, "123"] });
    assert_eq!(
        app.post("/api/v1/eligibility/batch", &batch).await.status,
        200
    );

    let items = trail(&app, NIP).await;
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "asn.registered",
            "asn.profile_updated",
            "bkn.event",
            "sanction.recorded",
            "eligibility.changed",
            "sanction.lifted",
            "eligibility.changed",
            "eligibility.decided",
            "eligibility.decided"
        ]
    );
    let recorded = &items[3];
    assert_eq!(recorded["actor"]["sub"], "tester");
    assert_eq!(recorded["request_id"], "req-record-1");
    assert_eq!(recorded["subject_id"], id);
    assert_eq!(recorded["data"]["decision_number"], "800/1/2024");
    let decided = &items[7];
    assert_eq!(decided["subject_id"], d.body["decision_id"]);
    assert_eq!(decided["data"]["outcome"], "ineligible");
    assert_eq!(decided["data"]["reasons"], json!(["active_sanction"]));
    assert_eq!(decided["request_id"], d.header("x-request-id").unwrap());
    // Each row of the whole trail chains to the one before it, from the genesis hash on.
    let trail = app.get("/api/v1/audit/events?limit=500").await;
    let rows = trail.body["items"].as_array().unwrap();
    assert!(rows.len() >= items.len());
    assert_eq!(rows[0]["seq"], 1);
    assert_eq!(rows[0]["prev_hash"], "0".repeat(64));
    for pair in rows.windows(2) {
        assert_eq!(
            pair[1]["seq"].as_i64(),
            Some(pair[0]["seq"].as_i64().unwrap() + 1),
            "no gaps"
        );
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "{pair:?}");
    }

    let v = app.get("/api/v1/audit/verify").await;
    assert_eq!(v.status, 200);
    assert_eq!(v.body["ok"], true, "{:?}", v.body);
    let all = app.count("SELECT COUNT(*) AS n FROM audit_events");
    assert_eq!(v.body["events_checked"].as_i64(), Some(all));
    assert!(all >= 7);
    let since = app
        .get("/api/v1/audit/events?since=2099-01-01T00:00:00Z")
        .await;
    assert_eq!(since.body["items"], json!([]));
    let bad = app
        .get("/api/v1/audit/events?since=yesterday&cursor=x")
        .await;
    assert_eq!(
        (bad.status, bad.fields()),
        (400, vec!["since".to_string(), "cursor".to_string()])
    );
    let forbidden = app
        .send(
            app.request(reqwest::Method::GET, "/api/v1/audit/verify")
                .bearer_auth(app.token("registry:read")),
        )
        .await;
    assert_eq!((forbidden.status, forbidden.code()), (403, "forbidden"));
});

both!(
    decisions_of_two_instances_and_other_writes_make_one_chain,
    |app| {
        // Each instance's decision writer chains its groups after the head it last wrote; the
        // other instance's decisions and the sanctions recorded here move that head under it.
        app.upsert_profile(NIP, "3315", "active").await;
        let other = app.sibling("2026-11-20T03:00:00Z", |_| {}).await;
        let mut ids = Vec::new();
        for round in 0..3 {
            for who in [&app, &other, &app] {
                let d = who.eligibility(NIP, "promotion", "2026-11-01").await;
                assert_eq!(d.status, 200, "{:?}", d.body);
                ids.push(d.body["decision_id"].as_str().unwrap().to_string());
            }
            let number = format!("800/{round}/2024");
            let s = app
                .record(&sanction(NIP, &number, "PP94_S1", "2024-03-25"))
                .await;
            assert_eq!(s.status, 201, "{:?}", s.body);
        }
        let at_once = futures_util::future::join_all((0..16).map(|i| {
            let who = if i % 2 == 0 { &app } else { &other };
            who.eligibility(NIP, "transfer", "2026-11-01")
        }))
        .await;
        for d in at_once {
            assert_eq!(d.status, 200, "{:?}", d.body);
            ids.push(d.body["decision_id"].as_str().unwrap().to_string());
        }
        for id in &ids {
            let back = other
                .get(&format!("/api/v1/eligibility/decisions/{id}"))
                .await;
            assert_eq!(back.status, 200, "decision {id} is stored: {:?}", back.body);
        }
        let decided = trail(&app, NIP)
            .await
            .into_iter()
            .filter(|e| e["action"] == "eligibility.decided")
            .map(|e| e["subject_id"].as_str().unwrap().to_string())
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(
            decided,
            ids.iter().cloned().collect(),
            "one audit entry each"
        );
        let v = app.get("/api/v1/audit/verify").await;
        assert_eq!(v.body["ok"], true, "{:?}", v.body);
        let all = app.count("SELECT COUNT(*) AS n FROM audit_events");
        assert_eq!(v.body["events_checked"].as_i64(), Some(all));
        drop(other);
    }
);

both!(a_tampered_row_is_found_and_named, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    app.record(&sanction(NIP, "800/2/2024", "PP94_S1", "2024-03-25"))
        .await;
    app.eligibility(NIP, "promotion", "2024-05-01").await;
    let (is_pg, n) = (
        app.backend == Backend::Postgres,
        app.count("SELECT COUNT(*) AS n FROM audit_events"),
    );
    assert!(n >= 4);
    // The table refuses edits...
    let url = asn_eligibility::db::DatabaseUrl::parse(&app.database_url).unwrap();
    let mut conn = asn_eligibility::db::establish(&url).unwrap();
    use diesel::connection::SimpleConnection;
    let refused = conn.batch_execute("UPDATE audit_events SET action = 'x' WHERE seq = 2");
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    assert!(conn
        .batch_execute("DELETE FROM audit_events WHERE seq = 2")
        .is_err());
    // ...and whoever goes around that is found by the chain.
    app.tamper_with_audit_trail();
    app.sql(if is_pg {
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; \
         UPDATE audit_events SET data = '{\"outcome\":\"eligible\"}' WHERE seq = 3"
    } else {
        "DROP TRIGGER audit_events_no_update; \
         UPDATE audit_events SET data = '{\"outcome\":\"eligible\"}' WHERE seq = 3"
    });
    let v = app.get("/api/v1/audit/verify").await;
    assert_eq!(v.body["ok"], false, "{:?}", v.body);
    assert_eq!(v.body["broken_at"]["seq"], 3);
    assert_eq!(v.body["events_checked"], 2);
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_asn-eligibility"))
        .arg("verify-audit")
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert_eq!(cli.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(stderr.contains("broken at row 3"), "{stderr}");

    // A removed last row is found through the chain's head.
    if !is_pg {
        app.sql("DROP TRIGGER audit_events_no_delete");
    }
    app.sql("DELETE FROM audit_events WHERE seq >= 3");
    let v = app.get("/api/v1/audit/verify").await;
    assert_eq!(v.body["ok"], false, "{:?}", v.body);
    assert_eq!(v.body["events_checked"], 2);
    assert_eq!(
        v.body["broken_at"]["seq"], n,
        "the head names the last row: {:?}",
        v.body
    );
});

#[derive(Debug, serde::Deserialize)]
struct Receipt {
    decision_id: String,
    nip: String,
    purpose: String,
    as_of: String,
    outcome: String,
    reason_codes: Vec<String>,
    policy_version: String,
}

/// Verifies a receipt with jwt-simple (its own Ed25519 / P-256 code) against a JWKS.
fn verify_offline(receipt: &str, jwks: &Value) -> jwt_simple::prelude::JWTClaims<Receipt> {
    use jwt_simple::prelude::*;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let meta = Token::decode_metadata(receipt).expect("a JWS");
    let kid = meta.key_id().expect("receipts name their key");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("key {kid} is published"));
    // The server's clock is fixed at NOW: verify as of then, not the wall clock.
    let now = crate::helpers::NOW
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from_strings(&["asn-eligibility"])),
        artificial_time: Some(UnixTimeStamp::from_secs(now.timestamp() as u64)),
        ..Default::default()
    };
    let x = b64.decode(jwk["x"].as_str().unwrap()).unwrap();
    match (meta.algorithm(), jwk["kty"].as_str()) {
        ("EdDSA", Some("OKP")) => Ed25519PublicKey::from_bytes(&x)
            .unwrap()
            .verify_token::<Receipt>(receipt, Some(options))
            .expect("the receipt verifies"),
        ("ES256", Some("EC")) => {
            let y = b64.decode(jwk["y"].as_str().unwrap()).unwrap();
            let point = [&[4u8][..], &x, &y].concat();
            ES256PublicKey::from_bytes(&point)
                .unwrap()
                .verify_token::<Receipt>(receipt, Some(options))
                .expect("the receipt verifies")
        }
        other => panic!("unexpected key {other:?}"),
    }
}

pub(crate) async fn jwks(app: &TestApp) -> Value {
    let r = app
        .send(app.request(reqwest::Method::GET, "/.well-known/jwks.json"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/jwk-set+json"));
    r.body
}

both!(receipts_verify_offline_with_an_independent_library, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    app.record(&sanction(NIP, "800/3/2024", "PP94_S3", "2024-03-25"))
        .await;
    let d = app.eligibility(NIP, "jpt_selection", "2024-06-01").await;
    let keys = jwks(&app).await;
    let claims = verify_offline(d.body["receipt"].as_str().unwrap(), &keys);
    let r = claims.custom;
    assert_eq!(r.decision_id, d.body["decision_id"].as_str().unwrap());
    assert_eq!(claims.subject.as_deref(), Some(NIP));
    assert_eq!(
        (
            r.nip.as_str(),
            r.purpose.as_str(),
            r.as_of.as_str(),
            r.outcome.as_str()
        ),
        (NIP, "jpt_selection", "2024-06-01", "ineligible")
    );
    assert_eq!(r.reason_codes, ["active_sanction", "disciplinary_history"]);
    assert_eq!(r.policy_version, d.body["policy_version"].as_str().unwrap());
    // Read back, the decision carries the same receipt; batch items carry their own.
    let back = app
        .get(&format!(
            "/api/v1/eligibility/decisions/{}",
            d.body["decision_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(back.body["receipt"], d.body["receipt"]);
    let batch = app
        .post(
            "/api/v1/eligibility/batch",
            &json!({ "purpose": "promotion", "as_of": "2026-01-01", "nips": [NIP] }),
        )
        .await;
    let item = &batch.body["results"][0];
    let c = verify_offline(item["receipt"].as_str().unwrap(), &keys);
    assert_eq!(
        (c.custom.outcome.as_str(), c.custom.decision_id.as_str()),
        ("eligible", item["decision_id"].as_str().unwrap())
    );
    // A receipt whose claims were edited does not verify.
    let receipt = d.body["receipt"].as_str().unwrap();
    let parts: Vec<&str> = receipt.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    payload["outcome"] = json!("eligible");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(payload.to_string()),
        parts[2]
    );
    let forged_ok = std::panic::catch_unwind(|| verify_offline(&forged, &keys)).is_ok();
    assert!(!forged_ok, "an edited receipt must not verify");
});

#[tokio::test]
async fn key_rotation_keeps_old_receipts_verifiable() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let old = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.receipts.key_file = Some(format!("{fixtures}/ed25519-private.pem").into());
    })
    .await;
    old.upsert_profile(NIP, "3315", "active").await;
    let d = old.eligibility(NIP, "promotion", "2026-01-01").await;
    let receipt = d.body["receipt"].as_str().unwrap().to_string();
    let old_keys = jwks(&old).await;
    assert_eq!(old_keys["keys"].as_array().unwrap().len(), 1);
    // Rotated: a P-256 key signs, the Ed25519 key stays published.
    let new = old
        .sibling(NOW, |s| {
            s.receipts.key_file = Some(format!("{fixtures}/es256-private.pem").into());
            s.receipts.previous_keys = vec![format!("{fixtures}/ed25519-public.pem").into()];
        })
        .await;
    let keys = jwks(&new).await;
    let kinds: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ES256", "EdDSA"]);
    assert_eq!(keys["keys"][1]["kid"], old_keys["keys"][0]["kid"]);
    assert_eq!(verify_offline(&receipt, &keys).custom.outcome, "eligible");
    let fresh = new.eligibility(NIP, "promotion", "2026-01-01").await;
    assert_eq!(
        verify_offline(fresh.body["receipt"].as_str().unwrap(), &keys)
            .custom
            .outcome,
        "eligible"
    );
}

/// March: the profile and a moderate sanction; June: the sanction is annulled.
async fn annulled_in_june(app: &TestApp) -> String {
    let march = app.sibling(MARCH, |_| {}).await;
    march.upsert_profile(NIP, "3315", "active").await;
    let s = march
        .record(&sanction(NIP, "800/4/2024", "PP94_S3", "2024-03-25"))
        .await;
    assert_eq!(s.status, 201, "{:?}", s.body);
    let id = s.body["id"].as_str().unwrap().to_string();
    drop(march);
    let june = app.sibling(JUNE, |_| {}).await;
    let annul = json!({ "reference": { "number": "BPASN/7/2024", "date": "2024-06-01", "issuer": "BPASN" },
                        "reason": "procedure not followed" });
    assert_eq!(
        june.post(&format!("/api/v1/sanctions/{id}/annul"), &annul)
            .await
            .status,
        200
    );
    id
}

both!(as_known_at_answers_as_the_registry_knew_it, |app| {
    let id = annulled_in_june(&app).await;
    let path = |known: &str| {
        format!("/api/v1/asn/{NIP}/eligibility?purpose=promotion&as_of=2024-04-01{known}")
    };
    // Now the annulled sanction counts nowhere...
    let now = app.get(&path("")).await;
    assert_eq!(now.body["outcome"], "eligible", "{:?}", now.body);
    // ...but as the registry knew it in May, it was running.
    let may = app.get(&path("&as_known_at=2024-05-01T00:00:00Z")).await;
    assert_eq!(may.status, 200, "{:?}", may.body);
    assert_eq!(may.body["outcome"], "ineligible");
    assert_eq!(may.body["reasons"][0]["code"], "active_sanction");
    assert_eq!(may.body["reasons"][0]["sanction_id"], id.as_str());
    assert_eq!(may.body["as_known_at"], "2024-05-01T00:00:00Z");
    let back = app
        .get(&format!(
            "/api/v1/eligibility/decisions/{}",
            may.body["decision_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(back.body["as_known_at"], "2024-05-01T00:00:00Z");
    // Before March the registry did not know the person.
    let feb = app.get(&path("&as_known_at=2024-02-01T00:00:00Z")).await;
    assert_eq!((feb.status, feb.code()), (404, "asn_not_found"));
    let future = app.get(&path("&as_known_at=2099-01-01T00:00:00Z")).await;
    assert_eq!(
        (future.status, future.fields()),
        (400, vec!["as_known_at".to_string()])
    );
    let garbled = app.get(&path("&as_known_at=May")).await;
    assert_eq!(garbled.fields(), vec!["as_known_at".to_string()]);

    // The track record, as known in May: the sanction active, no annulment yet.
    let tr = app
        .get(&format!(
            "/api/v1/asn/{NIP}/track-record?as_of=2024-05-01&as_known_at=2024-05-01T00:00:00Z"
        ))
        .await;
    assert_eq!(tr.status, 200, "{:?}", tr.body);
    assert_eq!(tr.body["sanctions"][0]["status"], "active");
    assert_eq!(tr.body["sanctions"][0]["annulment"], Value::Null);
    let types = event_types(&tr.body);
    assert!(!types.contains(&"sanction.annulled"), "{types:?}");
    let tr_now = app
        .get(&format!("/api/v1/asn/{NIP}/track-record?as_of=2024-05-01"))
        .await;
    assert_eq!(tr_now.body["sanctions"][0]["status"], "annulled");
    // The batch answers as known then too.
    let batch = app
        .post("/api/v1/eligibility/batch", &json!({ "purpose": "promotion", "as_of": "2024-04-01",
                                                   "as_known_at": "2024-05-01T00:00:00Z", "nips": [NIP] }))
        .await;
    assert_eq!(
        batch.body["results"][0]["outcome"], "ineligible",
        "{:?}",
        batch.body
    );
});

both!(replay_reproduces_then_and_names_what_changed, |app| {
    let march = app.sibling(MARCH, |_| {}).await;
    march.upsert_profile(NIP, "3315", "active").await;
    let s = march
        .record(&sanction(NIP, "800/5/2024", "PP94_S3", "2024-03-25"))
        .await;
    let id = s.body["id"].as_str().unwrap().to_string();
    drop(march);
    // April: a JPT check, refused for the running sanction and the 3-year look-back.
    let april = app.sibling(APRIL, |_| {}).await;
    let d = april.eligibility(NIP, "jpt_selection", "2026-06-01").await;
    assert_eq!(d.body["outcome"], "ineligible", "{:?}", d.body);
    assert_eq!(d.body["reasons"][0]["code"], "disciplinary_history");
    drop(april);
    let decision = d.body["decision_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/eligibility/decisions/{decision}/replay");

    let r = app.post(&path, &json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["reproduced"], true);
    assert_eq!(r.body["then"]["outcome"], "ineligible");
    assert_eq!(r.body["changed_by"], json!([]));

    // The sanction is annulled: today's data would answer otherwise.
    let june = app.sibling(JUNE, |_| {}).await;
    let annul = json!({ "reference": { "number": "BPASN/8/2024", "date": "2024-06-01", "issuer": "BPASN" }, "reason": "r" });
    assert_eq!(
        june.post(&format!("/api/v1/sanctions/{id}/annul"), &annul)
            .await
            .status,
        200
    );
    drop(june);
    let r = app.post(&path, &json!({})).await;
    assert_eq!(
        r.body["reproduced"], true,
        "then is still then: {:?}",
        r.body
    );
    assert_eq!(r.body["then"]["outcome"], "ineligible");
    assert_eq!(r.body["data_now"]["outcome"], "eligible");
    assert_eq!(r.body["data_now"]["data_as_known_at"], Value::Null);
    assert_eq!(r.body["changed_by"], json!(["data"]));

    // A new policy with a 1-year JPT look-back would have answered otherwise too.
    let mut policy: Value =
        serde_json::from_str(asn_eligibility::domain::policy::DEFAULT_POLICY_JSON).unwrap();
    policy["version"] = json!("test-1-year-jpt");
    policy["purposes"]["jpt_selection"]["lookback"][0]["years"] = json!(1);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), policy.to_string()).unwrap();
    let policy_path = file.path().to_path_buf();
    let newer = app
        .sibling(NOW, move |s| s.policy_file = Some(policy_path))
        .await;
    let r = newer.post(&path, &json!({})).await;
    assert_eq!(r.body["reproduced"], true, "{:?}", r.body);
    assert_eq!(r.body["then"]["policy_version"], d.body["policy_version"]);
    assert_eq!(r.body["policy_now"]["policy_version"], "test-1-year-jpt");
    assert_eq!(r.body["policy_now"]["outcome"], "eligible");
    assert_eq!(r.body["changed_by"], json!(["data", "policy"]));

    let missing = app
        .post("/api/v1/eligibility/decisions/nope/replay", &json!({}))
        .await;
    assert_eq!((missing.status, missing.code()), (404, "not_found"));
});

both!(a_policy_version_never_changes_its_content, |app| {
    let mut policy: Value =
        serde_json::from_str(asn_eligibility::domain::policy::DEFAULT_POLICY_JSON).unwrap();
    policy["purposes"]["jpt_selection"]["lookback"][0]["years"] = json!(5);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), policy.to_string()).unwrap();
    let mut s = asn_eligibility::config::Settings::from_source(
        &asn_eligibility::config::Source::from_pairs([
            ("DATABASE_URL", app.database_url.as_str()),
            ("ASN_BIND", "127.0.0.1:0"),
            ("ASN_JWT_SECRET", SECRET),
        ]),
    )
    .unwrap();
    s.policy_file = Some(file.path().to_path_buf());
    s.data_dir = tempfile::tempdir().unwrap().keep();
    let err = asn_eligibility::startup::Application::build(s)
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{err:#}").contains("give the changed policy a new \"version\""),
        "{err:#}"
    );
});

// Every column survives the trip through the history (the SQLite triggers list them).
both!(earlier_versions_keep_every_column, |app| {
    use asn_eligibility::db::{asn, blocks, history, sanctions};
    app.upsert_profile(NIP, "3315", "active").await;
    let s = app
        .record(&sanction(NIP, "800/6/2026", "PP94_S3", "2026-10-01"))
        .await;
    let id = s.body["id"].as_str().unwrap().to_string();
    let order = json!({ "events": [{ "event_id": "blk-1", "nip": NIP, "occurred_at": "2026-01-02T00:00:00Z",
        "type": "block_ordered", "data": { "block_id": "B-1", "scope": "asn", "reference": "R-1", "reason": "neutrality" } }] });
    assert_eq!(
        app.post("/api/v1/bkn/updates", &order).await.body["results"][0]["outcome"],
        "applied"
    );
    let mut conn = app.conn();
    let before = (
        asn::find(&mut conn, NIP).unwrap().unwrap(),
        sanctions::find(&mut conn, &id).unwrap().unwrap(),
        blocks::find(&mut conn, "B-1").unwrap().unwrap(),
    );
    // An hour later everything changes.
    let later = app.sibling("2026-11-23T04:00:00Z", |_| {}).await;
    later.upsert_profile(NIP, "9999", "retired").await;
    let lift = json!({ "reason": "other", "reference": { "number": "L-1", "date": "2026-11-23" } });
    assert_eq!(
        later
            .post(&format!("/api/v1/sanctions/{id}/lift"), &lift)
            .await
            .status,
        200
    );
    let release = json!({ "events": [{ "event_id": "blk-2", "occurred_at": "2026-01-03T00:00:00Z",
        "type": "block_released", "data": { "block_id": "B-1", "reference": "R-2" } }] });
    assert_eq!(
        later.post("/api/v1/bkn/updates", &release).await.body["results"][0]["outcome"],
        "applied"
    );
    let t = "2026-11-23T03:30:00".parse().unwrap();
    assert_eq!(
        history::asn_at(&mut conn, NIP, t).unwrap().unwrap(),
        before.0
    );
    assert_eq!(
        history::sanctions_at(&mut conn, NIP, t).unwrap(),
        vec![before.1]
    );
    assert_eq!(
        history::blocks_at(&mut conn, NIP, Some("3315"), t).unwrap(),
        vec![before.2]
    );
    let now = "2026-11-23T04:30:00".parse().unwrap();
    assert_eq!(
        history::asn_at(&mut conn, NIP, now)
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "retired"
    );
    assert_eq!(
        history::sanctions_at(&mut conn, NIP, now).unwrap()[0]
            .state
            .as_str(),
        "lifted"
    );
});
