//! Business hours: a weekly schedule and holidays, in the business's time zone. A business
//! with no schedule is always open (holidays still close it).

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use time::OffsetDateTime;

use super::BusinessError;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const OPENINGS_MAX: usize = 28;
const HOLIDAYS_MAX: usize = 100;

/// Open on `day` (0 is Monday) from `opens` to `closes`, minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub day: u8,
    pub opens: u16,
    pub closes: u16,
}

impl Opening {
    /// From `mon`…`sun` and two `HH:MM` times (`24:00` closes at midnight).
    pub fn parse(day: &str, opens: &str, closes: &str) -> Result<Self, BusinessError> {
        let day = DAYS
            .iter()
            .position(|d| *d == day)
            .ok_or(BusinessError::HoursInvalid)? as u8;
        let (opens, closes) = (minutes(opens)?, minutes(closes)?);
        if opens >= closes {
            return Err(BusinessError::HoursInvalid);
        }
        Ok(Self { day, opens, closes })
    }

    pub fn day_name(&self) -> &'static str {
        DAYS[usize::from(self.day)]
    }

    pub fn label(minutes: u16) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

fn minutes(raw: &str) -> Result<u16, BusinessError> {
    let (h, m) = raw.split_once(':').ok_or(BusinessError::HoursInvalid)?;
    let valid = h.len() == 2 && m.len() == 2;
    let (h, m): (u16, u16) = match (h.parse(), m.parse()) {
        (Ok(h), Ok(m)) if valid && m < 60 && (h < 24 || (h == 24 && m == 0)) => (h, m),
        _ => return Err(BusinessError::HoursInvalid),
    };
    Ok(h * 60 + m)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    time_zone: String,
    weekly: Vec<Opening>,
    holidays: Vec<Date>,
}

impl Default for Hours {
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            weekly: Vec::new(),
            holidays: Vec::new(),
        }
    }
}

impl Hours {
    /// `time_zone` is an IANA name (`Europe/Paris`); holidays are `YYYY-MM-DD` local dates.
    pub fn new(
        time_zone: &str,
        mut weekly: Vec<Opening>,
        holidays: &[String],
    ) -> Result<Self, BusinessError> {
        TimeZone::get(time_zone).map_err(|_| BusinessError::TimeZoneUnknown)?;
        if weekly.len() > OPENINGS_MAX || holidays.len() > HOLIDAYS_MAX {
            return Err(BusinessError::HoursInvalid);
        }
        let mut holidays = holidays
            .iter()
            .map(|d| d.parse::<Date>().map_err(|_| BusinessError::HolidayInvalid))
            .collect::<Result<Vec<_>, _>>()?;
        holidays.sort();
        holidays.dedup();
        weekly.sort_by_key(|o| (o.day, o.opens));
        Ok(Self {
            time_zone: time_zone.to_owned(),
            weekly,
            holidays,
        })
    }

    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }

    pub fn weekly(&self) -> &[Opening] {
        &self.weekly
    }

    pub fn holidays(&self) -> Vec<String> {
        self.holidays.iter().map(Date::to_string).collect()
    }

    fn zone(&self) -> TimeZone {
        // Checked when made; a zone dropped from a later database falls back to UTC.
        TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    pub fn is_open(&self, at: OffsetDateTime) -> bool {
        let local = timestamp(at).to_zoned(self.zone());
        let date = local.date();
        if self.holidays.contains(&date) {
            return false;
        }
        if self.weekly.is_empty() {
            return true;
        }
        let day = weekday(date.weekday());
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        self.weekly
            .iter()
            .any(|o| o.day == day && o.opens <= minute && minute < o.closes)
    }

    /// When it next opens at or after `at` (`at` itself when open then); `None` when the
    /// schedule never opens again within a year and a half (holidays covering every opening).
    pub fn next_opening(&self, at: OffsetDateTime) -> Option<OffsetDateTime> {
        if self.is_open(at) {
            return Some(at);
        }
        let zone = self.zone();
        let start = timestamp(at);
        let mut date = start.to_zoned(zone.clone()).date();
        for _ in 0..550 {
            if !self.holidays.contains(&date) {
                let day = weekday(date.weekday());
                let opens = match self.weekly.is_empty() {
                    true => vec![0],
                    false => self
                        .weekly
                        .iter()
                        .filter(|o| o.day == day)
                        .map(|o| o.opens)
                        .collect(),
                };
                for minute in opens {
                    let local = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
                    let Ok(zoned) = local.to_zoned(zone.clone()) else {
                        continue;
                    };
                    if zoned.timestamp() > start {
                        return OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second())
                            .ok();
                    }
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// `at` as the customer is told it: "Monday 2027-01-04 at 09:00 (Europe/Paris)".
    pub fn local_label(&self, at: OffsetDateTime) -> String {
        let local = timestamp(at).to_zoned(self.zone());
        format!(
            "{} {} at {:02}:{:02} ({})",
            DAY_NAMES[usize::from(weekday(local.date().weekday()))],
            local.date(),
            local.hour(),
            local.minute(),
            self.time_zone
        )
    }
}

fn timestamp(at: OffsetDateTime) -> Timestamp {
    Timestamp::from_second(at.unix_timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn weekday(day: Weekday) -> u8 {
    day.to_monday_zero_offset() as u8
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn office() -> Hours {
        let weekdays = ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| Opening::parse(d, "09:00", "17:00").unwrap())
            .collect();
        Hours::new("Europe/Paris", weekdays, &["2026-12-25".into()]).unwrap()
    }

    #[test]
    fn open_within_the_local_schedule() {
        let hours = office();
        // 08:30 UTC is 09:30 in Paris in winter.
        assert!(hours.is_open(datetime!(2026-12-21 08:30 UTC)));
        assert!(!hours.is_open(datetime!(2026-12-21 07:30 UTC)));
        assert!(!hours.is_open(datetime!(2026-12-21 16:00 UTC)));
        // A Saturday, and Christmas (a Friday).
        assert!(!hours.is_open(datetime!(2026-12-19 10:00 UTC)));
        assert!(!hours.is_open(datetime!(2026-12-25 10:00 UTC)));
        // Summer time: 09:30 in Paris is 07:30 UTC.
        assert!(hours.is_open(datetime!(2026-07-06 07:30 UTC)));
    }

    #[test]
    fn the_next_opening_skips_weekends_and_holidays() {
        let hours = office();
        // Thursday evening before Christmas: Friday is a holiday, so Monday 09:00.
        assert_eq!(
            hours.next_opening(datetime!(2026-12-24 18:00 UTC)),
            Some(datetime!(2026-12-28 08:00 UTC))
        );
        // Before opening on a weekday: the same morning.
        assert_eq!(
            hours.next_opening(datetime!(2026-12-21 06:00 UTC)),
            Some(datetime!(2026-12-21 08:00 UTC))
        );
        let open = datetime!(2026-12-21 09:00 UTC);
        assert_eq!(hours.next_opening(open), Some(open));
        assert_eq!(
            hours.local_label(datetime!(2026-12-28 08:00 UTC)),
            "Monday 2026-12-28 at 09:00 (Europe/Paris)"
        );
    }

    #[test]
    fn no_schedule_is_always_open_but_holidays() {
        let hours = Hours::new("UTC", Vec::new(), &["2026-12-25".into()]).unwrap();
        assert!(hours.is_open(datetime!(2026-12-26 03:00 UTC)));
        assert!(!hours.is_open(datetime!(2026-12-25 03:00 UTC)));
        assert_eq!(
            hours.next_opening(datetime!(2026-12-25 03:00 UTC)),
            Some(datetime!(2026-12-26 00:00 UTC))
        );
    }

    #[test]
    fn bad_hours_are_refused() {
        for (day, opens, closes) in [
            ("monday", "09:00", "17:00"),
            ("mon", "9:00", "17:00"),
            ("mon", "17:00", "09:00"),
            ("mon", "09:00", "24:30"),
            ("mon", "09:60", "10:00"),
        ] {
            assert_eq!(
                Opening::parse(day, opens, closes),
                Err(BusinessError::HoursInvalid)
            );
        }
        assert_eq!(
            Opening::parse("sun", "00:00", "24:00").map(|o| o.closes),
            Ok(1440)
        );
        assert_eq!(
            Hours::new("Mars/Olympus", Vec::new(), &[]),
            Err(BusinessError::TimeZoneUnknown)
        );
        assert_eq!(
            Hours::new("UTC", Vec::new(), &["2026-02-30".into()]),
            Err(BusinessError::HolidayInvalid)
        );
    }
}
