//! Neutrality cases for people: the dashboard (state counts, the overdue list per PPK /
//! agency, the follow-up rate by agency as a server-rendered SVG chart) and a case's page
//! with its timeline. `cases:read`.

use super::page::{day, tr, Markup};
use super::session::Ctx;
use super::{Fail, OrPage};
use crate::auth::Scope;
use crate::db::{self, cases::GroupBy};
use crate::domain::case::{CaseState, Step};
use crate::i18n::{L10n, Lang};
use crate::routes::cases::{stats_rows, StatsGroup};
use crate::service::cases as svc;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::html;

pub fn state_label(s: CaseState, lang: Lang) -> String {
    let (id, en) = match s {
        CaseState::Reported => ("Dilaporkan", "Reported"),
        CaseState::UnderReview => ("Diverifikasi", "Under review"),
        CaseState::Rejected => ("Ditolak", "Rejected"),
        CaseState::NotProven => ("Tidak terbukti", "Not proven"),
        CaseState::Recommended => ("Direkomendasikan ke PPK", "Recommended to the PPK"),
        CaseState::Escalated => ("Ditegur (eskalasi)", "Escalated"),
        CaseState::Blocked => ("Diblokir BKN", "Blocked by BKN"),
        CaseState::Sanctioned => ("Dijatuhi hukuman", "Sanctioned"),
        CaseState::Withdrawn => ("Dicabut", "Withdrawn"),
    };
    tr(lang, id, en)
}

/// The follow-up rate by agency as horizontal bars: a picture with its own title, the
/// numbers beside it in a table for those who do not see it.
fn rate_chart(groups: &[StatsGroup], lang: Lang) -> Markup {
    let t = |id: &str, en: &str| tr(lang, id, en);
    let rated: Vec<&StatsGroup> = groups
        .iter()
        .filter(|g| g.followed_up_rate.is_some())
        .collect();
    let (bar_h, label_w, width) = (28, 90, 420);
    let height = rated.len() as i32 * bar_h + 10;
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="rate-title"
                viewBox={ "0 0 " (label_w + width + 60) " " (height) } width="100%" {
                title id="rate-title" { (t("Tingkat tindak lanjut rekomendasi per instansi", "Follow-up rate of recommendations by agency")) }
                @for (i, g) in rated.iter().enumerate() {
                    @let y = i as i32 * bar_h + 5;
                    @let rate = g.followed_up_rate.unwrap_or(0.0);
                    text x="0" y=(y + 18) font-size="14" fill="#1b1f24" { (g.group) }
                    rect x=(label_w) y=(y + 4) width=((rate * width as f64).round()) height=(bar_h - 10) fill="#0b4f8a" {}
                    text x=(label_w + (rate * width as f64).round() as i32 + 6) y=(y + 18) font-size="14" fill="#1b1f24" {
                        (format!("{:.0} %", rate * 100.0))
                    }
                }
            }
            figcaption { (t("Dihitung: dijatuhi hukuman ÷ direkomendasikan.", "Computed as sanctioned ÷ recommended.")) }
        }
    }
}

/// `GET /console/cases`: the dashboard.
pub async fn dashboard(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::CasesRead)?;
    let lang = ctx.lang;
    let today = state.today();
    let (counts, overdue) = db::run(&state.pool, move |c| {
        Ok((
            db::cases::state_counts(c)?,
            db::cases::overdue(c, today, 200)?,
        ))
    })
    .await
    .or_page(lang)?;
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let groups = stats_rows(&state, (from, today, today), GroupBy::Agency)
        .await
        .or_page(lang)?;
    let t = |id: &str, en: &str| tr(lang, id, en);
    let body = html! {
        h1 { (t("Kasus netralitas", "Neutrality cases")) }
        h2 { (t("Jumlah per status", "Cases per state")) }
        @if counts.is_empty() { p { (t("Belum ada kasus.", "No cases yet.")) } }
        ul.counts {
            @for (s, n) in &counts {
                li { strong { (n) } " " (state_label(*s, lang)) }
            }
        }
        h2 { (t("Melewati tenggat", "Overdue")) }
        @if overdue.is_empty() { p { (t("Tidak ada kasus yang melewati tenggat.", "No case is overdue.")) } }
        @else {
            div.table-wrap role="region" aria-label=(t("Kasus yang melewati tenggat", "Overdue cases")) tabindex="0" {
                table.results {
                    thead { tr {
                        th scope="col" { (t("Instansi (PPK)", "Agency (PPK)")) }
                        th scope="col" { "NIP" }
                        th scope="col" { (t("Status", "State")) }
                        th scope="col" { (t("Tenggat", "Deadline")) }
                        th scope="col" { (t("Hari terlambat", "Days overdue")) }
                        th scope="col" { (t("Kasus", "Case")) }
                    } }
                    tbody {
                        @for c in &overdue {
                            tr {
                                td data-label=(t("Instansi (PPK)", "Agency (PPK)")) { (c.agency_code.as_deref().unwrap_or("—")) }
                                td data-label="NIP" { span.nip { (c.nip) } }
                                td data-label=(t("Status", "State")) { (state_label(c.state, lang)) }
                                td data-label=(t("Tenggat", "Deadline")) { @if let Some(d) = c.deadline { (day(d, lang)) } }
                                td data-label=(t("Hari terlambat", "Days overdue")) { (c.deadline.map(|d| (today - d).num_days()).unwrap_or(0)) }
                                td data-label=(t("Kasus", "Case")) { a href={ "/console/cases/" (c.id) } { (c.source_reference) } }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t("Tingkat tindak lanjut per instansi", "Follow-up rate by agency")) }
        (rate_chart(&groups, lang))
        div.table-wrap role="region" aria-label=(t("Angka tindak lanjut per instansi", "Follow-up figures by agency")) tabindex="0" {
            table.results {
                thead { tr {
                    th scope="col" { (t("Instansi", "Agency")) }
                    th scope="col" { (t("Dilaporkan", "Reported")) }
                    th scope="col" { (t("Direkomendasikan", "Recommended")) }
                    th scope="col" { (t("Dijatuhi hukuman", "Sanctioned")) }
                    th scope="col" { (t("Tepat waktu", "Within deadline")) }
                    th scope="col" { (t("Median hari", "Median days")) }
                    th scope="col" { (t("Terlambat kini", "Overdue now")) }
                } }
                tbody {
                    @for g in &groups {
                        tr {
                            td { (g.group) } td { (g.reported) } td { (g.recommended) } td { (g.sanctioned) }
                            td { (g.followed_up_within_deadline) }
                            td { @if let Some(m) = g.median_days_to_follow_up { (format!("{m:.1}")) } @else { "—" } }
                            td { (g.overdue_now) }
                        }
                    }
                }
            }
        }
    };
    Ok(ctx.page(L10n::new("Kasus netralitas", "Neutrality cases"), body))
}

/// `GET /console/cases/{id}`: a case and its timeline.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::CasesRead)?;
    let lang = ctx.lang;
    let (id, today) = (id.into_inner(), state.today());
    let view = db::run(&state.pool, move |c| {
        let Some(row) = db::cases::find(c, &id)? else {
            return Ok(None);
        };
        Ok(svc::views(c, vec![row], today)?.pop())
    })
    .await
    .or_page(lang)?
    .ok_or(Fail::not_found(lang))?;
    let r = &view.row;
    let t = |id: &str, en: &str| tr(lang, id, en);
    let body = html! {
        h1 { (t("Kasus", "Case")) " " (r.source_reference) }
        dl.facts {
            dt { "NIP" } dd { a.nip href={ "/console/asn/" (r.nip) } { (r.nip) } }
            dt { (t("Instansi", "Agency")) } dd { (r.agency_code.as_deref().unwrap_or("—")) }
            dt { (t("Status", "State")) } dd { (state_label(r.state, lang)) " " (t("sejak", "since")) " " (day(r.state_since, lang)) }
            dt { (t("Tenggat", "Deadline")) } dd {
                @match r.deadline { Some(d) => { (day(d, lang)) @if view.overdue { " — " strong { (t("terlambat", "overdue")) } } } None => { "—" } }
            }
            dt { (t("Perilaku", "Conduct")) } dd { code { (r.conduct) } " (" (r.stage.as_str()) ")" }
            dt { (t("Dilaporkan", "Reported")) } dd { (day(r.reported_on, lang)) " · " (r.source.as_str()) }
            @if let Some(category) = r.recommendation { dt { (t("Rekomendasi", "Recommendation")) } dd { (category.as_str()) " · " (r.recommendation_issuer.as_deref().unwrap_or("—")) } }
            @if let Some(s) = &r.sanction_id { dt { (t("Hukuman", "Sanction")) } dd { code { (s) } } }
            @if !view.block_ids.is_empty() { dt { (t("Blokir BKN", "BKN blocks")) } dd { (view.block_ids.join(", ")) } }
        }
        @if ctx.who.require(Scope::CasesWrite).is_ok() && !r.state.is_final() {
            (step_form(&ctx, r.id.as_str(), r.state, today))
        }
        h2 { (t("Riwayat kasus", "Case timeline")) }
        ol.timeline {
            @for s in &view.steps {
                li { time datetime=(s.on_day.to_string()) { (day(s.on_day, lang)) } " — " (s.step) " → " (state_label(s.to_state, lang)) " · " small { (s.actor) } }
            }
        }
    };
    Ok(ctx.page(L10n::new("Kasus", "Case"), body))
}

/// The form for the next step: only the steps the state allows.
fn step_form(ctx: &Ctx, id: &str, state: CaseState, today: NaiveDate) -> Markup {
    let lang = ctx.lang;
    let t = |id: &str, en: &str| tr(lang, id, en);
    let steps: Vec<&Step> = Step::ALL
        .iter()
        .filter(|s| s.from_state(state).is_some())
        .collect();
    html! {
        h2 { (t("Catat langkah berikutnya", "Record the next step")) }
        form.check method="post" action={ "/console/cases/" (id) "/steps" } {
            input type="hidden" name="csrf" value=(ctx.csrf);
            div.row {
                div.field {
                    label for="step" { (t("Langkah", "Step")) }
                    select id="step" name="step" { @for s in &steps { option value=(s.as_str()) { (s.as_str()) } } }
                }
                div.field {
                    label for="on" { (t("Tanggal", "Date")) }
                    input type="date" id="on" name="on" value=(today.to_string()) required;
                }
            }
            div.field {
                label for="reason" { (t("Alasan atau catatan", "Reason or note")) }
                input type="text" id="reason" name="reason" maxlength="2000";
            }
            div.field {
                label for="sanction_id" { (t("Nomor hukuman (untuk sanction_imposed)", "Sanction id (for sanction_imposed)")) }
                input type="text" id="sanction_id" name="sanction_id" maxlength="100";
            }
            button type="submit" { (t("Catat", "Record")) }
        }
    }
}

/// `POST /console/cases/{id}/steps` (`cases:write`): the API's step, with the person's rights.
pub async fn take_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::CasesWrite)?;
    let lang = ctx.lang;
    let mut form = super::page::read_urlencoded(payload, 64 * 1024)
        .await
        .or_page(lang)?;
    ctx.check_csrf(form.get("csrf").map(String::as_str))?;
    let mut take = |k: &str| form.remove(k).filter(|v| !v.trim().is_empty());
    let bad = |why: L10n| Fail::bad_request(lang, why);
    let step = take("step")
        .and_then(|s| s.parse::<Step>().ok())
        .ok_or_else(|| bad(L10n::new("Pilih langkah", "Choose a step")))?;
    let on = take("on")
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .filter(|d| *d <= state.today())
        .ok_or_else(|| {
            bad(L10n::new(
                "Tanggal tidak valid atau di masa depan",
                "The date is invalid or in the future",
            ))
        })?;
    let reason = take("reason");
    let input = svc::StepInput {
        step,
        on,
        reference: None,
        note: reason.clone(),
        reason,
        category: None,
        issuer: None,
        sanction_id: take("sanction_id"),
    };
    let id = id.into_inner();
    let (case_id, policy) = (id.clone(), state.policy.clone());
    crate::routes::write(&state, &ctx.who, None, move |c, who, j| {
        svc::take_step(c, &policy, who, &case_id, &input, j)?;
        Ok(crate::service::idempotency::Reply {
            status: 303,
            location: None,
            body: serde_json::Value::Null.into(),
        })
    })
    .await
    .or_page(lang)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/console/cases/{id}"),
        ))
        .finish())
}

/// The person page's cases: each with its state and a link.
pub fn of_person(cases: &[svc::CaseView], lang: Lang) -> Markup {
    let t = |id: &str, en: &str| tr(lang, id, en);
    html! {
        h2 { (t("Kasus netralitas", "Neutrality cases")) }
        @if cases.is_empty() { p { (t("Tidak ada kasus.", "No case.")) } }
        ul.cards {
            @for c in cases {
                li.card {
                    a href={ "/console/cases/" (c.row.id) } { (c.row.source_reference) } " — " (state_label(c.row.state, lang))
                    @if c.overdue { " · " strong { (t("terlambat", "overdue")) } }
                }
            }
        }
    }
}
