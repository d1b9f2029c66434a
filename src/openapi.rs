//! The OpenAPI 3.1 document, generated from the route table (`routes::configure`) and the
//! handlers' annotations, then completed with what every operation can answer: `401` / `403`
//! on every `/api/v1` route, `400` / `413` / `415` where a body or parameters are read, `503`
//! and `500`, all as `application/problem+json`. A test compares it with the committed
//! `openapi/openapi.json` and validates it, so it cannot drift; the scopes an operation's
//! `security` names are the ones [`crate::routes`] checks before the handler runs.

use actix_web::App;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Type};
use utoipa::{Modify, OpenApi as _};
use utoipa_actix_web::AppExt;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "asn-eligibility", version = "1",
         description = "Sanction track records (rekam jejak) and eligibility checks for Indonesian civil servants (ASN). Errors are RFC 9457 problem+json with a stable `code`."),
    components(schemas(crate::error::Problem, crate::error::ErrorCode, crate::service::bkn::ProfileData, crate::service::bkn::StatusData, crate::service::snapshot::SnapshotLine)),
    tags((name = "sanctions"), (name = "registry"), (name = "eligibility"), (name = "bkn"), (name = "jobs"), (name = "audit"), (name = "webhooks"), (name = "catalogue"), (name = "operations"))
)]
struct ApiDoc;

/// The document as served and committed.
pub fn api() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut doc) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(crate::routes::configure)
            .split_for_parts();
        Contract.modify(&mut doc);
        doc
    })
}

/// The document as served at `/openapi.json` and committed: [`api`] with the text limits.
pub fn served() -> &'static serde_json::Value {
    static SERVED: OnceLock<serde_json::Value> = OnceLock::new();
    SERVED.get_or_init(|| {
        let mut value = serde_json::to_value(api()).expect("the document serializes");
        text_limits(&mut value["components"]["schemas"]);
        value
    })
}

/// Every string a request carries has the maximum the server enforces
/// ([`crate::extract::max_text`]): request schemas are the ones that refuse unknown fields.
fn text_limits(schemas: &mut serde_json::Value) {
    fn is_string(s: &serde_json::Value) -> bool {
        match &s["type"] {
            serde_json::Value::String(t) => t == "string",
            serde_json::Value::Array(ts) => ts.iter().any(|t| t == "string"),
            _ => false,
        }
    }
    // Lists are not limited here: their items are taken one by one (a batch's NIPs) or
    // refused as unknown values (event types).
    fn limit(name: &str, s: &mut serde_json::Value) {
        let plain = s.get("format").is_none() && s.get("enum").is_none();
        if is_string(s) && plain && s.get("maxLength").is_none() {
            s["maxLength"] = serde_json::json!(crate::extract::max_text(name));
        }
    }
    for schema in schemas
        .as_object_mut()
        .into_iter()
        .flat_map(|m| m.values_mut())
    {
        if schema["additionalProperties"] != serde_json::json!(false) {
            continue;
        }
        for (name, p) in schema["properties"].as_object_mut().into_iter().flatten() {
            limit(name, p);
        }
    }
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document() -> String {
    let mut s = serde_json::to_string_pretty(served()).expect("the OpenAPI document serializes");
    s.push('\n');
    s
}

/// `(method, path template)` → the scopes its `security` requires (empty: any valid token).
fn scopes() -> &'static BTreeMap<(String, String), Vec<String>> {
    static SCOPES: OnceLock<BTreeMap<(String, String), Vec<String>>> = OnceLock::new();
    SCOPES.get_or_init(|| {
        let mut map = BTreeMap::new();
        for (path, item) in &api().paths.paths {
            for (method, op) in operations(item) {
                let Some(requirements) = &op.security else {
                    continue;
                };
                let value = serde_json::to_value(requirements).unwrap_or_default();
                let names: Vec<String> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.get("bearer"))
                    .filter_map(|s| s.as_array())
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect();
                map.insert((method.to_string(), path.clone()), names);
            }
        }
        map
    })
}

/// The scopes a request to `pattern` (a route's path template) with `method` needs; `None`
/// for an operation that needs no token.
pub fn required_scopes(method: &str, pattern: &str) -> Option<&'static [String]> {
    scopes()
        .get(&(method.to_ascii_lowercase(), pattern.to_string()))
        .map(Vec::as_slice)
}

/// The methods of the documented path that `path` matches (upper case), if any.
pub fn methods_of(path: &str) -> Option<Vec<String>> {
    static DEFS: OnceLock<Vec<(actix_web::dev::ResourceDef, Vec<String>)>> = OnceLock::new();
    let defs = DEFS.get_or_init(|| {
        api()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = operations(item)
                    .map(|(m, _)| m.to_ascii_uppercase())
                    .collect();
                (actix_web::dev::ResourceDef::new(template.as_str()), methods)
            })
            .collect()
    });
    defs.iter()
        .find(|(def, _)| def.is_match(path))
        .map(|(_, m)| m.clone())
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("delete", &item.delete),
        ("patch", &item.patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(|op| op.as_mut())
}

/// A NIP as the server takes it: 18 digits, surrounding white space aside (which digits
/// make a valid date or appointment is for the server to say, `400 invalid_nip`).
pub const NIP_PATTERN: &str = r"^\s*[0-9]{18}\s*$";
/// A NIP filter: empty (or blank) is no filter.
const NIP_FILTER_PATTERN: &str = r"^\s*([0-9]{18})?\s*$";

/// Parameters as strict as the server reads them: every `nip` a NIP, every `limit` 1–500.
fn strict_parameters(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        let schema = match p.name.as_str() {
            "nip" => ObjectBuilder::new().schema_type(Type::String).pattern(Some(
                if p.parameter_in == utoipa::openapi::path::ParameterIn::Path {
                    NIP_PATTERN
                } else {
                    NIP_FILTER_PATTERN
                },
            )),
            "limit" => ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(500))
                .description(Some("1 to 500, default 50")),
            _ => continue,
        };
        p.schema = Some(schema.into());
    }
}

/// Completes every operation with the answers the framework and the middleware give.
struct Contract;

const PROBLEM: &str = "application/problem+json";

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn with_header(response: &mut Response, name: &str, kind: Type, description: &str) {
    response.headers.insert(
        name.into(),
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(kind))
            .description(Some(description))
            .build(),
    );
}

impl Modify for Contract {
    fn modify(&self, doc: &mut OpenApi) {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
        for (path, item) in doc.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1");
            for op in operations_mut(item) {
                strict_parameters(op);
                let reads_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut op.responses.responses;
                // Every problem body is problem+json, wherever an annotation put it.
                for r in responses.values_mut() {
                    if let RefOr::T(r) = r {
                        if let Some(c) = r.content.shift_remove("application/json") {
                            let is_problem = serde_json::to_value(&c.schema)
                                .ok()
                                .and_then(|v| v.get("$ref").cloned())
                                .is_some_and(|v| v == "#/components/schemas/Problem");
                            let key = if is_problem {
                                PROBLEM
                            } else {
                                "application/json"
                            };
                            r.content.insert(key.to_string(), c);
                        }
                    }
                }
                let mut add = |status: &str, r: Response| {
                    responses.entry(status.to_string()).or_insert(RefOr::T(r));
                };
                if reads_input {
                    add("400", problem("invalid_nip, validation_failed (with `errors` naming each field) or malformed_json"));
                }
                let idempotent = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.name == "Idempotency-Key");
                if idempotent {
                    add("422", problem("idempotency_key_reused: this Idempotency-Key came before with another request"));
                }
                if op.request_body.is_some() {
                    add("408", problem("request_timeout: the body did not arrive within ASN_HTTP_BODY_TIMEOUT_MS"));
                    add("413", problem("payload_too_large"));
                    add("415", problem("unsupported_media_type"));
                }
                if api {
                    let mut unauthorized = problem(
                        "unauthorized: no token, or one that is expired, not yet valid, badly signed or for another issuer or audience",
                    );
                    with_header(
                        &mut unauthorized,
                        "WWW-Authenticate",
                        Type::String,
                        "Bearer realm=\"asn-eligibility\"",
                    );
                    responses
                        .entry("401".into())
                        .or_insert(RefOr::T(unauthorized.clone()));
                    if let Some(RefOr::T(r)) = responses.get_mut("401") {
                        r.headers = unauthorized.headers;
                    }
                    responses
                        .entry("403".into())
                        .or_insert(RefOr::T(problem("forbidden: the token lacks the scope, or its agency may not act on this ASN")));
                }
                responses.entry("500".into()).or_insert(RefOr::T(problem(
                    "internal: an opaque fault, logged under the request id",
                )));
                if api || path == "/health/ready" {
                    let mut unavailable = problem(
                        "service_unavailable: the database cannot be reached or the pool is exhausted; answered at once while the database is known to be down",
                    );
                    with_header(
                        &mut unavailable,
                        "Retry-After",
                        Type::Integer,
                        "Seconds to wait before trying again",
                    );
                    responses.insert("503".into(), RefOr::T(unavailable));
                }
            }
        }
    }
}
