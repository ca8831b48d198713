use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Business, BusinessId, Case, Member, Team, TeamId};
use crate::domain::conversations::{Conversation, Participant};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, RepoError, UserId};

/// The events one assignment announces, made by the application from the assigned case.
pub type Announce<'a> = &'a (dyn Fn(&Case) -> Vec<DomainEvent> + Send + Sync);

#[async_trait]
pub trait BusinessRepository: Send + Sync {
    /// Stores a new business with its owner and first team; `Duplicate("handle")` when taken.
    async fn create(
        &self,
        business: &Business,
        owner: &Member,
        team: &Team,
    ) -> Result<(), RepoError>;

    async fn find(&self, id: BusinessId) -> Result<Option<Business>, RepoError>;

    /// Businesses whose handle or name contains `query` (case-insensitively), by handle.
    async fn search(&self, query: &str, limit: u64) -> Result<Vec<Business>, RepoError>;

    async fn update(&self, business: &Business) -> Result<(), RepoError>;

    async fn member(&self, id: BusinessId, user: UserId) -> Result<Option<Member>, RepoError>;

    async fn members(&self, id: BusinessId) -> Result<Vec<Member>, RepoError>;

    /// Every business `user` is on the staff of.
    async fn memberships(&self, user: UserId) -> Result<Vec<Member>, RepoError>;

    /// Adds a member, or changes the role of one.
    async fn put_member(&self, member: &Member) -> Result<(), RepoError>;

    /// Stores a member's status and capacity, in turn with routing (never in the middle of
    /// an assignment of theirs).
    async fn set_availability(
        &self,
        member: &Member,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError>;

    async fn teams(&self, id: BusinessId) -> Result<Vec<Team>, RepoError>;

    /// Stores a team with exactly its `agents`; `Duplicate("name")` when the business has one
    /// of that name.
    async fn put_team(&self, team: &Team) -> Result<(), RepoError>;
}

/// Cases: a customer's conversation with a business, queued, assigned, resolved.
#[async_trait]
pub trait CaseRepository: Send + Sync {
    /// Creates the conversation with its customer and the queued case, in one transaction.
    async fn open_case(
        &self,
        conversation: &Conversation,
        customer: &Participant,
        case: &Case,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError>;

    async fn case(&self, conversation: ConversationId) -> Result<Option<Case>, RepoError>;

    async fn case_of_customer(
        &self,
        business: BusinessId,
        customer: UserId,
    ) -> Result<Option<Case>, RepoError>;

    /// Stores `case` if it is still as `was` (state and agent), and moves the conversation's
    /// agent: the previous one leaves, the new one joins. `false` when it changed meanwhile.
    async fn save_case(
        &self,
        case: &Case,
        was: &Case,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    /// Assigns `team`'s queue, head first, each case to the agent `pick_agent` chooses, until
    /// the queue is empty, nobody has room, or `most` are assigned: one transaction, one
    /// routing at a time per business (across instances too). The cases assigned, in order.
    async fn assign_queue(
        &self,
        business: BusinessId,
        team: TeamId,
        now: OffsetDateTime,
        most: usize,
        announce: Announce<'_>,
    ) -> Result<Vec<Case>, RepoError>;

    /// Records the agent's first message in a case assigned to them, unless one came before;
    /// `false` when it did, or the case is not theirs.
    async fn note_first_response(
        &self,
        conversation: ConversationId,
        agent: UserId,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError>;

    /// Sets the place a queued case's customer is told (0: that the business is closed) if it
    /// is still `was`; `false` when another pass told them first.
    async fn claim_notice(
        &self,
        conversation: ConversationId,
        was: Option<u64>,
        place: u64,
    ) -> Result<bool, RepoError>;

    /// Records the system message telling a queued case's customer their place.
    async fn note_notice(
        &self,
        conversation: ConversationId,
        notice: MessageId,
    ) -> Result<(), RepoError>;
}
