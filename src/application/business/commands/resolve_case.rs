use std::sync::Arc;

use crate::application::business::desk::CaseDesk;
use crate::application::business::{BusinessPorts, CaseView};
use crate::application::error::AppError;
use crate::domain::messages::{HistoryQueries, HistoryRange};
use crate::domain::shared::{ConversationId, UserId};

/// Resolves a case (its agent or a supervisor): its customer is told, and the agent's room
/// goes to the queue.
pub struct ResolveCaseHandler {
    desk: Arc<CaseDesk>,
    history: Arc<dyn HistoryQueries>,
}

impl ResolveCaseHandler {
    pub(in crate::application::business) fn new(
        ports: &BusinessPorts,
        desk: Arc<CaseDesk>,
    ) -> Self {
        Self {
            desk,
            history: ports.history.clone(),
        }
    }

    pub async fn handle(&self, me: UserId, id: ConversationId) -> Result<CaseView, AppError> {
        let desk = &self.desk;
        let was = desk.case(id).await?;
        desk.check_can_handle(me, &was).await?;
        let mut case = was.clone();
        case.resolve(desk.now(), self.newest_seq(id).await?)?;
        desk.save(me, &case, &was).await?;
        desk.tell(
            &case,
            "This conversation was resolved. Write again to reopen it.",
        )
        .await;
        if let Some(agent) = was.agent_id {
            desk.router.route_for(was.business_id, agent).await?;
        }
        desk.view(case).await
    }

    /// The seq of the conversation's newest message (0 before the first): what the
    /// resolution answers.
    async fn newest_seq(&self, id: ConversationId) -> Result<i64, AppError> {
        let newest = HistoryRange {
            before_seq: None,
            after_seq: None,
            limit: 1,
        };
        let page = self.history.history(id, newest).await?;
        Ok(page.last().map_or(0, |m| m.message.seq()))
    }
}
