//! The check page (paste or upload up to 1000 NIPs), its results (as a page and as CSV) and
//! the history of this person's checks. A check is the API's batch check
//! (`service::eligibility::check_batch`): ordinary, audited decisions made with the signed-in
//! person's scopes, stored in the same transaction as the check that lists them.

mod input;
mod results;

pub use input::{from_csv, pasted, Entry, Item, ItemError};
pub use results::{csv, history, load, results, Line};

use super::page::{purpose_label, tr, Markup};
use super::session::Ctx;
use super::{Fail, OrPage};
use crate::auth::Scope;
use crate::db::{self, console::CheckRow};
use crate::domain::Purpose;
use crate::error::ApiError;
use crate::i18n::L10n;
use crate::routes::eligibility::MAX_BATCH;
use crate::service::eligibility as svc;
use crate::service::idempotency::{run_write, Reply};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::html;

/// What the check form was sent with.
#[derive(Default)]
struct Asked {
    nips: String,
    purpose: String,
    as_of: String,
    csrf: Option<String>,
    csv: String,
}

/// `GET /console/`: the check form.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::EligibilityRead)?;
    let asked = Asked {
        as_of: state.today().to_string(),
        purpose: Purpose::JptSelection.as_str().into(),
        ..Asked::default()
    };
    Ok(ctx.page(
        L10n::new("Periksa", "Check"),
        check_form(&ctx, &asked, None),
    ))
}

fn check_form(ctx: &Ctx, asked: &Asked, error: Option<&str>) -> Markup {
    let lang = ctx.lang;
    let t = |id: &str, en: &str| tr(lang, id, en);
    html! {
        h1 { (t("Periksa kelayakan ASN", "Check ASN eligibility")) }
        p { (t("Setiap NIP diperiksa sebagai keputusan yang tercatat dan ditandatangani, atas nama Anda.",
               "Each NIP is checked as a recorded, signed decision, made in your name.")) }
        @if let Some(error) = error {
            div.alert role="alert" id="form-error" { (error) }
        }
        form.check method="post" action="/console/checks" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            div.field {
                label for="nips" { (t("NIP (satu per baris, atau dipisah koma atau spasi; paling banyak 1000)",
                                      "NIPs (one per line, or separated by commas or spaces; at most 1000)")) }
                textarea id="nips" name="nips" rows="8" spellcheck="false" autocomplete="off"
                    aria-describedby=[error.map(|_| "form-error")] { (asked.nips) }
            }
            div.field {
                label for="csv" { (t("atau unggah CSV dengan kolom 'nip' (dan kolom referensi Anda)",
                                     "or upload a CSV with a 'nip' column (and a column of your reference)")) }
                input type="file" id="csv" name="csv" accept=".csv,text/csv";
            }
            div.row {
                div.field {
                    label for="purpose" { (t("Keperluan", "Purpose")) }
                    select id="purpose" name="purpose" {
                        @for p in Purpose::ALL {
                            option value=(p.as_str()) selected[asked.purpose == p.as_str()] { (purpose_label(*p, lang)) }
                        }
                    }
                }
                div.field {
                    label for="as_of" { (t("Per tanggal", "As of")) }
                    input type="date" id="as_of" name="as_of" value=(asked.as_of) required;
                }
            }
            button type="submit" { (t("Periksa", "Check")) }
        }
    }
}

/// `POST /console/checks`: checks the NIPs as one batch and shows the results (after a
/// redirect, so reloading the results does not check again).
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, Fail> {
    let ctx = Ctx::of(&req).await?;
    ctx.require(Scope::EligibilityRead)?;
    let mut fields = input::read_form(&req, payload).await.or_page(ctx.lang)?;
    let mut take = |k: &str| fields.remove(k).unwrap_or_default();
    let asked = Asked {
        nips: take("nips"),
        purpose: take("purpose"),
        as_of: take("as_of"),
        csrf: Some(take("csrf")),
        csv: take("csv"),
    };
    ctx.check_csrf(asked.csrf.as_deref())?;
    let refused = |why: L10n| {
        let body = check_form(&ctx, &asked, Some(why.get(ctx.lang)));
        Ok(ctx.respond(
            HttpResponse::BadRequest(),
            L10n::new("Periksa", "Check"),
            body,
        ))
    };
    let Ok(purpose) = asked.purpose.parse::<Purpose>() else {
        return refused(L10n::new("Pilih keperluan", "Choose a purpose"));
    };
    let Ok(as_of) = NaiveDate::parse_from_str(asked.as_of.trim(), "%Y-%m-%d") else {
        return refused(L10n::new(
            "Tanggal harus berbentuk TTTT-BB-HH",
            "The date must be YYYY-MM-DD",
        ));
    };
    let mut entries = pasted(&asked.nips);
    if !asked.csv.trim().is_empty() {
        match from_csv(&asked.csv) {
            Ok(more) => entries.extend(more),
            Err(why) => return refused(why),
        }
    }
    if entries.is_empty() || entries.len() > MAX_BATCH {
        return refused(L10n::new(
            format!("Berisi {} NIP; harus 1 sampai {MAX_BATCH}", entries.len()),
            format!("Holds {} NIPs; must be 1 to {MAX_BATCH}", entries.len()),
        ));
    }
    let id = check(&state, &ctx, purpose, as_of, entries)
        .await
        .or_page(ctx.lang)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/console/checks/{id}")))
        .finish())
}

/// The batch check and the check that lists it, in one write.
async fn check(
    state: &web::Data<AppState>,
    ctx: &Ctx,
    purpose: Purpose,
    as_of: NaiveDate,
    entries: Vec<Entry>,
) -> Result<String, ApiError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = state.clock.now();
    let (st, actor, watch, sub) = (
        state.clone(),
        ctx.who.audit_actor(),
        state.watch(),
        ctx.who.sub.clone(),
    );
    let check_id = id.clone();
    db::run(&state.pool, move |c| {
        run_write(c, None, &actor, now.naive_utc(), &watch, |c, j| {
            let raw: Vec<String> = entries.iter().map(|e| e.nip.clone()).collect();
            let asked = st.check(purpose, as_of, None, &actor, now);
            let items: Vec<Item> = svc::check_batch(c, &asked, &raw, j, |results| {
                results
                    .iter()
                    .zip(&entries)
                    .map(|(r, entry)| match r {
                        Ok(d) => Item {
                            entry: entry.clone(),
                            decision_id: Some(d.decision_id.clone()),
                            error: None,
                        },
                        Err(e) => Item {
                            entry: entry.clone(),
                            decision_id: None,
                            error: Some(ItemError {
                                code: e.code.as_str().to_string(),
                                detail: e.detail.clone().unwrap_or_else(|| e.code.title()).into(),
                            }),
                        },
                    })
                    .collect()
            })?;
            let row = CheckRow {
                id: check_id.clone(),
                sub: sub.clone(),
                purpose: purpose.as_str().to_string(),
                as_of,
                created_at: now.naive_utc(),
                items: serde_json::to_string(&items)?,
            };
            db::console::insert_check(c, &row)?;
            Ok(Reply {
                status: 303,
                location: None,
                body: serde_json::Value::Null.into(),
            })
        })
    })
    .await?;
    Ok(id)
}
