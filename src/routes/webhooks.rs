//! `/api/v1/webhooks` (subscriptions and their deliveries) and `/api/v1/changes` (the same
//! events as an ordered pull feed).

use super::{page, reply};
use crate::audit::Entry;
use crate::auth::Principal;
use crate::db::outbox::ChangeRow;
use crate::db::webhooks::{self as store, DeliveryRow, SubscriptionRow};
use crate::db::{self, audit};
use crate::error::{ApiError, FieldError};
use crate::extract::{ApiJson, Query};
use crate::i18n::L10n;
use crate::service::outbox::EVENT_TYPES;
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

fn validate(input: &SubscriptionIn, state: &AppState) -> Result<(), ApiError> {
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
    for (i, t) in input.event_types.iter().enumerate() {
        if !EVENT_TYPES.contains(&t.as_str()) {
            errors.push(FieldError::new(
                format!("event_types[{i}]"),
                L10n::same(format!("'{t}' is not one of: {}", EVENT_TYPES.join(", "))),
            ));
        }
    }
    ApiError::check(errors)
}

/// Subscribe a URL to event types. The response carries the signing secret, once.
#[utoipa::path(operation_id = "createSubscription", tag = "webhooks", request_body = SubscriptionIn,
    responses((status = 201, body = SubscriptionOut), (status = 400, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem)),
    security(("bearer" = ["webhooks:manage"])))]
#[post("/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: ApiJson<SubscriptionIn>,
) -> Result<HttpResponse, ApiError> {
    let input = body.body;
    validate(&input, &state)?;
    let mut types = input.event_types;
    types.sort();
    types.dedup();
    let (actor, now) = (who.audit_actor(), state.clock.now_naive());
    let id = uuid::Uuid::now_v7().to_string();
    let secret = crate::webhooks::new_secret();
    let sealed = state
        .sealer
        .seal(&id, &secret)
        .map_err(ApiError::internal)?;
    let row = db::run(&state.pool, move |c| {
        db::write_tx(c, |c| {
            let row = SubscriptionRow {
                id,
                url: input.url.trim().to_string(),
                event_types: serde_json::to_string(&types)?,
                secret: sealed,
                created_by: actor.sub.clone(),
                created_at: now,
                starts_after: 0,
                deleted_at: None,
            };
            let data = json!({ "url": row.url, "event_types": types });
            let entry = Entry::new("webhook.subscribed", None, Some(&row.id), data);
            // Under the audit head (the lock every change is written under), the newest
            // change is exactly the last one this subscription does not hear of.
            audit::append(c, &actor, now, &[entry])?;
            let row = SubscriptionRow {
                starts_after: db::outbox::last_id(c)?,
                ..row
            };
            store::insert_subscription(c, &row)?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/webhooks/{}", row.id)))
        .json(SubscriptionOut::of(&row, Some(secret))))
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
    let (actor, now) = (who.audit_actor(), state.clock.now_naive());
    db::run(&state.pool, move |c| {
        db::write_tx(c, |c| {
            if !store::delete_subscription(c, &id, now)? {
                return Err(ApiError::not_found());
            }
            let entry = Entry::new("webhook.unsubscribed", None, Some(&id), json!({}));
            audit::append(c, &actor, now, &[entry])?;
            Ok(())
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
    params(("id" = String, Path)),
    responses((status = 202, body = DeliveryOut), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)),
    security(("bearer" = ["webhooks:manage"])))]
#[post("/webhooks/deliveries/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (actor, now) = (who.audit_actor(), state.clock.now_naive());
    let row = db::run(&state.pool, move |c| {
        db::write_tx(c, |c| {
            let Some(found) = store::find_delivery(c, &id)? else {
                return Err(ApiError::not_found());
            };
            if !store::retry(c, &id, now)? {
                return Err(ApiError::with_detail(
                    crate::error::ErrorCode::InvalidTransition,
                    format!(
                        "Pengiriman berstatus {}; hanya yang failed dapat diulang",
                        found.0.status
                    ),
                    format!(
                        "The delivery is {}; only a failed one can be retried",
                        found.0.status
                    ),
                ));
            }
            let entry = Entry::new("webhook.delivery_retried", None, Some(&id), json!({}));
            audit::append(c, &actor, now, &[entry])?;
            store::find_delivery(c, &id)?.ok_or_else(ApiError::not_found)
        })
    })
    .await?;
    Ok(HttpResponse::Accepted().json(DeliveryOut::of(row)))
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
    if let Some(bad) = types
        .iter()
        .flatten()
        .find(|t| !EVENT_TYPES.contains(&t.as_str()))
    {
        return Err(ApiError::field(
            "type",
            L10n::same(format!("'{bad}' is not one of: {}", EVENT_TYPES.join(", "))),
        ));
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
