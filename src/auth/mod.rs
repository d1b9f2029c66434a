//! Bearer JWT (RFC 9068 shape) validated with jsonwebtoken against an explicit key list.

pub mod keys;

use crate::audit::Actor;
use crate::error::{ApiError, ErrorCode};
use crate::i18n::L10n;
use crate::service::Caller;
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::future::{ready, Ready};

/// The scopes of api.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    SanctionsWrite,
    RegistryRead,
    EligibilityRead,
    BknPush,
    JobsRun,
    WebhooksManage,
    AuditRead,
    CasesWrite,
    CasesRead,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::SanctionsWrite,
        Scope::RegistryRead,
        Scope::EligibilityRead,
        Scope::BknPush,
        Scope::JobsRun,
        Scope::WebhooksManage,
        Scope::AuditRead,
        Scope::CasesWrite,
        Scope::CasesRead,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::SanctionsWrite => "sanctions:write",
            Scope::RegistryRead => "registry:read",
            Scope::EligibilityRead => "eligibility:read",
            Scope::BknPush => "bkn:push",
            Scope::JobsRun => "jobs:run",
            Scope::WebhooksManage => "webhooks:manage",
            Scope::AuditRead => "audit:read",
            Scope::CasesWrite => "cases:write",
            Scope::CasesRead => "cases:read",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: Audience,
    pub exp: u64,
    pub sub: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
}

/// Who is calling, once the token verified.
#[derive(Debug, Clone)]
pub struct Principal {
    pub sub: String,
    pub client_id: Option<String>,
    pub scopes: BTreeSet<String>,
    /// Limits `sanctions:write` to ASN of this agency.
    pub agency: Option<String>,
    /// The request this token came with (`X-Request-Id`), for the audit trail.
    pub request_id: Option<String>,
}

impl Principal {
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        self.require_named(scope.as_str())
    }

    /// `forbidden` unless the token carries `scope`.
    pub fn require_named(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            return Ok(());
        }
        Err(ApiError::with_detail(
            ErrorCode::Forbidden,
            format!("Token tidak memiliki scope '{scope}'"),
            format!("The token lacks the scope '{scope}'"),
        ))
    }

    /// The actor recorded with writes and decisions.
    pub fn actor(&self) -> String {
        self.audit_actor().label()
    }

    /// Who the audit trail names: subject, client and request.
    pub fn audit_actor(&self) -> Actor {
        Actor {
            sub: self.sub.clone(),
            client_id: self.client_id.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// What the service layer knows of the caller: who, and the agency a writer is limited to.
    pub fn caller(&self) -> Caller {
        Caller {
            actor: self.audit_actor(),
            agency: self.agency.clone(),
        }
    }
}

/// One verification key with the single algorithm it accepts.
pub struct VerifyKey {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: DecodingKey,
}

pub struct Verifier {
    keys: Vec<VerifyKey>,
    issuer: String,
    audience: String,
}

fn unauthorized(id: &str, en: &str) -> ApiError {
    ApiError::with_detail(ErrorCode::Unauthorized, id, en)
}

impl Verifier {
    pub fn new(keys: Vec<VerifyKey>, issuer: String, audience: String) -> Verifier {
        Verifier {
            keys,
            issuer,
            audience,
        }
    }

    pub fn algorithms(&self) -> BTreeSet<String> {
        self.keys.iter().map(|k| format!("{:?}", k.alg)).collect()
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.algorithms = vec![alg];
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.validate_nbf = true;
        v.leeway = 30;
        v
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        if names_critical_extensions(token) {
            // RFC 7515 §4.1.11: a recipient that does not understand a `crit` extension
            // must reject the token; this service understands none.
            return Err(unauthorized(
                "Token memuat ekstensi kritis (crit) yang tidak dikenal",
                "The token names critical extensions (crit) that are not understood",
            ));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            unauthorized(
                "Token bukan JWT yang dapat dibaca",
                "The token is not a readable JWT",
            )
        })?;
        let candidates: Vec<&VerifyKey> = self
            .keys
            .iter()
            .filter(|k| k.alg == header.alg)
            .filter(|k| header.kid.is_none() || k.kid.is_none() || k.kid == header.kid)
            .collect();
        if candidates.is_empty() {
            return Err(unauthorized(
                "Algoritma atau kunci token tidak diterima",
                "The token's algorithm or key is not accepted",
            ));
        }
        let mut last = None;
        for k in candidates {
            match jsonwebtoken::decode::<Claims>(token, &k.key, &self.validation(k.alg)) {
                Ok(data) => return Ok(principal(data.claims)),
                Err(e) => last = Some(e),
            }
        }
        let reason = last
            .map(|e| describe(&e))
            .unwrap_or_else(|| L10n::same("invalid token"));
        Err(ApiError::new(ErrorCode::Unauthorized).detail(reason))
    }
}

/// Whether the token's protected header carries a `crit` member.
fn names_critical_extensions(token: &str) -> bool {
    use base64::Engine;
    let Some(segment) = token.split('.').next() else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()
        .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
        .is_some_and(|h| h.get("crit").is_some())
}

fn principal(c: Claims) -> Principal {
    Principal {
        sub: c.sub,
        client_id: c.client_id,
        scopes: c.scope.split_whitespace().map(str::to_string).collect(),
        agency: c.agency.filter(|a| !a.is_empty()),
        request_id: None,
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> L10n {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => L10n::new("Token sudah kedaluwarsa", "The token has expired"),
        K::ImmatureSignature => L10n::new(
            "Token belum berlaku (nbf)",
            "The token is not valid yet (nbf)",
        ),
        K::InvalidIssuer => L10n::new(
            "Penerbit (iss) token salah",
            "The token's issuer (iss) is wrong",
        ),
        K::InvalidAudience => L10n::new(
            "Audiens (aud) token salah",
            "The token's audience (aud) is wrong",
        ),
        K::InvalidSignature => L10n::new(
            "Tanda tangan token tidak sah",
            "The token's signature is invalid",
        ),
        K::MissingRequiredClaim(c) => L10n::new(
            format!("Token tidak memuat klaim '{c}'"),
            format!("The token lacks the claim '{c}'"),
        ),
        _ => L10n::new("Token tidak sah", "The token is invalid"),
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Principal, ApiError>>;

    /// The principal the route's authorization found, or the request's token verified now.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = req.extensions().get::<Principal>().cloned();
        ready(checked.map_or_else(|| authenticate(req), Ok))
    }
}

/// Verifies the request's bearer token: `unauthorized` when it is missing or not valid.
pub fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("token verifier missing")))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        unauthorized(
            "Header Authorization: Bearer wajib",
            "An Authorization: Bearer header is required",
        )
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized(
                "Header Authorization harus berbentuk 'Bearer <token>'",
                "The Authorization header must be 'Bearer <token>'",
            )
        })?;
    let mut principal = verifier.verify(token)?;
    principal.request_id = req
        .extensions()
        .get::<crate::telemetry::RequestId>()
        .map(|r| r.0.clone());
    Ok(principal)
}

/// What `asn-eligibility token` mints: an HS256 development token.
pub struct MintRequest<'a> {
    pub secret: &'a [u8],
    pub issuer: &'a str,
    pub audience: &'a str,
    pub sub: &'a str,
    pub scope: &'a str,
    pub agency: Option<&'a str>,
    pub ttl_secs: u64,
    pub now_secs: u64,
}

pub fn mint(r: &MintRequest<'_>) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims {
        iss: r.issuer.into(),
        aud: Audience::One(r.audience.into()),
        exp: r.now_secs + r.ttl_secs,
        sub: r.sub.into(),
        scope: r.scope.into(),
        nbf: Some(r.now_secs),
        iat: Some(r.now_secs),
        jti: Some(uuid::Uuid::now_v7().to_string()),
        client_id: None,
        agency: r.agency.map(str::to_string),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(r.secret),
    )
}

/// Parses a duration such as `90s`, `15m`, `1h`, `7d` (a bare number is seconds).
pub fn parse_ttl(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('s') => (&s[..s.len() - 1], 1),
        Some('m') => (&s[..s.len() - 1], 60),
        Some('h') => (&s[..s.len() - 1], 3600),
        Some('d') => (&s[..s.len() - 1], 86400),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| n * mult)
        .ok_or_else(|| format!("'{s}' is not a duration like 90s, 15m, 1h or 7d"))
}
