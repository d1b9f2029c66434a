//! Working-day calendar: Saturdays, Sundays and configured holidays are not working days.

use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    holidays: BTreeSet<NaiveDate>,
}

impl WorkingCalendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        WorkingCalendar {
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The `n`-th working day after `start` (`start` itself is not counted).
    pub fn nth_working_day_after(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut counted = 0;
        while counted < n {
            day = day.succ_opt().expect("date in range");
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn fifteenth_working_day_after_receipt() {
        let plain = WorkingCalendar::default();
        // api.md's example: received Monday 2024-03-04, in force Monday 2024-03-25.
        assert_eq!(
            plain.nth_working_day_after(d("2024-03-04"), 15),
            d("2024-03-25")
        );
        // Received on a Saturday: counting starts on Monday.
        assert_eq!(
            plain.nth_working_day_after(d("2024-03-02"), 1),
            d("2024-03-04")
        );
        // Nyepi (2024-03-11) as a configured holiday pushes it one day.
        let with_nyepi = WorkingCalendar::new([d("2024-03-11")]);
        assert_eq!(
            with_nyepi.nth_working_day_after(d("2024-03-04"), 15),
            d("2024-03-26")
        );
    }
}
