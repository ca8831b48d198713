use std::sync::Arc;

use crate::application::business::CaseView;
use crate::application::business::desk::CaseDesk;
use crate::application::error::AppError;
use crate::domain::shared::{ConversationId, UserId};

/// A case, for its customer, its agent and the business's supervisors; everyone else is told
/// it does not exist.
pub struct CaseHandler {
    desk: Arc<CaseDesk>,
}

impl CaseHandler {
    pub(in crate::application::business) fn new(desk: Arc<CaseDesk>) -> Self {
        Self { desk }
    }

    pub async fn handle(&self, me: UserId, id: ConversationId) -> Result<CaseView, AppError> {
        self.desk.seen_by(me, id).await
    }
}
