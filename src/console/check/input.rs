//! What a check is asked with: NIPs pasted or uploaded as CSV (with the committee's own
//! references), read from the multipart form.

use crate::error::{ApiError, ErrorCode};
use crate::i18n::L10n;
use crate::service::eligibility::Localized;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The largest form a check may post (1000 NIPs with references, as text or CSV).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// One NIP as the committee gave it, with its own reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub reference: Option<String>,
    pub nip: String,
}

/// A line of a check as stored: the entry, and the decision made or the error it got.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    #[serde(flatten)]
    pub entry: Entry,
    pub decision_id: Option<String>,
    pub error: Option<ItemError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemError {
    pub code: String,
    pub detail: Localized,
}

/// NIPs pasted one per line, or separated by commas, semicolons or spaces.
pub fn pasted(text: &str) -> Vec<Entry> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|nip| Entry {
            reference: None,
            nip: nip.to_string(),
        })
        .collect()
}

/// A CSV with a `nip` column and optionally the committee's reference: a column named
/// `reference`, `ref`, `referensi`, `no_peserta` or `nomor_peserta`, or else the other
/// column of a two-column file. Commas or semicolons (as spreadsheets here save them).
pub fn from_csv(text: &str) -> Result<Vec<Entry>, L10n> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| {
            L10n::new(
                "baris judul CSV tidak terbaca",
                "the CSV header cannot be read",
            )
        })?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let nip_col = headers.iter().position(|h| h == "nip").ok_or_else(|| {
        L10n::new(
            "CSV tidak memiliki kolom 'nip'",
            "the CSV has no 'nip' column",
        )
    })?;
    const NAMES: [&str; 5] = [
        "reference",
        "ref",
        "referensi",
        "no_peserta",
        "nomor_peserta",
    ];
    let ref_col = headers
        .iter()
        .position(|h| NAMES.contains(&h.as_str()))
        .or_else(|| (headers.len() == 2).then_some(1 - nip_col));
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|_| {
            L10n::new(
                format!("baris {} CSV tidak terbaca", i + 2),
                format!("line {} of the CSV cannot be read", i + 2),
            )
        })?;
        let nip = record.get(nip_col).unwrap_or("").to_string();
        let reference = ref_col
            .and_then(|c| record.get(c))
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if nip.is_empty() && reference.is_none() {
            continue;
        }
        out.push(Entry { reference, nip });
    }
    Ok(out)
}

/// Reads a multipart (or URL-encoded) form's fields, at most [`MAX_FORM_BYTES`] in all.
pub async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HashMap<String, String>, ApiError> {
    let too_large = || {
        ApiError::with_detail(
            ErrorCode::PayloadTooLarge,
            "Formulir terlalu besar (paling banyak 1 MiB)",
            "The form is too large (at most 1 MiB)",
        )
    };
    let unreadable = || {
        ApiError::with_detail(
            ErrorCode::ValidationFailed,
            "Formulir tidak terbaca",
            "The form cannot be read",
        )
    };
    let mut fields = HashMap::new();
    let mut total = 0usize;
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            total += chunk.len();
            if total > MAX_FORM_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            ApiError::with_detail(
                ErrorCode::ValidationFailed,
                "Berkas harus teks UTF-8 (CSV)",
                "The file must be UTF-8 text (CSV)",
            )
        })?;
        fields.insert(name, text);
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_nips_split_on_lines_commas_and_spaces() {
        let got = pasted("198503302010011002, 199001012015032001\n 123;x\t");
        let nips: Vec<&str> = got.iter().map(|e| e.nip.as_str()).collect();
        assert_eq!(
            nips,
            ["198503302010011002", "199001012015032001", "123", "x"]
        );
    }

    #[test]
    fn csv_reads_the_nip_and_the_reference_columns() {
        let got =
            from_csv("\u{feff}No_Peserta;NIP;nama\nA-1;198503302010011002;Siti\n;;\nA-2;12;x\n")
                .unwrap();
        assert_eq!(
            got,
            vec![
                Entry {
                    reference: Some("A-1".into()),
                    nip: "198503302010011002".into()
                },
                Entry {
                    reference: Some("A-2".into()),
                    nip: "12".into()
                },
            ]
        );
        let two = from_csv("kode,nip\nK1,198503302010011002\n").unwrap();
        assert_eq!(two[0].reference.as_deref(), Some("K1"));
        assert!(from_csv("name,id\nx,1\n").is_err(), "no nip column");
    }
}
