//! The command line: `serve` (default), `migrate`, `token`, `openapi`, `import`, `run-job`,
//! `verify-audit`.

use crate::auth::{mint, parse_ttl, MintRequest, Scope};
use crate::config::Settings;
use crate::startup::{hs256_secret, Application};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "asn-eligibility",
    version,
    about = "Eligibility checks for ASN promotions and appointments"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Mint a development token (HS256, signed with the configured or generated secret).
    Token {
        /// Space-separated scopes, e.g. "registry:read eligibility:read".
        #[arg(long, default_value = "registry:read eligibility:read")]
        scope: String,
        /// Limit `sanctions:write` to ASN of this agency.
        #[arg(long)]
        agency: Option<String>,
        /// Lifetime: 90s, 15m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// The `sub` claim.
        #[arg(long, default_value = "developer")]
        sub: String,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Import a BKN snapshot: CSV with a header, or NDJSON (by extension, or --format).
    Import {
        file: std::path::PathBuf,
        /// csv or ndjson.
        #[arg(long)]
        format: Option<String>,
    },
    /// Run a job now, to the end: lift_expired or activate_scheduled.
    RunJob { name: String },
    /// Walk the audit trail's hash chain; exits 1 and names the first bad row if it breaks.
    VerifyAudit,
    /// Print a new one-time console sign-in link (single use, 10 minutes).
    ConsoleLink {
        /// Space-separated scopes (default: ASN_CONSOLE_LINK_SCOPES).
        #[arg(long)]
        scope: Option<String>,
    },
    /// Verify an eligibility receipt's signature; prints what it says, exits 1 if refused.
    VerifyReceipt {
        receipt: String,
        /// A JWKS file or URL (default: this service's /.well-known/jwks.json).
        #[arg(long)]
        jwks: Option<String>,
    },
    /// Fill an empty registry with a deterministic synthetic national register (benchmarks).
    GenData {
        #[arg(long, default_value_t = 4_500_000)]
        asn: u64,
        #[arg(long, default_value_t = 500_000)]
        sanctions: u64,
        #[arg(long, default_value_t = 10_000)]
        blocks: u64,
        /// Neutrality cases, a realistic mix of states and steps (Pilkada 2020: about 2 000).
        #[arg(long, default_value_t = 0)]
        cases: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also write every `--nips-every`-th generated NIP, one per line, to this file.
        #[arg(long)]
        nips_out: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 450)]
        nips_every: u64,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let settings = Settings::load()?;
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?;
        }
        Command::Migrate => {
            let settings = Settings::load()?;
            let applied = migrate(&settings)?;
            println!(
                "{applied} migration(s) applied to {}",
                settings.database.redacted()
            );
        }
        Command::Token {
            scope,
            agency,
            ttl,
            sub,
        } => {
            let settings = Settings::load()?;
            println!(
                "{}",
                token(&settings, &scope, agency.as_deref(), &ttl, &sub)?
            );
        }
        Command::Openapi => print!("{}", crate::openapi::document()),
        Command::RunJob { name } => run_job(&name)?,
        Command::Import { file, format } => import(&file, format.as_deref())?,
        Command::VerifyAudit => verify_audit()?,
        Command::ConsoleLink { scope } => console_link(scope).await?,
        Command::VerifyReceipt { receipt, jwks } => verify_receipt(&receipt, jwks).await?,
        Command::GenData {
            asn,
            sanctions,
            blocks,
            cases,
            seed,
            nips_out,
            nips_every,
        } => {
            let spec = crate::gen_data::Spec {
                asn,
                sanctions,
                blocks,
                seed,
            };
            gen_data(&spec, cases, nips_out.as_deref(), nips_every)?
        }
    }
    Ok(())
}

fn gen_data(
    spec: &crate::gen_data::Spec,
    cases: u64,
    nips_out: Option<&std::path::Path>,
    every: u64,
) -> anyhow::Result<()> {
    use std::io::Write;
    let settings = Settings::load()?;
    crate::db::migrate(&settings.database)?;
    let mut conn = crate::db::establish(&settings.database)?;
    let policy = crate::startup::load_policy(&settings)?;
    let now = settings.clock.now_naive();
    let started = std::time::Instant::now();
    let counts = crate::gen_data::generate(&mut conn, &policy, spec, now, |table, n| {
        if n % 500_000 == 0 || table == "blocks" {
            eprintln!("  {table}: {n} ({:.0} s)", started.elapsed().as_secs_f64());
        }
    })?;
    if cases > 0 {
        let made = crate::gen_data::cases::generate(
            &mut conn,
            &policy,
            (spec.seed, spec.asn, cases, false),
            now,
            |n| eprintln!("  cases: {n} ({:.0} s)", started.elapsed().as_secs_f64()),
        )?;
        eprintln!("{made} cases written");
    }
    crate::db::analyze_after_bulk(&mut conn)?;
    if let Some(path) = nips_out {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
        for i in (0..spec.asn).step_by(every.max(1) as usize) {
            writeln!(out, "{}", crate::gen_data::profile(spec.seed, i, now).nip)?;
        }
    }
    println!(
        "{} ASN, {} sanctions, {} blocks written in {:.1} s",
        counts.asn,
        counts.sanctions,
        counts.blocks,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Mints a one-time console sign-in link into the database (any instance accepts it).
async fn console_link(scope: Option<String>) -> anyhow::Result<()> {
    let mut settings = Settings::load()?;
    if let Some(scope) = scope {
        settings.console.link_scopes = scope;
    }
    if settings.console.links == crate::console::LinkPolicy::Off {
        bail!("one-time sign-in links are off (ASN_CONSOLE_SIGNIN_LINK=off)");
    }
    crate::db::migrate(&settings.database)?;
    let pool = crate::db::build_pool_for_command(&settings.database, &settings.pool)?;
    let base = format!("http://{}", settings.bind);
    println!(
        "{}",
        crate::startup::mint_console_link(&settings, &pool, &base).await?
    );
    Ok(())
}

/// Checks a receipt as the `/verify` page does, against a JWKS file or URL.
async fn verify_receipt(receipt: &str, jwks: Option<String>) -> anyhow::Result<()> {
    let source = match jwks {
        Some(s) => s,
        None => {
            let settings = Settings::load()?;
            let base = settings
                .console
                .public_url
                .unwrap_or_else(|| format!("http://{}", settings.bind));
            format!("{base}/.well-known/jwks.json")
        }
    };
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        let res = reqwest::get(&source)
            .await
            .with_context(|| format!("cannot fetch {source}"))?;
        res.error_for_status()?.text().await?
    } else {
        std::fs::read_to_string(&source).with_context(|| format!("cannot read {source}"))?
    };
    let keys: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{source} is not a JWKS"))?;
    match crate::receipts::verify(receipt, &keys) {
        Ok(claims) => {
            println!("{}", serde_json::to_string_pretty(&claims)?);
            eprintln!("genuine: signed by key listed in {source}");
            Ok(())
        }
        Err(why) => bail!("not genuine: {why}"),
    }
}

/// Prints the verification as JSON; a broken chain is an error (exit 1).
fn verify_audit() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    let mut conn = crate::db::establish(&settings.database).with_context(|| {
        format!(
            "cannot use the database at {}",
            settings.database.redacted()
        )
    })?;
    let v = crate::audit::verify(&mut conn)?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    match &v.broken_at {
        None => Ok(()),
        Some(b) => bail!("the audit trail is broken at row {}: {}", b.seq, b.reason),
    }
}

pub fn token(
    settings: &Settings,
    scope: &str,
    agency: Option<&str>,
    ttl: &str,
    sub: &str,
) -> anyhow::Result<String> {
    let known: Vec<&str> = Scope::ALL.iter().map(Scope::as_str).collect();
    if let Some(bad) = scope.split_whitespace().find(|s| !known.contains(s)) {
        bail!("unknown scope '{bad}'; scopes are: {}", known.join(" "));
    }
    let ttl_secs = parse_ttl(ttl).map_err(|e| anyhow::anyhow!(e))?;
    let Some((secret, _)) = hs256_secret(settings)? else {
        bail!("no HS256 secret: only ASN_JWT_KEYS is configured, so tokens come from your identity provider");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(mint(&MintRequest {
        secret: secret.as_bytes(),
        issuer: &settings.jwt.issuer,
        audience: &settings.jwt.audience,
        sub,
        scope,
        agency,
        ttl_secs,
        now_secs: now,
    })?)
}

fn run_job(name: &str) -> anyhow::Result<()> {
    let job = crate::jobs::Job::parse(name).ok_or_else(|| {
        anyhow::anyhow!("no job '{name}'; jobs are: lift_expired, activate_scheduled")
    })?;
    let settings = Settings::load()?;
    migrate(&settings)?;
    let pool = crate::db::build_pool_for_command(&settings.database, &settings.pool)?;
    let runner = crate::jobs::Runner {
        pool,
        policy: std::sync::Arc::new(crate::startup::load_policy(&settings)?),
        metrics: crate::metrics::Metrics::new(),
        clock: settings.clock,
        tz: settings.timezone,
        batch_size: settings.job_batch_size,
    };
    let done = runner
        .run_now(job, "cli", &crate::audit::Actor::system("cli", None))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{} run {}: {}, {} sanction(s) recorded",
        job.name(),
        done.run_id,
        done.outcome,
        done.processed
    );
    match done.error {
        Some(e) => bail!("{e}"),
        None => Ok(()),
    }
}

fn import(file: &std::path::Path, format: Option<&str>) -> anyhow::Result<()> {
    use crate::service::snapshot::{import_path, Format};
    let format = match format {
        Some("csv") => Format::Csv,
        Some("ndjson") | Some("jsonl") => Format::Ndjson,
        Some(other) => bail!("--format {other}: use csv or ndjson"),
        None => Format::of_path(file).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell the format of {}: name it .csv or .ndjson, or pass --format",
                file.display()
            )
        })?,
    };
    let settings = Settings::load()?;
    migrate(&settings)?;
    let mut conn = crate::db::establish(&settings.database)?;
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .expect("valid template"),
    );
    let started = std::time::Instant::now();
    let now = settings.clock.now_naive();
    let watch = crate::service::outbox::Watch {
        policy: std::sync::Arc::new(crate::startup::load_policy(&settings)?),
        tz: settings.timezone,
        today: settings.clock.today(settings.timezone),
    };
    let report = import_path(
        &mut conn,
        &crate::audit::Actor::system("cli", None),
        file,
        format,
        now,
        watch,
        |n| bar.inc(n),
    )?;
    bar.finish_and_clear();
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!(
        "imported {} line(s) in {:.1} s: {} inserted, {} updated, {} unchanged, {} rejected",
        report.lines,
        started.elapsed().as_secs_f64(),
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected
    );
    if !report.phases.is_empty() {
        eprintln!("initial load: {}", report.phase_summary());
    }
    Ok(())
}

/// Brings the configured database's schema up to date; how many migrations that applied.
fn migrate(settings: &Settings) -> anyhow::Result<usize> {
    let applied = crate::db::migrate(&settings.database).with_context(|| {
        format!(
            "cannot use the database at {}",
            settings.database.redacted()
        )
    })?;
    Ok(applied.len())
}
