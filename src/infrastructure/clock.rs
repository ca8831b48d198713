use time::OffsetDateTime;

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

#[cfg(test)]
mod tests {
    use time::format_description::well_known::Rfc3339;

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
}
