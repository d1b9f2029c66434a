//! Bilingual texts. Codes never change; `title`, `detail` and reason messages follow
//! `Accept-Language`: Indonesian (`id`, the default) or English (`en`).

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};
use std::future::{ready, Ready};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    /// Picks the first of `id` / `en` named in an `Accept-Language` value (quality
    /// values are honoured); anything else falls back to Indonesian.
    pub fn from_accept_language(value: Option<&str>) -> Lang {
        let Some(value) = value else { return Lang::Id };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("en") => Lang::En,
                Some("id") | Some("in") => Lang::Id,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    pub fn of_request(req: &HttpRequest) -> Lang {
        Lang::from_accept_language(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of_request(req)))
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L10n {
    pub id: String,
    pub en: String,
}

impl L10n {
    pub fn new(id: impl Into<String>, en: impl Into<String>) -> Self {
        L10n {
            id: id.into(),
            en: en.into(),
        }
    }
    /// The same text in both languages (e.g. a parser's own message).
    pub fn same(text: impl Into<String>) -> Self {
        let t = text.into();
        L10n {
            id: t.clone(),
            en: t,
        }
    }
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Id => &self.id,
            Lang::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn accept_language_picks_highest_quality_known_language() {
        assert_eq!(Lang::from_accept_language(None), Lang::Id);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("fr, en;q=0.5, id;q=0.8")),
            Lang::Id
        );
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::Id);
    }
}
