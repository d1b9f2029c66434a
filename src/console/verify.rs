//! `GET /verify` (no sign-in): checks a receipt in the browser. The page is the same for
//! every receipt; the receipt stays in the URL fragment, which no server sees.

use super::page::{self, outcome_label, purpose_label, tr};
use crate::domain::eligibility::Outcome;
use crate::domain::Purpose;
use crate::i18n::{L10n, Lang};
use actix_web::{HttpRequest, HttpResponse};
use maud::{html, PreEscaped};
use serde_json::json;

/// What the script says, in the page's language.
fn texts(lang: Lang) -> serde_json::Value {
    let t = |id: &str, en: &str| tr(lang, id, en);
    let purposes: serde_json::Map<String, serde_json::Value> = Purpose::ALL
        .iter()
        .map(|p| (p.as_str().to_string(), json!(purpose_label(*p, lang))))
        .collect();
    let outcomes: serde_json::Map<String, serde_json::Value> = [
        Outcome::Eligible,
        Outcome::Ineligible,
        Outcome::Undetermined,
    ]
    .iter()
    .map(|o| (o.as_str().to_string(), json!(outcome_label(*o, lang))))
    .collect();
    json!({
        "waiting": t("Tempel tanda terima atau pindai kode QR sertifikat.", "Paste a receipt or scan a certificate's QR code."),
        "checking": t("Memeriksa tanda tangan…", "Checking the signature…"),
        "genuine": t("Asli: tanda tangan sah, dibuat oleh layanan ini.", "Genuine: the signature is valid and was made by this service."),
        "refused": t("Tidak sah:", "Not genuine:"),
        "reasons": {
            "malformed": t("ini bukan tanda terima yang utuh (JWS ringkas).", "this is not a whole receipt (compact JWS)."),
            "unknown_key": t("ditandatangani dengan kunci yang tidak dikenal layanan ini.", "signed with a key this service does not know."),
            "algorithm": t("algoritma tanda tangan tidak diterima.", "the signature algorithm is not accepted."),
            "signature": t("tanda tangan tidak cocok; isinya telah diubah.", "the signature does not match; the content was altered."),
            "jwks": t("kunci layanan tidak dapat dimuat.", "the service's keys could not be loaded."),
            "no_webcrypto": t("peramban ini tidak dapat memeriksa tanda tangan (perlu https).", "this browser cannot check signatures (https needed)."),
        },
        "labels": {
            "nip": "NIP", "purpose": t("Keperluan", "Purpose"), "as_of": t("Per tanggal", "As of"),
            "outcome": t("Hasil", "Outcome"), "reason_codes": t("Kode alasan", "Reason codes"),
            "eligible_from": t("Memenuhi syarat sejak", "Eligible from"),
            "policy_version": t("Versi kebijakan", "Policy version"),
            "decision_id": t("Nomor keputusan", "Decision id"), "issued": t("Diterbitkan", "Issued"),
            "issuer": t("Penerbit", "Issuer"),
        },
        "purposes": purposes,
        "outcomes": outcomes,
    })
}

pub async fn page(req: HttpRequest) -> HttpResponse {
    page::public(&req, L10n::new("Verifikasi", "Verify"), body)
}

fn body(lang: Lang) -> maud::Markup {
    let t = |id: &str, en: &str| tr(lang, id, en);
    // `</` cannot end the script element early: the JSON's slashes are escaped.
    let data = texts(lang).to_string().replace("</", "<\\/");
    html! {
        h1 { (t("Verifikasi keputusan kelayakan", "Verify an eligibility decision")) }
        p { (t("Halaman ini memeriksa tanda tangan digital sebuah sertifikat di peramban Anda, tanpa akun. Tanda terima tidak dikirim ke server.",
               "This page checks a certificate's digital signature in your browser, with no account. The receipt is not sent to any server.")) }
        div id="verdict" class="verdict" role="status" aria-live="polite" { (t("Memuat…", "Loading…")) }
        noscript { p.alert { (t("Pemeriksaan memerlukan JavaScript.", "Checking needs JavaScript.")) } }
        section id="result" hidden aria-labelledby="result-title" {
            h2 id="result-title" { (t("Isi keputusan", "What was decided")) }
            dl id="claims" class="facts" {}
        }
        form id="paste" {
            div.field {
                label for="receipt" { (t("Atau tempel tanda terima (atau tautan verifikasi)", "Or paste a receipt (or a verification link)")) }
                textarea id="receipt" name="receipt" rows="4" spellcheck="false" autocomplete="off" {}
            }
            button type="submit" { (t("Periksa", "Verify")) }
        }
        script id="verify-texts" type="application/json" { (PreEscaped(data)) }
        script src="/console/assets/verify.js" defer {}
    }
}
