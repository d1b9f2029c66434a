//! What a stored text may hold, and how a date is written, whatever its source (a request,
//! a BKN event or snapshot line).

use chrono::NaiveDate;

/// Whether `c` has no business in a record: C0 controls but tab, newline and carriage
/// return, DEL, and C1 controls. PostgreSQL refuses NUL in text outright.
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// The longest a text may be, by its field's name: free text 10 000 characters, anything
/// else 2 000 (the document states the same for every string of a request).
pub fn max_text(field: &str) -> usize {
    match field.rsplit('.').next().unwrap_or(field) {
        "description" | "note" | "reason" => 10_000,
        _ => 2_000,
    }
}

/// `serde(deserialize_with)` for dates written exactly `YYYY-MM-DD`.
pub mod iso {
    use chrono::NaiveDate;
    use serde::{de::Error, Deserialize, Deserializer};

    pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let raw = String::deserialize(d)?;
        super::iso_date(&raw)
            .ok_or_else(|| D::Error::custom(format!("'{raw}' is not a date written YYYY-MM-DD")))
    }

    pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(raw) => super::iso_date(&raw).map(Some).ok_or_else(|| {
                D::Error::custom(format!("'{raw}' is not a date written YYYY-MM-DD"))
            }),
        }
    }
}

/// A calendar date exactly as `YYYY-MM-DD` (chrono alone also takes `2024-1-1`).
pub fn iso_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}
