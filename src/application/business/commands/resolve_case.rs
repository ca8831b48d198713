use std::sync::Arc;

use crate::application::business::CaseView;
use crate::application::business::desk::CaseDesk;
use crate::application::error::AppError;
use crate::domain::shared::{ConversationId, UserId};

/// Resolves a case (its agent or a supervisor): its customer is told, and the agent's room
/// goes to the queue.
pub struct ResolveCaseHandler {
    desk: Arc<CaseDesk>,
}

impl ResolveCaseHandler {
    pub(in crate::application::business) fn new(desk: Arc<CaseDesk>) -> Self {
        Self { desk }
    }

    pub async fn handle(&self, me: UserId, id: ConversationId) -> Result<CaseView, AppError> {
        let desk = &self.desk;
        let was = desk.case(id).await?;
        desk.check_can_handle(me, &was).await?;
        let mut case = was.clone();
        case.resolve(desk.now())?;
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
}
