//! Cases follow their conversation's messages: the customer writing again reopens a resolved
//! case, and the agent's first message is its first response. A consumer of the event log, so
//! the send path knows nothing of businesses and no message is missed across restarts.

use std::sync::Arc;

use async_trait::async_trait;
use moka::future::Cache;

use super::desk::CaseDesk;
use crate::application::error::AppError;
use crate::application::events::{EventHandler, LoggedEvent};
use crate::domain::business::CaseState;
use crate::domain::messages::MessageKind;
use crate::domain::shared::{ConversationId, DomainEvent};

/// Conversations known to have no case: a conversation's kind never changes, so once seen
/// they are never looked up again.
const NOT_CASES_CACHED: u64 = 100_000;

pub struct CaseWatcher {
    desk: Arc<CaseDesk>,
    not_cases: Cache<ConversationId, ()>,
}

impl CaseWatcher {
    pub(super) fn new(desk: Arc<CaseDesk>) -> Self {
        Self {
            desk,
            not_cases: Cache::new(NOT_CASES_CACHED),
        }
    }
}

#[async_trait]
impl EventHandler for CaseWatcher {
    async fn handle(&self, logged: &LoggedEvent) -> Result<(), AppError> {
        let DomainEvent::MessageCreated { message } = &logged.event else {
            return Ok(());
        };
        // The server's own words neither reopen a case nor answer it.
        if message.kind() == MessageKind::System {
            return Ok(());
        }
        let id = message.conversation_id();
        if self.not_cases.contains_key(&id) {
            return Ok(());
        }
        let repository = self.desk.cases();
        let Some(case) = repository.case(id).await? else {
            self.not_cases.insert(id, ()).await;
            return Ok(());
        };
        let from = message.sender_id();
        // Judged by seq, not by the case's state alone: a message handled again after the
        // case was resolved (a replay of the log) must not reopen it.
        if case.reopened_by(from, message.seq()) {
            let team = case.team_id;
            self.desk.reopen(case.customer_id, case, team).await?;
        } else if case.state == CaseState::Assigned
            && case.agent_id == Some(from)
            && case.first_response_at.is_none()
        {
            repository
                .note_first_response(id, from, message.created_at())
                .await?;
        }
        Ok(())
    }
}
