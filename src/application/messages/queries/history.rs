use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{MessageView, MessagesPorts, RecentMessages};
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::{HistoryQueries, HistoryRange, ReactedMessage};
use crate::domain::shared::{ConversationId, UserId};

pub struct HistoryPage {
    /// Ascending by seq.
    pub messages: Vec<MessageView>,
    /// More messages lie beyond this page in the direction read.
    pub has_more: bool,
    /// When `has_more`: the seq the next page starts beyond (its `before_seq` reading back,
    /// its `after_seq` reading forward).
    pub next_seq: Option<i64>,
}

/// A page of a conversation's history, from the recent-messages cache when it holds the
/// conversation's current state, else from the database (and then offered to the cache).
pub struct HistoryHandler {
    conversations: Arc<dyn ConversationRepository>,
    history: Arc<dyn HistoryQueries>,
    recent: Arc<RecentMessages>,
}

/// A page from the database, and whether more lie beyond it: one row more is read to know.
async fn read_from(
    messages: &dyn HistoryQueries,
    id: ConversationId,
    range: HistoryRange,
) -> Result<(Vec<ReactedMessage>, bool), AppError> {
    let wider = HistoryRange {
        limit: range.limit + 1,
        ..range
    };
    let mut messages = messages.history(id, wider).await?;
    let has_more = messages.len() as u64 > range.limit;
    if has_more {
        if range.after_seq.is_some() {
            messages.pop();
        } else {
            messages.remove(0);
        }
    }
    Ok((messages, has_more))
}

/// A history page read straight from the database for `viewer`, who the caller has checked
/// may read it without being a participant (a business's supervisors, for its cases).
pub(crate) async fn overseen_page(
    messages: &dyn HistoryQueries,
    viewer: UserId,
    id: ConversationId,
    range: HistoryRange,
) -> Result<HistoryPage, AppError> {
    let (messages, has_more) = read_from(messages, id, range).await?;
    Ok(page_of(messages, has_more, range, viewer))
}

fn page_of(
    messages: Vec<ReactedMessage>,
    has_more: bool,
    range: HistoryRange,
    viewer: UserId,
) -> HistoryPage {
    let boundary = if range.after_seq.is_some() {
        messages.last()
    } else {
        messages.first()
    };
    let next_seq = boundary.filter(|_| has_more).map(|m| m.message.seq());
    HistoryPage {
        messages: messages
            .into_iter()
            .map(|m| MessageView::seen_by(m, viewer))
            .collect(),
        has_more,
        next_seq,
    }
}

impl HistoryHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            history: ports.history.clone(),
            recent: ports.recent.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        range: HistoryRange,
    ) -> Result<HistoryPage, AppError> {
        let (conversation, _) = member_of(self.conversations.as_ref(), id, me).await?;
        let state = (conversation.last_seq, conversation.history_version);
        let (messages, has_more) = match self.recent.page(id, state, range).await {
            Some(page) => {
                metrics::counter!("history_pages_total", "source" => "cache").increment(1);
                (page.messages, page.has_more)
            }
            None => {
                metrics::counter!("history_pages_total", "source" => "database").increment(1);
                let (messages, has_more) = read_from(self.history.as_ref(), id, range).await?;
                self.recent.offer(id, state, &messages).await;
                (messages, has_more)
            }
        };
        Ok(page_of(messages, has_more, range, me))
    }
}
