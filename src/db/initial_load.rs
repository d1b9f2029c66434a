//! The first load of the national register into an empty registry, done as the databases'
//! manuals advise for populating one: inside one transaction that holds `asn` exclusively,
//! drop its indexes, load the rows, then build each index in one sorted pass. Incremental
//! B-tree inserts of 4.5 million random NIPs cost about ten times what the load itself does;
//! one sorted build costs about half of it.
//!
//! On PostgreSQL the keys go too (and the foreign keys that point at `asn`, which depend on
//! them), the emptied table is filled with COPY, and a NIP given twice shows when
//! the primary key is built. On SQLite the primary key is the table's own and stays; the
//! other indexes go, and an insert that meets a NIP already loaded skips it.
//!
//! Nothing here names an index or a constraint: their definitions are read from the catalog
//! before they are dropped, so migrations stay the one place that defines them. The
//! transaction covers the DDL too, so a failure anywhere leaves the registry as it was.

use super::asn::AsnRow;
use super::schema::asn;
use super::AnyConnection;
use crate::on_backend;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{Array, BigInt, Text};
use std::time::{Duration, Instant};

/// What was dropped, to be put back by [`finish`]: statements that recreate, in order, the
/// keys of `asn`, its other indexes, and the foreign keys of other tables into it.
#[derive(Debug)]
pub struct Dropped {
    keys: Vec<String>,
    indexes: Vec<String>,
    foreign_keys: Vec<String>,
}

#[derive(QueryableByName)]
struct Ddl {
    #[diesel(sql_type = Text)]
    drop: String,
    #[diesel(sql_type = Text)]
    create: String,
}

/// Runs a catalog query giving `drop` and `create` statements; runs the drops.
fn drop_all(c: &mut AnyConnection, catalog: &str) -> QueryResult<Vec<String>> {
    let rows: Vec<Ddl> = on_backend!(c, |c| diesel::sql_query(catalog).load(c))?;
    let mut creates = Vec::with_capacity(rows.len());
    for row in rows {
        c.batch_execute(&row.drop)?;
        creates.push(row.create);
    }
    Ok(creates)
}

/// Takes `asn` for an initial load if it holds no row: locks it until the transaction ends
/// and drops what [`Dropped`] lists. `None`: the registry holds profiles (nothing was done).
/// Call inside a write transaction.
pub fn begin(c: &mut AnyConnection) -> QueryResult<Option<Dropped>> {
    if let AnyConnection::Postgresql(pg) = c {
        pg.batch_execute("LOCK TABLE asn IN ACCESS EXCLUSIVE MODE")?;
    }
    let occupied: bool =
        diesel::select(diesel::dsl::exists(asn::table.select(asn::nip))).get_result(c)?;
    if occupied {
        return Ok(None);
    }
    let dropped = match c {
        AnyConnection::Postgresql(_) => {
            // Foreign keys first: they depend on the primary key.
            let foreign_keys = drop_all(
                c,
                "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname)
                            AS drop,
                        format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass,
                               conname, pg_get_constraintdef(oid)) AS create
                   FROM pg_constraint
                  WHERE confrelid = 'asn'::regclass AND contype = 'f' ORDER BY oid",
            )?;
            let keys = drop_all(
                c,
                "SELECT format('ALTER TABLE asn DROP CONSTRAINT %I', conname) AS drop,
                        format('ALTER TABLE asn ADD CONSTRAINT %I %s', conname,
                               pg_get_constraintdef(oid)) AS create
                   FROM pg_constraint
                  WHERE conrelid = 'asn'::regclass AND contype IN ('p', 'u')
                  ORDER BY contype, oid",
            )?;
            let indexes = drop_all(
                c,
                "SELECT format('DROP INDEX %s', i.indexrelid::regclass) AS drop,
                        pg_get_indexdef(i.indexrelid) AS create
                   FROM pg_index i
                  WHERE i.indrelid = 'asn'::regclass
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                                     WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid)
                  ORDER BY i.indexrelid",
            )?;
            // A table emptied in this transaction is only appended to: rows lie in load order.
            c.batch_execute("TRUNCATE asn")?;
            Dropped {
                keys,
                indexes,
                foreign_keys,
            }
        }
        AnyConnection::Sqlite(_) => Dropped {
            keys: Vec::new(),
            // Automatic indexes (the primary key's) have no SQL and stay.
            indexes: drop_all(
                c,
                "SELECT 'DROP INDEX ' || quote(name) AS \"drop\", sql AS \"create\"
                   FROM sqlite_master
                  WHERE type = 'index' AND tbl_name = 'asn' AND sql IS NOT NULL",
            )?,
            foreign_keys: Vec::new(),
        },
    };
    Ok(Some(dropped))
}

/// Loads rows (after [`begin`]). On SQLite the rows whose NIP was loaded already are
/// skipped, and their positions in `rows` returned; on PostgreSQL such rows show in
/// [`finish`].
pub fn load(c: &mut AnyConnection, rows: &[AsnRow]) -> QueryResult<Vec<usize>> {
    match c {
        AnyConnection::Postgresql(pg) => {
            use diesel::pg::CopyFormat;
            let columns = (
                asn::nip,
                asn::name,
                asn::agency_code,
                asn::agency_name,
                asn::unit,
                asn::rank,
                asn::position,
                asn::employment_type,
                asn::status,
                asn::status_since,
                asn::created_at,
                asn::updated_at,
            );
            diesel::copy_from(asn::table)
                .from_raw_data(columns, |out| {
                    copy_binary(out, rows).map_err(|e| Error::SerializationError(Box::new(e)))
                })
                .with_format(CopyFormat::Binary)
                .with_freeze(true)
                .execute(pg)?;
            Ok(Vec::new())
        }
        AnyConnection::Sqlite(lite) => {
            let mut skipped = Vec::new();
            // 12 columns: 2 000 rows stay under SQLite's bind-parameter limit.
            for (n, chunk) in rows.chunks(2000).enumerate() {
                let inserted: Vec<String> = diesel::insert_into(asn::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .returning(asn::nip)
                    .get_results(lite)?;
                if inserted.len() < chunk.len() {
                    // Rows go in VALUES order: a NIP's first row is the one inserted.
                    let mut fresh: std::collections::HashSet<String> =
                        inserted.into_iter().collect();
                    skipped.extend(
                        chunk
                            .iter()
                            .enumerate()
                            .filter(|(_, p)| !fresh.remove(&p.nip))
                            .map(|(i, _)| n * 2000 + i),
                    );
                }
            }
            Ok(skipped)
        }
    }
}

/// Writes rows in COPY's binary format, a megabyte at a time (diesel's COPY of insertable
/// values hands libpq one row at a time and cannot FREEZE). Text would cost the server a
/// parse of every date and timestamp.
fn copy_binary(out: &mut dyn std::io::Write, rows: &[AsnRow]) -> std::io::Result<()> {
    use chrono::NaiveDate;
    const COLUMNS: i16 = 12;
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
    let field = |buf: &mut Vec<u8>, value: Option<&[u8]>| match value {
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(v) => {
            buf.extend_from_slice(&(v.len() as i32).to_be_bytes());
            buf.extend_from_slice(v);
        }
    };
    let micros = |t: chrono::NaiveDateTime| {
        (t - epoch.and_hms_opt(0, 0, 0).expect("valid time"))
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .to_be_bytes()
    };
    let mut buf = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&[0; 8]); // flags, header extension length
    for p in rows {
        buf.extend_from_slice(&COLUMNS.to_be_bytes());
        for text in [
            Some(p.nip.as_str()),
            p.name.as_deref(),
            p.agency_code.as_deref(),
            p.agency_name.as_deref(),
            p.unit.as_deref(),
            p.rank.as_deref(),
            p.position.as_deref(),
            p.employment_type.map(|t| t.as_str()),
            Some(p.status.as_str()),
        ] {
            field(&mut buf, text.map(|t| t.as_bytes()));
        }
        let since = p
            .status_since
            .map(|d| ((d - epoch).num_days() as i32).to_be_bytes());
        field(&mut buf, since.as_ref().map(|d| &d[..]));
        field(&mut buf, Some(&micros(p.created_at)));
        field(&mut buf, Some(&micros(p.updated_at)));
        if buf.len() >= 1 << 20 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    out.write_all(&buf)
}

/// NIPs loaded more than once on PostgreSQL: how many later copies were removed, and
/// (sorted) up to `listed` of their NIPs.
#[derive(Debug, Default, QueryableByName)]
pub struct Repeated {
    #[diesel(sql_type = BigInt)]
    pub removed: i64,
    #[diesel(sql_type = Array<Text>)]
    pub nips: Vec<String>,
}

/// Builds the keys and indexes again and restores the foreign keys. If a key cannot be
/// built because a NIP was loaded twice, every copy but the first loaded is removed and the
/// build is tried again; which went is returned. The time of each step is added to `phases`.
pub fn finish(
    c: &mut AnyConnection,
    dropped: Dropped,
    listed: i64,
    phases: &mut Vec<(&'static str, Duration)>,
) -> QueryResult<Repeated> {
    let mut repeated = Repeated::default();
    let mut step = Instant::now();
    let mut done = |name: &'static str| {
        phases.push((name, std::mem::replace(&mut step, Instant::now()).elapsed()))
    };
    if let AnyConnection::Postgresql(pg) = c {
        // One in-memory sort per index for a national register (the server's memory, for
        // this transaction only).
        pg.batch_execute("SET LOCAL maintenance_work_mem = '256MB'")?;
        let keys = dropped.keys.join(";\n");
        match pg.transaction(|pg| pg.batch_execute(&keys)) {
            Ok(()) => {}
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                // Row order is load order (see `begin`): the lowest ctid is the first given.
                repeated = diesel::sql_query(
                    "WITH gone AS (
                         DELETE FROM asn WHERE ctid = ANY (ARRAY(
                             SELECT ctid FROM (
                                 SELECT ctid,
                                        row_number() OVER (PARTITION BY nip ORDER BY ctid) AS n
                                   FROM asn) copies
                              WHERE n > 1))
                         RETURNING nip)
                     SELECT (SELECT count(*) FROM gone) AS removed,
                            ARRAY(SELECT DISTINCT nip FROM gone ORDER BY nip LIMIT $1) AS nips",
                )
                .bind::<BigInt, _>(listed)
                .get_result(pg)?;
                pg.batch_execute(&keys)?;
            }
            Err(e) => return Err(e),
        }
        done("keys");
    }
    for sql in &dropped.indexes {
        c.batch_execute(sql)?;
    }
    done("indexes");
    for sql in &dropped.foreign_keys {
        c.batch_execute(sql)?;
    }
    if let AnyConnection::Postgresql(pg) = c {
        // Statistics for the planner now, not when autovacuum next comes by.
        pg.batch_execute("ANALYZE asn")?;
        done("foreign keys and statistics");
    }
    Ok(repeated)
}
