//! NIP (Nomor Induk Pegawai) of a PNS and NI of a PPPK: 18 digits, parsed once at the edge.
//!
//! PNS:  birth `YYYYMMDD` + first appointment `YYYYMM` + gender `1|2` + sequence `NNN`.
//! PPPK: birth `YYYYMMDD` + appointment year `YYYY` + `2` + contract count `1-9` + gender + `NNN`.
//! Digit 13 tells them apart: `0`/`1` (a month's first digit) for PNS, `2` for PPPK
//! (domain.md §7). Decoded parts are never authoritative; the registry keys on the string.

use crate::i18n::L10n;
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Nip(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NipKind {
    #[serde(rename = "PNS")]
    Pns,
    #[serde(rename = "PPPK")]
    Pppk,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    #[error("NIP is empty")]
    Empty,
    #[error("NIP has {0} characters; a NIP has 18 digits")]
    Length(usize),
    #[error("NIP has 9 digits: an old NIP from before the 2009 conversion; send the 18-digit NIP it was converted to (Perka BKN 22/2007)")]
    OldNine,
    #[error("NIP character {position} is '{found}'; a NIP has digits only")]
    NotDigit { position: usize, found: char },
    #[error("NIP digits 1-8 ({0}) are not a valid birth date YYYYMMDD")]
    BirthDate(String),
    #[error("NIP digits 9-14 ({0}) are not a valid first appointment YYYYMM")]
    AppointmentMonth(String),
    #[error("NIP digits 9-12 ({0}) are not a valid PPPK appointment year")]
    AppointmentYear(String),
    #[error("NIP appointment {appointment} is before the birth year {birth}")]
    AppointmentBeforeBirth { appointment: i32, birth: i32 },
    #[error("NIP digit 14 ({0}) is not a PPPK contract count 1-9")]
    ContractCount(char),
    #[error("NIP digit 15 ({0}) is not a gender code 1 or 2")]
    Gender(char),
    #[error("NIP digits 16-18 (000) are not a sequence number; sequences start at 001")]
    Sequence,
}

impl NipError {
    pub fn message(&self) -> L10n {
        let en = self.to_string();
        let id = match self {
            NipError::Empty => "NIP kosong".to_string(),
            NipError::Length(n) => format!("NIP berisi {n} karakter; NIP terdiri dari 18 digit"),
            NipError::OldNine => "NIP berisi 9 digit: NIP lama sebelum konversi; kirim NIP 18 digit hasil konversinya (Perka BKN 22/2007)".to_string(),
            NipError::NotDigit { position, found } => {
                format!("Karakter ke-{position} NIP adalah '{found}'; NIP hanya berisi angka")
            }
            NipError::BirthDate(s) => {
                format!("Digit 1-8 NIP ({s}) bukan tanggal lahir YYYYMMDD yang sah")
            }
            NipError::AppointmentMonth(s) => {
                format!("Digit 9-14 NIP ({s}) bukan TMT pengangkatan pertama YYYYMM yang sah")
            }
            NipError::AppointmentYear(s) => {
                format!("Digit 9-12 NIP ({s}) bukan tahun pengangkatan PPPK yang sah")
            }
            NipError::AppointmentBeforeBirth { appointment, birth } => {
                format!("Pengangkatan NIP ({appointment}) sebelum tahun lahir ({birth})")
            }
            NipError::ContractCount(c) => {
                format!("Digit 14 NIP ({c}) bukan jumlah perjanjian kerja PPPK 1-9")
            }
            NipError::Gender(c) => format!("Digit 15 NIP ({c}) bukan kode jenis kelamin 1 atau 2"),
            NipError::Sequence => {
                "Digit 16-18 NIP (000) bukan nomor urut; nomor urut dimulai dari 001".to_string()
            }
        };
        L10n::new(id, en)
    }
}

const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2100;

impl Nip {
    /// Parses a NIP; only surrounding whitespace is removed.
    pub fn parse(input: &str) -> Result<Nip, NipError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(NipError::Empty);
        }
        if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(NipError::NotDigit {
                position: i + 1,
                found: c,
            });
        }
        if s.len() == 9 {
            return Err(NipError::OldNine);
        }
        if s.len() != 18 {
            return Err(NipError::Length(s.chars().count()));
        }
        let b = s.as_bytes();
        // Digits only from here: plain arithmetic, no format strings (imports parse millions).
        let num = |from: usize, to: usize| {
            b[from..to]
                .iter()
                .fold(0u32, |n, d| n * 10 + (d - b'0') as u32)
        };
        let birth_year = num(0, 4) as i32;
        NaiveDate::from_ymd_opt(birth_year, num(4, 6), num(6, 8))
            .filter(|_| (MIN_YEAR..=MAX_YEAR).contains(&birth_year))
            .ok_or_else(|| NipError::BirthDate(s[0..8].to_string()))?;
        let appointment_year = num(8, 12) as i32;
        let kind = if b[12] == b'2' {
            NipKind::Pppk
        } else {
            NipKind::Pns
        };
        match kind {
            NipKind::Pns => {
                let month = num(12, 14);
                if !(MIN_YEAR..=MAX_YEAR).contains(&appointment_year) || !(1..=12).contains(&month)
                {
                    return Err(NipError::AppointmentMonth(s[8..14].to_string()));
                }
            }
            NipKind::Pppk => {
                if !(MIN_YEAR..=MAX_YEAR).contains(&appointment_year) {
                    return Err(NipError::AppointmentYear(s[8..12].to_string()));
                }
                if !(b'1'..=b'9').contains(&b[13]) {
                    return Err(NipError::ContractCount(b[13] as char));
                }
            }
        }
        if appointment_year < birth_year {
            return Err(NipError::AppointmentBeforeBirth {
                appointment: appointment_year,
                birth: birth_year,
            });
        }
        if b[14] != b'1' && b[14] != b'2' {
            return Err(NipError::Gender(b[14] as char));
        }
        if &s[15..18] == "000" {
            return Err(NipError::Sequence);
        }
        Ok(Nip(s.to_string()))
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// PNS or PPPK as the NIP layout says (digit 13).
    pub fn kind(&self) -> NipKind {
        if self.0.as_bytes()[12] == b'2' {
            NipKind::Pppk
        } else {
            NipKind::Pns
        }
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_layouts_of_api_md() {
        assert_eq!(
            Nip::parse("198503302010011002").unwrap().kind(),
            NipKind::Pns
        );
        assert_eq!(
            Nip::parse(" 196608011988031001 \n").unwrap().as_str(),
            "196608011988031001"
        );
        assert_eq!(
            Nip::parse("200012312024211001").unwrap().kind(),
            NipKind::Pppk
        );
    }

    #[test]
    fn names_the_bad_part() {
        let cases = [
            ("", NipError::Empty),
            ("1985033020100110", NipError::Length(16)),
            // domain.md §7.1: Amir's pre-2009 NIP.
            ("150307928", NipError::OldNine),
            (
                "19850330201001100a",
                NipError::NotDigit {
                    position: 18,
                    found: 'a',
                },
            ),
            (
                "1985 0330 2010 01 1 002",
                NipError::NotDigit {
                    position: 5,
                    found: ' ',
                },
            ),
            ("198513302010011002", NipError::BirthDate("19851330".into())),
            (
                "198503302010131002",
                NipError::AppointmentMonth("201013".into()),
            ),
            (
                "198503301980011002",
                NipError::AppointmentBeforeBirth {
                    appointment: 1980,
                    birth: 1985,
                },
            ),
            ("200012312024201001", NipError::ContractCount('0')),
            ("198503302010013002", NipError::Gender('3')),
            ("198503302010011000", NipError::Sequence),
        ];
        for (input, expected) in cases {
            assert_eq!(Nip::parse(input), Err(expected), "input {input:?}");
        }
    }

    fn valid_pns() -> impl Strategy<Value = String> {
        (
            1940i32..2005,
            1u32..13,
            1u32..29,
            0i32..40,
            1u32..13,
            1u32..3,
            1u32..1000,
        )
            .prop_map(|(y, m, d, gap, am, g, seq)| {
                format!("{y:04}{m:02}{d:02}{:04}{am:02}{g}{seq:03}", y + gap)
            })
    }

    fn valid_pppk() -> impl Strategy<Value = String> {
        (
            1940i32..2005,
            1u32..13,
            1u32..29,
            0i32..40,
            1u32..10,
            1u32..3,
            1u32..1000,
        )
            .prop_map(|(y, m, d, gap, f, g, seq)| {
                format!("{y:04}{m:02}{d:02}{:04}2{f}{g}{seq:03}", y + gap)
            })
    }

    proptest! {
        #[test]
        fn every_valid_pns_parses_as_pns(s in valid_pns()) {
            let nip = Nip::parse(&s).unwrap();
            prop_assert_eq!(nip.kind(), NipKind::Pns);
            prop_assert_eq!(nip.as_str(), s.as_str());
        }

        #[test]
        fn every_valid_pppk_parses_as_pppk(s in valid_pppk()) {
            prop_assert_eq!(Nip::parse(&s).unwrap().kind(), NipKind::Pppk);
        }

        #[test]
        fn any_string_parses_or_errs_without_panic(s in "\\PC{0,30}") {
            let _ = Nip::parse(&s);
        }

        /// A valid NIP with one digit changed: it still parses, or the error names the
        /// part that holds the changed digit (digit 13 also decides PNS or PPPK, so a change
        /// there may surface anywhere in the appointment part).
        #[test]
        fn one_changed_digit_is_named_by_its_part(s in prop_oneof![valid_pns(), valid_pppk()], pos in 0usize..18, digit in 0u8..10) {
            let mut b = s.into_bytes();
            b[pos] = b'0' + digit;
            let changed = String::from_utf8(b).unwrap();
            let position = pos + 1;
            if let Err(e) = Nip::parse(&changed) {
                let part = match e {
                    NipError::BirthDate(_) => 1..=8,
                    NipError::AppointmentMonth(_) => 9..=14,
                    NipError::AppointmentYear(_) => 9..=12,
                    NipError::AppointmentBeforeBirth { .. } => 1..=12,
                    NipError::ContractCount(_) => 14..=14,
                    NipError::Gender(_) => 15..=15,
                    NipError::Sequence => 16..=18,
                    other => panic!("{changed}: an 18-digit string gave {other:?}"),
                };
                prop_assert!(
                    part.contains(&position) || (position == 13 && (9..=14).contains(part.start())),
                    "digit {} changed in {}: {:?}", position, changed, e
                );
            }
        }

        #[test]
        fn dropping_or_adding_a_digit_is_a_length_error(s in valid_pns(), extra in 0u32..10) {
            prop_assert_eq!(Nip::parse(&s[..17]), Err(NipError::Length(17)));
            prop_assert_eq!(Nip::parse(&format!("{s}{extra}")), Err(NipError::Length(19)));
        }
    }
}
