//! The console's server-side state: sessions, pending sign-ins, and the checks made from it.

use super::schema::{console_checks as ch, console_sessions as s, console_signins as si};
use super::{write_tx, AnyConnection};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = s)]
#[diesel(treat_none_as_default_value = false)]
pub struct SessionRow {
    pub id_hash: String,
    pub sub: String,
    pub display_name: String,
    pub scopes: String,
    pub agency: Option<String>,
    pub csrf: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = si)]
#[diesel(treat_none_as_default_value = false)]
pub struct SigninRow {
    pub key_hash: String,
    /// `link` or `oidc`.
    pub kind: String,
    pub sub: Option<String>,
    pub scopes: Option<String>,
    pub agency: Option<String>,
    pub nonce: Option<String>,
    pub pkce_verifier: Option<String>,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ch)]
pub struct CheckRow {
    pub id: String,
    pub sub: String,
    pub purpose: String,
    pub as_of: NaiveDate,
    pub created_at: NaiveDateTime,
    /// JSON: the items in the order given.
    pub items: String,
}

pub fn insert_signin(conn: &mut AnyConnection, row: &SigninRow) -> QueryResult<()> {
    diesel::insert_into(si::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Takes a pending sign-in of `kind` (deleting it, so it is used once) if it has not expired.
pub fn take_signin(
    conn: &mut AnyConnection,
    key_hash: &str,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SigninRow>> {
    write_tx(conn, |c| {
        let found = si::table
            .find(key_hash)
            .filter(si::kind.eq(kind))
            .select(SigninRow::as_select())
            .first(c)
            .optional()?;
        if found.is_some() {
            diesel::delete(si::table.find(key_hash)).execute(c)?;
        }
        // Expired ones go with any sign-in.
        diesel::delete(si::table.filter(si::expires_at.le(now))).execute(c)?;
        Ok(found.filter(|r| r.expires_at > now))
    })
}

pub fn insert_session(conn: &mut AnyConnection, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(s::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The session under this id if it is neither idle since `idle_since` nor older than
/// `created_since`; a live one is touched (`now`), a dead one deleted.
pub fn live_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    idle_since: NaiveDateTime,
    created_since: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    let found = s::table
        .find(id_hash)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = found else { return Ok(None) };
    if row.last_seen_at <= idle_since || row.created_at <= created_since {
        delete_session(conn, id_hash)?;
        return Ok(None);
    }
    // Touched at most once a minute: a page view is not a write each time.
    if now - row.last_seen_at > chrono::TimeDelta::minutes(1) {
        diesel::update(s::table.find(id_hash))
            .set(s::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(row))
}

pub fn delete_session(conn: &mut AnyConnection, id_hash: &str) -> QueryResult<()> {
    diesel::delete(s::table.find(id_hash))
        .execute(conn)
        .map(drop)
}

pub fn insert_check(conn: &mut AnyConnection, row: &CheckRow) -> QueryResult<()> {
    diesel::insert_into(ch::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A check, only for the person who made it.
pub fn find_check(conn: &mut AnyConnection, id: &str, sub: &str) -> QueryResult<Option<CheckRow>> {
    ch::table
        .find(id)
        .filter(ch::sub.eq(sub))
        .select(CheckRow::as_select())
        .first(conn)
        .optional()
}

/// This person's checks, newest first.
pub fn checks_of(conn: &mut AnyConnection, sub: &str, limit: i64) -> QueryResult<Vec<CheckRow>> {
    ch::table
        .filter(ch::sub.eq(sub))
        .order((ch::created_at.desc(), ch::id.desc()))
        .limit(limit)
        .select(CheckRow::as_select())
        .load(conn)
}
