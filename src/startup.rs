//! Building and running the application: testable with port 0, thin `main`.

use crate::auth::{keys, Verifier};
use crate::config::Settings;
use crate::console::{oidc::Provider, session, Console};
use crate::db;
use crate::domain::policy::Policy;
use crate::jobs::{spawn_scheduler, Runner};
use crate::metrics::Metrics;
use crate::receipts::Receipts;
use crate::service::decision_log::DecisionLog;
pub use crate::state::AppState;
use crate::telemetry;
use crate::webhooks::{target::Targets, worker::Worker};
use actix_web::dev::Server;
use actix_web::{middleware::from_fn, web, App, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use utoipa_actix_web::AppExt;

pub fn load_policy(settings: &Settings) -> anyhow::Result<Policy> {
    match &settings.policy_file {
        None => Ok(Policy::embedded_default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read ASN_POLICY_FILE {}", path.display()))?;
            Policy::from_json(&text).with_context(|| format!("ASN_POLICY_FILE {}", path.display()))
        }
    }
}

/// The HS256 secret in force: configured, or the development one in the data directory.
/// `Ok(None)` when only public keys are configured.
pub fn hs256_secret(settings: &Settings) -> anyhow::Result<Option<(String, bool)>> {
    match (&settings.jwt.secret, &settings.jwt.keys_file) {
        (Some(s), _) => Ok(Some((s.clone(), false))),
        (None, Some(_)) => Ok(None),
        (None, None) => keys::dev_secret(&settings.data_dir).map(Some),
    }
}

pub fn build_verifier(settings: &Settings) -> anyhow::Result<(Verifier, bool)> {
    let mut list = Vec::new();
    let mut generated = false;
    if let Some((secret, created)) = hs256_secret(settings)? {
        list.push(keys::hs256(secret.as_bytes()));
        generated = created;
    }
    if let Some(path) = &settings.jwt.keys_file {
        list.extend(keys::load_file(path)?);
    }
    Ok((
        Verifier::new(
            list,
            settings.jwt.issuer.clone(),
            settings.jwt.audience.clone(),
        ),
        generated,
    ))
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Migrates the database, loads policy and keys, binds the listener. Every failure is
    /// a one-line error, never a panic.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let policy = Arc::new(load_policy(&settings)?);
        let pool = open_database(&settings, &policy).await?;
        let (receipts, verifier) = load_keys(&settings)?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let metrics = Metrics::new();
        let runner = Runner {
            pool: pool.clone(),
            policy: policy.clone(),
            metrics: metrics.clone(),
            clock: settings.clock,
            tz: settings.timezone,
            batch_size: settings.job_batch_size,
        };
        spawn_scheduler(runner.clone(), settings.jobs.clone());
        let (targets, sealer) = start_webhooks(&settings, &pool, &metrics).await?;
        let state = web::Data::new(AppState {
            metrics,
            targets,
            sealer,
            jobs: settings.jobs.clone(),
            runner,
            policy,
            receipts: Arc::new(receipts),
            decisions: DecisionLog::start(pool.clone()),
            pool,
            verifier: Arc::new(verifier),
            clock: settings.clock,
            tz: settings.timezone,
            backend: settings.database.backend,
            bkn_max_future: chrono::TimeDelta::from_std(settings.bkn_max_future)
                .unwrap_or(chrono::TimeDelta::hours(1)),
        });
        tracing::info!(
            port,
            backend = settings.database.backend.as_str(),
            database = %settings.database.redacted(),
            policy_version = state.policy.version(),
            algorithms = ?state.verifier.algorithms(),
            "asn-eligibility listening"
        );
        let console = console(&settings, &state.pool, &listener).await?;
        let server = serve(state, console, &settings, listener)?;
        Ok(Application { port, server })
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Brings the schema up to date, opens the pool and records the policy in force.
async fn open_database(settings: &Settings, policy: &Arc<Policy>) -> anyhow::Result<db::Pool> {
    let url = settings.database.clone();
    let applied = web::block(move || db::migrate(&url))
        .await?
        .with_context(|| {
            format!(
                "cannot use the database at {}",
                settings.database.redacted()
            )
        })?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "migrations applied");
    }
    let url = settings.database.clone();
    let pool_settings = settings.pool.clone();
    let pool = web::block(move || db::build_pool(&url, &pool_settings))
        .await?
        .with_context(|| {
            format!(
                "cannot open a connection pool to {}",
                settings.database.redacted()
            )
        })?;
    let (p, now) = (policy.clone(), settings.clock.now_naive());
    web::block({
        let pool = pool.clone();
        move || -> anyhow::Result<()> {
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            db::policies::register(&mut conn, &p, now)
        }
    })
    .await??;
    Ok(pool)
}

/// The receipt signing key and the token verifier (development ones generated on first run).
fn load_keys(settings: &Settings) -> anyhow::Result<(Receipts, Verifier)> {
    let (receipts, generated_key) = Receipts::load(&settings.receipts, &settings.data_dir)?;
    if generated_key {
        tracing::info!(
            path = %settings.data_dir.join("receipt-key.pem").display(),
            kid = receipts.kid(),
            "generated a development key for eligibility receipts"
        );
    }
    let (verifier, generated) = build_verifier(settings)?;
    if generated {
        eprintln!(
            "asn-eligibility: generated a development JWT secret in {}.\n  Get a token with: asn-eligibility token --scope \"registry:read eligibility:read sanctions:write bkn:push\"\n  (from a checkout: cargo run -- token --scope \"...\")",
            settings.data_dir.display()
        );
        tracing::info!(
            path = %settings.data_dir.join("jwt-secret").display(),
            "generated a development JWT secret; mint a token with: asn-eligibility token --scope \"registry:read eligibility:read sanctions:write bkn:push\""
        );
    }
    Ok((receipts, verifier))
}

/// Which webhook targets are allowed, the sealer of their secrets (every stored secret
/// sealed under the current key), and the delivery worker, started.
async fn start_webhooks(
    settings: &Settings,
    pool: &db::Pool,
    metrics: &Metrics,
) -> anyhow::Result<(Targets, Arc<crate::webhooks::sealed::Sealer>)> {
    let webhooks = settings.webhooks.clone();
    let targets = Targets::new(webhooks.allowed_networks.clone());
    let sealer = Arc::new(crate::webhooks::sealed::Sealer::load(
        webhooks.secret_key.as_deref(),
        &webhooks.previous_secret_keys,
        &settings.data_dir,
    )?);
    let resealed = web::block({
        let (pool, sealer) = (pool.clone(), sealer.clone());
        move || -> anyhow::Result<usize> {
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::webhooks::sealed::reseal_all(&mut conn, &sealer)
        }
    })
    .await??;
    if resealed > 0 {
        tracing::info!(resealed, "webhook secrets sealed under the current key");
    }
    Worker::new(
        pool.clone(),
        webhooks,
        (settings.clock, sealer.clone()),
        metrics.clone(),
    )?
    .spawn();
    Ok((targets, sealer))
}

/// The console's sign-in: the OpenID provider if one is configured, and on the embedded
/// default (no provider, loopback listener) a one-time sign-in link, printed.
async fn console(
    settings: &Settings,
    pool: &db::Pool,
    listener: &TcpListener,
) -> anyhow::Result<web::Data<Console>> {
    let addr = listener.local_addr()?;
    let provider = settings
        .console
        .oidc
        .clone()
        .map(Provider::new)
        .transpose()?;
    let links_allowed = settings.console.links_allowed(addr.ip().is_loopback());
    if links_allowed {
        let link = mint_console_link(settings, pool, &format!("http://{addr}")).await?;
        eprintln!("asn-eligibility: console sign-in link (single use, 10 minutes):\n  {link}");
        tracing::info!("console sign-in link printed on stderr (single use, 10 minutes)");
    }
    Ok(web::Data::new(Console {
        settings: settings.console.clone(),
        links_allowed,
        provider,
    }))
}

/// A one-time console sign-in link with the configured link scopes, at `base` unless a
/// public URL is configured.
pub async fn mint_console_link(
    settings: &Settings,
    pool: &db::Pool,
    base: &str,
) -> anyhow::Result<String> {
    let (scopes, now) = (
        settings.console.link_scopes.clone(),
        settings.clock.now_naive(),
    );
    let token = web::block({
        let pool = pool.clone();
        move || -> anyhow::Result<String> {
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(session::mint_link(
                &mut conn,
                session::LINK_SUBJECT,
                &scopes,
                None,
                now,
            )?)
        }
    })
    .await??;
    let base = settings.console.public_url.as_deref().unwrap_or(base);
    Ok(format!("{base}/console/sign-in/link/{token}"))
}

/// The HTTP server over the route table, with what the middleware reads registered apart.
fn serve(
    state: web::Data<AppState>,
    console: web::Data<Console>,
    settings: &Settings,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    // What the middleware and extractors need, each on its own: they import no AppState.
    let verifier = web::Data::from(state.verifier.clone());
    let metrics = web::Data::new(state.metrics.clone());
    let pool = web::Data::new(state.pool.clone());
    let clock = web::Data::new(state.clock);
    let max_body = settings.max_body_bytes;
    let body_timeout = crate::extract::BodyTimeout(settings.body_timeout);
    crate::openapi::api();
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(crate::routes::configure)
            .split_for_parts();
        app.app_data(state.clone())
            .app_data(verifier.clone())
            .app_data(metrics.clone())
            .app_data(pool.clone())
            .app_data(clock.clone())
            .app_data(console.clone())
            .configure(crate::console::configure)
            .app_data(web::PayloadConfig::new(max_body))
            .app_data(body_timeout)
            .wrap(from_fn(telemetry::request_context))
            .default_service(web::to(crate::routes::fallback))
    })
    // A request's head must arrive within 5 s, an idle keep-alive connection closes after
    // 75 s; a body is bounded by `body_timeout` where it is read.
    .client_request_timeout(std::time::Duration::from_secs(5))
    .keep_alive(std::time::Duration::from_secs(75))
    .listen(listener)?;
    let workers = match settings.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // Every blocking task but a snapshot import waits for one of the pool's connections: a
    // worker needs no more threads than that. actix's default (512 ÷ cores each) let a burst
    // of 64 connections start 64 threads, each keeping its allocator's heap (RSS past 700 MiB).
    let blocking = (settings.pool.max_size as usize).div_ceil(workers) + 1;
    Ok(server
        .workers(workers)
        .worker_max_blocking_threads(blocking)
        .run())
}
