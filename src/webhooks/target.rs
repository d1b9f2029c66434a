//! Which URLs a subscription may name. A webhook must not become a way into the
//! operator's own network: targets in loopback, private, link-local, shared or other
//! non-public ranges are refused unless `ASN_WEBHOOK_ALLOWED_NETWORKS` lists them. The
//! check runs when a subscription is created (for IP literals and `localhost`) and on every
//! attempt, on the addresses the name resolves to then, so a name that later points inside
//! is refused too.

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Targets {
    allowed: Arc<Vec<IpNet>>,
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10, shared (CGNAT)
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15, benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

impl Targets {
    pub fn new(allowed: Vec<IpNet>) -> Targets {
        Targets {
            allowed: Arc::new(allowed),
        }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Checks a URL as a subscription names it; the message says what is wrong.
    pub fn check_url(&self, raw: &str) -> Result<Url, &'static str> {
        let url = Url::parse(raw).map_err(|_| "is not an absolute URL")?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err("must be an http or https URL");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials");
        }
        if url.fragment().is_some() {
            return Err("must not have a fragment");
        }
        let ip = match url.host() {
            None => return Err("must name a host"),
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                (d == "localhost" || d.ends_with(".localhost"))
                    .then_some(IpAddr::from([127, 0, 0, 1]))
            }
        };
        match ip {
            Some(ip) if !self.permits(ip) => Err(
                "points to a private, loopback or otherwise internal address; the operator can allow its network with ASN_WEBHOOK_ALLOWED_NETWORKS",
            ),
            _ => Ok(url),
        }
    }
}

/// reqwest's name resolution, keeping only addresses the targets permit.
impl Resolve for Targets {
    fn resolve(&self, name: Name) -> Resolving {
        let targets = self.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| targets.permits(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{} resolves to no address webhooks may be sent to",
                    name.as_str()
                )
                .into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_targets_are_refused_unless_allowed() {
        let closed = Targets::default();
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "https://10.1.2.3/hook",
            "https://192.168.0.10/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://100.64.0.1/hook",
            "https://0.0.0.0/hook",
        ] {
            assert!(closed.check_url(url).is_err(), "{url}");
        }
        assert!(closed.check_url("https://hooks.example.go.id/asn").is_ok());
        assert!(
            closed.check_url("https://203.0.113.9/x").is_err(),
            "documentation range"
        );
        assert!(closed.check_url("https://8.8.8.8/x").is_ok());
        let open = Targets::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(open.check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(open.check_url("http://10.0.0.1/hook").is_err());
    }

    #[test]
    fn malformed_urls_are_refused_with_a_reason() {
        let t = Targets::default();
        assert!(t.check_url("hooks.example.go.id").is_err());
        assert!(t.check_url("ftp://hooks.example.go.id/").is_err());
        assert!(t.check_url("https://user:pw@hooks.example.go.id/").is_err());
    }
}
