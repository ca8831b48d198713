use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::recent::{Admission, Held};
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
/// A reader the cache already knows as a member, on an instance that alone writes, skips the
/// membership check too.
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
    let mut messages = messages.history(id, one_more(range)).await?;
    let has_more = trim(&mut messages, range);
    Ok((messages, has_more))
}

fn one_more(range: HistoryRange) -> HistoryRange {
    HistoryRange {
        limit: range.limit + 1,
        ..range
    }
}

/// Drops the row read past `range` from `messages`, read with `one_more`; whether it was there.
fn trim(messages: &mut Vec<ReactedMessage>, range: HistoryRange) -> bool {
    let has_more = messages.len() as u64 > range.limit;
    if has_more {
        if range.after_seq.is_some() {
            messages.pop();
        } else {
            messages.remove(0);
        }
    }
    has_more
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
        if let Some(page) = self.recent.page_for(me, id, range).await {
            metrics::counter!("history_pages_total", "source" => "memory").increment(1);
            return Ok(page_of(page.messages, page.has_more, range, me));
        }
        let admission = self.recent.admission();
        let (messages, has_more) = match self.recent.holding(id, range).await {
            Some(held) => {
                self.checked_then_cached(me, id, range, held, admission)
                    .await?
            }
            None => self.read_as_member(me, id, range).await?,
        };
        self.recent.admit(id, me, admission).await;
        Ok(page_of(messages, has_more, range, me))
    }

    /// Membership first, with the state it finds; then the cache if it holds that state.
    async fn checked_then_cached(
        &self,
        me: UserId,
        id: ConversationId,
        range: HistoryRange,
        held: Held,
        admission: Admission,
    ) -> Result<(Vec<ReactedMessage>, bool), AppError> {
        let (conversation, _) = member_of(self.conversations.as_ref(), id, me).await?;
        let state = conversation.history_state();
        if let Some(page) = self.recent.page(&held, state, range, admission) {
            metrics::counter!("history_pages_total", "source" => "cache").increment(1);
            return Ok((page.messages, page.has_more));
        }
        metrics::counter!("history_pages_total", "source" => "database").increment(1);
        let (messages, has_more) = read_from(self.history.as_ref(), id, range).await?;
        self.recent.offer(id, state, &messages).await;
        Ok((messages, has_more))
    }

    /// A page no window holds: membership and page in one statement. An empty answer may be
    /// an empty range: membership then says which.
    async fn read_as_member(
        &self,
        me: UserId,
        id: ConversationId,
        range: HistoryRange,
    ) -> Result<(Vec<ReactedMessage>, bool), AppError> {
        metrics::counter!("history_pages_total", "source" => "database").increment(1);
        let (state, mut messages) = self.history.member_history(id, me, one_more(range)).await?;
        let Some(state) = state else {
            member_of(self.conversations.as_ref(), id, me).await?;
            return Ok((Vec::new(), false));
        };
        let has_more = trim(&mut messages, range);
        self.recent.offer(id, state, &messages).await;
        Ok((messages, has_more))
    }
}
