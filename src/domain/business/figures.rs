use time::Duration;

use super::{Case, CaseState};

/// What a business's supervisors watch: how many wait and are served now, and over a period,
/// the cases queued in it and the median wait, first response and resolution times (each case
/// counted by its latest opening).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub waiting_now: u64,
    pub assigned_now: u64,
    pub opened: u64,
    pub resolved: u64,
    /// From queued to assigned.
    pub median_wait: Option<Duration>,
    /// From assigned to the agent's first message.
    pub median_first_response: Option<Duration>,
    /// From queued to resolved.
    pub median_resolution: Option<Duration>,
}

impl Figures {
    /// `period`: the cases queued in the period.
    pub fn measure(period: &[Case], waiting_now: u64, assigned_now: u64) -> Self {
        let between = |from: fn(&Case) -> Option<time::OffsetDateTime>,
                       to: fn(&Case) -> Option<time::OffsetDateTime>| {
            median(
                period
                    .iter()
                    .filter_map(|c| Some(to(c)? - from(c)?))
                    .collect(),
            )
        };
        Self {
            waiting_now,
            assigned_now,
            opened: period.len() as u64,
            resolved: period
                .iter()
                .filter(|c| c.state == CaseState::Resolved)
                .count() as u64,
            median_wait: between(|c| Some(c.queued_at), |c| c.assigned_at),
            median_first_response: between(|c| c.assigned_at, |c| c.first_response_at),
            median_resolution: between(|c| Some(c.queued_at), |c| c.resolved_at),
        }
    }
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut values: Vec<Duration>) -> Option<Duration> {
    values.sort_unstable();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::domain::business::{BusinessId, TeamId};
    use crate::domain::shared::{ConversationId, UserId};

    fn case(wait_secs: i64, response_secs: Option<i64>, resolved_secs: Option<i64>) -> Case {
        let queued = datetime!(2026-12-01 09:00 UTC);
        let mut case = Case::new(
            ConversationId::new(),
            BusinessId::new(),
            TeamId::new(),
            UserId::new(),
            queued,
        );
        let assigned = queued + Duration::seconds(wait_secs);
        case.hand_to(UserId::new(), assigned).unwrap();
        case.first_response_at = response_secs.map(|s| assigned + Duration::seconds(s));
        if let Some(s) = resolved_secs {
            case.resolve(queued + Duration::seconds(s), 0).unwrap();
        }
        case
    }

    #[test]
    fn medians_count_only_the_cases_that_got_that_far() {
        let cases = [
            case(10, Some(5), Some(100)),
            case(20, Some(15), None),
            case(40, None, Some(300)),
        ];
        let figures = Figures::measure(&cases, 2, 1);
        assert_eq!(figures.opened, 3);
        assert_eq!(figures.resolved, 2);
        assert_eq!(figures.median_wait, Some(Duration::seconds(20)));
        assert_eq!(figures.median_first_response, Some(Duration::seconds(10)));
        assert_eq!(figures.median_resolution, Some(Duration::seconds(200)));
        assert_eq!((figures.waiting_now, figures.assigned_now), (2, 1));
        assert_eq!(Figures::measure(&[], 0, 0).median_wait, None);
    }
}
