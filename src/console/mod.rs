//! The console: server-rendered pages for people (selection committees, promotion officers),
//! served by the same binary under `/console`, and the public `/verify` page. Pages act with
//! the signed-in person's scopes through the same service paths as the API.

pub mod cases;
pub mod certificate;
pub mod check;
pub mod oidc;
pub mod page;
pub mod person;
pub mod session;
pub mod verify;

use crate::auth::Scope;
use crate::error::{ApiError, ErrorCode};
use crate::i18n::{L10n, Lang};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use std::fmt;
use std::time::Duration;

/// How the console signs people in and how long a session lives.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    pub oidc: Option<oidc::OidcSettings>,
    /// A session unused this long ends (`ASN_CONSOLE_IDLE_MINUTES`, default 30).
    pub idle: Duration,
    /// A session ends this long after sign-in whatever happens (`ASN_CONSOLE_MAX_HOURS`, 12).
    pub absolute: Duration,
    /// One-time sign-in links: `loopback` (default: only while the listener is on
    /// loopback and no provider is configured), `on`, or `off` (`ASN_CONSOLE_SIGNIN_LINK`).
    pub links: LinkPolicy,
    /// Scopes a one-time link signs in with (`ASN_CONSOLE_LINK_SCOPES`).
    pub link_scopes: String,
    /// The address people reach the service at, for the certificate's QR code
    /// (`ASN_PUBLIC_URL`; default: the address the request came to).
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPolicy {
    Loopback,
    On,
    Off,
}

impl ConsoleSettings {
    pub const DEFAULT_LINK_SCOPES: &'static str = "eligibility:read registry:read cases:read";

    /// Whether `serve` on `bind` may print (and the console accept) one-time links.
    pub fn links_allowed(&self, listener_is_loopback: bool) -> bool {
        match self.links {
            LinkPolicy::Off => false,
            LinkPolicy::On => true,
            LinkPolicy::Loopback => listener_is_loopback && self.oidc.is_none(),
        }
    }
}

impl std::str::FromStr for LinkPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "loopback" => Ok(LinkPolicy::Loopback),
            "on" => Ok(LinkPolicy::On),
            "off" => Ok(LinkPolicy::Off),
            other => Err(format!("{other:?} is not one of loopback, on, off")),
        }
    }
}

/// What the console's handlers share: its settings, whether links are accepted here, and
/// the OpenID provider (discovered on first use).
pub struct Console {
    pub settings: ConsoleSettings,
    pub links_allowed: bool,
    pub provider: Option<oidc::Provider>,
}

/// Page routes. The pages are not part of the JSON contract (`openapi.json`); `/verify` is
/// public, everything under `/console` but sign-in needs a session.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/verify").get(verify::page))
        .service(
            web::scope("/console")
                .route("/assets/{name}", web::get().to(page::asset))
                .route("/sign-in", web::get().to(session::sign_in_page))
                .route("/sign-in/link/{token}", web::get().to(session::link_page))
                .route(
                    "/sign-in/link/{token}",
                    web::post().to(session::link_sign_in),
                )
                .route("/sign-in/oidc", web::get().to(oidc::start))
                .route("/sign-in/callback", web::get().to(oidc::callback))
                .route("/sign-out", web::post().to(session::sign_out))
                .route("/", web::get().to(check::form))
                .route("", web::get().to(check::form))
                .route("/checks", web::post().to(check::submit))
                .route("/checks/{id}", web::get().to(check::results))
                .route("/checks/{id}/results.csv", web::get().to(check::csv))
                .route(
                    "/checks/{id}/certificates",
                    web::get().to(certificate::print_all),
                )
                .route("/decisions/{id}", web::get().to(certificate::page))
                .route("/history", web::get().to(check::history))
                .route("/asn/{nip}", web::get().to(person::page))
                .route("/cases", web::get().to(cases::dashboard))
                .route("/cases/{id}", web::get().to(cases::page))
                .route("/cases/{id}/steps", web::post().to(cases::take_step)),
        );
}

/// Why a page could not be shown: it renders as an HTML page in the reader's language (or a
/// redirect to sign-in), never as problem+json.
#[derive(Debug)]
pub struct Fail {
    lang: Lang,
    kind: FailKind,
}

#[derive(Debug)]
enum FailKind {
    SignIn,
    Api(ApiError),
}

impl Fail {
    pub fn sign_in(lang: Lang) -> Fail {
        Fail {
            lang,
            kind: FailKind::SignIn,
        }
    }

    pub fn api(lang: Lang, e: ApiError) -> Fail {
        Fail {
            lang,
            kind: FailKind::Api(e),
        }
    }

    pub fn not_found(lang: Lang) -> Fail {
        Fail::api(lang, ApiError::not_found())
    }

    pub fn bad_request(lang: Lang, why: L10n) -> Fail {
        Fail::api(lang, ApiError::new(ErrorCode::ValidationFailed).detail(why))
    }

    pub fn forbidden(lang: Lang, scope: Scope) -> Fail {
        Fail::api(
            lang,
            ApiError::with_detail(
                ErrorCode::Forbidden,
                format!("Akun Anda tidak memiliki hak '{}'", scope.as_str()),
                format!("Your account lacks the right '{}'", scope.as_str()),
            ),
        )
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FailKind::SignIn => write!(f, "sign-in needed"),
            FailKind::Api(e) => write!(f, "{e}"),
        }
    }
}

impl ResponseError for Fail {
    fn status_code(&self) -> StatusCode {
        match &self.kind {
            FailKind::SignIn => StatusCode::SEE_OTHER,
            FailKind::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.kind {
            FailKind::SignIn => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/sign-in"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            FailKind::Api(e) => page::error_page(self.lang, e),
        }
    }
}

/// `?` on a service result inside a page handler: the error shown as a page.
pub trait OrPage<T> {
    fn or_page(self, lang: Lang) -> Result<T, Fail>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, lang: Lang) -> Result<T, Fail> {
        self.map_err(|e| Fail::api(lang, e.into()))
    }
}

/// The language of a page: `?lang=` (remembered in a cookie), else the cookie, else
/// Indonesian; and whether the choice must be remembered.
pub fn lang_of(req: &HttpRequest) -> (Lang, bool) {
    let asked = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    let parse = |v: &str| match v {
        "en" => Some(Lang::En),
        "id" => Some(Lang::Id),
        _ => None,
    };
    if let Some(lang) = asked.as_deref().and_then(parse) {
        return (lang, true);
    }
    let remembered = req.cookie(page::LANG_COOKIE).and_then(|c| parse(c.value()));
    (remembered.unwrap_or_default(), false)
}
