use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{MessageView, MessagesPorts, message_in, views};
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::{HistoryQueries, MessageRepository};
use crate::domain::shared::{ConversationId, MessageId, UserId};

pub struct Thread {
    pub root: MessageView,
    pub replies: Vec<MessageView>,
    pub has_more: bool,
    /// When `has_more`: the `after_seq` of the next page.
    pub next_seq: Option<i64>,
}

/// A message and a page of its replies, oldest first.
pub struct ThreadHandler {
    conversations: Arc<dyn ConversationRepository>,
    messages: Arc<dyn MessageRepository>,
    history: Arc<dyn HistoryQueries>,
}

impl ThreadHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            messages: ports.messages.clone(),
            history: ports.history.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        root: MessageId,
        after_seq: i64,
        limit: u64,
    ) -> Result<Thread, AppError> {
        member_of(self.conversations.as_ref(), id, me).await?;
        let root = message_in(self.messages.as_ref(), id, root).await?;
        let mut replies = self
            .history
            .thread(id, root.id(), after_seq, limit + 1)
            .await?;
        let has_more = replies.len() as u64 > limit;
        replies.truncate(limit as usize);
        let next_seq = replies.last().filter(|_| has_more).map(|m| m.seq());
        let chain = std::iter::once(root).chain(replies).collect();
        let mut views = views(self.history.as_ref(), chain, me).await?;
        let root = views.remove(0);
        Ok(Thread {
            root,
            replies: views,
            has_more,
            next_seq,
        })
    }
}
