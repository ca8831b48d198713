use std::sync::Arc;

use crate::application::business::BusinessPorts;
use crate::application::business::desk::CaseDesk;
use crate::application::error::AppError;
use crate::application::messages::{HistoryPage, overseen_page};
use crate::domain::messages::{HistoryQueries, HistoryRange};
use crate::domain::shared::{ConversationId, UserId};

/// A case's conversation history for whoever may see the case: its customer and agent (as
/// participants), and the business's supervisors, who oversee every case without joining it.
pub struct CaseHistoryHandler {
    history: Arc<dyn HistoryQueries>,
    desk: Arc<CaseDesk>,
}

impl CaseHistoryHandler {
    pub(in crate::application::business) fn new(
        ports: &BusinessPorts,
        desk: Arc<CaseDesk>,
    ) -> Self {
        Self {
            history: ports.history.clone(),
            desk,
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        range: HistoryRange,
    ) -> Result<HistoryPage, AppError> {
        self.desk.seen_by(me, id).await?;
        overseen_page(self.history.as_ref(), me, id, range).await
    }
}
