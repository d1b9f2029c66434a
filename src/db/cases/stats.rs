//! The follow-up statistics (domain.md §3.6): grouped queries over the cases of a period.

use super::super::AnyConnection;
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::HashMap;

/// What the statistics group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Agency,
    Issuer,
    Conduct,
    Election,
}

impl GroupBy {
    /// The grouping expression over `cases` (trusted SQL: one of four constants).
    fn key(self) -> &'static str {
        match self {
            GroupBy::Agency => "COALESCE(cases.agency_code, '-')",
            GroupBy::Issuer => "COALESCE(cases.recommendation_issuer, '-')",
            GroupBy::Conduct => "cases.conduct",
            GroupBy::Election => {
                "COALESCE(cases.election_kind || ' ' || CAST(cases.election_year AS TEXT), '-')"
            }
        }
    }
}

/// One group's counts, as the authorities publish them (domain.md §3.6).
#[derive(Debug, Clone, Default, QueryableByName)]
pub struct StatsRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub grp: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub reported: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub rejected: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub not_proven: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub recommended: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub sanctioned: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub within_deadline: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overdue_now: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub blocks_requested: i64,
}

#[derive(Debug, Clone, QueryableByName)]
struct GroupValue {
    #[diesel(sql_type = diesel::sql_types::Text)]
    grp: String,
    #[diesel(sql_type = diesel::sql_types::Double)]
    value: f64,
}

/// How many cases of a group took `days` from recommendation to sanction.
#[derive(Debug, Clone, QueryableByName)]
struct GroupDays {
    #[diesel(sql_type = diesel::sql_types::Text)]
    grp: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    days: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Each group's median from its histogram (rows in (group, days) order): the mean of the
/// values ranked (n + 1) / 2 and (n + 2) / 2, which are one value when n is odd.
fn medians(rows: &[GroupDays]) -> HashMap<&str, f64> {
    rows.chunk_by(|a, b| a.grp == b.grp)
        .map(|group| {
            let total: i64 = group.iter().map(|r| r.n).sum();
            let ranked = |k: i64| {
                let mut upto = 0;
                group
                    .iter()
                    .find(|r| {
                        upto += r.n;
                        upto >= k
                    })
                    .map_or(0, |r| r.days)
            };
            let (low, high) = (ranked((total + 1) / 2), ranked((total + 2) / 2));
            (group[0].grp.as_str(), (low + high) as f64 / 2.0)
        })
        .collect()
}

/// The statistics of cases reported from `from` to `to` (inclusive), per group, computed
/// by the database in grouped queries: the counts, how many cases took each number of days
/// from recommendation to sanction (the median is read off that), and the blocks released. Dates are typed values written as ISO literals, never caller text.
pub fn stats(
    conn: &mut AnyConnection,
    (from, to, today): (NaiveDate, NaiveDate, NaiveDate),
    group_by: GroupBy,
) -> QueryResult<Vec<(StatsRow, Option<f64>, i64)>> {
    let key = group_by.key();
    let range = format!("cases.reported_on >= '{from}' AND cases.reported_on <= '{to}'");
    let counts = format!(
        "SELECT {key} AS grp, COUNT(*) AS reported, \
         COALESCE(SUM(CASE WHEN cases.state = 'rejected' THEN 1 ELSE 0 END), 0) AS rejected, \
         COALESCE(SUM(CASE WHEN cases.state = 'not_proven' THEN 1 ELSE 0 END), 0) AS not_proven, \
         COALESCE(SUM(CASE WHEN cases.recommended_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS recommended, \
         COALESCE(SUM(CASE WHEN cases.state = 'sanctioned' THEN 1 ELSE 0 END), 0) AS sanctioned, \
         COALESCE(SUM(CASE WHEN cases.state = 'sanctioned' AND cases.sanctioned_on <= cases.followup_due THEN 1 ELSE 0 END), 0) AS within_deadline, \
         COALESCE(SUM(CASE WHEN cases.state IN ('recommended', 'escalated') AND cases.deadline < '{today}' THEN 1 ELSE 0 END), 0) AS overdue_now, \
         COALESCE(SUM(CASE WHEN cases.block_requested_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS blocks_requested \
         FROM cases WHERE {range} GROUP BY {key} ORDER BY 1"
    );
    let days = match conn {
        AnyConnection::Postgresql(_) => {
            "CAST(cases.sanctioned_on - cases.recommended_on AS BIGINT)"
        }
        AnyConnection::Sqlite(_) => {
            "CAST(julianday(cases.sanctioned_on) - julianday(cases.recommended_on) AS INTEGER)"
        }
    };
    // The median from how many cases took each number of days, per group: at most a row per
    // group and distinct number of days (a window over every case sorted them all, 2× slower
    // on SQLite).
    let histogram = format!(
        "SELECT {key} AS grp, {days} AS days, COUNT(*) AS n FROM cases \
           WHERE {range} AND cases.state = 'sanctioned' AND cases.recommended_on IS NOT NULL \
           GROUP BY 1, 2 ORDER BY 1, 2"
    );
    let released = format!(
        "SELECT {key} AS grp, CAST(COUNT(*) AS DOUBLE PRECISION) AS value FROM blocks \
           JOIN cases ON blocks.case_id = cases.id \
           WHERE {range} AND blocks.released_at IS NOT NULL GROUP BY {key}"
    );
    let rows: Vec<StatsRow> = crate::on_backend!(conn, |c| diesel::sql_query(&counts).load(c))?;
    let days: Vec<GroupDays> = crate::on_backend!(conn, |c| diesel::sql_query(&histogram).load(c))?;
    let medians = medians(&days);
    let releases: Vec<GroupValue> =
        crate::on_backend!(conn, |c| diesel::sql_query(&released).load(c))?;
    let releases: HashMap<&str, f64> = releases.iter().map(|v| (v.grp.as_str(), v.value)).collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let m = medians.get(r.grp.as_str()).copied();
            let b = releases.get(r.grp.as_str()).copied().unwrap_or(0.0) as i64;
            (r, m, b)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(list: &[(&str, i64, i64)]) -> Vec<GroupDays> {
        list.iter()
            .map(|(g, days, n)| GroupDays {
                grp: g.to_string(),
                days: *days,
                n: *n,
            })
            .collect()
    }

    #[test]
    fn medians_are_read_off_each_groups_histogram() {
        // a: 3, 5, 5, 9 (even: (5 + 5) / 2); b: 2, 4, 4, 4, 10 (odd: the third, 4);
        // c: 7, 8 (even: 7.5); d: one case.
        let list = rows(&[
            ("a", 3, 1),
            ("a", 5, 2),
            ("a", 9, 1),
            ("b", 2, 1),
            ("b", 4, 3),
            ("b", 10, 1),
            ("c", 7, 1),
            ("c", 8, 1),
            ("d", 12, 1),
        ]);
        let m = medians(&list);
        assert_eq!(m.len(), 4);
        assert_eq!((m["a"], m["b"], m["c"], m["d"]), (5.0, 4.0, 7.5, 12.0));
    }
}
