//! Half-open date periods `[from, until)` and calendar-month arithmetic.

use chrono::{Datelike, Days, NaiveDate};

/// `date + months`, clamped to the end of the target month (31 Jan + 1 month = 28/29 Feb).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    let total = date.month0() as i64 + months as i64;
    let year = date.year() + (total / 12) as i32;
    let month = (total % 12) as u32 + 1;
    let last = last_day_of_month(year, month);
    NaiveDate::from_ymd_opt(year, month, date.day().min(last)).expect("clamped day is valid")
}

/// `date + years`, 29 Feb clamped to 28 Feb.
pub fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    add_months(date, years * 12)
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    first_next
        .and_then(|d| d.checked_sub_days(Days::new(1)))
        .map(|d| d.day())
        .unwrap_or(28)
}

/// A half-open period: `from` is the first day in force, `until` the first day no longer
/// in force (`None`: open-ended). `from == until` is an empty (instant) period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: NaiveDate,
    until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("effective_until {until} is before effective_from {from}")]
pub struct PeriodError {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, until: Option<NaiveDate>) -> Result<Period, PeriodError> {
        match until {
            Some(u) if u < from => Err(PeriodError { from, until: u }),
            _ => Ok(Period { from, until }),
        }
    }

    pub fn months(from: NaiveDate, months: u32) -> Period {
        Period {
            from,
            until: Some(add_months(from, months)),
        }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }
    pub fn until(&self) -> Option<NaiveDate> {
        self.until
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        day >= self.from && self.until.is_none_or(|u| day < u)
    }

    /// The same period ended no later than `end` (an early end never lengthens it).
    pub fn ended_by(&self, end: NaiveDate) -> Period {
        let end = end.max(self.from);
        Period {
            from: self.from,
            until: Some(self.until.map_or(end, |u| u.min(end))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        assert_eq!(add_months(d("2024-03-25"), 12), d("2025-03-25"));
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2023-01-31"), 1), d("2023-02-28"));
        assert_eq!(add_months(d("2024-08-31"), 6), d("2025-02-28"));
        assert_eq!(add_months(d("2024-11-30"), 3), d("2025-02-28"));
        assert_eq!(add_years(d("2024-02-29"), 3), d("2027-02-28"));
    }

    #[test]
    fn periods_are_half_open() {
        let p = Period::months(d("2024-03-25"), 12);
        assert!(!p.contains(d("2024-03-24")));
        assert!(p.contains(d("2024-03-25")));
        assert!(p.contains(d("2025-03-24")));
        assert!(!p.contains(d("2025-03-25")));
        assert!(Period::new(d("2024-01-02"), Some(d("2024-01-01"))).is_err());
        let instant = Period::new(d("2024-01-02"), Some(d("2024-01-02"))).unwrap();
        assert!(!instant.contains(d("2024-01-02")));
        assert!(Period::new(d("2024-01-02"), None)
            .unwrap()
            .contains(d("2099-01-01")));
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (1950i32..2080, 1u32..366)
            .prop_map(|(y, doy)| NaiveDate::from_yo_opt(y, doy.min(365)).unwrap())
    }

    proptest! {
        #[test]
        fn adding_months_is_monotonic_and_lands_in_the_right_month(start in date(), n in 0u32..600) {
            let end = add_months(start, n);
            prop_assert!(end >= start);
            prop_assert!(add_months(start, n + 1) > end);
            let months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32;
            prop_assert_eq!(months, n as i32);
            prop_assert!(end.day() <= start.day());
        }

        #[test]
        fn a_months_period_holds_its_first_day_and_not_its_end(start in date(), n in 1u32..120) {
            let p = Period::months(start, n);
            prop_assert!(p.contains(start));
            prop_assert!(!p.contains(p.until().unwrap()));
            prop_assert!(p.contains(p.until().unwrap().pred_opt().unwrap()));
        }

        #[test]
        fn ending_early_never_lengthens(start in date(), n in 0u32..60, cut in 0i64..4000) {
            let p = Period::months(start, n);
            let cut_day = start + chrono::Duration::days(cut - 100);
            let q = p.ended_by(cut_day);
            prop_assert!(q.until().unwrap() <= p.until().unwrap());
            prop_assert!(q.until().unwrap() >= q.from());
        }
    }
}
