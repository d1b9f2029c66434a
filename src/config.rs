//! Configuration: defaults, then an optional `KEY=VALUE` file (`ASN_CONFIG`), then the
//! environment. Validated at start; secrets are never logged.

pub use crate::clock::Clock;
use crate::console::{oidc::OidcSettings, ConsoleSettings};
use crate::db::{DatabaseUrl, PoolSettings};
use crate::jobs::{Job, JobSchedule};
pub use crate::receipts::ReceiptSettings;
use crate::webhooks::WebhookSettings;
use anyhow::{bail, Context};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/asn-eligibility.db";

/// Rows a job records per transaction unless `ASN_JOB_BATCH_SIZE` says. Every batch pays a
/// commit (PostgreSQL: a WAL flush; SQLite: every page the batch dirtied written to the WAL,
/// and a batch's rows land on random pages of half a dozen indexes keyed by NIP or case id,
/// so a bigger batch shares more of them) and the audit head's lock. Measured 2026-12-01,
/// 100 000 rows, same binary side by side: `case_deadlines` 13.2 → 8.8 s (PostgreSQL) and
/// 15.6 → 10.6 s (SQLite) from batches of 1 000 to 5 000; `lift_expired` 11.4–13.2 → 9.0–9.2 s
/// and 3.2–3.8 → 2.9–3.0 s. On SQLite, 2 500 gave 8.6 s where 5 000 gave 6.6 s and 10 000
/// 7.4 s; a batch of 5 000 holds SQLite's write lock ≈ 0.3 s.
pub const DEFAULT_JOB_BATCH_SIZE: i64 = 5000;

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub issuer: String,
    pub audience: String,
    /// HS256 secret; generated into the data directory when neither it nor keys are set.
    pub secret: Option<String>,
    pub keys_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub bind: String,
    pub jwt: JwtSettings,
    pub receipts: ReceiptSettings,
    pub timezone: Tz,
    pub policy_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub pool: PoolSettings,
    pub max_body_bytes: usize,
    /// HTTP worker threads; 0: one per core.
    pub workers: usize,
    /// One schedule per job; a disabled job has no expression.
    pub jobs: Vec<JobSchedule>,
    /// Rows a job records per transaction ([`DEFAULT_JOB_BATCH_SIZE`]).
    pub job_batch_size: i64,
    pub webhooks: WebhookSettings,
    /// How far into the future a BKN event may be dated (`ASN_BKN_MAX_FUTURE_SECS`).
    pub bkn_max_future: Duration,
    /// How long a request's body may take to arrive (`ASN_HTTP_BODY_TIMEOUT_MS`).
    pub body_timeout: Duration,
    pub console: ConsoleSettings,
    pub clock: Clock,
}

/// Where settings come from: the environment over an optional file.
pub struct Source {
    values: HashMap<String, String>,
}

impl Source {
    pub fn from_env() -> anyhow::Result<Source> {
        let mut values = HashMap::new();
        if let Ok(path) = std::env::var("ASN_CONFIG") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read ASN_CONFIG file {path}"))?;
            values.extend(
                parse_env_file(&text).with_context(|| format!("in ASN_CONFIG file {path}"))?,
            );
        }
        values.extend(std::env::vars());
        Ok(Source { values })
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Source {
        Source {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The value as given, even empty (`None` only when unset).
    fn raw(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|s| s.as_str())
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// A comma-separated list of file paths (empty when unset).
    fn paths(&self, key: &str) -> Vec<PathBuf> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn parse<T: std::str::FromStr>(&self, key: &str, default: T) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|e| anyhow::anyhow!("{key}={v:?} is invalid: {e}")),
        }
    }
}

/// The console's sign-in and session settings (`ASN_OIDC_*`, `ASN_CONSOLE_*`).
fn console_settings(src: &Source) -> anyhow::Result<ConsoleSettings> {
    let oidc = match src.get("ASN_OIDC_ISSUER") {
        None => None,
        Some(issuer) => {
            let need = |k: &str| {
                src.get(k)
                    .map(str::to_string)
                    .with_context(|| format!("ASN_OIDC_ISSUER is set, so {k} is required"))
            };
            Some(OidcSettings {
                issuer: issuer.to_string(),
                client_id: need("ASN_OIDC_CLIENT_ID")?,
                client_secret: src.get("ASN_OIDC_CLIENT_SECRET").map(str::to_string),
                redirect_url: need("ASN_OIDC_REDIRECT_URL")?,
                request_scopes: src
                    .get("ASN_OIDC_SCOPES")
                    .unwrap_or("profile")
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
                scopes_claim: src
                    .get("ASN_OIDC_SCOPES_CLAIM")
                    .unwrap_or("asn_scopes")
                    .into(),
                agency_claim: src.get("ASN_OIDC_AGENCY_CLAIM").unwrap_or("agency").into(),
            })
        }
    };
    let idle: u64 = src.parse("ASN_CONSOLE_IDLE_MINUTES", 30)?;
    let absolute: u64 = src.parse("ASN_CONSOLE_MAX_HOURS", 12)?;
    if idle == 0 || absolute == 0 {
        bail!("ASN_CONSOLE_IDLE_MINUTES and ASN_CONSOLE_MAX_HOURS must be at least 1");
    }
    Ok(ConsoleSettings {
        oidc,
        idle: Duration::from_secs(idle * 60),
        absolute: Duration::from_secs(absolute * 3600),
        links: src.parse(
            "ASN_CONSOLE_SIGNIN_LINK",
            crate::console::LinkPolicy::Loopback,
        )?,
        link_scopes: src
            .get("ASN_CONSOLE_LINK_SCOPES")
            .unwrap_or(ConsoleSettings::DEFAULT_LINK_SCOPES)
            .to_string(),
        public_url: src
            .get("ASN_PUBLIC_URL")
            .map(|u| u.trim_end_matches('/').to_string()),
    })
}

fn parse_env_file(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(i, l)| {
            let (k, v) = l
                .split_once('=')
                .with_context(|| format!("line {}: expected KEY=VALUE", i + 1))?;
            Ok((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        })
        .collect()
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        Settings::from_source(&Source::from_env()?)
    }

    pub fn from_source(src: &Source) -> anyhow::Result<Settings> {
        let database = DatabaseUrl::parse(src.get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL))
            .map_err(|e| anyhow::anyhow!(e))?;
        let timezone: Tz = src
            .get("ASN_TIMEZONE")
            .unwrap_or("Asia/Jakarta")
            .parse()
            .map_err(|e| anyhow::anyhow!("ASN_TIMEZONE is not an IANA zone: {e}"))?;
        let pool_size: u32 = src.parse("ASN_DB_POOL_SIZE", 8)?;
        if pool_size == 0 {
            bail!("ASN_DB_POOL_SIZE must be at least 1");
        }
        let checkout_ms: u64 = src.parse("ASN_DB_TIMEOUT_MS", 5000)?;
        let settings = Settings {
            database,
            bind: src.get("ASN_BIND").unwrap_or("127.0.0.1:8080").to_string(),
            jwt: JwtSettings {
                issuer: src
                    .get("ASN_JWT_ISSUER")
                    .unwrap_or("asn-eligibility-dev")
                    .to_string(),
                audience: src
                    .get("ASN_JWT_AUDIENCE")
                    .unwrap_or("asn-eligibility")
                    .to_string(),
                secret: src.get("ASN_JWT_SECRET").map(str::to_string),
                keys_file: src.get("ASN_JWT_KEYS").map(PathBuf::from),
            },
            receipts: ReceiptSettings {
                key_file: src.get("ASN_RECEIPT_KEY").map(PathBuf::from),
                previous_keys: src.paths("ASN_RECEIPT_PREVIOUS_KEYS"),
                issuer: src
                    .get("ASN_RECEIPT_ISSUER")
                    .unwrap_or("asn-eligibility")
                    .to_string(),
            },
            timezone,
            policy_file: src.get("ASN_POLICY_FILE").map(PathBuf::from),
            data_dir: PathBuf::from(src.get("ASN_DATA_DIR").unwrap_or("data")),
            pool: PoolSettings {
                max_size: pool_size,
                checkout_timeout: Duration::from_millis(checkout_ms),
                busy_timeout: Duration::from_millis(checkout_ms),
            },
            max_body_bytes: src.parse("ASN_MAX_BODY_BYTES", 8 * 1024 * 1024)?,
            workers: src.parse("ASN_WORKERS", 0)?,
            jobs: Job::ALL
                .iter()
                .map(|j| {
                    JobSchedule::parse(*j, src.raw(j.env_var()).unwrap_or(j.default_expression()))
                })
                .collect::<anyhow::Result<_>>()?,
            job_batch_size: src.parse("ASN_JOB_BATCH_SIZE", DEFAULT_JOB_BATCH_SIZE)?,
            webhooks: WebhookSettings {
                retry_schedule: WebhookSettings::parse_schedule(
                    src.raw("ASN_WEBHOOK_RETRY_SCHEDULE")
                        .unwrap_or(WebhookSettings::DEFAULT_SCHEDULE),
                )?,
                allowed_networks: WebhookSettings::parse_networks(
                    src.get("ASN_WEBHOOK_ALLOWED_NETWORKS").unwrap_or(""),
                )?,
                timeout: Duration::from_millis(src.parse("ASN_WEBHOOK_TIMEOUT_MS", 10_000)?),
                poll_interval: Duration::from_millis(src.parse("ASN_WEBHOOK_POLL_MS", 1000)?),
                retry_after_cap: Duration::from_secs(
                    src.parse("ASN_WEBHOOK_RETRY_AFTER_CAP_SECS", 36_000)?,
                ),
                secret_key: src.get("ASN_WEBHOOK_SECRET_KEY").map(PathBuf::from),
                previous_secret_keys: src.paths("ASN_WEBHOOK_SECRET_PREVIOUS_KEYS"),
            },
            bkn_max_future: Duration::from_secs(src.parse("ASN_BKN_MAX_FUTURE_SECS", 3600)?),
            body_timeout: Duration::from_millis(src.parse("ASN_HTTP_BODY_TIMEOUT_MS", 30_000)?),
            console: console_settings(src)?,
            clock: Clock::System,
        };
        if !(1..=10_000).contains(&settings.job_batch_size) {
            bail!("ASN_JOB_BATCH_SIZE must be 1 to 10000");
        }
        if let Some(s) = &settings.jwt.secret {
            if s.len() < 32 {
                bail!("ASN_JWT_SECRET must be at least 32 characters");
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn defaults_are_the_embedded_sqlite_service() {
        let s = Settings::from_source(&Source::from_pairs([])).unwrap();
        assert_eq!(s.database.target, "data/asn-eligibility.db");
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.timezone, chrono_tz::Asia::Jakarta);
        assert_eq!(s.pool.max_size, 8);
        assert_eq!(s.jobs[0].expression.as_deref(), Some("0 5 0 * * *"));
        let off =
            Settings::from_source(&Source::from_pairs([("ASN_CRON_LIFT_EXPIRED", "")])).unwrap();
        assert_eq!(off.jobs[0].expression, None, "empty disables");
        assert_eq!(s.job_batch_size, 5000);
    }

    #[test]
    fn schedules_are_evaluated_in_the_zone() {
        let s = Settings::from_source(&Source::from_pairs([])).unwrap();
        let now: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let next = s.jobs[0].next_after(now, s.timezone).unwrap();
        assert_eq!(
            next.to_rfc3339(),
            "2026-11-23T17:05:00+00:00",
            "00:05 WIB on the 24th"
        );
    }

    #[test]
    fn bad_values_fail_fast_with_the_variable_named() {
        let e = Settings::from_source(&Source::from_pairs([("ASN_TIMEZONE", "Mars/Olympus")]))
            .unwrap_err();
        assert!(e.to_string().contains("ASN_TIMEZONE"), "{e}");
        let e =
            Settings::from_source(&Source::from_pairs([("ASN_DB_POOL_SIZE", "x")])).unwrap_err();
        assert!(e.to_string().contains("ASN_DB_POOL_SIZE"), "{e}");
        let e =
            Settings::from_source(&Source::from_pairs([("ASN_JWT_SECRET", "short")])).unwrap_err();
        assert!(e.to_string().contains("32"), "{e}");
    }

    #[test]
    fn console_sign_in_is_a_link_on_loopback_and_oidc_when_configured() {
        let s = Settings::from_source(&Source::from_pairs([])).unwrap();
        assert!(s.console.oidc.is_none());
        assert!(
            s.console.links_allowed(true),
            "embedded default on loopback"
        );
        assert!(
            !s.console.links_allowed(false),
            "never on a public listener by default"
        );
        let on = Settings::from_source(&Source::from_pairs([("ASN_CONSOLE_SIGNIN_LINK", "on")]))
            .unwrap();
        assert!(on.console.links_allowed(false), "explicitly enabled");
        let e = Settings::from_source(&Source::from_pairs([(
            "ASN_OIDC_ISSUER",
            "https://sso.example.go.id",
        )]))
        .unwrap_err();
        assert!(e.to_string().contains("ASN_OIDC_CLIENT_ID"), "{e}");
        let sso = Settings::from_source(&Source::from_pairs([
            ("ASN_OIDC_ISSUER", "https://sso.example.go.id"),
            ("ASN_OIDC_CLIENT_ID", "asn"),
            (
                "ASN_OIDC_REDIRECT_URL",
                "https://asn.example.go.id/console/sign-in/callback",
            ),
        ]))
        .unwrap();
        assert!(
            !sso.console.links_allowed(true),
            "a provider replaces links"
        );
        assert_eq!(sso.console.oidc.unwrap().scopes_claim, "asn_scopes");
        let e = Settings::from_source(&Source::from_pairs([("ASN_CONSOLE_SIGNIN_LINK", "yes")]))
            .unwrap_err();
        assert!(e.to_string().contains("ASN_CONSOLE_SIGNIN_LINK"), "{e}");
    }

    #[test]
    fn env_file_lines_parse() {
        let v = parse_env_file("# comment\nA=1\n B = \"two\" \n").unwrap();
        assert_eq!(
            v,
            vec![("A".into(), "1".into()), ("B".into(), "two".into())]
        );
        assert!(parse_env_file("novalue").is_err());
    }
}
