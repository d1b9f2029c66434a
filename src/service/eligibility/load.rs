//! Loading the records a check reads: the registry now (three queries however many
//! NIPs), or as it stood at an instant.

use crate::db::asn::AsnRow;
use crate::db::blocks::BlockRow;
use crate::db::history;
use crate::db::records::Records;
use crate::db::sanctions::SanctionRow;
use crate::db::{self, asn, AnyConnection};
use crate::domain::eligibility::CaseFacts;
use crate::error::ApiError;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::HashMap;

/// The records of some ASN: each profile with its sanctions and the blocks on it or its agency.
#[derive(Default)]
pub struct Loaded {
    pub(super) profiles: HashMap<String, AsnRow>,
    pub(super) sanctions: HashMap<String, Vec<SanctionRow>>,
    pub(super) blocks: HashMap<String, Vec<BlockRow>>,
    /// Neutrality cases that reached a recommendation.
    pub(super) cases: HashMap<String, Vec<CaseFacts>>,
}

impl Loaded {
    /// The registry now: one statement for one NIP (every single check), four queries
    /// however many NIPs otherwise.
    pub fn current(conn: &mut AnyConnection, nips: &[&str]) -> Result<Loaded, ApiError> {
        if let [nip] = nips {
            return Ok(Loaded::of_one(db::records::of_one(conn, nip)?));
        }
        let mut loaded = Loaded {
            profiles: asn::find_many(conn, nips)?
                .into_iter()
                .map(|p| (p.nip.clone(), p))
                .collect(),
            ..Loaded::default()
        };
        let known: Vec<&str> = nips
            .iter()
            .copied()
            .filter(|n| loaded.profiles.contains_key(*n))
            .collect();
        if known.is_empty() {
            return Ok(loaded);
        }
        for s in db::sanctions::for_nips(conn, &known)? {
            loaded.sanctions.entry(s.nip.clone()).or_default().push(s);
        }
        let agencies: Vec<&str> = loaded
            .profiles
            .values()
            .filter_map(|p| p.agency_code.as_deref())
            .collect();
        loaded.cases = cases_of(conn, &known, None)?;
        let block_rows = db::blocks::affecting(conn, &known, &agencies)?;
        for p in loaded.profiles.values() {
            let on_them = block_rows.iter().filter(|b| {
                b.nip.as_deref() == Some(p.nip.as_str())
                    || (b.scope == "agency"
                        && b.agency_code.is_some()
                        && b.agency_code == p.agency_code)
            });
            loaded
                .blocks
                .insert(p.nip.clone(), on_them.cloned().collect());
        }
        Ok(loaded)
    }

    fn of_one(found: Option<Records>) -> Loaded {
        let mut loaded = Loaded::default();
        let Some(r) = found else {
            return loaded;
        };
        let nip = r.profile.nip.clone();
        if !r.sanctions.is_empty() {
            loaded.sanctions.insert(nip.clone(), r.sanctions);
        }
        if !r.steps.is_empty() {
            loaded
                .cases
                .insert(nip.clone(), super::facts::case_facts(&r.steps));
        }
        loaded.blocks.insert(nip.clone(), r.blocks);
        loaded.profiles.insert(nip, r.profile);
        loaded
    }

    /// The registry as it stood at `t` (a few queries per NIP).
    pub fn known_at(
        conn: &mut AnyConnection,
        nips: &[&str],
        t: NaiveDateTime,
    ) -> Result<Loaded, ApiError> {
        let mut loaded = Loaded::default();
        for nip in nips {
            let Some(profile) = history::asn_at(conn, nip, t)? else {
                continue;
            };
            let agency = profile.agency_code.clone();
            loaded
                .sanctions
                .insert(nip.to_string(), history::sanctions_at(conn, nip, t)?);
            loaded.blocks.insert(
                nip.to_string(),
                history::blocks_at(conn, nip, agency.as_deref(), t)?,
            );
            loaded.profiles.insert(nip.to_string(), profile);
        }
        let known: Vec<&str> = nips
            .iter()
            .copied()
            .filter(|n| loaded.profiles.contains_key(*n))
            .collect();
        if !known.is_empty() {
            loaded.cases = cases_of(conn, &known, Some(t))?;
        }
        Ok(loaded)
    }

    pub fn load(
        conn: &mut AnyConnection,
        nips: &[&str],
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Loaded, ApiError> {
        match known_at {
            None => Loaded::current(conn, nips),
            Some(t) => Loaded::known_at(conn, nips, t.naive_utc()),
        }
    }
}

/// The cases of these NIPs as the rules read them (as recorded by `until`, when given).
fn cases_of(
    conn: &mut AnyConnection,
    nips: &[&str],
    until: Option<NaiveDateTime>,
) -> Result<HashMap<String, Vec<CaseFacts>>, ApiError> {
    let mut by_nip: HashMap<String, Vec<(String, db::cases::StepRow)>> = HashMap::new();
    for (nip, reference, step) in db::cases::steps_for_nips(conn, nips, until)? {
        by_nip.entry(nip).or_default().push((reference, step));
    }
    Ok(by_nip
        .into_iter()
        .map(|(nip, steps)| (nip, super::facts::case_facts(&steps)))
        .collect())
}
