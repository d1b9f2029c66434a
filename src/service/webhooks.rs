//! Webhook subscriptions and manual retries: writes like every other, through the `Journal`
//! (their audit entries) inside `run_write` (their `Idempotency-Key`).

use super::journal::Journal;
use crate::audit::Entry;
use crate::db::webhooks::{self as store, DeliveryRow, SubscriptionRow};
use crate::db::{self, AnyConnection};
use crate::domain::EventType;
use crate::error::{ApiError, ErrorCode};
use serde_json::json;

/// A subscription to create: its secret already sealed.
pub struct NewSubscription {
    pub id: String,
    pub url: String,
    /// Sorted, without repeats.
    pub event_types: Vec<EventType>,
    pub sealed_secret: String,
}

/// Creates a subscription. It hears of every change after the newest one committed: read
/// under the audit head, the lock every change is written under, so none falls between.
pub fn subscribe(
    conn: &mut AnyConnection,
    new: &NewSubscription,
    j: &mut Journal,
) -> Result<SubscriptionRow, ApiError> {
    let types: Vec<&str> = new.event_types.iter().map(|t| t.as_str()).collect();
    db::audit::lock_head(conn)?;
    let row = SubscriptionRow {
        id: new.id.clone(),
        url: new.url.clone(),
        event_types: serde_json::to_string(&types)?,
        secret: new.sealed_secret.clone(),
        created_by: j.actor().sub.clone(),
        created_at: j.at(),
        starts_after: db::outbox::last_id(conn)?,
        deleted_at: None,
    };
    store::insert_subscription(conn, &row)?;
    let data = json!({ "url": row.url, "event_types": types });
    j.audit(Entry::new("webhook.subscribed", None, Some(&row.id), data));
    Ok(row)
}

/// Ends a subscription: nothing more is delivered, pending deliveries are cancelled.
pub fn unsubscribe(conn: &mut AnyConnection, id: &str, j: &mut Journal) -> Result<(), ApiError> {
    if !store::delete_subscription(conn, id, j.at())? {
        return Err(ApiError::not_found());
    }
    j.audit(Entry::new(
        "webhook.unsubscribed",
        None,
        Some(id),
        json!({}),
    ));
    Ok(())
}

/// Sends a failed delivery once more, now; `invalid_transition` unless it is `failed`.
pub fn retry(
    conn: &mut AnyConnection,
    id: &str,
    j: &mut Journal,
) -> Result<(DeliveryRow, String, String), ApiError> {
    let Some(found) = store::find_delivery(conn, id)? else {
        return Err(ApiError::not_found());
    };
    if !store::retry(conn, id, j.at())? {
        let status = &found.0.status;
        return Err(ApiError::with_detail(
            ErrorCode::InvalidTransition,
            format!("Pengiriman berstatus {status}; hanya yang failed dapat diulang"),
            format!("The delivery is {status}; only a failed one can be retried"),
        ));
    }
    j.audit(Entry::new(
        "webhook.delivery_retried",
        None,
        Some(id),
        json!({}),
    ));
    store::find_delivery(conn, id)?.ok_or_else(ApiError::not_found)
}
