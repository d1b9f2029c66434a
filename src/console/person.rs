//! `/console/asn/{nip}`: a person's profile, sanctions, blocks and timeline, in words.

use super::page::{day, instant, tr};
use super::session::Ctx;
use super::{Fail, OrPage};
use crate::auth::Scope;
use crate::domain::SanctionStatus;
use crate::i18n::{L10n, Lang};
use crate::routes::registry::load_track_record;
use crate::service::eligibility::asn_not_found;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

fn status_label(s: SanctionStatus, lang: Lang) -> String {
    let (id, en) = match s {
        SanctionStatus::Scheduled => ("Belum berlaku", "Not yet in force"),
        SanctionStatus::Active => ("Sedang berlaku", "In force"),
        SanctionStatus::Expired => ("Selesai", "Ended"),
        SanctionStatus::Lifted => ("Dicabut", "Lifted"),
        SanctionStatus::UnderAppeal => ("Dalam upaya administratif", "Under appeal"),
        SanctionStatus::Superseded => ("Diganti setelah banding", "Replaced after appeal"),
        SanctionStatus::Annulled => ("Dibatalkan", "Annulled"),
    };
    tr(lang, id, en)
}

fn event_label(kind: &str, lang: Lang) -> String {
    let (id, en) = match kind {
        "asn.registered" => ("Tercatat di registri", "Entered in the registry"),
        "asn.profile_updated" => ("Data kepegawaian diperbarui", "Personnel data updated"),
        "asn.status_changed" => ("Status kepegawaian berubah", "Employment status changed"),
        "sanction.recorded" => ("Hukuman dicatat", "Sanction recorded"),
        "sanction.lifted" => ("Hukuman dicabut", "Sanction lifted"),
        "sanction.annulled" => ("Hukuman dibatalkan", "Sanction annulled"),
        "sanction.appealed" => ("Upaya administratif diajukan", "Appeal filed"),
        "sanction.appeal_decided" => ("Upaya administratif diputus", "Appeal decided"),
        "block.ordered" => ("Data diblokir BKN", "Data blocked by BKN"),
        "block.released" => ("Blokir BKN dibuka", "BKN block released"),
        "case.reported" => ("Kasus netralitas dilaporkan", "Neutrality case reported"),
        "case.recommended" => (
            "Rekomendasi hukuman ke PPK",
            "Sanction recommended to the PPK",
        ),
        "case.escalated" => ("PPK ditegur (eskalasi)", "PPK reprimanded (escalated)"),
        "case.block_requested" => ("Pemblokiran diminta", "Block requested"),
        "case.overdue" => (
            "Tenggat tindak lanjut terlewati",
            "Follow-up deadline missed",
        ),
        "case.sanctioned" => (
            "Kasus ditindaklanjuti dengan hukuman",
            "Case followed up with a sanction",
        ),
        "case.closed" => ("Kasus selesai", "Case closed"),
        "case.block_release_due" => ("Blokir perlu dibuka BKN", "Block due for release by BKN"),
        "case.noted" => ("Langkah kasus dicatat", "Case step noted"),
        other => (other, other),
    };
    tr(lang, id, en)
}

/// `GET /console/asn/{nip}` (`registry:read`).
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    nip: web::Path<String>,
) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::RegistryRead)?;
    let lang = ctx.lang;
    let nip = crate::service::parse_nip(&nip).or_page(lang)?;
    let record = load_track_record(&state, nip.as_str(), state.today(), None)
        .await
        .or_page(lang)?
        .ok_or_else(|| Fail::api(lang, asn_not_found(nip.as_str())))?;
    let cases = match ctx.who.require(Scope::CasesRead) {
        Err(_) => None,
        Ok(()) => {
            let (key, today) = (nip.as_str().to_string(), state.today());
            let found = crate::db::run(&state.pool, move |c| {
                let filter = crate::db::cases::ListFilter {
                    nip: Some(key),
                    limit: 100,
                    ..Default::default()
                };
                let rows = crate::db::cases::list(c, &filter)?;
                crate::service::cases::views(c, rows, today)
            })
            .await
            .or_page(lang)?;
            Some(found)
        }
    };
    let t = |id: &str, en: &str| tr(lang, id, en);
    let p = &record.profile;
    let dash = "—";
    let body = html! {
        h1 { (p.name.as_deref().unwrap_or(p.nip.as_str())) }
        dl.facts {
            dt { "NIP" } dd.nip { (p.nip) }
            dt { (t("Instansi", "Agency")) } dd { (p.agency_name.as_deref().or(p.agency_code.as_deref()).unwrap_or(dash)) }
            dt { (t("Unit kerja", "Unit")) } dd { (p.unit.as_deref().unwrap_or(dash)) }
            dt { (t("Pangkat", "Rank")) } dd { (p.rank.as_deref().unwrap_or(dash)) }
            dt { (t("Jabatan", "Position")) } dd { (p.position.as_deref().unwrap_or(dash)) }
            dt { (t("Jenis", "Type")) } dd { (p.employment_type.map(|e| e.as_str()).unwrap_or(dash)) }
            dt { (t("Status", "Status")) } dd { (p.status.as_str()) }
        }
        h2 { (t("Hukuman disiplin", "Sanctions")) }
        @if record.sanctions.is_empty() { p { (t("Tidak ada hukuman tercatat.", "No sanction recorded.")) } }
        ul.cards {
            @for s in &record.sanctions {
                li class={ "card status-" (s.status.as_str()) } {
                    strong { (s.type_code) } " — " (status_label(s.status, lang))
                    br;
                    (t("SK", "Decree")) " " (s.decision.number) " (" (day(s.decision.date, lang)) "), " (s.decision.issuer)
                    br;
                    (t("Berlaku", "In force")) " " (day(s.effective_from, lang)) " – "
                    @match s.effective_until { Some(u) => { (day(u, lang)) } None => { (t("tanpa batas", "open-ended")) } }
                    @if let Some(v) = &s.violation {
                        @if let Some(d) = &v.description { br; (t("Pelanggaran", "Violation")) ": " (d) }
                    }
                    @if let Some(by) = &s.superseded_by { br; (t("Diganti oleh", "Replaced by")) " " code { (by) } }
                }
            }
        }
        h2 { (t("Blokir BKN", "BKN blocks")) }
        @if record.blocks.is_empty() { p { (t("Tidak ada blokir.", "No block.")) } }
        ul.cards {
            @for b in &record.blocks {
                li.card {
                    strong { @if b.active { (t("Aktif", "Active")) } @else { (t("Sudah dibuka", "Released")) } }
                    " — " (b.reason.as_deref().unwrap_or(dash))
                    br; (t("Sejak", "Since")) " " (instant(b.ordered_at, state.tz))
                    @if let Some(r) = &b.reference { " · " (r) }
                }
            }
        }
        @if let Some(cases) = &cases { (super::cases::of_person(cases, lang)) }
        h2 { (t("Riwayat", "Timeline")) }
        ol.timeline {
            @for e in &record.events {
                li { time datetime=(e.at.to_rfc3339()) { (instant(e.at, state.tz)) } " — " (event_label(&e.type_, lang)) " · " small { (e.actor) } }
            }
        }
    };
    let title = L10n::same(p.name.clone().unwrap_or_else(|| p.nip.clone()));
    Ok(ctx.page(title, body))
}
