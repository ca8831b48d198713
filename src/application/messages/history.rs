use std::sync::Arc;

use super::{MessageView, MessagesDeps};
use crate::application::error::AppError;
use crate::domain::messages::{HistoryQueries, HistoryRange, ReactedMessage};
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

/// A page from the database, and whether more lie beyond it: one row more is read to know.
async fn read_page(
    deps: &MessagesDeps,
    id: ConversationId,
    range: HistoryRange,
) -> Result<(Vec<ReactedMessage>, bool), AppError> {
    read_from(deps.history.as_ref(), id, range).await
}

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
    let next_seq = boundary.filter(|_| has_more).map(|m| m.message.seq);
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
        let (conversation, _) = deps.member_of(id, me).await?;
        let state = (conversation.last_seq, conversation.history_version);
        let (messages, has_more) = match deps.recent.page(id, state, range).await {
            Some(page) => {
                metrics::counter!("history_pages_total", "source" => "cache").increment(1);
                (page.messages, page.has_more)
            }
            None => {
                metrics::counter!("history_pages_total", "source" => "database").increment(1);
                let (messages, has_more) = read_page(deps, id, range).await?;
                deps.recent.offer(id, state, &messages).await;
                (messages, has_more)
            }
        };
        Ok(page_of(messages, has_more, range, me))
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
            .history
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
