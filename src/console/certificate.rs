//! Certificates: one printable A4 page per decision, exactly as stored, with a QR code that
//! carries `<host>/verify#<receipt>` (the receipt in the fragment, never sent to a server).

use super::check::{self, Line};
use super::page::{badge, day, instant, purpose_label, raw, tr, Markup};
use super::session::Ctx;
use super::{Console, Fail, OrPage};
use crate::auth::Scope;
use crate::db;
use crate::i18n::{L10n, Lang};
use crate::service::eligibility::{self as svc, DecisionRecord};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono_tz::Tz;
use maud::html;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Where people reach this service: configured, or the address this request came to.
fn base_url(req: &HttpRequest, console: &Console) -> String {
    match &console.settings.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

/// The verify link of a receipt, as a QR code in SVG.
fn qr_svg(link: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(280, 280)
            .quiet_zone(true)
            .build(),
    )
}

/// What one certificate shows besides the decision: whom it is about.
struct Subject<'a> {
    name: Option<&'a str>,
    agency: Option<&'a str>,
}

fn certificate(
    d: &DecisionRecord,
    asked_by: &str,
    who: Subject<'_>,
    base: &str,
    lang: Lang,
    tz: Tz,
) -> Markup {
    let t = |id: &str, en: &str| tr(lang, id, en);
    let link = format!("{base}/verify#{}", d.receipt);
    let qr = (!d.receipt.is_empty()).then(|| qr_svg(&link)).flatten();
    html! {
        article.certificate aria-labelledby={ "cert-" (d.decision_id) } {
            h2 id={ "cert-" (d.decision_id) } { (t("Keputusan kelayakan ASN", "ASN eligibility decision")) }
            dl.facts {
                dt { "NIP" } dd.nip { (d.nip) }
                dt { (t("Nama", "Name")) } dd { (who.name.unwrap_or("—")) }
                dt { (t("Instansi", "Agency")) } dd { (who.agency.unwrap_or("—")) }
                dt { (t("Keperluan", "Purpose")) } dd { (purpose_label(d.purpose, lang)) " (" code { (d.purpose.as_str()) } ")" }
                dt { (t("Per tanggal", "As of")) } dd { (day(d.as_of, lang)) }
                dt { (t("Hasil", "Outcome")) } dd { (badge(d.outcome, lang)) }
                dt { (t("Memenuhi syarat sejak", "Eligible from")) }
                dd {
                    @match (d.eligible, d.eligible_from) {
                        (true, _) => { (t("Sekarang", "Now")) }
                        (false, Some(from)) => { (day(from, lang)) }
                        (false, None) => { (t("Belum diketahui", "Not known")) }
                    }
                }
            }
            h3 { (t("Alasan", "Reasons")) }
            @if d.reasons.is_empty() { p { (t("Tidak ada alasan yang menghalangi.", "Nothing stands in the way.")) } }
            ol.reasons {
                @for r in &d.reasons {
                    li {
                        (r.message.get(lang)) " "
                        small { "(" code { (r.code.as_str()) } ")" }
                        br;
                        (t("Dasar hukum", "Legal basis")) ": " (r.legal_basis)
                        @if let Some(n) = &r.decision_number { " · " (t("Nomor SK", "Decree number")) ": " (n) }
                        @if let Some(u) = r.until { " · " (t("berlaku sampai", "holds until")) " " (day(u, lang)) }
                    }
                }
            }
            dl.facts.small {
                dt { (t("Versi kebijakan", "Policy version")) } dd { code { (d.policy_version) } }
                dt { (t("Nomor keputusan", "Decision id")) } dd { code { (d.decision_id) } }
                dt { (t("Diminta oleh", "Asked by")) } dd { (asked_by) }
                dt { (t("Waktu", "At")) } dd { (instant(d.evaluated_at, tz)) }
            }
            @if let Some(svg) = qr {
                div.verify-box {
                    figure.qr role="img" aria-label=(t("Kode QR tautan verifikasi", "QR code of the verification link")) {
                        (raw(svg))
                    }
                    p {
                        (t("Pindai kode ini atau buka tautan berikut untuk memeriksa keaslian keputusan ini, tanpa akun:",
                           "Scan this code or open the link below to check that this decision is genuine, with no account:"))
                        br;
                        a.verify-link href=(link) { (link) }
                    }
                }
            }
        }
    }
}

/// `GET /console/decisions/{id}`: the certificate of one decision.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: web::Data<Console>,
    id: web::Path<String>,
) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::EligibilityRead)?;
    let id = id.into_inner();
    let found = db::run(&state.pool, move |c| {
        let Some((d, actor)) = svc::find_many(c, &[id.as_str()])?.pop() else {
            return Ok(None);
        };
        let profile = db::asn::find(c, &d.nip)?;
        Ok(Some((d, actor, profile)))
    })
    .await
    .or_page(ctx.lang)?;
    let (d, actor, profile) = found.ok_or(Fail::not_found(ctx.lang))?;
    let who = Subject {
        name: profile.as_ref().and_then(|p| p.name.as_deref()),
        agency: profile
            .as_ref()
            .and_then(|p| p.agency_name.as_deref().or(p.agency_code.as_deref())),
    };
    let body = html! {
        h1.noprint { (tr(ctx.lang, "Sertifikat keputusan", "Decision certificate")) }
        p.noprint { (tr(ctx.lang, "Cetak halaman ini (Ctrl+P) untuk menyimpannya sebagai PDF.",
                        "Print this page (Ctrl+P) to keep it as a PDF.")) }
        (certificate(&d, &actor, who, &base_url(&req, &console), ctx.lang, state.tz))
    };
    Ok(ctx.page(L10n::new("Sertifikat", "Certificate"), body))
}

/// `GET /console/checks/{id}/certificates`: every decision of a check, one page each.
pub async fn print_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: web::Data<Console>,
    id: web::Path<String>,
) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::EligibilityRead)?;
    let found = check::load(&state, id.into_inner(), ctx.who.sub.clone())
        .await
        .or_page(ctx.lang)?;
    let (_, lines) = found.ok_or(Fail::not_found(ctx.lang))?;
    let base = base_url(&req, &console);
    let body = html! {
        h1.noprint { (tr(ctx.lang, "Sertifikat", "Certificates")) }
        p.noprint { (tr(ctx.lang, "Satu halaman per keputusan; cetak (Ctrl+P) untuk PDF.",
                        "One page per decision; print (Ctrl+P) for a PDF.")) }
        @for Line { decision, name, agency, .. } in &lines {
            @if let Some((d, actor)) = decision {
                (certificate(d, actor, Subject { name: name.as_deref(), agency: agency.as_deref() }, &base, ctx.lang, state.tz))
            }
        }
    };
    Ok(ctx.page(L10n::new("Sertifikat", "Certificates"), body))
}
