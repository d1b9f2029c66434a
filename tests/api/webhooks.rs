//! Webhooks and the change feed: a real receiver on port 0 that checks every signature
//! with the Standard Webhooks algorithm (HMAC-SHA256 computed here, not by the service).

use crate::both;
use crate::helpers::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Got {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// Whether the signature is the HMAC-SHA256 of "{id}.{timestamp}.{body}" under the
    /// secret, as Standard Webhooks defines it.
    pub fn signed_with(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct Shared {
    got: Mutex<Vec<Got>>,
    /// Answers for the next requests; then `usual`.
    next: Mutex<VecDeque<(u16, Option<u64>)>>,
    usual: Mutex<u16>,
}

/// A webhook receiver on 127.0.0.1, port 0.
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, s: web::Data<Shared>) -> HttpResponse {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    s.got.lock().unwrap().push(Got {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let (status, retry_after) = s
        .next
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or((*s.usual.lock().unwrap(), None));
    let mut r = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    if let Some(secs) = retry_after {
        r.insert_header(("Retry-After", secs.to_string()));
    }
    r.finish()
}

impl Receiver {
    pub fn start() -> Receiver {
        let shared = Arc::new(Shared {
            usual: Mutex::new(200),
            ..Shared::default()
        });
        let data = web::Data::from(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .default_service(web::to(receive))
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                tx.send(server.handle()).unwrap();
                server.await.unwrap();
            })
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks/asn"),
            shared,
            handle: rx.recv().unwrap(),
        }
    }

    /// From now on, answer every request with `status`.
    pub fn answer(&self, status: u16) {
        *self.shared.usual.lock().unwrap() = status;
    }

    /// Answer the next requests so, then as usual.
    pub fn answer_next(&self, answers: &[(u16, Option<u64>)]) {
        self.shared.next.lock().unwrap().extend(answers);
    }

    pub fn got(&self) -> Vec<Got> {
        self.shared.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let h = self.handle.clone();
        let _ =
            std::thread::spawn(move || actix_web::rt::System::new().block_on(h.stop(false))).join();
    }
}

pub async fn subscribe(app: &TestApp, url: &str, types: &[&str]) -> (String, String) {
    let r = app
        .post(
            "/api/v1/webhooks",
            &json!({ "url": url, "event_types": types }),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["secret"].as_str().unwrap().to_string(),
    )
}

/// Waits (up to 10 s) until the subscription has `n` deliveries in `status`.
pub async fn wait_deliveries(app: &TestApp, sub: &str, status: &str, n: usize) -> Vec<Value> {
    for _ in 0..400 {
        let r = app
            .get(&format!(
                "/api/v1/webhooks/{sub}/deliveries?status={status}"
            ))
            .await;
        let items = r.body["items"].as_array().unwrap().clone();
        if items.len() >= n {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let all = app.get(&format!("/api/v1/webhooks/{sub}/deliveries")).await;
    panic!("no {n} {status} deliveries: {:?}", all.body);
}

fn types(got: &[Got]) -> Vec<String> {
    got.iter()
        .map(|g| g.json()["type"].as_str().unwrap().to_string())
        .collect()
}

both!(
    a_subscriber_gets_signed_thin_events_and_eligibility_changes,
    settings = idle_worker,
    |app| {
        let receiver = Receiver::start();
        let (sub, secret) = subscribe(
            &app,
            &receiver.url,
            &["sanction.recorded", "eligibility.changed"],
        )
        .await;
        assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() >= 24);
        let listed = app.get("/api/v1/webhooks").await;
        assert_eq!(listed.body["items"][0]["id"], sub.as_str());
        assert!(
            listed.body["items"][0].get("secret").is_none(),
            "shown once"
        );

        app.upsert_profile(NIP, "3315", "active").await;
        let s = app
            .record(&sanction(NIP, "800/1/2026", "PP94_S3", "2026-10-01"))
            .await;
        assert_eq!(s.status, 201, "{:?}", s.body);

        app.drain_webhooks().await;
        // The two deliveries of one round go out at once, so either may arrive first.
        let mut got = receiver.got();
        got.sort_by_key(|g| g.json()["type"] != "sanction.recorded");
        assert_eq!(types(&got), ["sanction.recorded", "eligibility.changed"]);
        for g in &got {
            assert!(g.signed_with(&secret), "signature of {g:?}");
            assert!(g.id.starts_with("msg_"));
            assert_eq!(g.timestamp, "1795402800", "the sending instant, in seconds");
        }
        let recorded = got[0].json();
        assert_eq!(recorded["data"]["nip"], NIP);
        assert_eq!(recorded["data"]["sanction_id"], s.body["id"]);
        assert_eq!(recorded["data"]["type"], "PP94_S3");
        assert!(
            !got[0].body.contains("Attended a campaign") && !got[0].body.contains("Test Person"),
            "thin: no violation details, no names: {}",
            got[0].body
        );
        let changed = got[1].json();
        let moves = changed["data"]["changes"].as_array().unwrap();
        let promotion = moves.iter().find(|m| m["purpose"] == "promotion").unwrap();
        assert_eq!(promotion["from"], "eligible");
        assert_eq!(promotion["to"], "ineligible");
        assert!(promotion["eligible_from"].is_string());

        let delivered = app
            .get(&format!(
                "/api/v1/webhooks/{sub}/deliveries?status=delivered"
            ))
            .await;
        let delivered = delivered.body["items"].as_array().unwrap();
        assert_eq!(delivered.len(), 2);
        assert_eq!(delivered[0]["attempts"], 1);
        assert_eq!(delivered[0]["event_id"], got[0].id.as_str());
        // A profile update that changes nothing about eligibility tells nobody.
        app.upsert_profile(NIP, "3315", "active").await;
        app.drain_webhooks().await;
        assert_eq!(receiver.got().len(), 2);
        let all = app.get(&format!("/api/v1/webhooks/{sub}/deliveries")).await;
        assert_eq!(
            all.body["items"].as_array().unwrap().len(),
            2,
            "no delivery made"
        );
    }
);

/// The same database served by an instance that retries at once (on a clock that does not
/// move, only a receiver's Retry-After can hold a delivery back); its own worker idles, the
/// test drains.
async fn impatient(app: TestApp, now: &str, retries: usize) -> (TestApp, TestApp) {
    let mut app = app;
    app.stop();
    let fast = app
        .sibling(now, |s| {
            s.webhooks.retry_schedule = vec![Duration::ZERO; retries];
            idle_worker(s);
        })
        .await;
    (app, fast)
}

both!(
    a_receiver_error_is_retried_and_retry_after_is_honoured,
    |app| {
        let receiver = Receiver::start();
        // Fails twice (the second time asking for a minute's rest), then takes it.
        receiver.answer_next(&[(500, None), (503, Some(60))]);
        let (app, mut fast) = impatient(app, NOW, 3).await;
        let (sub, secret) = subscribe(&fast, &receiver.url, &["sanction.recorded"]).await;
        fast.upsert_profile(NIP, "3315", "active").await;
        fast.record(&sanction(NIP, "800/2/2026", "PP94_R1", "2026-10-01"))
            .await;
        fast.drain_webhooks().await;
        let got = receiver.got();
        assert_eq!(got.len(), 2, "500, then 503 asking for a minute");
        assert_eq!(got[0].id, got[1].id, "one event, one webhook-id");
        let pending = wait_deliveries(&fast, &sub, "pending", 1).await;
        assert_eq!(pending[0]["attempts"], 2);
        assert_eq!(pending[0]["last_response_status"], 503);
        let due: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(pending[0]["next_attempt_at"].clone()).unwrap();
        let now: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
        assert_eq!((due - now).num_seconds(), 60, "Retry-After: 60");
        fast.stop();
        // A minute later the third attempt goes through.
        let later = app
            .sibling("2026-11-23T03:01:00Z", |s| {
                s.webhooks.retry_schedule = vec![Duration::ZERO; 3];
                idle_worker(s);
            })
            .await;
        later.drain_webhooks().await;
        let got = receiver.got();
        assert_eq!(got.len(), 3);
        assert!(got[2].signed_with(&secret));
        let delivered = wait_deliveries(&later, &sub, "delivered", 1).await;
        assert_eq!(delivered[0]["attempts"], 3);
        drop(later);
        drop(fast);
    }
);

both!(
    after_the_schedule_a_delivery_fails_and_can_be_retried_by_hand,
    |app| {
        let receiver = Receiver::start();
        receiver.answer(500);
        let (app, fast) = impatient(app, NOW, 2).await;
        let (sub, secret) = subscribe(&fast, &receiver.url, &["sanction.recorded"]).await;
        fast.upsert_profile(NIP, "3315", "active").await;
        fast.record(&sanction(NIP, "800/3/2026", "PP94_R1", "2026-10-01"))
            .await;
        fast.drain_webhooks().await;
        let failed = wait_deliveries(&fast, &sub, "failed", 1).await;
        assert_eq!(
            failed[0]["attempts"], 3,
            "the first attempt and two retries"
        );
        assert_eq!(failed[0]["last_response_status"], 500);
        assert_eq!(receiver.got().len(), 3);
        let id = failed[0]["id"].as_str().unwrap();

        receiver.answer(200);
        let retried = fast
            .post(
                &format!("/api/v1/webhooks/deliveries/{id}/retry"),
                &json!({}),
            )
            .await;
        assert_eq!(retried.status, 202, "{:?}", retried.body);
        assert_eq!(retried.body["status"], "pending");
        fast.drain_webhooks().await;
        let got = receiver.got();
        assert_eq!(got.len(), 4);
        assert!(got[3].signed_with(&secret));
        assert_eq!(got[3].id, got[0].id);
        wait_deliveries(&fast, &sub, "delivered", 1).await;
        let again = fast
            .post(
                &format!("/api/v1/webhooks/deliveries/{id}/retry"),
                &json!({}),
            )
            .await;
        assert_eq!(again.status, 409);
        assert_eq!(again.code(), "invalid_transition");
        let missing = fast
            .post("/api/v1/webhooks/deliveries/nope/retry", &json!({}))
            .await;
        assert_eq!(missing.status, 404);
        drop(fast);
        drop(app);
    }
);

both!(
    a_restart_mid_retry_loses_nothing_and_sends_nothing_twice,
    settings = idle_worker,
    |app| {
        let mut app = app;
        let receiver = Receiver::start();
        receiver.answer(500);
        let (sub, secret) = subscribe(&app, &receiver.url, &["sanction.recorded"]).await;
        app.upsert_profile(NIP, "3315", "active").await;
        app.record(&sanction(NIP, "800/4/2026", "PP94_R1", "2026-10-01"))
            .await;
        app.drain_webhooks().await;
        assert_eq!(receiver.got().len(), 1);
        let pending = wait_deliveries(&app, &sub, "pending", 1).await;
        assert_eq!(pending[0]["attempts"], 1);
        app.drain_webhooks().await;
        assert_eq!(
            receiver.got().len(),
            1,
            "the retry is ~5 s away: not due yet"
        );
        // Shut down with the next attempt ~5 s away, and come back an hour later.
        app.stop();
        receiver.answer(200);
        let back = app.sibling("2026-11-23T04:00:00Z", idle_worker).await;
        back.drain_webhooks().await;
        let got = receiver.got();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].id, got[0].id);
        assert!(got[1].signed_with(&secret));
        let delivered = wait_deliveries(&back, &sub, "delivered", 1).await;
        assert_eq!(delivered[0]["attempts"], 2);
        back.drain_webhooks().await;
        assert_eq!(receiver.got().len(), 2, "delivered once, never again");
        drop(back);
    }
);

both!(
    the_change_feed_catches_up_in_order_with_per_asn_sequences,
    |app| {
        let colleague = "199001012015031001";
        app.upsert_profile(NIP, "3315", "active").await;
        app.upsert_profile(colleague, "3315", "active").await;
        let s = app
            .record(&sanction(NIP, "800/5/2026", "PP94_S3", "2026-10-01"))
            .await;
        let id = s.body["id"].as_str().unwrap();
        let lift = json!({ "reason": "followed_up", "reference": { "number": "800/9/2026", "date": "2026-11-20" },
                       "effective_on": "2026-11-20" });
        let lifted = app
            .post(&format!("/api/v1/sanctions/{id}/lift"), &lift)
            .await;
        assert_eq!(lifted.status, 200, "{:?}", lifted.body);
        let block = json!({ "events": [
        { "event_id": "blk-1", "nip": colleague, "occurred_at": "2026-11-01T02:00:00Z", "type": "block_ordered",
          "data": { "block_id": "BLK-1", "scope": "asn", "reference": "BKN/1" } },
        { "event_id": "st-1", "nip": NIP, "occurred_at": "2026-11-02T02:00:00Z", "type": "status_changed",
          "data": { "status": "retired" } } ]});
        assert_eq!(app.post("/api/v1/bkn/updates", &block).await.status, 200);

        let mut items = Vec::new();
        let mut after = String::new();
        loop {
            let page = app
                .get(&format!("/api/v1/changes?limit=2&after={after}"))
                .await;
            assert_eq!(page.status, 200, "{:?}", page.body);
            let batch = page.body["items"].as_array().unwrap().clone();
            assert!(batch.len() <= 2);
            if let Some(last) = batch.last() {
                after = last["cursor"].as_str().unwrap().to_string();
            }
            items.extend(batch);
            if page.body["next_cursor"].is_null() {
                break;
            }
            assert_eq!(page.body["next_cursor"].as_str().unwrap(), after);
        }
        let of = |nip: &str| -> Vec<(String, i64)> {
            items
                .iter()
                .filter(|c| c["nip"] == nip)
                .map(|c| {
                    let t = c["type"].as_str().unwrap().to_string();
                    (t, c["seq"].as_i64().unwrap())
                })
                .collect()
        };
        let expected: Vec<(String, i64)> = [
            "sanction.recorded",
            "eligibility.changed",
            "sanction.lifted",
            "eligibility.changed",
            "asn.status_changed",
            "eligibility.changed",
        ]
        .iter()
        .zip(1..)
        .map(|(t, seq)| (t.to_string(), seq))
        .collect();
        assert_eq!(of(NIP), expected);
        let theirs: Vec<String> = of(colleague).into_iter().map(|(t, _)| t).collect();
        assert_eq!(theirs, ["block.ordered", "eligibility.changed"]);
        let cursors: Vec<i64> = items
            .iter()
            .map(|c| c["cursor"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
        let retired = items.last().unwrap();
        assert_eq!(retired["data"]["changes"][0]["to"], "ineligible");

        let caught_up = app.get(&format!("/api/v1/changes?after={after}")).await;
        assert_eq!(caught_up.body["items"], json!([]));
        assert!(caught_up.body["next_cursor"].is_null());
        let only = app
            .get("/api/v1/changes?type=sanction.lifted,block.ordered")
            .await;
        assert_eq!(only.body["items"].as_array().unwrap().len(), 2);
        let bad = app.get("/api/v1/changes?type=sanction.exploded").await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.fields(), ["type"]);
    }
);

both!(eligibility_changes_are_told_at_date_boundaries, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let s = app
        .record(&sanction(NIP, "800/6/2026", "PP94_S1", "2026-06-01"))
        .await;
    assert_eq!(s.status, 201, "{:?}", s.body);
    let until = s.body["effective_until"].as_str().unwrap().to_string();
    let jpt = app.eligibility(NIP, "jpt_selection", "2026-11-23").await;
    let jpt_from = jpt.body["eligible_from"].as_str().unwrap().to_string();
    assert!(jpt_from > until, "the look-back outlasts the sanction");
    let told = |app: &TestApp| {
        app.count("SELECT COUNT(*) AS n FROM changes WHERE event_type = 'eligibility.changed'")
    };
    assert_eq!(told(&app), 1);

    // The day the sanction ends: promotion opens, JPT selection stays closed.
    let ended = app.sibling(&format!("{until}T03:00:00Z"), |_| {}).await;
    ended.run_job("lift_expired").await;
    let feed = ended.get("/api/v1/changes?type=eligibility.changed").await;
    let last = feed.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let moves = last["data"]["changes"].as_array().unwrap();
    assert!(moves
        .iter()
        .any(|m| m["purpose"] == "promotion" && m["to"] == "eligible"));
    assert!(!moves.iter().any(|m| m["purpose"] == "jpt_selection"));
    assert_eq!(told(&app), 2);
    // The run again: nothing new.
    ended.run_job("lift_expired").await;
    assert_eq!(told(&app), 2);
    drop(ended);

    // The day the look-back runs out, with no write at all: the sweep tells it.
    let cleared = app.sibling(&format!("{jpt_from}T03:00:00Z"), |_| {}).await;
    cleared.run_job("lift_expired").await;
    assert_eq!(told(&app), 3);
    let feed = cleared
        .get("/api/v1/changes?type=eligibility.changed")
        .await;
    let last = feed.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["data"]["changes"][0]["purpose"], "jpt_selection");
    assert_eq!(last["data"]["changes"][0]["to"], "eligible");
    cleared.run_job("lift_expired").await;
    assert_eq!(told(&app), 3, "told once");
    drop(cleared);
});

both!(subscriptions_are_validated_and_deleted, |app| {
    let bad = app
        .post(
            "/api/v1/webhooks",
            &json!({ "url": "ftp://example.go.id/x", "event_types": ["sanction.recorded", "sanction.exploded"] }),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "validation_failed");
    assert_eq!(bad.fields(), ["url", "event_types[1]"]);
    let none = app
        .post(
            "/api/v1/webhooks",
            &json!({ "url": "https://example.go.id/x", "event_types": [] }),
        )
        .await;
    assert_eq!(none.fields(), ["event_types"]);
    let internal = app
        .post(
            "/api/v1/webhooks",
            &json!({ "url": "http://10.0.0.7/x", "event_types": ["block.ordered"] }),
        )
        .await;
    assert_eq!(internal.status, 400);
    assert!(internal.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ASN_WEBHOOK_ALLOWED_NETWORKS"));
    let denied = app
        .send(
            app.request(reqwest::Method::POST, "/api/v1/webhooks")
                .bearer_auth(app.token("registry:read"))
                .json(
                    &json!({ "url": "https://example.go.id/x", "event_types": ["block.ordered"] }),
                ),
        )
        .await;
    assert_eq!(denied.status, 403);

    let (sub, _) = subscribe(&app, "https://example.go.id/x", &["block.ordered"]).await;
    let delete = |id: String| {
        app.send(
            app.request(reqwest::Method::DELETE, &format!("/api/v1/webhooks/{id}"))
                .bearer_auth(app.token(ALL_SCOPES)),
        )
    };
    assert_eq!(delete(sub.clone()).await.status, 204);
    assert_eq!(delete(sub.clone()).await.status, 404);
    let gone = app.get(&format!("/api/v1/webhooks/{sub}/deliveries")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(app.get("/api/v1/webhooks").await.body["items"], json!([]));
});

// A subscription is a write like any other: an Idempotency-Key replays it (the secret shown
// again from its sealed copy, never stored in the clear with the reply), and it is audited.
both!(subscribing_is_idempotent_and_audited, |app| {
    let body = json!({ "url": "https://example.go.id/hook", "event_types": ["block.ordered"] });
    let send = |key: &str| {
        app.request(reqwest::Method::POST, "/api/v1/webhooks")
            .bearer_auth(app.token(ALL_SCOPES))
            .header("Idempotency-Key", key)
            .json(&body)
    };
    let first = app.send(send("sub-1")).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let replay = app.send(send("sub-1")).await;
    assert_eq!((replay.status, &replay.body), (201, &first.body));
    assert_eq!(replay.header("location"), first.header("location"));
    assert!(first.body["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM webhook_subscriptions"),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM idempotency_keys WHERE body LIKE '%whsec_%'"),
        0,
        "the stored reply holds no secret"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'webhook.subscribed'"),
        1
    );
    let other = app
        .send(send("sub-1").json(
            &json!({ "url": "https://example.go.id/other", "event_types": ["block.ordered"] }),
        ))
        .await;
    assert_eq!(
        (other.status, other.code()),
        (422, "idempotency_key_reused")
    );
});

// Signing secrets are sealed at rest (AES-256-GCM): the database never holds the secret a
// receiver verifies with, yet deliveries are signed with it; a secret stored in plaintext by
// an earlier version is sealed when the service starts.
both!(
    signing_secrets_are_sealed_at_rest,
    settings = idle_worker,
    |app| {
        let receiver = Receiver::start();
        let (sub, secret) = subscribe(&app, &receiver.url, &["sanction.recorded"]).await;
        let stored = |app: &TestApp| {
            use asn_eligibility::db::schema::webhook_subscriptions as w;
            use diesel::prelude::*;
            w::table
                .find(&sub)
                .select(w::secret)
                .first::<String>(&mut app.conn())
                .unwrap()
        };
        let at_rest = stored(&app);
        assert!(at_rest.starts_with("enc:v1:"), "{at_rest}");
        assert!(!at_rest.contains(&secret[6..]), "no trace of the secret");
        app.upsert_profile(NIP, "3315", "active").await;
        app.record(&sanction(NIP, "800/9/2026", "PP94_R1", "2026-10-01"))
            .await;
        app.drain_webhooks().await;
        assert!(receiver.got()[0].signed_with(&secret));
        // An earlier version's plaintext row is sealed at the next start.
        app.sql(&format!(
            "UPDATE webhook_subscriptions SET secret = '{secret}' WHERE id = '{sub}'"
        ));
        let mut app = app;
        app.stop();
        let again = app.sibling(NOW, idle_worker).await;
        let resealed = stored(&again);
        assert!(
            resealed.starts_with("enc:v1:") && resealed != at_rest,
            "{resealed}"
        );
        again
            .record(&sanction(NIP, "800/10/2026", "PP94_R1", "2026-10-01"))
            .await;
        again.drain_webhooks().await;
        assert!(receiver.got()[1].signed_with(&secret));
        drop(again);
    }
);
