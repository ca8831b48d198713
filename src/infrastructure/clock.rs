use time::OffsetDateTime;

use crate::application::ports::Clock;

pub struct SystemClock;

impl Clock for SystemClock {
    /// UTC, cut to microseconds: what PostgreSQL keeps, so values round-trip exactly.
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }
}
