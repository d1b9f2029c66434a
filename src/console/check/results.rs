//! A check's results: the page (one row per NIP in the order given), the CSV, and the
//! history of this person's checks.

use super::input::Item;
use crate::auth::Scope;
use crate::console::page::{self, badge, day, purpose_label, tr, Markup};
use crate::console::session::Ctx;
use crate::console::{Fail, OrPage};
use crate::db::{self, console::CheckRow};
use crate::domain::Purpose;
use crate::error::ApiError;
use crate::i18n::{L10n, Lang};
use crate::service::eligibility::{self as svc, DecisionRecord};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use std::collections::HashMap;

/// A line of results: the item, its decision and the person's name and agency.
pub struct Line {
    pub item: Item,
    pub decision: Option<(DecisionRecord, String)>,
    pub name: Option<String>,
    pub agency: Option<String>,
}

/// A check of this person's with everything its results show, in the order given.
pub async fn load(
    state: &AppState,
    id: String,
    sub: String,
) -> Result<Option<(CheckRow, Vec<Line>)>, ApiError> {
    db::run(&state.pool, move |c| {
        let Some(row) = db::console::find_check(c, &id, &sub)? else {
            return Ok(None);
        };
        let items: Vec<Item> = serde_json::from_str(&row.items)?;
        let ids: Vec<&str> = items
            .iter()
            .filter_map(|i| i.decision_id.as_deref())
            .collect();
        let mut decisions: HashMap<String, (DecisionRecord, String)> = svc::find_many(c, &ids)?
            .into_iter()
            .map(|d| (d.0.decision_id.clone(), d))
            .collect();
        let nips: Vec<&str> = items
            .iter()
            .filter(|i| i.decision_id.is_some())
            .map(|i| i.entry.nip.as_str())
            .collect();
        let profiles: HashMap<String, db::asn::AsnRow> = db::asn::find_many(c, &nips)?
            .into_iter()
            .map(|p| (p.nip.clone(), p))
            .collect();
        let lines = items
            .into_iter()
            .map(|item| {
                let decision = item.decision_id.as_ref().and_then(|d| decisions.remove(d));
                let profile = decision.as_ref().and_then(|(d, _)| profiles.get(&d.nip));
                Line {
                    name: profile.and_then(|p| p.name.clone()),
                    agency: profile.and_then(|p| p.agency_name.clone().or(p.agency_code.clone())),
                    decision,
                    item,
                }
            })
            .collect();
        Ok(Some((row, lines)))
    })
    .await
}

async fn load_page(
    req: &HttpRequest,
    state: &AppState,
    id: String,
) -> Result<(Ctx, CheckRow, Vec<Line>), Fail> {
    let ctx = Ctx::of(req).await?;
    ctx.require(Scope::EligibilityRead)?;
    let found = load(state, id, ctx.who.sub.clone())
        .await
        .or_page(ctx.lang)?;
    let (row, lines) = found.ok_or(Fail::not_found(ctx.lang))?;
    Ok((ctx, row, lines))
}

/// `GET /console/checks/{id}`: one row per NIP in the order given.
pub async fn results(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Fail> {
    let (ctx, row, lines) = load_page(&req, &state, id.into_inner()).await?;
    let lang = ctx.lang;
    let t = |id: &str, en: &str| tr(lang, id, en);
    let purpose = row.purpose.parse::<Purpose>().ok();
    let decided = lines.iter().filter(|l| l.decision.is_some()).count();
    let body = html! {
        h1 { (t("Hasil pemeriksaan", "Check results")) }
        p {
            @if let Some(p) = purpose { (purpose_label(p, lang)) } " · "
            (t("per tanggal", "as of")) " " (day(row.as_of, lang)) " · "
            (lines.len()) " NIP, " (decided) " " (t("diputuskan", "decided"))
        }
        p.actions {
            a.button href={ "/console/checks/" (row.id) "/results.csv" } download { (t("Unduh CSV", "Download CSV")) }
            " "
            a.button href={ "/console/checks/" (row.id) "/certificates" } { (t("Cetak semua sertifikat", "Print all certificates")) }
        }
        div.table-wrap role="region" aria-label=(t("Hasil per NIP", "Results per NIP")) tabindex="0" {
            table.results {
                caption.visually-hidden { (t("Hasil per NIP, sesuai urutan yang diberikan", "Results per NIP, in the order given")) }
                thead { tr {
                    th scope="col" { (t("Referensi", "Reference")) }
                    th scope="col" { "NIP" }
                    th scope="col" { (t("Nama dan instansi", "Name and agency")) }
                    th scope="col" { (t("Hasil", "Outcome")) }
                    th scope="col" { (t("Alasan", "Reasons")) }
                    th scope="col" { (t("Memenuhi syarat sejak", "Eligible from")) }
                    th scope="col" { (t("Sertifikat", "Certificate")) }
                } }
                tbody {
                    @for line in &lines { (result_row(line, lang)) }
                }
            }
        }
    };
    Ok(ctx.page(L10n::new("Hasil pemeriksaan", "Check results"), body))
}

fn result_row(line: &Line, lang: Lang) -> Markup {
    let t = |id: &str, en: &str| tr(lang, id, en);
    let reference = line.item.entry.reference.as_deref().unwrap_or("—");
    html! {
        tr {
            td data-label=(t("Referensi", "Reference")) { (reference) }
            td data-label="NIP" { span.nip { (line.item.entry.nip) } }
            @match (&line.decision, &line.item.error) {
                (Some((d, _)), _) => {
                    td data-label=(t("Nama dan instansi", "Name and agency")) {
                        (line.name.as_deref().unwrap_or("—"))
                        @if let Some(a) = &line.agency { br; small { (a) } }
                    }
                    td data-label=(t("Hasil", "Outcome")) { (badge(d.outcome, lang)) }
                    td data-label=(t("Alasan", "Reasons")) {
                        @if d.reasons.is_empty() { (t("Tidak ada", "None")) }
                        ul.reasons {
                            @for r in &d.reasons {
                                li {
                                    (r.message.get(lang))
                                    br;
                                    small {
                                        (r.legal_basis)
                                        @if let Some(n) = &r.decision_number { " · " (t("SK", "Decree")) " " (n) }
                                        @if let Some(u) = r.until { " · " (t("sampai", "until")) " " (day(u, lang)) }
                                    }
                                }
                            }
                        }
                    }
                    td data-label=(t("Memenuhi syarat sejak", "Eligible from")) {
                        @match (d.eligible, d.eligible_from) {
                            (true, _) => { (t("Sekarang", "Now")) }
                            (false, Some(from)) => { (day(from, lang)) }
                            (false, None) => { (t("Belum diketahui", "Not known")) }
                        }
                    }
                    td data-label=(t("Sertifikat", "Certificate")) {
                        a href={ "/console/decisions/" (d.decision_id) } {
                            (t("Sertifikat", "Certificate")) span.visually-hidden { " " (line.item.entry.nip) }
                        }
                    }
                }
                (None, error) => {
                    td colspan="5" data-label=(t("Galat", "Error")) {
                        span.badge.error { span aria-hidden="true" { "! " } (t("Tidak diperiksa", "Not checked")) }
                        " "
                        @if let Some(e) = error { (e.detail.get(lang)) " " small { code { (e.code) } } }
                    }
                }
            }
        }
    }
}

/// A spreadsheet cell that cannot be taken for a formula.
fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// `GET /console/checks/{id}/results.csv`: the results as CSV, one line per NIP.
pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Fail> {
    let (ctx, row, lines) = load_page(&req, &state, id.into_inner()).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "reference",
        "nip",
        "name",
        "agency",
        "outcome",
        "eligible_from",
        "reason_codes",
        "legal_basis",
        "decision_numbers",
        "decision_id",
        "error_code",
        "error",
    ];
    let write = |out: &mut csv::Writer<Vec<u8>>, cells: &[String]| {
        out.write_record(cells.iter().map(|c| cell(c)))
    };
    let bad = |e: csv::Error| Fail::api(ctx.lang, ApiError::internal(e.into()));
    write(&mut out, &header.map(String::from)).map_err(bad)?;
    for l in &lines {
        let d = l.decision.as_ref().map(|(d, _)| d);
        let joined = |f: &dyn Fn(&svc::ReasonRecord) -> Option<String>| {
            d.map(|d| {
                d.reasons
                    .iter()
                    .filter_map(f)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
        };
        let cells = [
            l.item.entry.reference.clone().unwrap_or_default(),
            l.item.entry.nip.clone(),
            l.name.clone().unwrap_or_default(),
            l.agency.clone().unwrap_or_default(),
            d.map(|d| d.outcome.as_str().to_string())
                .unwrap_or_default(),
            d.and_then(|d| d.eligible_from)
                .map(|f| f.to_string())
                .unwrap_or_default(),
            joined(&|r| Some(r.code.as_str().to_string())),
            joined(&|r| Some(r.legal_basis.clone())),
            joined(&|r| r.decision_number.clone()),
            d.map(|d| d.decision_id.clone()).unwrap_or_default(),
            l.item
                .error
                .as_ref()
                .map(|e| e.code.clone())
                .unwrap_or_default(),
            l.item
                .error
                .as_ref()
                .map(|e| e.detail.get(ctx.lang).to_string())
                .unwrap_or_default(),
        ];
        write(&mut out, &cells).map_err(bad)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| Fail::api(ctx.lang, ApiError::internal(anyhow::anyhow!("{e}"))))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"asn-eligibility-{}.csv\"", row.id),
        ))
        .body(body))
}

/// `GET /console/history`: this person's checks, newest first, each decision linked to its
/// certificate.
pub async fn history(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::EligibilityRead)?;
    let lang = ctx.lang;
    let sub = ctx.who.sub.clone();
    let checks = db::run(&state.pool, move |c| {
        Ok(db::console::checks_of(c, &sub, 100)?)
    })
    .await
    .or_page(lang)?;
    let t = |id: &str, en: &str| tr(lang, id, en);
    let body = html! {
        h1 { (t("Riwayat pemeriksaan", "Check history")) }
        @if checks.is_empty() {
            p { (t("Anda belum melakukan pemeriksaan.", "You have not made any checks yet.")) " "
                a href="/console/" { (t("Periksa sekarang", "Check now")) } }
        }
        ol.history {
            @for c in &checks {
                @let items: Vec<Item> = serde_json::from_str(&c.items).unwrap_or_default();
                li {
                    a href={ "/console/checks/" (c.id) } {
                        (page::instant(c.created_at.and_utc(), state.tz)) " · "
                        @if let Ok(p) = c.purpose.parse::<Purpose>() { (purpose_label(p, lang)) }
                        " · " (items.len()) " NIP"
                    }
                    details {
                        summary { (t("Sertifikat per NIP", "Certificates per NIP")) }
                        ul {
                            @for i in &items {
                                li {
                                    @if let Some(d) = &i.decision_id {
                                        a href={ "/console/decisions/" (d) } { (i.entry.nip) }
                                    } @else {
                                        (i.entry.nip) " — " (t("tidak diperiksa", "not checked"))
                                    }
                                    @if let Some(r) = &i.entry.reference { " (" (r) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.page(L10n::new("Riwayat", "History"), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_never_formulas() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("198503302010011002"), "198503302010011002");
    }
}
