//! Outbound webhooks: subscriptions' secrets and signatures (Standard Webhooks), which
//! targets a subscription may name, and the delivery worker.

pub mod sealed;
pub mod target;
pub mod worker;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::time::Duration;

/// How deliveries are made and retried.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Waits between attempts: the first retry after `retry_schedule[0]`, and so on; after
    /// the last, the delivery is `failed`.
    pub retry_schedule: Vec<Duration>,
    /// Networks a target may be in although private, loopback or link-local.
    pub allowed_networks: Vec<ipnet::IpNet>,
    /// Whole-request timeout of one attempt.
    pub timeout: Duration,
    /// How often an idle worker looks for new changes and due deliveries.
    pub poll_interval: Duration,
    /// The longest wait a receiver's `Retry-After` can ask for.
    pub retry_after_cap: Duration,
    /// The key that seals signing secrets at rest (`ASN_WEBHOOK_SECRET_KEY`; generated into
    /// the data directory when unset), and retired ones that still open old secrets.
    pub secret_key: Option<std::path::PathBuf>,
    pub previous_secret_keys: Vec<std::path::PathBuf>,
}

impl WebhookSettings {
    pub const DEFAULT_SCHEDULE: &'static str = "5,300,1800,7200,18000,36000,36000";

    /// `ASN_WEBHOOK_RETRY_SCHEDULE`: seconds, comma-separated.
    pub fn parse_schedule(text: &str) -> anyhow::Result<Vec<Duration>> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u64>().map(Duration::from_secs).map_err(|_| {
                    anyhow::anyhow!("ASN_WEBHOOK_RETRY_SCHEDULE: {s:?} is not a number of seconds")
                })
            })
            .collect()
    }

    /// `ASN_WEBHOOK_ALLOWED_NETWORKS`: CIDRs, comma-separated.
    pub fn parse_networks(text: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| {
                    anyhow::anyhow!("ASN_WEBHOOK_ALLOWED_NETWORKS: {s:?} is not a CIDR")
                })
            })
            .collect()
    }

    /// The wait before the retry that follows `attempts` failed attempts, with up to ±20 %
    /// jitter so that receivers coming back are not hit by every sender at once; `None`
    /// when the schedule is used up.
    pub fn next_wait(&self, attempts: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let base = *self.retry_schedule.get(attempts.checked_sub(1)? as usize)?;
        let jitter = 0.8 + 0.4 * rand::random::<f64>();
        let wait = base.mul_f64(jitter);
        Some(match retry_after {
            Some(asked) => wait.max(asked.min(self.retry_after_cap)),
            None => wait,
        })
    }
}

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the secret's key (the
/// base64 after `whsec_`), as Standard Webhooks defines it.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> anyhow::Result<String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| anyhow::anyhow!("the subscription's secret is not base64"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(schedule: &str) -> WebhookSettings {
        WebhookSettings {
            retry_schedule: WebhookSettings::parse_schedule(schedule).unwrap(),
            allowed_networks: vec![],
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            retry_after_cap: Duration::from_secs(3600),
            secret_key: None,
            previous_secret_keys: vec![],
        }
    }

    #[test]
    fn the_standard_webhooks_example_signature() {
        // The test vector of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_whsec_and_24_or_more_random_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with("whsec_"));
        assert_ne!(a, b);
        assert!(STANDARD.decode(&a[6..]).unwrap().len() >= 24);
    }

    #[test]
    fn waits_follow_the_schedule_with_jitter_and_honour_a_capped_retry_after() {
        let s = settings("5,300");
        let first = s.next_wait(1, None).unwrap();
        assert!((4.0..=6.0).contains(&first.as_secs_f64()), "{first:?}");
        let second = s.next_wait(2, None).unwrap();
        assert!(
            (240.0..=360.0).contains(&second.as_secs_f64()),
            "{second:?}"
        );
        assert_eq!(s.next_wait(3, None), None, "the schedule is used up");
        let asked = s.next_wait(1, Some(Duration::from_secs(120))).unwrap();
        assert_eq!(asked, Duration::from_secs(120), "Retry-After is honoured");
        let capped = s
            .next_wait(1, Some(Duration::from_secs(86_400 * 30)))
            .unwrap();
        assert_eq!(capped, Duration::from_secs(3600), "but capped");
    }

    #[test]
    fn bad_configuration_names_the_variable() {
        let e = WebhookSettings::parse_schedule("5,soon").unwrap_err();
        assert!(e.to_string().contains("ASN_WEBHOOK_RETRY_SCHEDULE"));
        let e = WebhookSettings::parse_networks("10.0.0.0/33").unwrap_err();
        assert!(e.to_string().contains("ASN_WEBHOOK_ALLOWED_NETWORKS"));
    }
}
