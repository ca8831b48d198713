use std::sync::Arc;

use super::{MessageView, MessagesDeps};
use crate::application::error::AppError;
use crate::domain::shared::{ConversationId, UserId};

pub struct SearchMessages {
    pub query: String,
    pub conversation_id: Option<ConversationId>,
    pub limit: u64,
}

/// Full-text search, only ever over the caller's own conversations.
pub struct SearchHandler(Arc<MessagesDeps>);

impl SearchHandler {
    pub fn new(deps: Arc<MessagesDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(
        &self,
        me: UserId,
        search: SearchMessages,
    ) -> Result<Vec<MessageView>, AppError> {
        let deps = &self.0;
        if let Some(id) = search.conversation_id {
            deps.member_of(id, me).await?;
        }
        let found = deps
            .search
            .search(me, &search.query, search.conversation_id, search.limit)
            .await?;
        deps.views(found, me).await
    }
}
