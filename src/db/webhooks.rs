//! Webhook subscriptions, the fan-out of changes into deliveries, and claiming deliveries.

use super::outbox::ChangeRow;
use super::schema::webhook_subscriptions as s;
use super::schema::{changes as ch, webhook_deliveries as d, webhook_dispatch as wd};
use super::AnyConnection;
use crate::on_backend;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = s)]
#[diesel(treat_none_as_default_value = false)]
pub struct SubscriptionRow {
    pub id: String,
    pub url: String,
    /// JSON array of event types.
    pub event_types: String,
    pub secret: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub starts_after: i64,
    pub deleted_at: Option<NaiveDateTime>,
}

impl SubscriptionRow {
    pub fn types(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }
}

pub fn insert_subscription(conn: &mut AnyConnection, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::insert_into(s::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Every subscription's id and stored secret (deleted ones too), for resealing.
pub fn all_secrets(conn: &mut AnyConnection) -> QueryResult<Vec<(String, String)>> {
    s::table
        .select((s::id, s::secret))
        .order(s::id.asc())
        .load(conn)
}

pub fn set_secret(conn: &mut AnyConnection, id: &str, secret: &str) -> QueryResult<()> {
    diesel::update(s::table.find(id))
        .set(s::secret.eq(secret))
        .execute(conn)
        .map(|_| ())
}

/// Subscriptions not deleted, by id, after `after`.
pub fn list_subscriptions(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<SubscriptionRow>> {
    let mut q = s::table
        .filter(s::deleted_at.is_null())
        .select(SubscriptionRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(s::id.gt(after.to_string()));
    }
    q.order(s::id.asc()).limit(limit).load(conn)
}

/// A subscription not deleted.
pub fn find_subscription(
    conn: &mut AnyConnection,
    id: &str,
) -> QueryResult<Option<SubscriptionRow>> {
    s::table
        .find(id)
        .filter(s::deleted_at.is_null())
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()
}

/// Deletes (marks deleted) a subscription and cancels what it still had to receive;
/// `false` when there was no such subscription.
pub fn delete_subscription(
    conn: &mut AnyConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(s::table.find(id).filter(s::deleted_at.is_null()))
        .set(s::deleted_at.eq(Some(now)))
        .execute(conn)?;
    diesel::update(
        d::table
            .filter(d::subscription_id.eq(id))
            .filter(d::status.eq("pending")),
    )
    .set((
        d::status.eq("cancelled"),
        d::next_attempt_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = d)]
#[diesel(treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: String,
    pub subscription_id: String,
    pub change_id: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub manual: bool,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_response_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// The last change before the oldest live subscription; `None` when there is none.
fn first_wanted(conn: &mut AnyConnection) -> QueryResult<Option<i64>> {
    s::table
        .filter(s::deleted_at.is_null())
        .select(diesel::dsl::min(s::starts_after))
        .first(conn)
}

/// Turns up to `limit` changes past the dispatch cursor into deliveries, one per
/// subscription that asked for the event type and existed before the change; advances
/// the cursor. `None` when another instance is dispatching (PostgreSQL: the cursor row is
/// locked, skipped); else how many changes it handled. Call inside a write transaction.
pub fn dispatch(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Option<usize>> {
    let cursor = wd::table.find(1).select(wd::last_change_id);
    let last: Option<i64> = match conn {
        AnyConnection::Postgresql(c) => cursor.for_update().skip_locked().first(c).optional()?,
        AnyConnection::Sqlite(c) => cursor.first(c).optional()?,
    };
    let Some(last) = last else {
        return Ok(None);
    };
    // Changes before every subscription need no fan-out.
    let Some(from) = first_wanted(conn)? else {
        return Ok(Some(0));
    };
    let changes: Vec<ChangeRow> = ch::table
        .filter(ch::id.gt(last.max(from)))
        .order(ch::id.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)?;
    let Some(newest) = changes.last().map(|c| c.id) else {
        return Ok(Some(0));
    };
    let subs: Vec<(SubscriptionRow, Vec<String>)> = s::table
        .filter(s::deleted_at.is_null())
        .select(SubscriptionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| {
            let types = row.types();
            (row, types)
        })
        .collect();
    let rows: Vec<DeliveryRow> = changes
        .iter()
        .flat_map(|c| {
            subs.iter()
                .filter(move |(sub, types)| {
                    c.id > sub.starts_after && types.contains(&c.event_type)
                })
                .map(move |(sub, _)| DeliveryRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    subscription_id: sub.id.clone(),
                    change_id: c.id,
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: Some(now),
                    manual: false,
                    last_attempt_at: None,
                    last_response_status: None,
                    last_error: None,
                    delivered_at: None,
                    created_at: now,
                })
        })
        .collect();
    for chunk in rows.chunks(500) {
        on_backend!(conn, |c| diesel::insert_into(d::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    diesel::update(wd::table.find(1))
        .set(wd::last_change_id.eq(newest))
        .execute(conn)?;
    Ok(Some(changes.len()))
}

/// Whether changes wait to be fanned out, and whether deliveries are due: two reads, so
/// that an idle worker never opens a write transaction.
pub fn work_waiting(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<(bool, bool)> {
    let dispatched: i64 = wd::table.find(1).select(wd::last_change_id).first(conn)?;
    let undispatched = match first_wanted(conn)? {
        None => false,
        Some(from) => super::outbox::last_id(conn)? > dispatched.max(from),
    };
    let due = d::table
        .filter(d::status.eq("pending"))
        .filter(d::next_attempt_at.le(now))
        .select(d::id)
        .first::<String>(conn)
        .optional()?
        .is_some();
    Ok((undispatched, due))
}

/// A delivery to attempt, with what it needs.
#[derive(Debug, Clone)]
pub struct Claim {
    pub delivery: DeliveryRow,
    pub url: String,
    pub secret: String,
    pub change: ChangeRow,
}

/// Claims up to `limit` due deliveries: moves their due time `lease` ahead so that no other
/// worker takes them while this one sends (and so that they come due again if it dies).
/// PostgreSQL skips rows another instance is claiming. Call inside a write transaction.
pub fn claim(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease: chrono::TimeDelta,
    limit: i64,
) -> QueryResult<Vec<Claim>> {
    // Written twice: `as_select` is typed per backend.
    macro_rules! due {
        () => {
            d::table
                .filter(d::status.eq("pending"))
                .filter(d::next_attempt_at.le(now))
                .order(d::next_attempt_at.asc())
                .limit(limit)
                .select(DeliveryRow::as_select())
        };
    }
    let rows: Vec<DeliveryRow> = match conn {
        AnyConnection::Postgresql(c) => due!().for_update().skip_locked().load(c)?,
        AnyConnection::Sqlite(c) => due!().load(c)?,
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    diesel::update(d::table.filter(d::id.eq_any(&ids)))
        .set(d::next_attempt_at.eq(Some(now + lease)))
        .execute(conn)?;
    let sub_ids: Vec<&str> = rows.iter().map(|r| r.subscription_id.as_str()).collect();
    let subs: HashMap<String, SubscriptionRow> = s::table
        .filter(s::id.eq_any(&sub_ids))
        .select(SubscriptionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let change_ids: Vec<i64> = rows.iter().map(|r| r.change_id).collect();
    let changes: HashMap<i64, ChangeRow> = ch::table
        .filter(ch::id.eq_any(&change_ids))
        .select(ChangeRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|delivery| {
            let sub = subs.get(&delivery.subscription_id)?;
            let change = changes.get(&delivery.change_id)?.clone();
            Some(Claim {
                url: sub.url.clone(),
                secret: sub.secret.clone(),
                change,
                delivery,
            })
        })
        .collect())
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: NaiveDateTime,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    /// `delivered`, `pending` (with the next due time) or `failed`.
    pub status: &'static str,
    pub next_attempt_at: Option<NaiveDateTime>,
}

pub fn record_attempt(conn: &mut AnyConnection, id: &str, a: &Attempt) -> QueryResult<()> {
    diesel::update(d::table.find(id).filter(d::status.eq("pending")))
        .set((
            d::status.eq(a.status),
            d::attempts.eq(d::attempts + 1),
            d::next_attempt_at.eq(a.next_attempt_at),
            d::last_attempt_at.eq(Some(a.at)),
            d::last_response_status.eq(a.response_status),
            d::last_error.eq(&a.error),
            d::delivered_at.eq((a.status == "delivered").then_some(a.at)),
            d::manual.eq(false),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A subscription's deliveries, by id, optionally in one status, after `after`.
pub fn list_deliveries(
    conn: &mut AnyConnection,
    subscription_id: &str,
    status: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, String, String)>> {
    let mut q = d::table
        .inner_join(ch::table)
        .filter(d::subscription_id.eq(subscription_id.to_string()))
        .select((DeliveryRow::as_select(), ch::event_id, ch::event_type))
        .into_boxed();
    if let Some(status) = status {
        q = q.filter(d::status.eq(status.to_string()));
    }
    if let Some(after) = after {
        q = q.filter(d::id.gt(after.to_string()));
    }
    q.order(d::id.asc()).limit(limit).load(conn)
}

pub fn find_delivery(
    conn: &mut AnyConnection,
    id: &str,
) -> QueryResult<Option<(DeliveryRow, String, String)>> {
    d::table
        .inner_join(ch::table)
        .filter(d::id.eq(id))
        .select((DeliveryRow::as_select(), ch::event_id, ch::event_type))
        .first(conn)
        .optional()
}

/// Puts a failed delivery back in the queue for one more attempt, due now.
pub fn retry(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(d::table.find(id).filter(d::status.eq("failed")))
        .set((
            d::status.eq("pending"),
            d::manual.eq(true),
            d::next_attempt_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Deliveries by status (for metrics).
pub fn count_by_status(conn: &mut AnyConnection) -> QueryResult<Vec<(String, i64)>> {
    d::table
        .group_by(d::status)
        .select((d::status, diesel::dsl::count_star()))
        .load(conn)
}
