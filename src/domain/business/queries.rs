//! Reads of cases that lists, figures and the business's clocks need: no aggregate loaded.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{BusinessId, Case, CaseState, TeamId};
use crate::domain::shared::{RepoError, UserId};

/// Which cases of a business to list, in queue order (priority, then first in).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub team: Option<TeamId>,
    pub agent: Option<UserId>,
    pub states: Vec<CaseState>,
    /// Only cases queued at or after this.
    pub since: Option<OffsetDateTime>,
    pub limit: u64,
}

/// Cases as lists, counts and queue places read them.
#[async_trait]
pub trait CaseQueries: Send + Sync {
    async fn cases(&self, business: BusinessId, filter: CaseFilter)
    -> Result<Vec<Case>, RepoError>;

    /// How many of the business's cases are in `state` now.
    async fn count(&self, business: BusinessId, state: CaseState) -> Result<u64, RepoError>;

    /// A queued case's place in its team's queue, from 1.
    async fn position(&self, case: &Case) -> Result<u64, RepoError>;

    /// How many of `team`'s cases were assigned at or after `since` (and not queued again).
    async fn assigned_since(&self, team: TeamId, since: OffsetDateTime) -> Result<u64, RepoError>;

    /// Teams with queued cases, of every business: what the clock routes when one opens.
    async fn queued_teams(&self) -> Result<Vec<(BusinessId, TeamId)>, RepoError>;

    /// Open cases with no first reply and not yet escalated, in teams with a first-response
    /// time, longest waiting first.
    async fn awaiting_reply(&self, limit: u64) -> Result<Vec<Case>, RepoError>;
}
