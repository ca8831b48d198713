//! Messages use cases: send (idempotent by `client_message_id`), edit, delete, history,
//! threads, reactions, read and delivered markers, receipts, search and retention.

pub mod commands;
pub mod queries;
mod recent;
mod retention;
mod wire;

use std::sync::Arc;

pub use commands::{
    AddReactionHandler, DeleteMessageHandler, DeliveredBatch, EditMessage, EditMessageHandler,
    Marker, MoveMarkerHandler, React, RemoveReactionHandler, SendMessage, SendMessageHandler,
};
pub(crate) use queries::overseen_page;
pub use queries::{
    HistoryHandler, HistoryPage, ReceiptsHandler, ReceiptsView, SearchHandler, SearchMessages,
    Thread, ThreadHandler,
};
pub use recent::{RecentMessages, SoleWriter};
pub use retention::RetentionJob;

use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    ConversationRepository, MarkerRepository, ParticipantRepository, PostError,
};
use crate::domain::messages::{
    HistoryQueries, Message, MessageError, MessageRepository, MessageSearch, ReactedMessage,
    Reaction, ReceiptQueries,
};
use crate::domain::shared::{ConversationId, MessageId, UserId};

/// What the messages handlers are built from; each keeps only the ports it uses.
pub struct MessagesPorts {
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

/// Message `id` of `conversation`, or `message_not_found`.
async fn message_in(
    messages: &dyn MessageRepository,
    conversation: ConversationId,
    id: MessageId,
) -> Result<Message, AppError> {
    messages
        .find(conversation, id)
        .await?
        .ok_or(AppError::NotFound("message_not_found"))
}

/// Messages with their reactions for `viewer`, in one extra query.
async fn views(
    history: &dyn HistoryQueries,
    messages: Vec<Message>,
    viewer: UserId,
) -> Result<Vec<MessageView>, AppError> {
    let ids: Vec<MessageId> = messages
        .iter()
        .filter(|m| !m.is_deleted())
        .map(|m| m.id())
        .collect();
    let mut reactions = history.reactions(&ids, viewer).await?;
    Ok(messages
        .into_iter()
        .map(|message| {
            let reactions = reactions.remove(&message.id()).unwrap_or_default();
            MessageView { message, reactions }
        })
        .collect())
}

async fn view(
    history: &dyn HistoryQueries,
    message: Message,
    viewer: UserId,
) -> Result<MessageView, AppError> {
    let mut views = views(history, vec![message], viewer).await?;
    views
        .pop()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("message view lost")))
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

impl From<PostError> for AppError {
    fn from(error: PostError) -> Self {
        match error {
            PostError::NotAllowed(refused) => refused.into(),
            PostError::Blocked => AppError::Forbidden("direct_chat_not_allowed"),
            PostError::ReplyNotFound => AppError::invalid("reply_to", error.to_string()),
            PostError::TooManyMentions | PostError::MentionsStranger(_) => {
                AppError::invalid("mentions", error.to_string())
            }
            PostError::TooManyFiles => AppError::invalid("attachment_ids", error.to_string()),
        }
    }
}

/// Every messages handler, built once at startup.
pub struct MessagesHandlers {
    pub send: SendMessageHandler,
    pub edit: EditMessageHandler,
    pub delete: DeleteMessageHandler,
    pub add_reaction: AddReactionHandler,
    pub remove_reaction: RemoveReactionHandler,
    pub move_marker: MoveMarkerHandler,
    pub delivered: Arc<DeliveredBatch>,
    pub history: Arc<HistoryHandler>,
    pub thread: ThreadHandler,
    pub receipts: ReceiptsHandler,
    pub search: SearchHandler,
}

impl MessagesHandlers {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            send: SendMessageHandler::new(ports),
            edit: EditMessageHandler::new(ports),
            delete: DeleteMessageHandler::new(ports),
            add_reaction: AddReactionHandler::new(ports),
            remove_reaction: RemoveReactionHandler::new(ports),
            move_marker: MoveMarkerHandler::new(ports),
            delivered: Arc::new(DeliveredBatch::new(ports)),
            history: Arc::new(HistoryHandler::new(ports)),
            thread: ThreadHandler::new(ports),
            receipts: ReceiptsHandler::new(ports),
            search: SearchHandler::new(ports),
        }
    }
}
