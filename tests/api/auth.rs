use crate::both;
use crate::helpers::{Backend, TestApp, ALL_SCOPES};
use asn_eligibility::auth::{Audience, Claims};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

fn claims(overrides: serde_json::Value) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({ "iss": "asn-eligibility-dev", "aud": "asn-eligibility", "sub": "s", "scope": "registry:read",
                        "exp": now + 600, "nbf": now - 10, "iat": now - 10 });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn hs(c: &serde_json::Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        c,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

both!(tokens_are_checked_claim_by_claim, |app| {
    let now = chrono::Utc::now().timestamp();
    let path = "/api/v1/sanctions";
    let call = |token: Option<String>| {
        let mut r = app.request(reqwest::Method::GET, path);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    };
    let missing = app.send(call(None)).await;
    assert_eq!((missing.status, missing.code()), (401, "unauthorized"));
    assert!(missing
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    assert_eq!(
        app.send(call(Some(hs(&claims(json!({})), SECRET))))
            .await
            .status,
        200
    );
    let refused = [
        (
            "bad signature",
            hs(&claims(json!({})), "another-secret-another-secret-xx"),
        ),
        ("wrong issuer", hs(&claims(json!({"iss": "evil"})), SECRET)),
        (
            "wrong audience",
            hs(&claims(json!({"aud": "other"})), SECRET),
        ),
        ("expired", hs(&claims(json!({"exp": now - 3600})), SECRET)),
        (
            "not yet valid",
            hs(&claims(json!({"nbf": now + 3600})), SECRET),
        ),
        ("no exp", hs(&claims(json!({"exp": null})), SECRET)),
        ("no sub", hs(&claims(json!({"sub": null})), SECRET)),
        ("no scope", hs(&claims(json!({"scope": null})), SECRET)),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(r#"{"alg":"none","typ":"JWT"}"#),
                b64(&claims(json!({})).to_string())
            ),
        ),
        (
            "HS384 not configured",
            encode(
                &Header::new(Algorithm::HS384),
                &claims(json!({})),
                &EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap(),
        ),
        ("garbage", "not.a.jwt".into()),
        ("an unknown crit extension, correctly signed", {
            let signing_input = format!(
                "{}.{}",
                b64(r#"{"alg":"HS256","typ":"JWT","crit":["x-ext"],"x-ext":true}"#),
                b64(&claims(json!({})).to_string())
            );
            let sig = jsonwebtoken::crypto::sign(
                signing_input.as_bytes(),
                &EncodingKey::from_secret(SECRET.as_bytes()),
                Algorithm::HS256,
            )
            .unwrap();
            format!("{signing_input}.{sig}")
        }),
    ];
    for (what, token) in refused {
        let r = app.send(call(Some(token))).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "unauthorized"),
            "{what}: {:?}",
            r.body
        );
        assert!(r.header("www-authenticate").is_some(), "{what}");
    }
    let no_scope = app.send(call(Some(app.token("eligibility:read")))).await;
    assert_eq!((no_scope.status, no_scope.code()), (403, "forbidden"));
    assert!(no_scope.body["detail"]
        .as_str()
        .unwrap()
        .contains("registry:read"));
    // `aud` may be a list that names this service among others (RFC 7519 §4.1.3).
    let typed = Claims {
        iss: "asn-eligibility-dev".into(),
        aud: Audience::Many(vec!["other-api".into(), "asn-eligibility".into()]),
        exp: now as u64 + 600,
        sub: "s".into(),
        scope: "registry:read".into(),
        nbf: None,
        iat: None,
        jti: None,
        client_id: None,
        agency: None,
    };
    let listed = serde_json::to_value(&typed).unwrap();
    let ok = app
        .send(call(Some(hs(&listed, crate::helpers::SECRET))))
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let not_us = serde_json::to_value(Claims {
        aud: Audience::Many(vec!["other-api".into()]),
        ..typed
    })
    .unwrap();
    let r = app
        .send(call(Some(hs(&not_us, crate::helpers::SECRET))))
        .await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"));
});

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

both!(an_agency_claim_limits_sanction_writes, |app| {
    app.upsert_profile(NIP, "3315", "active").await;
    let other_nip = "199001012015032001";
    app.upsert_profile(other_nip, "9999", "active").await;
    let write = |nip: &str, number: &str, agency: &str| {
        app.request(reqwest::Method::POST, "/api/v1/sanctions")
            .bearer_auth(app.token_for("sanctions:write", Some(agency)))
            .json(&sanction(nip, number, "PP94_S1", "2026-06-01"))
    };
    assert_eq!(app.send(write(NIP, "g-1", "3315")).await.status, 201);
    let r = app.send(write(other_nip, "g-2", "3315")).await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    // An unseen NIP: the decision's issuing agency must be the token's.
    let unseen = "198001012005011003";
    assert_eq!(app.send(write(unseen, "g-3", "3315")).await.status, 201);
    let r = app.send(write("198001012005011004", "g-4", "1234")).await;
    assert_eq!(r.status, 403);
    // Lifting someone else's sanction is refused too.
    let theirs = app
        .record(&sanction(other_nip, "g-5", "PP94_S1", "2026-06-01"))
        .await;
    let lift = app
        .request(
            reqwest::Method::POST,
            &format!(
                "/api/v1/sanctions/{}/lift",
                theirs.body["id"].as_str().unwrap()
            ),
        )
        .bearer_auth(app.token_for("sanctions:write", Some("3315")))
        .json(&json!({"reason": "other", "reference": {"number": "1", "date": "2026-11-01"}}));
    assert_eq!(app.send(lift).await.status, 403);
});

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn signed(alg: Algorithm, kid: Option<&str>, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    encode(&header, &claims(json!({})), key).unwrap()
}

/// Production keys: an ES256 PEM public key; only configured algorithms are accepted.
#[tokio::test]
async fn es256_pem_keys_replace_the_development_secret() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.jwt.secret = None;
        s.jwt.keys_file = Some(fixture("es256-public.pem"));
    })
    .await;
    let key =
        EncodingKey::from_ec_pem(&std::fs::read(fixture("es256-private.pem")).unwrap()).unwrap();
    let call = |t: String| {
        app.request(reqwest::Method::GET, "/api/v1/sanctions")
            .bearer_auth(t)
    };
    assert_eq!(
        app.send(call(signed(Algorithm::ES256, None, &key)))
            .await
            .status,
        200
    );
    let hs = app.send(call(app.token("registry:read"))).await;
    assert_eq!(
        (hs.status, hs.code()),
        (401, "unauthorized"),
        "HS256 is not configured here"
    );
}

/// Production keys: a JWKS file with an Ed25519 key, chosen by `kid`.
#[tokio::test]
async fn eddsa_jwks_keys_are_matched_by_kid() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.jwt.secret = None;
        s.jwt.keys_file = Some(fixture("jwks.json"));
    })
    .await;
    let key =
        EncodingKey::from_ed_pem(&std::fs::read(fixture("ed25519-private.pem")).unwrap()).unwrap();
    let call = |t: String| {
        app.request(reqwest::Method::GET, "/api/v1/sanctions")
            .bearer_auth(t)
    };
    assert_eq!(
        app.send(call(signed(Algorithm::EdDSA, Some("test-ed-1"), &key)))
            .await
            .status,
        200
    );
    assert_eq!(
        app.send(call(signed(Algorithm::EdDSA, Some("rotated-away"), &key)))
            .await
            .status,
        401
    );
    let es =
        EncodingKey::from_ec_pem(&std::fs::read(fixture("es256-private.pem")).unwrap()).unwrap();
    assert_eq!(
        app.send(call(signed(Algorithm::ES256, None, &es)))
            .await
            .status,
        401
    );
}

// Every `/api/v1` operation of the committed document checks the token's scope before it
// reads its body or query: a token without the scope that sends garbage learns nothing but
// `403`, and one without a token `401` (with `WWW-Authenticate`).
both!(scopes_are_checked_before_bodies_on_every_route, |app| {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/api/v1") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let required: Vec<&str> = op["security"][0]["bearer"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {template} names no bearer security"))
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            let path = template
                .replace("{nip}", "198503302010011002")
                .replace(['{', '}'], "");
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let garbage = |token: Option<String>| {
                let mut r = app
                    .request(
                        method.clone(),
                        &format!("{path}?limit=zero&as_of=someday&purpose=x"),
                    )
                    .header("Content-Type", "application/json")
                    .body("{\"nip\": 1, \"unknown\": true}");
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                r
            };
            let anonymous = app.send(garbage(None)).await;
            assert_eq!(
                (anonymous.status, anonymous.code()),
                (401, "unauthorized"),
                "{method} {template}"
            );
            assert!(anonymous.header("www-authenticate").is_some());
            if required.is_empty() {
                continue; // any valid token (the catalogue)
            }
            let other: Vec<&str> = ALL_SCOPES
                .split(' ')
                .filter(|s| !required.contains(s))
                .collect();
            let r = app.send(garbage(Some(app.token(&other.join(" "))))).await;
            assert_eq!(
                (r.status, r.code()),
                (403, "forbidden"),
                "{method} {template} without {required:?}: {:?}",
                r.body
            );
            assert!(r.body.get("errors").is_none(), "nothing about the body");
            checked += 1;
        }
    }
    assert!(checked >= 29, "{checked} operations checked");
});
