//! Storage: one code base over PostgreSQL and SQLite through `#[derive(MultiConnection)]`.
//! Dialect branches (the few things the enum cannot do) live in this module only.

pub mod asn;
pub mod audit;
pub mod bkn;
pub mod blocks;
mod bulk;
pub mod cases;
pub mod console;
pub mod decisions;
pub mod events;
pub mod health;
pub mod history;
pub mod idempotency;
pub mod initial_load;
pub mod jobs;
pub mod outbox;
pub mod policies;
pub mod records;
pub mod sanctions;
pub mod schema;
pub mod stored;
pub mod wal;
pub mod webhooks;

use crate::error::ApiError;
pub use bulk::{analyze_after_bulk, for_batches, prepare_bulk};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// The backend type of [`AnyConnection`], for boxed queries.
pub type AnyBackend = <AnyConnection as Connection>::Backend;

/// Runs `$body` with `$c` bound to the inner connection of either backend: for the DSL the
/// enum lacks (upsert, multi-row insert, COPY). The body is written once.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// Inserts many rows: COPY on PostgreSQL; on SQLite multi-row inserts of `$chunk` rows
/// (keep `$chunk` × columns under SQLite's 32 766 bind parameters).
#[macro_export]
macro_rules! bulk_insert {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql(c) => diesel::copy_from($table)
                .from_insertable($rows)
                .execute(c)
                .map(|_| ()),
            $crate::db::AnyConnection::Sqlite(c) => $rows.chunks($chunk).try_for_each(|chunk| {
                diesel::insert_into($table)
                    .values(chunk)
                    .execute(c)
                    .map(|_| ())
            }),
        }
    };
}

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A database location, its backend chosen from the URL scheme (never by trial: SQLite
/// accepts any string as a path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// The libpq URL, or the SQLite file path.
    pub target: String,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: url.to_string(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(format!(
                "DATABASE_URL scheme '{scheme}' is not supported: use postgres://, postgresql:// or sqlite://PATH"
            ));
        }
        if path.is_empty() {
            return Err("DATABASE_URL names no SQLite file".into());
        }
        Ok(DatabaseUrl {
            backend: Backend::Sqlite,
            target: path.to_string(),
        })
    }

    /// The URL with any password hidden, for logs.
    pub fn redacted(&self) -> String {
        match self.target.split_once('@') {
            Some((creds, rest)) if creds.contains("://") => {
                let (scheme, user) = creds.split_once("://").unwrap_or(("", creds));
                let user = user.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{rest}")
            }
            _ => self.target.clone(),
        }
    }
}

/// A pooled connection that can be marked broken (its server went away), so the pool
/// drops it instead of handing it out again.
pub struct Conn {
    inner: AnyConnection,
    broken: bool,
}

impl Conn {
    /// The server went away under this connection: the pool drops it instead of reusing it.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}
impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

pub struct Manager {
    url: DatabaseUrl,
    busy_timeout: Duration,
    health: health::Health,
}

/// `cache_spill = 8192`: a transaction's dirty pages stay in memory up to 32 MiB, past the
/// 2 MiB page cache, and are written to the WAL once at commit (a batch of 1000 decisions
/// dirties some 10 MiB; spilled, 12 % of its time went to writing pages it wrote again).
/// SQLite has one writer at a time, so one connection at most holds that much.
/// `wal_autocheckpoint`: see [`wal`] (a server checkpoints on a thread of its own).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
     PRAGMA journal_size_limit = 67108864; PRAGMA cache_spill = 8192;";

/// Opens one connection of the URL's backend, configured for this service (a SQLite writer
/// waits up to 5 s for a lock).
pub fn establish(url: &DatabaseUrl) -> Result<AnyConnection, ConnectionError> {
    establish_waiting(url, Duration::from_millis(5000))
}

/// [`establish`], a SQLite writer waiting up to `busy_timeout` for another's lock before it
/// gives up with "database is locked" (a 503).
pub fn establish_waiting(
    url: &DatabaseUrl,
    busy_timeout: Duration,
) -> Result<AnyConnection, ConnectionError> {
    match url.backend {
        Backend::Postgres => PgConnection::establish(&url.target).map(AnyConnection::Postgresql),
        Backend::Sqlite => {
            if let Some(dir) = std::path::Path::new(&url.target).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        ConnectionError::BadConnection(format!(
                            "cannot create {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
            }
            let mut c = SqliteConnection::establish(&url.target)?;
            let per_connection = format!(
                "PRAGMA busy_timeout = {}; PRAGMA wal_autocheckpoint = {};",
                busy_timeout.as_millis(),
                wal::AUTOCHECKPOINT_PAGES
            );
            c.batch_execute(SQLITE_PRAGMAS)
                .and_then(|_| c.batch_execute(&per_connection))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(AnyConnection::Sqlite(c))
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = ConnectionError;

    fn connect(&self) -> Result<Conn, ConnectionError> {
        match establish_waiting(&self.url, self.busy_timeout) {
            Ok(inner) => {
                self.health.up();
                Ok(Conn {
                    inner,
                    broken: false,
                })
            }
            Err(e) => {
                self.health.down();
                Err(e)
            }
        }
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnectionError> {
        conn.inner
            .ping()
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || conn.inner.is_broken()
    }
}

/// The connection pool, with what it knows of the database's health.
#[derive(Clone)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    health: health::Health,
    /// A server's SQLite checkpoint thread, stopped with the last clone.
    _wal: Option<std::sync::Arc<wal::Checkpointer>>,
}

impl Pool {
    /// A connection, or at once `503` while the database is known to be down.
    pub fn get(&self) -> Result<r2d2::PooledConnection<Manager>, ApiError> {
        if self.health.is_down() {
            return Err(ApiError::unavailable(anyhow::anyhow!(
                "the database is down (probing)"
            )));
        }
        self.inner.get().map_err(ApiError::pool)
    }

    /// A connection if one is free or can be opened within `wait`; `None` otherwise (work that
    /// can go on without a second connection asks this way).
    pub fn spare(&self, wait: Duration) -> Option<r2d2::PooledConnection<Manager>> {
        if self.health.is_down() {
            return None;
        }
        self.inner.get_timeout(wait).ok()
    }

    pub fn state(&self) -> r2d2::State {
        self.inner.state()
    }

    pub fn health(&self) -> &health::Health {
        &self.health
    }
}

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: u32,
    pub checkout_timeout: Duration,
    /// How long a SQLite writer waits for another's lock (`ASN_DB_TIMEOUT_MS` too).
    pub busy_timeout: Duration,
}

/// Builds the pool (no per-checkout health check: it doubles round trips). A request waits
/// `checkout_timeout` for a connection, and on SQLite `busy_timeout` for a writer's lock.
/// On SQLite its WAL is checkpointed by a thread of its own (see [`wal`]).
pub fn build_pool(url: &DatabaseUrl, settings: &PoolSettings) -> Result<Pool, r2d2::Error> {
    let mut pool = pool_keeping(url, settings, 1)?;
    if url.backend == Backend::Sqlite {
        pool._wal = Some(std::sync::Arc::new(wal::Checkpointer::start(url)));
    }
    Ok(pool)
}

/// A pool for a command that does its work and exits: it never connects in the background.
/// r2d2 keeps `min_idle` connections by opening them on its own threads, and a process that
/// exits while one of them is in libpq's TLS handshake crashes in OpenSSL's exit-time
/// cleanup (a segfault in a third of `console-link` runs against PostgreSQL, measured).
pub fn build_pool_for_command(
    url: &DatabaseUrl,
    settings: &PoolSettings,
) -> Result<Pool, r2d2::Error> {
    pool_keeping(url, settings, 0)
}

fn pool_keeping(
    url: &DatabaseUrl,
    settings: &PoolSettings,
    min_idle: u32,
) -> Result<Pool, r2d2::Error> {
    let health = health::Health::new(url.clone());
    let inner = r2d2::Pool::builder()
        .max_size(settings.max_size)
        .min_idle(Some(min_idle))
        .test_on_check_out(false)
        .connection_timeout(settings.checkout_timeout)
        .build(Manager {
            url: url.clone(),
            busy_timeout: settings.busy_timeout,
            health: health.clone(),
        })?;
    Ok(Pool {
        inner,
        health,
        _wal: None,
    })
}

/// Applies pending migrations of the URL's backend. On PostgreSQL an advisory lock keeps
/// several instances starting at once from racing.
pub fn migrate(url: &DatabaseUrl) -> anyhow::Result<Vec<String>> {
    let mut conn = establish(url)?;
    let applied = match &mut conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute("SELECT pg_advisory_lock(72750001)")?;
            let r = c.run_pending_migrations(PG_MIGRATIONS).map(names);
            c.batch_execute("SELECT pg_advisory_unlock(72750001)")?;
            r
        }
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(names),
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Reverts every migration, then applies them again (schema honesty check).
pub fn redo_all(url: &DatabaseUrl) -> anyhow::Result<()> {
    let mut conn = establish(url)?;
    let err = |e| anyhow::anyhow!("migration failed: {e}");
    match &mut conn {
        AnyConnection::Postgresql(c) => {
            c.revert_all_migrations(PG_MIGRATIONS).map_err(err)?;
            c.run_pending_migrations(PG_MIGRATIONS).map_err(err)?;
        }
        AnyConnection::Sqlite(c) => {
            c.revert_all_migrations(SQLITE_MIGRATIONS).map_err(err)?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(err)?;
        }
    }
    Ok(())
}

fn names(v: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    v.into_iter().map(|m| m.to_string()).collect()
}

/// Runs `f` on a pooled connection in the blocking thread pool, never on an actix worker,
/// inside the caller's tracing span.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        let waiting = crate::metrics::Waiting::start();
        let mut conn = pool.get()?;
        drop(waiting);
        let result = f(&mut conn);
        if result.as_ref().is_err_and(ApiError::is_connection_lost) {
            conn.broken = true;
            if matches!(conn.inner, AnyConnection::Postgresql(_)) {
                // The server went away under a query: fail fast until the probe sees it.
                // (On SQLite the same error is a lock held too long, not an outage.)
                pool.health().down();
            }
        }
        result
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// One write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so a transaction that
/// reads before it writes never fails on lock upgrade; `busy_timeout` makes writers queue.
pub fn write_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let depth =
        <AnyConnection as TransactionManager<AnyConnection>>::transaction_manager_status_mut(conn)
            .transaction_depth()?;
    if depth.is_some() {
        // Already inside a write transaction: its commit covers this work.
        return f(conn);
    }
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            <AnyConnection as TransactionManager<AnyConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) =
                <AnyConnection as TransactionManager<AnyConnection>>::rollback_transaction(conn)
            {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_comes_from_the_scheme() {
        let pg = DatabaseUrl::parse("postgresql://u:secret@h/db").unwrap();
        assert_eq!(pg.backend, Backend::Postgres);
        assert_eq!(pg.redacted(), "postgresql://u@h/db");
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap().target,
            "data/x.db"
        );
        assert_eq!(
            DatabaseUrl::parse("./x.db").unwrap().backend,
            Backend::Sqlite
        );
        assert!(DatabaseUrl::parse("mysql://h/db")
            .unwrap_err()
            .contains("mysql"));
    }
}
