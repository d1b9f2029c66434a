//! The frame every page shares (language switch, navigation, sign-out), the embedded
//! assets, the security headers of a page, and the small pieces several pages show.

use crate::domain::eligibility::Outcome;
use crate::domain::Purpose;
use crate::error::ApiError;
use crate::i18n::{L10n, Lang};
use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpResponse, HttpResponseBuilder};
pub use maud::Markup;
use maud::{html, PreEscaped, DOCTYPE};

pub const LANG_COOKIE: &str = "asn_lang";

const CSS: &str = include_str!("assets/console.css");
const VERIFY_JS: &str = include_str!("assets/verify.js");

/// `GET /console/assets/{name}`: the stylesheet and the verify page's script, from the binary.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, kind) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "verify.js" => (VERIFY_JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

pub fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, code(lang))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(CookieAge::days(365))
        .finish()
}

pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Id => "id",
        Lang::En => "en",
    }
}

/// What the header shows: the signed-in person (and the sign-out form), if any.
#[derive(Default)]
pub struct Nav<'a> {
    pub name: Option<&'a str>,
    pub csrf: Option<&'a str>,
}

/// Text in the page's language.
pub fn tr(lang: Lang, id: &str, en: &str) -> String {
    match lang {
        Lang::Id => id.to_string(),
        Lang::En => en.to_string(),
    }
}

pub fn layout(lang: Lang, title: &L10n, nav: &Nav<'_>, body: Markup) -> Markup {
    let t = |id: &str, en: &str| tr(lang, id, en);
    let (other, other_name) = match lang {
        Lang::Id => ("en", "English"),
        Lang::En => ("id", "Bahasa Indonesia"),
    };
    html! {
        (DOCTYPE)
        html lang=(code(lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title.get(lang)) " · asn-eligibility" }
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                a.skip href="#main" { (t("Langsung ke isi", "Skip to content")) }
                header.top {
                    a.brand href="/console/" { "asn-eligibility" }
                    nav aria-label=(t("Navigasi utama", "Main navigation")) {
                        ul {
                            @if nav.name.is_some() {
                                li { a href="/console/" { (t("Periksa", "Check")) } }
                                li { a href="/console/history" { (t("Riwayat", "History")) } }
                                li { a href="/console/cases" { (t("Kasus", "Cases")) } }
                            }
                            li { a href="/verify" { (t("Verifikasi", "Verify")) } }
                            li { a href={ "?lang=" (other) } lang=(other) hreflang=(other) { (other_name) } }
                        }
                    }
                    @if let (Some(name), Some(csrf)) = (nav.name, nav.csrf) {
                        form.signout method="post" action="/console/sign-out" {
                            span.who { (name) }
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { (t("Keluar", "Sign out")) }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    }
}

/// An HTML page with the headers every page carries: no caching of personal data, no
/// framing, scripts and styles only from this origin.
pub fn html_response(mut builder: HttpResponseBuilder, page: Markup) -> HttpResponse {
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'",
        ))
        .body(page.into_string())
}

/// A page for anyone, signed in or not, in the language asked (remembered when asked by
/// `?lang=`); `body` is given that language.
pub fn public(
    req: &actix_web::HttpRequest,
    title: L10n,
    body: impl FnOnce(Lang) -> Markup,
) -> HttpResponse {
    let (lang, remember) = super::lang_of(req);
    let mut builder = HttpResponse::Ok();
    if remember {
        builder.cookie(lang_cookie(lang));
    }
    let page = layout(lang, &title, &Nav::default(), body(lang));
    html_response(builder, page)
}

/// A URL-encoded form's fields (read after the session was checked), at most `limit` bytes.
pub async fn read_urlencoded(
    mut payload: web::Payload,
    limit: usize,
) -> Result<std::collections::HashMap<String, String>, ApiError> {
    use futures_util::StreamExt;
    let mut bytes = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::with_detail(
                crate::error::ErrorCode::ValidationFailed,
                "Formulir tidak terbaca",
                "The form cannot be read",
            )
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::new(crate::error::ErrorCode::PayloadTooLarge));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

/// An error as a page: what went wrong, in the reader's language, with the error's code.
pub fn error_page(lang: Lang, e: &ApiError) -> HttpResponse {
    let problem = e.problem(lang);
    let body = html! {
        h1 { (problem.title) }
        @if let Some(detail) = &problem.detail { p { (detail) } }
        p.code { (tr(lang, "Kode", "Code")) ": " code { (problem.code.as_str()) } }
        p { a href="/console/" { (tr(lang, "Kembali ke konsol", "Back to the console")) } }
    };
    let title = L10n::same(problem.title.clone());
    html_response(
        HttpResponse::build(e.code.status()),
        layout(lang, &title, &Nav::default(), body),
    )
}

pub fn purpose_label(p: Purpose, lang: Lang) -> String {
    let (id, en) = match p {
        Purpose::Promotion => ("Kenaikan pangkat", "Promotion"),
        Purpose::JptSelection => ("Seleksi JPT", "JPT selection"),
        Purpose::PositionAppointment => ("Pengangkatan dalam jabatan", "Appointment to a post"),
        Purpose::Transfer => ("Mutasi", "Transfer"),
        Purpose::SalaryIncrement => ("Kenaikan gaji berkala", "Periodic salary increment"),
        Purpose::Pension => ("Pensiun", "Pension"),
    };
    tr(lang, id, en)
}

pub fn outcome_label(o: Outcome, lang: Lang) -> String {
    let (id, en) = match o {
        Outcome::Eligible => ("Memenuhi syarat", "Eligible"),
        Outcome::Ineligible => ("Tidak memenuhi syarat", "Not eligible"),
        Outcome::Undetermined => ("Belum dapat ditentukan", "Cannot be determined yet"),
    };
    tr(lang, id, en)
}

/// The outcome as a badge: colour and a symbol, never colour alone.
pub fn badge(o: Outcome, lang: Lang) -> Markup {
    let (class, mark) = match o {
        Outcome::Eligible => ("ok", "✓"),
        Outcome::Ineligible => ("no", "✗"),
        Outcome::Undetermined => ("unknown", "?"),
    };
    html! {
        span class={ "badge " (class) } {
            span aria-hidden="true" { (mark) " " }
            (outcome_label(o, lang))
        }
    }
}

/// A day as people write it here: `25 Maret 2027` / `25 March 2027`.
pub fn day(d: chrono::NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    const ID: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let months = match lang {
        Lang::Id => ID,
        Lang::En => EN,
    };
    format!("{} {} {}", d.day(), months[d.month0() as usize], d.year())
}

/// An instant in the configured zone, to the minute.
pub fn instant(t: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// A piece of trusted, server-built markup (an SVG the QR renderer made).
pub fn raw(s: String) -> Markup {
    PreEscaped(s)
}
