//! Every policy version that decided something, so that a decision can be replayed under
//! the policy that made it. A version, once recorded, never changes its content.

use super::schema::policies as p;
use super::AnyConnection;
use crate::audit::canonical;
use crate::domain::policy::Policy;
use crate::on_backend;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// The policy's content in canonical JSON, and its SHA-256.
pub fn fingerprint(policy: &Policy) -> (String, String) {
    let body = canonical(&serde_json::to_value(&policy.doc).unwrap_or_default());
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    (body, hash)
}

/// Records the policy in force. `Err` with the stored hash when this version was recorded
/// before with other content: a changed policy needs a new `version`.
pub fn register(
    conn: &mut AnyConnection,
    policy: &Policy,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let (body, hash) = fingerprint(policy);
    let row = (
        p::version.eq(policy.version()),
        p::content_hash.eq(&hash),
        p::body.eq(&body),
        p::first_used_at.eq(now),
    );
    on_backend!(conn, |c| diesel::insert_into(p::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    let stored: String = p::table
        .find(policy.version())
        .select(p::content_hash)
        .first(conn)?;
    if stored != hash {
        anyhow::bail!(
            "policy version '{}' is already recorded with other content (sha256 {stored}, now {hash}); \
             give the changed policy a new \"version\"",
            policy.version()
        );
    }
    Ok(())
}

/// The policy that carried `version`, if it was ever in force here.
pub fn find(conn: &mut AnyConnection, version: &str) -> anyhow::Result<Option<Policy>> {
    let body: Option<String> = p::table
        .find(version)
        .select(p::body)
        .first(conn)
        .optional()?;
    body.map(|b| Policy::from_json(&b).map_err(anyhow::Error::from))
        .transpose()
}
