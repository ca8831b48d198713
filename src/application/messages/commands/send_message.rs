use std::sync::Arc;

use moka::future::Cache;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::messages::{MessageView, MessagesPorts, view};
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    ConversationKind, ConversationRepository, ParticipantRepository, Post, PostFacts,
    draft_member_post,
};
use crate::domain::messages::{ClientMessageId, HistoryQueries, MessageRepository};
use crate::domain::shared::{ConversationId, RepoError, UserId};

/// Conversations whose kind one instance remembers for sending.
const KINDS_REMEMBERED: u64 = 100_000;

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
    /// Each conversation's kind, which never changes, as its first send here read it. Where
    /// the kind alone decides who posts, later sends skip reading the conversation: the store
    /// checks the sender's membership as it writes.
    kinds: Cache<ConversationId, ConversationKind>,
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
            kinds: Cache::new(KINDS_REMEMBERED),
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
        let id = cmd.conversation_id;
        let key = cmd.post.client_message_id.clone();
        // The unique index finds a retry when it is stored; a retry that would be refused now
        // (posting rights lost, a block since) still gets its original.
        match self.store(me, id, cmd.post).await {
            // Not a member: nothing of the conversation is shown, not even an original.
            Err(AppError::NotFound(what)) => Err(AppError::NotFound(what)),
            Err(refused) => match key {
                Some(key) => match self.original(id, me, &key).await? {
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
        me: UserId,
        id: ConversationId,
        post: Post,
    ) -> Result<(MessageView, bool), AppError> {
        let (kind, read) = match self.kinds.get(&id).await {
            Some(kind) if kind.membership_decides_posting() => (kind, None),
            _ => {
                let (conversation, sender) = member_of(self.conversations.as_ref(), id, me).await?;
                self.kinds.insert(id, conversation.kind).await;
                (conversation.kind, Some((conversation, sender)))
            }
        };
        let members = if kind.needs_members(&post) {
            self.participants.participant_ids(id).await?
        } else {
            Vec::new()
        };
        let blocked = match read.as_ref().and_then(|(c, _)| c.direct_peer(&members, me)) {
            Some(other) => self.relationships.is_blocked(me, other).await?,
            None => false,
        };
        let reply_found = match post.reply_to {
            Some(reply_to) => self.messages.find(id, reply_to).await?.is_some(),
            None => false,
        };
        let facts = PostFacts {
            members: &members,
            blocked,
            reply_found,
        };
        let now = self.clock.now();
        let draft = match &read {
            Some((conversation, sender)) => conversation.draft_message(sender, post, facts, now)?,
            None => draft_member_post(id, kind, me, post, facts, now)
                .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("{kind:?} needs a read")))??,
        };
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
            // Not (or no longer) a member, or the conversation is gone: as if never a member.
            Err(RepoError::Gone(_)) => Err(AppError::NotFound("conversation_not_found")),
            // The same key raced in from another request: answer with the one that won.
            Err(RepoError::Duplicate(_)) => {
                let key = draft.client_message_id.as_ref();
                match key {
                    Some(key) => self.original(id, me, key).await?,
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
        id: ConversationId,
        me: UserId,
        key: &ClientMessageId,
    ) -> Result<Option<MessageView>, AppError> {
        let found = self
            .messages
            .find_by_client_id(id, me, key.as_str())
            .await?;
        match found {
            Some(original) => Ok(Some(view(self.history.as_ref(), original, me).await?)),
            None => Ok(None),
        }
    }
}
