//! Server-side sessions behind an `HttpOnly`, `SameSite=Lax` cookie (`Secure` over https),
//! with idle and absolute timeouts and a CSRF token for every form; one-time sign-in links.

use super::page::{self, Markup};
use super::{lang_of, Console, Fail, OrPage};
use crate::auth::{Principal, Scope};
use crate::clock::Clock;
use crate::db::{self, console as store, AnyConnection, Pool};
use crate::i18n::{L10n, Lang};
use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use chrono::{NaiveDateTime, TimeDelta};
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "asn_console";
/// How long a one-time sign-in link stays good.
pub const LINK_TTL: TimeDelta = TimeDelta::minutes(10);
/// Who a one-time link signs in as.
pub const LINK_SUBJECT: &str = "console-local";
/// The client the audit trail names for what the console does.
pub const CLIENT_ID: &str = "console";

/// A random secret, URL-safe.
pub fn secret() -> String {
    B64URL.encode(rand::random::<[u8; 32]>())
}

/// What is stored of a secret: its SHA-256, so a copy of the table opens nothing.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The signed-in person on a page: who (as the API would see them), their CSRF token, and
/// the page's language.
pub struct Ctx {
    pub lang: Lang,
    remember_lang: bool,
    pub who: Principal,
    pub name: String,
    pub csrf: String,
}

impl Ctx {
    /// The session of this request, or a redirect to sign-in; it is checked before a body is
    /// read.
    pub async fn of(req: &HttpRequest) -> Result<Ctx, Fail> {
        let (lang, remember_lang) = lang_of(req);
        let cookie = req.cookie(SESSION_COOKIE).ok_or(Fail::sign_in(lang))?;
        let (console, pool, clock) = parts(req).or_page(lang)?;
        let hash = digest(cookie.value());
        let now = clock.now_naive();
        let idle = now - TimeDelta::from_std(console.settings.idle).unwrap_or(TimeDelta::MAX);
        let oldest = now - TimeDelta::from_std(console.settings.absolute).unwrap_or(TimeDelta::MAX);
        let row = db::run(&pool, move |c| {
            Ok(store::live_session(c, &hash, idle, oldest, now)?)
        })
        .await
        .or_page(lang)?
        .ok_or(Fail::sign_in(lang))?;
        let who = Principal {
            sub: row.sub,
            client_id: Some(CLIENT_ID.into()),
            scopes: row.scopes.split_whitespace().map(str::to_string).collect(),
            agency: row.agency,
            request_id: req
                .extensions()
                .get::<crate::telemetry::RequestId>()
                .map(|r| r.0.clone()),
        };
        Ok(Ctx {
            lang,
            remember_lang,
            who,
            name: row.display_name,
            csrf: row.csrf,
        })
    }

    /// `forbidden` (a page saying which right is missing) unless the person has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Fail> {
        self.who
            .require(scope)
            .map_err(|_| Fail::forbidden(self.lang, scope))
    }

    /// A form's CSRF token must be this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), Fail> {
        use aws_lc_rs::constant_time::verify_slices_are_equal;
        let ok = sent
            .is_some_and(|s| verify_slices_are_equal(s.as_bytes(), self.csrf.as_bytes()).is_ok());
        if ok {
            return Ok(());
        }
        Err(Fail::api(
            self.lang,
            crate::error::ApiError::with_detail(
                crate::error::ErrorCode::Forbidden,
                "Formulir ini kedaluwarsa atau bukan dari konsol; muat ulang halaman lalu coba lagi",
                "This form has expired or did not come from the console; reload the page and try again",
            ),
        ))
    }

    /// A page for this person (`200`).
    pub fn page(&self, title: L10n, body: Markup) -> HttpResponse {
        self.respond(HttpResponse::Ok(), title, body)
    }

    pub fn respond(
        &self,
        mut builder: actix_web::HttpResponseBuilder,
        title: L10n,
        body: Markup,
    ) -> HttpResponse {
        if self.remember_lang {
            builder.cookie(page::lang_cookie(self.lang));
        }
        let nav = page::Nav {
            name: Some(&self.name),
            csrf: Some(&self.csrf),
        };
        page::html_response(builder, page::layout(self.lang, &title, &nav, body))
    }
}

fn parts(req: &HttpRequest) -> Result<(web::Data<Console>, Pool, Clock), crate::error::ApiError> {
    let missing = || crate::error::ApiError::internal(anyhow::anyhow!("console state missing"));
    let console = req.app_data::<web::Data<Console>>().ok_or_else(missing)?;
    let pool = req.app_data::<web::Data<Pool>>().ok_or_else(missing)?;
    let clock = req.app_data::<web::Data<Clock>>().ok_or_else(missing)?;
    Ok((console.clone(), pool.get_ref().clone(), *clock.get_ref()))
}

/// Who a new session is for.
pub struct Person {
    pub sub: String,
    pub name: String,
    pub scopes: String,
    pub agency: Option<String>,
}

/// Stores a session for `person` (in the caller's transaction) and returns its cookie value.
pub fn create(
    conn: &mut AnyConnection,
    person: Person,
    now: NaiveDateTime,
) -> diesel::QueryResult<String> {
    let id = secret();
    store::insert_session(
        conn,
        &store::SessionRow {
            id_hash: digest(&id),
            sub: person.sub,
            display_name: person.name,
            scopes: person.scopes,
            agency: person.agency,
            csrf: secret(),
            created_at: now,
            last_seen_at: now,
        },
    )?;
    Ok(id)
}

/// The response that signs the browser in: the cookie, then the check page.
pub fn signed_in(req: &HttpRequest, id: String) -> HttpResponse {
    let cookie = Cookie::build(SESSION_COOKIE, id)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(req.connection_info().scheme() == "https")
        .finish();
    HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/console/"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Mints a one-time sign-in link's secret (single use, [`LINK_TTL`]) for `sub` with `scopes`.
pub fn mint_link(
    conn: &mut AnyConnection,
    sub: &str,
    scopes: &str,
    agency: Option<&str>,
    now: NaiveDateTime,
) -> diesel::QueryResult<String> {
    let token = secret();
    store::insert_signin(
        conn,
        &store::SigninRow {
            key_hash: digest(&token),
            kind: "link".into(),
            sub: Some(sub.into()),
            scopes: Some(scopes.into()),
            agency: agency.map(str::to_string),
            nonce: None,
            pkce_verifier: None,
            expires_at: now + LINK_TTL,
        },
    )?;
    Ok(token)
}

/// `GET /console/sign-in`: how to sign in here.
pub async fn sign_in_page(req: HttpRequest) -> Result<HttpResponse, Fail> {
    let (lang, _) = lang_of(&req);
    let (console, _, _) = parts(&req).or_page(lang)?;
    let body = |lang: Lang| {
        let t = |id: &'static str, en: &'static str| L10n::new(id, en).get(lang).to_string();
        html! {
            h1 { (t("Masuk ke konsol", "Sign in to the console")) }
            @if console.provider.is_some() {
                p { (t("Masuk dengan akun layanan masuk tunggal (SSO) instansi Anda.",
                       "Sign in with your agency's single sign-on account.")) }
                p { a.button href="/console/sign-in/oidc" { (t("Masuk dengan SSO", "Sign in with SSO")) } }
            }
            @if console.links_allowed {
                p { (t("Buka tautan masuk sekali pakai yang dicetak server saat mulai (berlaku 10 menit), atau buat yang baru dengan perintah:",
                       "Open the one-time sign-in link the server printed when it started (valid for 10 minutes), or make a new one with:")) }
                pre { code { "asn-eligibility console-link" } }
            }
            @if console.provider.is_none() && !console.links_allowed {
                p { (t("Belum ada cara masuk yang dikonfigurasi (ASN_OIDC_ISSUER).",
                       "No way to sign in is configured (ASN_OIDC_ISSUER).")) }
            }
        }
    };
    Ok(page::public(&req, L10n::new("Masuk", "Sign in"), body))
}

/// `GET /console/sign-in/link/{token}`: a button that uses the link (a link checker that
/// fetches the page does not spend it).
pub async fn link_page(req: HttpRequest, token: web::Path<String>) -> Result<HttpResponse, Fail> {
    let (lang, _) = lang_of(&req);
    let (console, _, _) = parts(&req).or_page(lang)?;
    if !console.links_allowed {
        return Err(Fail::not_found(lang));
    }
    let action = format!("/console/sign-in/link/{}", token.as_str());
    let body = |lang: Lang| {
        let t = |id: &'static str, en: &'static str| L10n::new(id, en).get(lang).to_string();
        html! {
            h1 { (t("Masuk dengan tautan sekali pakai", "Sign in with a one-time link")) }
            form method="post" action=(action) {
                button type="submit" { (t("Masuk", "Sign in")) }
            }
        }
    };
    Ok(page::public(&req, L10n::new("Masuk", "Sign in"), body))
}

/// `POST /console/sign-in/link/{token}`: spends the link and starts a session, in one
/// transaction.
pub async fn link_sign_in(
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, Fail> {
    let (lang, _) = lang_of(&req);
    let (console, pool, clock) = parts(&req).or_page(lang)?;
    if !console.links_allowed {
        return Err(Fail::not_found(lang));
    }
    let (hash, now) = (digest(token.as_str()), clock.now_naive());
    let id = db::run(&pool, move |c| {
        Ok(db::write_tx(c, |c| {
            let Some(link) = store::take_signin(c, &hash, "link", now)? else {
                return Ok(None);
            };
            let sub = link.sub.unwrap_or_default();
            let person = Person {
                name: sub.clone(),
                sub,
                scopes: link.scopes.unwrap_or_default(),
                agency: link.agency,
            };
            create(c, person, now).map(Some)
        })?)
    })
    .await
    .or_page(lang)?;
    match id {
        Some(id) => Ok(signed_in(&req, id)),
        None => Err(Fail::bad_request(
            lang,
            L10n::new(
                "Tautan ini sudah dipakai atau sudah kedaluwarsa; minta tautan baru",
                "This link has been used or has expired; ask for a new one",
            ),
        )),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /console/sign-out`: ends the session.
pub async fn sign_out(req: HttpRequest, form: web::Form<CsrfForm>) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.check_csrf(form.csrf.as_deref())?;
    let (_, pool, _) = parts(&req).or_page(ctx.lang)?;
    let hash = req
        .cookie(SESSION_COOKIE)
        .map(|c| digest(c.value()))
        .unwrap_or_default();
    db::run(&pool, move |c| Ok(store::delete_session(c, &hash)?))
        .await
        .or_page(ctx.lang)?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.set_max_age(CookieAge::ZERO);
    Ok(HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header((header::LOCATION, "/console/sign-in"))
        .finish())
}
