use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{MessageView, MessagesPorts, views};
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::{HistoryQueries, MessageSearch};
use crate::domain::shared::{ConversationId, UserId};

pub struct SearchMessages {
    pub query: String,
    pub conversation_id: Option<ConversationId>,
    pub limit: u64,
}

/// Full-text search, only ever over the caller's own conversations.
pub struct SearchHandler {
    conversations: Arc<dyn ConversationRepository>,
    search: Arc<dyn MessageSearch>,
    history: Arc<dyn HistoryQueries>,
}

impl SearchHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            search: ports.search.clone(),
            history: ports.history.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(
        &self,
        me: UserId,
        search: SearchMessages,
    ) -> Result<Vec<MessageView>, AppError> {
        if let Some(id) = search.conversation_id {
            member_of(self.conversations.as_ref(), id, me).await?;
        }
        let found = self
            .search
            .search(me, &search.query, search.conversation_id, search.limit)
            .await?;
        views(self.history.as_ref(), found, me).await
    }
}
