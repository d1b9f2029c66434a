//! The source of "now": the system clock, or a fixed instant for tests. Not configuration:
//! every layer that records an instant or asks for today takes a `Clock`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// The source of "now": the system clock, or a fixed instant for tests.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// Now, to the microsecond: what both backends store exactly, so a write's answer and
    /// every later read of it say the same instant.
    pub fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        match self {
            Clock::System => Utc::now().trunc_subsecs(6),
            Clock::Fixed(t) => t.trunc_subsecs(6),
        }
    }
    pub fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }
    /// Today's date in `tz`.
    pub fn today(&self, tz: Tz) -> NaiveDate {
        self.now().with_timezone(&tz).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_made_to_the_microsecond() {
        use chrono::Timelike;
        let fixed = Clock::Fixed("2026-11-23T03:00:00.305916085Z".parse().unwrap());
        assert_eq!(fixed.now().nanosecond(), 305_916_000);
        assert_eq!(Clock::System.now().nanosecond() % 1000, 0);
    }

    #[test]
    fn today_is_today_in_the_configured_zone() {
        let late_utc = Clock::Fixed("2026-11-22T18:00:00Z".parse().unwrap());
        assert_eq!(
            late_utc.today(chrono_tz::Asia::Jakarta).to_string(),
            "2026-11-23",
            "01:00 WIB"
        );
        assert_eq!(late_utc.today(chrono_tz::UTC).to_string(), "2026-11-22");
    }
}
