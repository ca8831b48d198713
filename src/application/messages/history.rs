use std::sync::Arc;

use super::{MessageView, MessagesDeps};
use crate::application::error::AppError;
use crate::domain::messages::HistoryRange;
use crate::domain::shared::{ConversationId, MessageId, UserId};

pub struct HistoryPage {
    /// Ascending by seq.
    pub messages: Vec<MessageView>,
    /// More messages lie beyond this page in the direction read.
    pub has_more: bool,
    /// When `has_more`: the seq the next page starts beyond (its `before_seq` reading back,
    /// its `after_seq` reading forward).
    pub next_seq: Option<i64>,
}

pub struct Thread {
    pub root: MessageView,
    pub replies: Vec<MessageView>,
    pub has_more: bool,
    /// When `has_more`: the `after_seq` of the next page.
    pub next_seq: Option<i64>,
}

pub struct HistoryHandler(Arc<MessagesDeps>);

impl HistoryHandler {
    pub fn new(deps: Arc<MessagesDeps>) -> Self {
        Self(deps)
    }

    /// The newest seq of a conversation `me` is in.
    pub async fn last_seq(&self, me: UserId, id: ConversationId) -> Result<i64, AppError> {
        Ok(self.0.member_of(id, me).await?.0.last_seq)
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn history(
        &self,
        me: UserId,
        id: ConversationId,
        range: HistoryRange,
    ) -> Result<HistoryPage, AppError> {
        let deps = &self.0;
        deps.member_of(id, me).await?;
        let mut messages = deps
            .messages
            .history(
                id,
                HistoryRange {
                    limit: range.limit + 1,
                    ..range
                },
            )
            .await?;
        let has_more = messages.len() as u64 > range.limit;
        if has_more {
            // One extra row was read only to know whether more exist.
            if range.after_seq.is_some() {
                messages.pop()
            } else {
                Some(messages.remove(0))
            };
        }
        let boundary = if range.after_seq.is_some() {
            messages.last()
        } else {
            messages.first()
        };
        let next_seq = boundary.filter(|_| has_more).map(|m| m.seq);
        Ok(HistoryPage {
            messages: deps.views(messages, me).await?,
            has_more,
            next_seq,
        })
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn thread(
        &self,
        me: UserId,
        id: ConversationId,
        root: MessageId,
        after_seq: i64,
        limit: u64,
    ) -> Result<Thread, AppError> {
        let deps = &self.0;
        deps.member_of(id, me).await?;
        let root = deps.message(id, root).await?;
        let mut replies = deps
            .messages
            .thread(id, root.id, after_seq, limit + 1)
            .await?;
        let has_more = replies.len() as u64 > limit;
        replies.truncate(limit as usize);
        let next_seq = replies.last().filter(|_| has_more).map(|m| m.seq);
        let mut views = deps
            .views(std::iter::once(root).chain(replies).collect(), me)
            .await?;
        let root = views.remove(0);
        Ok(Thread {
            root,
            replies: views,
            has_more,
            next_seq,
        })
    }
}
