//! Messages use cases: send (idempotent by `client_message_id`), edit, delete, history,
//! threads, reactions, read and delivered markers, receipts, search and retention.

mod history;
mod markers;
mod reactions;
mod recent;
mod retention;
mod search;
mod send;
mod wire;

use std::sync::Arc;

pub(crate) use history::overseen_page;
pub use history::{HistoryHandler, HistoryPage, Thread};
pub use markers::{DeliveredBatch, MarkersHandler, ReceiptsView};
pub use reactions::ReactionsHandler;
pub use recent::RecentMessages;
pub use retention::RetentionJob;
pub use search::{SearchHandler, SearchMessages};
pub use send::{EditMessage, MessageCommandsHandler, SendMessage};

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    Conversation, ConversationRepository, MarkerRepository, Participant, ParticipantRepository,
};
use crate::domain::messages::{
    HistoryQueries, Message, MessageError, MessageRepository, MessageSearch, ReactedMessage,
    Reaction, ReceiptQueries,
};
use crate::domain::shared::{ConversationId, MessageId, UserId};

pub struct MessagesDeps {
    pub conversations: Arc<dyn ConversationRepository>,
    pub participants: Arc<dyn ParticipantRepository>,
    pub markers: Arc<dyn MarkerRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub history: Arc<dyn HistoryQueries>,
    pub receipts: Arc<dyn ReceiptQueries>,
    pub search: Arc<dyn MessageSearch>,
    pub relationships: Relationships,
    pub clock: Arc<dyn Clock>,
    pub send_limit: WriteLimit,
    pub react_limit: WriteLimit,
    /// The newest messages of active conversations (fed by this instance's event reader).
    pub recent: Arc<RecentMessages>,
}

impl MessagesDeps {
    async fn member_of(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> Result<(Conversation, Participant), AppError> {
        member_of(self.conversations.as_ref(), id, user).await
    }

    async fn message(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Message, AppError> {
        self.messages
            .find(conversation, id)
            .await?
            .ok_or(AppError::NotFound("message_not_found"))
    }

    /// Messages with their reactions for `viewer`, in one extra query.
    async fn views(
        &self,
        messages: Vec<Message>,
        viewer: UserId,
    ) -> Result<Vec<MessageView>, AppError> {
        let ids: Vec<MessageId> = messages
            .iter()
            .filter(|m| !m.is_deleted())
            .map(|m| m.id)
            .collect();
        let mut reactions = self.history.reactions(&ids, viewer).await?;
        Ok(messages
            .into_iter()
            .map(|message| {
                let reactions = reactions.remove(&message.id).unwrap_or_default();
                MessageView { message, reactions }
            })
            .collect())
    }
}

/// A message with its reaction counts as one viewer sees them. Serialises to its wire form,
/// the same over REST and the socket (`wire.rs`).
#[derive(Debug, Clone)]
pub struct MessageView {
    pub message: Message,
    pub reactions: Vec<Reaction>,
}

impl MessageView {
    pub fn seen_by(reacted: ReactedMessage, viewer: UserId) -> Self {
        Self {
            reactions: reacted
                .reactions
                .iter()
                .map(|r| r.seen_by(viewer))
                .collect(),
            message: reacted.message,
        }
    }
}

impl From<MessageError> for AppError {
    fn from(error: MessageError) -> Self {
        match error {
            MessageError::ContentLength => AppError::invalid("content", error.to_string()),
            MessageError::ClientMessageId => {
                AppError::invalid("client_message_id", error.to_string())
            }
            MessageError::Emoji => AppError::invalid("emoji", error.to_string()),
            MessageError::NotAuthor => AppError::Forbidden("not_author"),
            MessageError::Deleted => AppError::Conflict("message_deleted"),
            MessageError::TooManyReactions => AppError::Conflict("too_many_reactions"),
            MessageError::System => AppError::Forbidden("system_message"),
        }
    }
}

pub struct MessagesHandlers {
    pub commands: MessageCommandsHandler,
    pub history: HistoryHandler,
    pub reactions: ReactionsHandler,
    pub markers: MarkersHandler,
    pub delivered: Arc<DeliveredBatch>,
    pub search: SearchHandler,
}

impl MessagesHandlers {
    pub fn new(deps: Arc<MessagesDeps>) -> Self {
        Self {
            commands: MessageCommandsHandler::new(deps.clone()),
            history: HistoryHandler::new(deps.clone()),
            reactions: ReactionsHandler::new(deps.clone()),
            markers: MarkersHandler::new(deps.clone()),
            delivered: Arc::new(DeliveredBatch::new(deps.clone())),
            search: SearchHandler::new(deps),
        }
    }
}
