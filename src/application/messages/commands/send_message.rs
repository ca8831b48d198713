use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::messages::{MessageView, MessagesPorts, view};
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    Conversation, ConversationRepository, Participant, ParticipantRepository, Post, PostFacts,
};
use crate::domain::messages::{ClientMessageId, HistoryQueries, MessageRepository};
use crate::domain::shared::{ConversationId, RepoError, UserId};

pub struct SendMessage {
    pub conversation_id: ConversationId,
    pub post: Post,
}

/// Stores a message; its `message.created` event commits with it.
pub struct SendMessageHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
    messages: Arc<dyn MessageRepository>,
    history: Arc<dyn HistoryQueries>,
    relationships: Relationships,
    clock: Arc<dyn Clock>,
    limit: WriteLimit,
}

impl SendMessageHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
            messages: ports.messages.clone(),
            history: ports.history.clone(),
            relationships: ports.relationships.clone(),
            clock: ports.clock.clone(),
            limit: ports.send_limit.clone(),
        }
    }

    /// Stores and announces a message. A retry with a `client_message_id` the sender already
    /// used here returns the original message (`false`: not created), never a duplicate.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %cmd.conversation_id))]
    pub async fn handle(
        &self,
        me: UserId,
        cmd: SendMessage,
    ) -> Result<(MessageView, bool), AppError> {
        let started = std::time::Instant::now();
        self.limit.spend(me).await?;
        let (conversation, participant) =
            member_of(self.conversations.as_ref(), cmd.conversation_id, me).await?;
        let key = cmd.post.client_message_id.clone();
        // The unique index finds a retry when it is stored; a retry that would be refused now
        // (posting rights lost, a block since) still gets its original.
        match self.store(&conversation, &participant, cmd.post).await {
            Err(refused) => match key {
                Some(key) => match self.original(&conversation, me, &key).await? {
                    Some(original) => Ok((original, false)),
                    None => Err(refused),
                },
                None => Err(refused),
            },
            Ok(created) => {
                // From the request to its commit (the ack follows at once).
                metrics::histogram!("message_send_duration_seconds")
                    .record(started.elapsed().as_secs_f64());
                Ok(created)
            }
        }
    }

    async fn store(
        &self,
        conversation: &Conversation,
        sender: &Participant,
        post: Post,
    ) -> Result<(MessageView, bool), AppError> {
        let me = sender.user_id;
        let members = if conversation.needs_members(&post) {
            self.participants.participant_ids(conversation.id).await?
        } else {
            Vec::new()
        };
        let blocked = match conversation.direct_peer(&members, me) {
            Some(other) => self.relationships.is_blocked(me, other).await?,
            None => false,
        };
        let reply_found = match post.reply_to {
            Some(reply_to) => self
                .messages
                .find(conversation.id, reply_to)
                .await?
                .is_some(),
            None => false,
        };
        let facts = PostFacts {
            members: &members,
            blocked,
            reply_found,
        };
        let draft = conversation.draft_message(sender, post, facts, self.clock.now())?;
        match self.messages.append(&draft).await {
            Ok(message) => Ok((
                MessageView {
                    message,
                    reactions: Vec::new(),
                },
                true,
            )),
            Err(RepoError::Duplicate("attachment_ids")) => Err(AppError::invalid(
                "attachment_ids",
                "each must be an upload of yours not sent yet",
            )),
            // The same key raced in from another request: answer with the one that won.
            Err(RepoError::Duplicate(_)) => {
                let key = draft.client_message_id.as_ref();
                match key {
                    Some(key) => self.original(conversation, me, key).await?,
                    None => None,
                }
                .map(|original| (original, false))
                .ok_or(AppError::Conflict("client_message_id_in_use"))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The message `me` already sent here under `key`, as `me` sees it.
    async fn original(
        &self,
        conversation: &Conversation,
        me: UserId,
        key: &ClientMessageId,
    ) -> Result<Option<MessageView>, AppError> {
        let found = self
            .messages
            .find_by_client_id(conversation.id, me, key.as_str())
            .await?;
        match found {
            Some(original) => Ok(Some(view(self.history.as_ref(), original, me).await?)),
            None => Ok(None),
        }
    }
}
