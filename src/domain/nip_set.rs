//! A set of NIPs held in 8 bytes each (a NIP is 18 digits: it fits in a `u64`), as sorted
//! runs searched by bisection. An import of the national register remembers every NIP it
//! met in about 36 MB this way, where a set of strings would take several times that.

/// Runs are merged while the newest is at least as long as the one before it, up to this
/// many NIPs: a merge never copies more than 8 MB, and a search bisects a handful of runs.
const MERGE_UP_TO: usize = 1 << 20;

#[derive(Debug, Default)]
pub struct NipSet {
    runs: Vec<Vec<u64>>,
}

/// A NIP's number; `None` for strings that are not 1 to 19 digits (never a parsed NIP).
fn key(nip: &str) -> Option<u64> {
    if nip.is_empty() || nip.len() > 19 || !nip.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    nip.parse().ok()
}

impl NipSet {
    pub fn contains(&self, nip: &str) -> bool {
        key(nip).is_some_and(|k| self.runs.iter().any(|run| run.binary_search(&k).is_ok()))
    }

    /// Adds NIPs (strings that are not NIPs are left out).
    pub fn extend<'a>(&mut self, nips: impl IntoIterator<Item = &'a str>) {
        let mut run: Vec<u64> = nips.into_iter().filter_map(key).collect();
        if run.is_empty() {
            return;
        }
        run.sort_unstable();
        run.dedup();
        self.runs.push(run);
        while let [.., older, newer] = self.runs.as_slice() {
            if newer.len() < older.len() || older.len() + newer.len() > MERGE_UP_TO {
                break;
            }
            let newer = self.runs.pop().expect("two runs");
            let older = self.runs.pop().expect("two runs");
            self.runs.push(merge(&older, &newer));
        }
    }
}

fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        #[test]
        fn holds_what_was_added_and_nothing_else(
            batches in prop::collection::vec(prop::collection::vec(0u64..5_000, 0..300), 0..40),
            probes in prop::collection::vec(0u64..5_000, 0..200),
        ) {
            let nip = |n: u64| format!("{:018}", 198_001_012_010_010_000 + n);
            let mut set = NipSet::default();
            let mut model = HashSet::new();
            for batch in &batches {
                let nips: Vec<String> = batch.iter().map(|&n| nip(n)).collect();
                set.extend(nips.iter().map(String::as_str));
                model.extend(batch.iter().copied());
            }
            for n in probes.iter().chain(model.iter()) {
                prop_assert_eq!(set.contains(&nip(*n)), model.contains(n));
            }
        }
    }

    #[test]
    fn strings_that_are_not_nips_are_never_members() {
        let mut set = NipSet::default();
        set.extend(["198503302010011002", "", "12a", "12345678901234567890"]);
        assert!(set.contains("198503302010011002"));
        assert!(!set.contains("12a") && !set.contains("") && !set.contains("198503302010011003"));
        assert_eq!(set.runs, vec![vec![198503302010011002]]);
    }
}
