//! Every response the suite sees is checked against the committed `openapi/openapi.json`:
//! its operation must document the status, the content type, and the body must be valid
//! against the documented schema (JSON Schema 2020-12, by the `jsonschema` crate, formats
//! included). A response outside the document fails the test that caused it.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Responses validated so far in this test process.
pub static VALIDATED: AtomicUsize = AtomicUsize::new(0);

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

/// The documented path template that `path` matches.
fn template(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    document()["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .find(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
        })
}

fn validator(key: String, schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document()["components"],
        "allOf": [schema],
    });
    let v = Arc::new(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the schema of {key} does not compile: {e}")),
    );
    cache.lock().unwrap().insert(key, v.clone());
    v
}

/// Checks one response; `Err` says how it leaves the document.
pub fn check(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &Value,
) -> Result<(), String> {
    let Some(t) = template(path) else {
        return Ok(()); // not a documented path: a 404 of the fallback
    };
    let method = method.to_ascii_lowercase();
    let Some(op) = document()["paths"][t].get(&method) else {
        return match status {
            405 => Ok(()),
            other => Err(format!(
                "{method} {t} is not documented, yet answered {other}"
            )),
        };
    };
    let responses = &op["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        return Err(format!(
            "{method} {t} answered {status}, which its operation does not document"
        ));
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return match body {
            Value::String(s) if s.is_empty() => Ok(()),
            _ => Err(format!(
                "{method} {t} {status} documents no body, yet sent {body}"
            )),
        };
    };
    let mime = content_type
        .and_then(|c| c.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    let Some(media) = content.get(mime) else {
        return Err(format!(
            "{method} {t} {status} sent {mime:?}; the document has {:?}",
            content.keys().collect::<Vec<_>>()
        ));
    };
    VALIDATED.fetch_add(1, Ordering::Relaxed);
    let json_body = mime == "application/json" || mime.ends_with("+json");
    match (media.get("schema"), json_body) {
        (Some(schema), true) => {
            let v = validator(format!("{method} {t} {status} {mime}"), schema);
            let errors: Vec<String> = v
                .iter_errors(body)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .take(5)
                .collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{method} {t} {status}: the body is not what the document says: {errors:#?}\nbody: {body}"
                ))
            }
        }
        _ => Ok(()),
    }
}
