use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{HistoryHandler, MessageView};
use crate::application::ports::Clock;
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::HistoryRange;
use crate::domain::shared::{ConversationId, UserId};

/// One conversation a reconnecting client asks to catch up on.
#[derive(Debug, Clone, Copy)]
pub struct SyncEntry {
    pub conversation_id: ConversationId,
    pub after_seq: i64,
}

/// How a conversation stands once replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    pub conversation_id: ConversationId,
    pub last_seq: i64,
    /// More than one sync's worth was missed: sync again from `last_seq`.
    pub has_more: bool,
    /// Why this conversation was not replayed; the others were.
    pub error: Option<&'static str>,
}

/// What a replay yields, in order: messages and resync notices, then the outcomes.
#[derive(Debug)]
pub enum Replayed {
    Message(Box<MessageView>),
    /// The client must reload this conversation: this server cannot continue from `from_seq`
    /// (`reason`: `unknown_seq` when the client is ahead of it, `expired` when retention erased
    /// the range).
    Resync {
        conversation_id: ConversationId,
        from_seq: i64,
        to_seq: i64,
        reason: &'static str,
    },
    Done(Vec<SyncOutcome>),
}

/// The connection went away before the replay ended.
#[derive(Debug)]
pub struct Closed;

/// The `sync` use case: replays what a reconnecting client missed into a bounded queue that
/// its connection drains between live events, so a long catch-up neither blocks live delivery
/// nor holds more than a page in memory.
#[derive(Clone)]
pub struct CatchUp {
    conversations: Arc<dyn ConversationRepository>,
    history: Arc<HistoryHandler>,
    clock: Arc<dyn Clock>,
    retention: Option<Duration>,
}

pub const SYNC_CONVERSATIONS_MAX: usize = 100;
const PAGE: u64 = 100;
const PAGES_MAX: usize = 10;

impl CatchUp {
    pub fn new(
        conversations: Arc<dyn ConversationRepository>,
        history: Arc<HistoryHandler>,
        clock: Arc<dyn Clock>,
        retention: Option<Duration>,
    ) -> Self {
        Self {
            conversations,
            history,
            clock,
            retention,
        }
    }

    /// Refuses a request too large to answer in one sync.
    pub fn check(entries: &[SyncEntry]) -> Result<(), AppError> {
        if entries.len() > SYNC_CONVERSATIONS_MAX {
            return Err(AppError::invalid(
                "conversations",
                format!("at most {SYNC_CONVERSATIONS_MAX} per sync"),
            ));
        }
        Ok(())
    }

    /// Replays every message after each entry's `after_seq`, in seq order, then the outcomes.
    /// One conversation that cannot be replayed answers for itself in the outcomes.
    pub async fn replay(
        &self,
        me: UserId,
        entries: Vec<SyncEntry>,
        out: &mpsc::Sender<Replayed>,
    ) -> Result<(), Closed> {
        let mut outcomes = Vec::with_capacity(entries.len());
        for entry in entries {
            let outcome = match self.one(me, entry, out).await {
                Ok(outcome) => outcome,
                Err(Failure::Closed) => return Err(Closed),
                Err(Failure::App(error)) => {
                    if let AppError::Unexpected(error) = &error {
                        tracing::warn!(error = %format!("{error:#}"), "sync of one conversation failed");
                    }
                    SyncOutcome {
                        conversation_id: entry.conversation_id,
                        last_seq: entry.after_seq,
                        has_more: false,
                        error: Some(error.code()),
                    }
                }
            };
            outcomes.push(outcome);
        }
        out.send(Replayed::Done(outcomes)).await.map_err(|_| Closed)
    }

    async fn one(
        &self,
        me: UserId,
        entry: SyncEntry,
        out: &mpsc::Sender<Replayed>,
    ) -> Result<SyncOutcome, Failure> {
        let id = entry.conversation_id;
        let (conversation, _) = member_of(self.conversations.as_ref(), id, me).await?;
        let last_seq = conversation.last_seq;
        let resync = |reason| Replayed::Resync {
            conversation_id: id,
            from_seq: entry.after_seq,
            to_seq: last_seq,
            reason,
        };
        let done = |last_seq, has_more| SyncOutcome {
            conversation_id: id,
            last_seq,
            has_more,
            error: None,
        };
        if entry.after_seq > last_seq || entry.after_seq < 0 {
            out.send(resync("unknown_seq")).await?;
            return Ok(done(last_seq, false));
        }
        let mut after = entry.after_seq;
        for page_number in 0..PAGES_MAX {
            let range = HistoryRange {
                before_seq: None,
                after_seq: Some(after),
                limit: PAGE,
            };
            let page = self.history.handle(me, id, range).await?;
            if page_number == 0 && page.messages.first().is_some_and(|v| self.expired(v)) {
                out.send(resync("expired")).await?;
                return Ok(done(last_seq, false));
            }
            for view in page.messages {
                after = view.message.seq();
                out.send(Replayed::Message(Box::new(view))).await?;
            }
            if !page.has_more {
                return Ok(done(after, false));
            }
        }
        Ok(done(after, true))
    }

    /// Erased by retention, not deleted by its sender: the range before it is gone.
    fn expired(&self, view: &MessageView) -> bool {
        self.retention.is_some_and(|retention| {
            view.message.is_deleted() && view.message.created_at() < self.clock.now() - retention
        })
    }
}

enum Failure {
    Closed,
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Self::App(error)
    }
}

impl<T> From<mpsc::error::SendError<T>> for Failure {
    fn from(_: mpsc::error::SendError<T>) -> Self {
        Self::Closed
    }
}
