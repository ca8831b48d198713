use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::application::ports::Clock;

pub struct SystemClock;

impl Clock for SystemClock {
    /// UTC in whole microseconds (what PostgreSQL keeps, so values round-trip exactly) whose
    /// last digit is never 0. SQLite stores times as RFC 3339 text with trailing zeros dropped,
    /// and compares them as text: `…44.01559Z` would sort after `…44.015591Z`. With exactly
    /// six fraction digits every time, text order is time order. The cost is 10 µs of
    /// resolution.
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        let micros = now.nanosecond() / 10_000 * 10 + 1;
        now.replace_nanosecond(micros * 1_000).unwrap_or(now)
    }
}

/// The time a file names (RFC 3339), moving on at the real pace from when the file last
/// changed: tests and demos put the business context on a Saturday night or a Monday morning
/// without waiting for it. A missing or unreadable file gives the system time.
pub struct FileClock {
    path: PathBuf,
    /// The file's last change seen, and the offset it set.
    read: Mutex<Option<(SystemTime, Duration)>>,
}

impl FileClock {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            read: Mutex::new(None),
        }
    }

    fn offset(&self) -> Duration {
        let Ok(changed) = std::fs::metadata(&self.path).and_then(|m| m.modified()) else {
            return Duration::ZERO;
        };
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, offset)) = *read
            && seen == changed
        {
            return offset;
        }
        let named = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| OffsetDateTime::parse(text.trim(), &Rfc3339).ok());
        let offset = match named {
            Some(named) => named - OffsetDateTime::from(changed),
            None => {
                tracing::warn!(path = %self.path.display(), "the clock file names no RFC 3339 time");
                Duration::ZERO
            }
        };
        *read = Some((changed, offset));
        offset
    }
}

impl Clock for FileClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_sorts_as_the_times_do() {
        let clock = SystemClock;
        let mut times: Vec<OffsetDateTime> = (0..2_000).map(|_| clock.now()).collect();
        times.sort();
        let texts: Vec<String> = times.iter().map(|t| t.format(&Rfc3339).unwrap()).collect();
        for text in &texts {
            let fraction = text.rsplit('.').next().unwrap();
            assert_eq!(fraction.len(), "123456Z".len(), "{text}");
        }
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(sorted, texts);
    }

    #[test]
    fn a_file_sets_the_time_and_it_moves_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("now");
        let clock = FileClock::new(path.clone());
        let before = OffsetDateTime::now_utc();
        assert!(clock.now() >= before - Duration::seconds(1));
        std::fs::write(&path, "2030-01-07T08:59:00Z").unwrap();
        let first = clock.now();
        assert!(first >= time::macros::datetime!(2030-01-07 08:59 UTC));
        assert!(first < time::macros::datetime!(2030-01-07 09:59 UTC));
        assert!(clock.now() >= first);
    }
}
