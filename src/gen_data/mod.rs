//! `asn-eligibility gen-data`: a deterministic, seeded synthetic national register for
//! benchmarks. ASN (PNS and PPPK, ~600 agencies of very different sizes, ranks, statuses),
//! sanctions spread over the catalogue (mostly light and moderate, some severe, legacy
//! PP 53 before September 2021, a few ethics), and BKN blocks on persons and agencies.
//!
//! Rows go straight into the tables, chunk by chunk (COPY on PostgreSQL, multi-row inserts
//! on SQLite). It stands for records that existed before the service, so it writes no
//! timeline and no audit trail. Row `i` depends only on `(seed, i)`.

use crate::db::asn::{self, AsnRow};
use crate::db::blocks::{self, BlockRow};
use crate::db::sanctions::{self, SanctionRow};
use crate::db::stored::Json;
use crate::db::{write_tx, AnyConnection};
use crate::domain::period::add_months;
use crate::domain::policy::{DefaultDuration, Policy, SanctionTypeDef};
use crate::domain::{AsnStatus, EmploymentType, Level, SanctionState};
use anyhow::{bail, Context};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

pub const AGENCIES: u64 = 600;
/// Birth dates are a bijection of `i / 999` over 14 600 days: NIPs stay unique up to here.
pub const MAX_ASN: u64 = 14_000_000;
pub mod cases;

const CHUNK: u64 = 20_000;

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub asn: u64,
    pub sanctions: u64,
    pub blocks: u64,
    pub seed: u64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub asn: u64,
    pub sanctions: u64,
    pub blocks: u64,
}

/// splitmix64: small, fast, and the same on every platform and crate version.
struct Rng(u64);

impl Rng {
    fn for_row(seed: u64, stream: u64, i: u64) -> Rng {
        let mut r = Rng(seed
            ^ stream.wrapping_mul(0xA24B_AED4_963E_E407)
            ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.below(total as u64) as u32;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The agency of a person: sizes fall steeply, like ministries against small regencies.
fn agency_of(rng: &mut Rng) -> u64 {
    let x = rng.unit();
    ((x * x * x) * AGENCIES as f64) as u64
}

pub fn agency_code(a: u64) -> String {
    format!("{:04}", 1000 + a)
}

const PNS_RANKS: [(&str, u32); 10] = [
    ("II/a", 6),
    ("II/b", 5),
    ("II/c", 6),
    ("III/a", 14),
    ("III/b", 16),
    ("III/c", 15),
    ("III/d", 15),
    ("IV/a", 12),
    ("IV/b", 7),
    ("IV/c", 4),
];
const PPPK_GRADES: [(&str, u32); 4] = [("V", 20), ("VII", 30), ("IX", 40), ("XI", 10)];
const POSITIONS: [(&str, u32); 6] = [
    ("Guru", 35),
    ("Tenaga Kesehatan", 15),
    ("Analis Kebijakan", 15),
    ("Pengelola Keuangan", 12),
    ("Penyuluh", 13),
    ("Kepala Seksi", 10),
];
const STATUSES: [(AsnStatus, u32); 5] = [
    (AsnStatus::Active, 9_600),
    (AsnStatus::Retired, 250),
    (AsnStatus::Suspended, 60),
    (AsnStatus::Dismissed, 50),
    (AsnStatus::Deceased, 40),
];

/// Person `i`: their NIP and profile.
pub fn profile(seed: u64, i: u64, now: NaiveDateTime) -> AsnRow {
    let mut r = Rng::for_row(seed, 1, i);
    let birth = day(1965, 1, 1) + Duration::days(((i / 999) * 7919 % 14_600) as i64);
    let birth_year = birth
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(1965);
    let pppk = r.chance(0.15);
    let gender = 1 + r.below(2);
    let seq = i % 999 + 1;
    let (middle, employment_type, rank) = if pppk {
        let year = (birth_year + 18).max(2019 + r.below(6) as i32).min(2025);
        let contract = 1 + r.below(3);
        (
            format!("{year:04}2{contract}"),
            EmploymentType::Pppk,
            r.weighted(&PPPK_GRADES).to_string(),
        )
    } else {
        let year = (birth_year + 19 + r.below(17) as i32).min(2025);
        let month = 1 + r.below(12);
        (
            format!("{year:04}{month:02}"),
            EmploymentType::Pns,
            r.weighted(&PNS_RANKS).to_string(),
        )
    };
    let nip = format!("{}{middle}{gender}{seq:03}", birth.format("%Y%m%d"));
    let agency = agency_of(&mut r);
    let status = *r.weighted(&STATUSES);
    AsnRow {
        nip,
        name: Some(format!("ASN {i}")),
        agency_code: Some(agency_code(agency)),
        agency_name: Some(format!("Instansi {}", agency_code(agency))),
        unit: Some(format!("Unit {}", r.below(40))),
        rank: Some(rank),
        position: Some(r.weighted(&POSITIONS).to_string()),
        employment_type: Some(employment_type),
        status,
        status_since: Some(day(2015, 1, 1) + Duration::days(r.below(4_000) as i64)),
        last_event_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// Sanction types by how often they are imposed, per regime.
fn type_mix(policy: &Policy, pp94: bool) -> Vec<(&SanctionTypeDef, u32)> {
    policy
        .doc
        .catalogue
        .iter()
        .filter_map(|t| {
            let weight = match (t.regime.as_str(), t.level) {
                ("PP94_2021", Some(Level::Light)) if pp94 => 14,
                ("PP94_2021", Some(Level::Moderate)) if pp94 => 9,
                ("PP94_2021", Some(Level::Severe)) if pp94 => 2,
                ("PP53_2010", Some(Level::Light)) if !pp94 => 14,
                ("PP53_2010", Some(Level::Moderate)) if !pp94 => 9,
                ("PP53_2010", Some(Level::Severe)) if !pp94 => 1,
                ("PP42_2004", None) => 2,
                _ => 0,
            };
            (weight > 0).then_some((t, weight))
        })
        .collect()
}

/// Sanction `k`, on a person drawn from the first `asn`.
pub fn sanction(policy: &Policy, spec: &Spec, k: u64, now: NaiveDateTime) -> SanctionRow {
    let mut r = Rng::for_row(spec.seed, 2, k);
    let person = profile(spec.seed, r.below(spec.asn), now);
    let decided = day(2012, 1, 2) + Duration::days(r.below(5_430) as i64);
    let pp94 = decided >= day(2021, 9, 1);
    let mix = type_mix(policy, pp94);
    let t = *r.weighted(&mix);
    let from = decided + Duration::days(21);
    let until = match t.duration {
        DefaultDuration::Months(m) => Some(add_months(from, m)),
        DefaultDuration::None => Some(from),
        DefaultDuration::Terminal => None,
    };
    let state = *r.weighted(&[
        (SanctionState::Recorded, 96),
        (SanctionState::Lifted, 2),
        (SanctionState::Annulled, 2),
    ]);
    let id = format!("gen-{:08}-{k:010}", spec.seed % 100_000_000);
    SanctionRow {
        nip: person.nip,
        type_code: t.code.clone(),
        regime: t.regime.clone(),
        kind: t.kind,
        level: t.level,
        decision_number: format!("800/{k}/GEN/{}", decided.format("%Y")),
        decision_date: decided,
        received_date: Some(decided + Duration::days(3)),
        issuer: "PPK".into(),
        issuer_agency: person.agency_code,
        legal_basis: Some(t.legal_basis.clone()),
        violation: Some(r#"{"category":"neutrality"}"#.into()),
        effective_from: from,
        effective_until: until,
        blocked_purposes: Json(t.default_blocked_purposes.clone()),
        document: None,
        state,
        lifted_on: (state == SanctionState::Lifted).then(|| from + Duration::days(30)),
        lift: (state == SanctionState::Lifted).then(|| r#"{"reason":"followed_up"}"#.into()),
        annulled_at: (state == SanctionState::Annulled).then(|| {
            (decided + Duration::days(60))
                .and_hms_opt(2, 0, 0)
                .unwrap_or(now)
        }),
        annulment: (state == SanctionState::Annulled)
            .then(|| r#"{"reason":"annulled by BPASN"}"#.into()),
        content_hash: format!("{:064x}", k),
        recorded_at: now,
        recorded_by: "gen-data".into(),
        updated_at: now,
        appeal: None,
        appeal_filed_on: None,
        supersedes: None,
        superseded_by: None,
        activated_at: Some(now),
        expired_at: until.map(|_| now),
        id,
    }
}

/// Block `b`: the first few on whole agencies, the rest on persons; most released.
pub fn block(spec: &Spec, b: u64, now: NaiveDateTime) -> BlockRow {
    let mut r = Rng::for_row(spec.seed, 3, b);
    let on_agency = b < (spec.blocks / 500).max(1) && spec.blocks > 1;
    let person = profile(spec.seed, r.below(spec.asn), now);
    let ordered = (day(2020, 1, 1) + Duration::days(r.below(2_400) as i64))
        .and_hms_opt(2, 0, 0)
        .unwrap_or(now);
    let released = r
        .chance(0.6)
        .then(|| ordered + Duration::days(1 + r.below(200) as i64));
    BlockRow {
        id: format!("GEN-BLK-{b:07}"),
        scope: if on_agency { "agency" } else { "asn" }.into(),
        nip: (!on_agency).then(|| person.nip.clone()),
        agency_code: on_agency.then(|| agency_code(r.below(AGENCIES))),
        reference: Some(format!("BKN/BLK/{b}")),
        reason: Some("neutrality".into()),
        ordered_at: ordered,
        ordered_event_id: format!("gen-blk-{b}"),
        released_at: released,
        release_reference: released.map(|_| format!("BKN/OPEN/{b}")),
        released_event_id: released.map(|_| format!("gen-open-{b}")),
        created_at: now,
        updated_at: now,
        case_id: None,
    }
}

/// Fills an empty registry; `progress` hears each table's name and rows written so far.
pub fn generate(
    conn: &mut AnyConnection,
    policy: &Policy,
    spec: &Spec,
    now: NaiveDateTime,
    progress: impl Fn(&str, u64),
) -> anyhow::Result<Counts> {
    if spec.asn == 0 || spec.asn > MAX_ASN {
        bail!("--asn must be 1 to {MAX_ASN}");
    }
    let existing: i64 = crate::db::schema::asn::table.count().get_result(conn)?;
    if existing > 0 {
        bail!("the database already holds {existing} ASN; gen-data fills an empty registry");
    }
    crate::db::prepare_bulk(conn, 96)?;
    let mut counts = Counts::default();
    for start in (0..spec.asn).step_by(CHUNK as usize) {
        let rows: Vec<AsnRow> = (start..(start + CHUNK).min(spec.asn))
            .map(|i| profile(spec.seed, i, now))
            .collect();
        write_tx(conn, |c| asn::insert_new(c, &rows)).context("writing ASN")?;
        counts.asn += rows.len() as u64;
        progress("asn", counts.asn);
    }
    for start in (0..spec.sanctions).step_by(CHUNK as usize) {
        let rows: Vec<SanctionRow> = (start..(start + CHUNK).min(spec.sanctions))
            .map(|k| sanction(policy, spec, k, now))
            .collect();
        write_tx(conn, |c| sanctions::insert_bulk(c, &rows)).context("writing sanctions")?;
        counts.sanctions += rows.len() as u64;
        progress("sanctions", counts.sanctions);
    }
    let rows: Vec<BlockRow> = (0..spec.blocks).map(|b| block(spec, b, now)).collect();
    write_tx(conn, |c| blocks::insert_bulk(c, &rows)).context("writing blocks")?;
    counts.blocks = rows.len() as u64;
    progress("blocks", counts.blocks);
    Ok(counts)
}

/// A deterministic synthetic national register, for tests and benchmarks: row `i` is always
/// the same profile, and NIPs are distinct for `i` below 5 760 000 (and always parse).
pub mod synthetic {
    use chrono::{Datelike, Duration, NaiveDate};

    pub const COLUMNS: &str =
        "nip,name,agency_code,agency_name,unit,rank,position,employment_type,status";
    const RANKS: [&str; 8] = [
        "II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b",
    ];

    pub fn nip(i: u64) -> String {
        let birth = NaiveDate::from_ymd_opt(1960, 1, 1).expect("valid")
            + Duration::days((i % 16_000) as i64);
        let year = birth.year() as u64 + 20 + (i / 16_000) % 15;
        let month = (i / 240_000) % 12 + 1;
        let gender = (i / 2_880_000) % 2 + 1;
        format!(
            "{}{year:04}{month:02}{gender}{:03}",
            birth.format("%Y%m%d"),
            i % 7 + 1
        )
    }

    /// The fields of row `i`, in `COLUMNS` order.
    pub fn fields(i: u64) -> [String; 9] {
        let agency = format!("{:04}", 1000 + i % 600);
        let status = if i % 50 == 0 { "retired" } else { "active" };
        [
            nip(i),
            format!("ASN {i}"),
            agency.clone(),
            format!("Instansi {agency}"),
            format!("Unit {}", i % 40),
            RANKS[(i % 8) as usize].to_string(),
            "Analis Kebijakan".to_string(),
            "PNS".to_string(),
            status.to_string(),
        ]
    }

    pub fn csv_line(i: u64) -> String {
        fields(i).join(",")
    }

    pub fn ndjson_line(i: u64) -> String {
        let f = fields(i);
        serde_json::json!({
            "nip": f[0], "name": f[1], "agency_code": f[2], "agency_name": f[3], "unit": f[4],
            "rank": f[5], "position": f[6], "employment_type": f[7], "status": f[8],
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nip::{Nip, NipKind};
    use std::collections::HashSet;

    fn now() -> NaiveDateTime {
        "2026-11-23T03:00:00".parse().unwrap()
    }

    #[test]
    fn nips_parse_are_unique_and_rows_are_reproducible() {
        let mut seen = HashSet::new();
        let mut pppk = 0;
        for i in (0..200_000).chain(4_400_000..4_500_000) {
            let p = profile(7, i, now());
            let nip = Nip::parse(&p.nip).unwrap_or_else(|e| panic!("row {i}: {} {e}", p.nip));
            if nip.kind() == NipKind::Pppk {
                pppk += 1;
            }
            assert_eq!(
                nip.kind() == NipKind::Pppk,
                p.employment_type == Some(EmploymentType::Pppk)
            );
            assert!(seen.insert(p.nip), "row {i} repeats a NIP");
        }
        assert!((40_000..50_000).contains(&pppk), "about 15% PPPK: {pppk}");
        assert_eq!(profile(7, 123, now()), profile(7, 123, now()));
        assert_ne!(profile(7, 123, now()).nip, profile(8, 123, now()).nip);
    }

    #[test]
    fn sanctions_follow_the_catalogue_and_the_regime_of_their_date() {
        let policy = Policy::embedded_default();
        let spec = Spec {
            asn: 1_000_000,
            sanctions: 10_000,
            blocks: 0,
            seed: 7,
        };
        let mut levels = std::collections::HashMap::new();
        for k in 0..10_000 {
            let s = sanction(&policy, &spec, k, now());
            let t = policy
                .sanction_type(&s.type_code)
                .expect("a catalogue type");
            if t.regime != "PP42_2004" {
                assert_eq!(
                    t.regime == "PP94_2021",
                    s.decision_date >= day(2021, 9, 1),
                    "{}",
                    s.type_code
                );
            }
            *levels.entry(s.level).or_insert(0) += 1;
        }
        let light = levels[&Some(Level::Light)];
        let severe = levels[&Some(Level::Severe)];
        assert!(light > 4 * severe, "{levels:?}");
    }

    #[test]
    fn a_few_blocks_hold_whole_agencies() {
        let spec = Spec {
            asn: 1000,
            sanctions: 0,
            blocks: 10_000,
            seed: 7,
        };
        let agency = (0..10_000)
            .filter(|b| block(&spec, *b, now()).scope == "agency")
            .count();
        assert_eq!(agency, 20);
    }
}
