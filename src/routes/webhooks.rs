//! `/api/v1/webhooks` (subscriptions and their deliveries) and `/api/v1/changes` (the same
//! events as an ordered pull feed).

use super::{page, reply, write, write_reply};
use crate::auth::Principal;
use crate::db;
use crate::db::outbox::ChangeRow;
use crate::db::webhooks::{self as store, DeliveryRow, SubscriptionRow};
use crate::domain::EventType;
use crate::error::{ApiError, FieldError};
use crate::extract::{ApiJson, IdempotencyKey, Query};
use crate::i18n::L10n;
use crate::service::idempotency::{Fingerprint, Reply};
use crate::service::webhooks::{self as svc, NewSubscription};
use crate::state::AppState;
use actix_web::{delete, get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionIn {
    /// Where deliveries are POSTed: http(s), not into private or loopback networks unless
    /// the operator allows them.
    pub url: String,
    /// Event types to receive (at least one): `sanction.recorded`, `sanction.activated`,
    /// `sanction.expired`, `sanction.lifted`, `sanction.annulled`, `sanction.superseded`,
    /// `asn.status_changed`, `block.ordered`, `block.released`, `eligibility.changed`.
    pub event_types: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionOut {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The signing secret (`whsec_` + base64); in the creation response only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl SubscriptionOut {
    /// `secret`: the plaintext, shown in the creation response only (it is stored sealed).
    fn of(row: &SubscriptionRow, secret: Option<String>) -> SubscriptionOut {
        SubscriptionOut {
            id: row.id.clone(),
            url: row.url.clone(),
            event_types: row.types(),
            created_at: row.created_at.and_utc(),
            secret,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionPage {
    pub items: Vec<SubscriptionOut>,
    pub next_cursor: Option<String>,
}

/// One of the event types subscribers can hear of, or the message naming them.
fn published_type(t: &str) -> Result<EventType, L10n> {
    t.parse::<EventType>()
        .ok()
        .filter(|t| t.published())
        .ok_or_else(|| {
            let known: Vec<&str> = EventType::PUBLISHED.iter().map(|t| t.as_str()).collect();
            L10n::same(format!("'{t}' is not one of: {}", known.join(", ")))
        })
}

/// The checked URL and event types (sorted, without repeats).
fn validate(input: &SubscriptionIn, state: &AppState) -> Result<Vec<EventType>, ApiError> {
    let mut errors = Vec::new();
    if let Err(why) = state.targets.check_url(input.url.trim()) {
        errors.push(FieldError::new("url", L10n::same(why)));
    }
    if input.event_types.is_empty() {
        errors.push(FieldError::new(
            "event_types",
            L10n::new("minimal satu jenis peristiwa", "at least one event type"),
        ));
    }
    let mut types = Vec::new();
    for (i, t) in input.event_types.iter().enumerate() {
        match published_type(t) {
            Ok(t) => types.push(t),
            Err(why) => errors.push(FieldError::new(format!("event_types[{i}]"), why)),
        }
    }
    ApiError::check(errors)?;
    types.sort_by_key(|t| t.as_str());
    types.dedup();
    Ok(types)
}

/// Subscribe a URL to event types. The response carries the signing secret, once.
#[utoipa::path(operation_id = "createSubscription", tag = "webhooks", request_body = SubscriptionIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for the same body, the secret included")),
    responses((status = 201, body = SubscriptionOut), (status = 400, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem)),
    security(("bearer" = ["webhooks:manage"])))]
#[post("/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    body: ApiJson<SubscriptionIn>,
) -> Result<HttpResponse, ApiError> {
    let fp = Fingerprint::new(&who.sub, key.0, "POST /api/v1/webhooks", &body.value);
    let input = body.body;
    let event_types = validate(&input, &state)?;
    let id = uuid::Uuid::now_v7().to_string();
    let secret = crate::webhooks::new_secret();
    let created = id.clone();
    let new = NewSubscription {
        sealed_secret: state
            .sealer
            .seal(&id, &secret)
            .map_err(ApiError::internal)?,
        id,
        url: input.url.trim().to_string(),
        event_types,
    };
    let reply = write(&state, &who, fp, move |c, _, j| {
        let row = svc::subscribe(c, &new, j)?;
        Ok(Reply {
            status: 201,
            location: Some(format!("/api/v1/webhooks/{}", row.id)),
            body: json!(SubscriptionOut::of(&row, None)).into(),
        })
    })
    .await?;
    // The secret is never stored in the clear, not even with the replayable reply: a
    // replay shows it again from the sealed copy (none once the subscription is deleted).
    let mut reply = reply;
    let mut body = reply.body.value()?;
    let id = body["id"].as_str().unwrap_or_default().to_string();
    let secret = if id == created {
        Some(secret)
    } else {
        let sealer = state.sealer.clone();
        db::run(&state.pool, move |c| {
            let row = store::find_subscription(c, &id)?;
            row.map(|r| sealer.open(&r.id, &r.secret).map_err(ApiError::internal))
                .transpose()
        })
        .await?
    };
    if let Some(secret) = secret {
        body["secret"] = json!(secret);
        reply.body = body.into();
    }
    Ok(write_reply(reply))
}

/// Subscriptions (without their secrets).
#[utoipa::path(operation_id = "listSubscriptions", tag = "webhooks",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = SubscriptionPage)),
    security(("bearer" = ["webhooks:manage"])))]
#[get("/webhooks")]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    let (limit, cursor) = (q.limit(), q.string("cursor"));
    q.finish()?;
    let rows = db::run(&state.pool, move |c| {
        Ok(store::list_subscriptions(c, cursor.as_deref(), limit + 1)?)
    })
    .await?;
    let (items, next_cursor) = page(rows, limit, |r| r.id.clone());
    Ok(reply(&SubscriptionPage {
        items: items.iter().map(|r| SubscriptionOut::of(r, None)).collect(),
        next_cursor,
    }))
}

/// Unsubscribe: nothing more is delivered, pending deliveries are cancelled.
#[utoipa::path(operation_id = "deleteSubscription", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = crate::error::Problem)),
    security(("bearer" = ["webhooks:manage"])))]
#[delete("/webhooks/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    write(&state, &who, None, move |c, _, j| {
        svc::unsubscribe(c, &id, j)?;
        Ok(Reply {
            status: 204,
            location: None,
            body: serde_json::Value::Null.into(),
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: String,
    pub subscription_id: String,
    /// The `webhook-id` header: the event's id, the same on every attempt.
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered`, `failed` (the schedule ran out) or `cancelled`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_response_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl DeliveryOut {
    fn of((d, event_id, event_type): (DeliveryRow, String, String)) -> DeliveryOut {
        DeliveryOut {
            id: d.id,
            subscription_id: d.subscription_id,
            event_id,
            event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(|t| t.and_utc()),
            last_attempt_at: d.last_attempt_at.map(|t| t.and_utc()),
            last_response_status: d.last_response_status,
            last_error: d.last_error,
            delivered_at: d.delivered_at.map(|t| t.and_utc()),
            created_at: d.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryOut>,
    pub next_cursor: Option<String>,
}

const STATUSES: [&str; 4] = ["pending", "delivered", "failed", "cancelled"];

/// A subscription's deliveries, oldest first, optionally in one status.
#[utoipa::path(operation_id = "listDeliveries", tag = "webhooks",
    params(("id" = String, Path), ("status" = Option<String>, Query, description = "pending, delivered, failed or cancelled"),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = DeliveryPage), (status = 400, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)),
    security(("bearer" = ["webhooks:manage"])))]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut q = Query::new(&req);
    let status = q.string("status");
    let (limit, cursor) = (q.limit(), q.string("cursor"));
    q.finish()?;
    if let Some(s) = status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::field(
            "status",
            L10n::same(format!("'{s}' is not one of: {}", STATUSES.join(", "))),
        ));
    }
    let rows = db::run(&state.pool, move |c| {
        if store::find_subscription(c, &id)?.is_none() {
            return Err(ApiError::not_found());
        }
        Ok(store::list_deliveries(
            c,
            &id,
            status.as_deref(),
            cursor.as_deref(),
            limit + 1,
        )?)
    })
    .await?;
    let (items, next_cursor) = page(rows, limit, |r| r.0.id.clone());
    Ok(reply(&DeliveryPage {
        items: items.into_iter().map(DeliveryOut::of).collect(),
        next_cursor,
    }))
}

/// Send a failed delivery once more, now. `409 invalid_transition` unless it is `failed`.
#[utoipa::path(operation_id = "retryDelivery", tag = "webhooks",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = DeliveryOut), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)),
    security(("bearer" = ["webhooks:manage"])))]
#[post("/webhooks/deliveries/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    who: Principal,
    key: IdempotencyKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let route = format!("POST /api/v1/webhooks/deliveries/{{id}}/retry {id}");
    let fp = Fingerprint::new(&who.sub, key.0, &route, &serde_json::Value::Null);
    let reply = write(&state, &who, fp, move |c, _, j| {
        let row = svc::retry(c, &id, j)?;
        Ok(Reply {
            status: 202,
            location: None,
            body: json!(DeliveryOut::of(row)).into(),
        })
    })
    .await?;
    Ok(write_reply(reply))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// Position in the feed; pass the last one seen as `after`.
    pub cursor: String,
    /// The event's id (the `webhook-id` of its deliveries).
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub nip: Option<String>,
    /// Per-ASN sequence number: 1, 2, ... for each NIP.
    pub seq: Option<i64>,
    pub timestamp: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<ChangeRow> for ChangeOut {
    fn from(c: ChangeRow) -> Self {
        ChangeOut {
            cursor: c.id.to_string(),
            id: c.event_id,
            event_type: c.event_type,
            nip: c.nip,
            seq: c.seq,
            timestamp: c.occurred_at.and_utc(),
            data: serde_json::from_str(&c.data).unwrap_or(serde_json::Value::String(c.data)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<ChangeOut>,
    /// Pass as `after` for the next page; `null` when caught up (keep the last item's
    /// `cursor` and poll again later).
    pub next_cursor: Option<String>,
}

/// Every event subscribers can hear of, in commit order, after a cursor.
#[utoipa::path(operation_id = "listChanges", tag = "webhooks",
    params(("after" = Option<String>, Query, description = "The cursor of the last change seen; from the start when absent"),
           ("type" = Option<String>, Query, description = "Only these event types, comma-separated"),
           ("nip" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = ChangePage), (status = 400, body = crate::error::Problem)),
    security(("bearer" = ["registry:read"])))]
#[get("/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut q = Query::new(&req);
    // A cursor: given empty, it is the start of the feed (a client passing on a `null`).
    let after = match q.string("after").map(|a| a.parse::<u64>()) {
        None => 0,
        Some(Ok(n)) => n as i64,
        Some(Err(e)) => {
            q.errors
                .push(FieldError::new("after", L10n::same(e.to_string())));
            0
        }
    };
    let nip = q
        .string("nip")
        .map(|n| super::parse_nip(&n))
        .transpose()?
        .map(|n| n.as_str().to_string());
    let types: Option<Vec<String>> = q
        .string("type")
        .map(|t| t.split(',').map(|s| s.trim().to_string()).collect());
    if let Some(Err(why)) = types
        .iter()
        .flatten()
        .map(|t| published_type(t))
        .find(Result::is_err)
    {
        return Err(ApiError::field("type", why));
    }
    let limit = q.limit();
    q.finish()?;
    let rows = db::run(&state.pool, move |c| {
        Ok(db::outbox::after(
            c,
            after,
            types.as_deref(),
            nip.as_deref(),
            limit + 1,
        )?)
    })
    .await?;
    let (items, next_cursor) = page(rows, limit, |r| r.id.to_string());
    Ok(reply(&ChangePage {
        items: items.into_iter().map(ChangeOut::from).collect(),
        next_cursor,
    }))
}
