use std::sync::Arc;

use moka::future::Cache;
use time::OffsetDateTime;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::messages::{MessageView, MessagesPorts, view};
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    Conversation, ConversationKind, ConversationRepository, OpenToMembers, Participant,
    ParticipantRepository, Post, PostError, PostFacts,
};
use crate::domain::messages::{ClientMessageId, HistoryQueries, MessageDraft, MessageRepository};
use crate::domain::shared::{ConversationId, RepoError, UserId};

/// Conversations open to their members that one instance remembers for sending.
const KINDS_REMEMBERED: u64 = 100_000;

/// What a post is judged by: the conversation's kind alone, or the conversation and the
/// sender's membership as read.
enum Judge {
    Kind(OpenToMembers),
    /// Boxed: the kind alone is the common case.
    Read(Box<(Conversation, Participant)>),
}

impl Judge {
    fn kind(&self) -> ConversationKind {
        match self {
            Self::Kind(open) => open.kind(),
            Self::Read(read) => read.0.kind,
        }
    }

    /// In a direct chat, the member whose block matters (never in a kind open to members).
    fn direct_peer(&self, members: &[UserId], sender: UserId) -> Option<UserId> {
        match self {
            Self::Kind(_) => None,
            Self::Read(read) => read.0.direct_peer(members, sender),
        }
    }

    fn draft(
        &self,
        id: ConversationId,
        sender: UserId,
        post: Post,
        facts: PostFacts<'_>,
        now: OffsetDateTime,
    ) -> Result<MessageDraft, PostError> {
        match self {
            Self::Kind(open) => open.draft_message(id, sender, post, facts, now),
            Self::Read(read) => read.0.draft_message(&read.1, post, facts, now),
        }
    }
}

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
    /// The conversations open to their members (a kind never changes), as their first send
    /// here read them: later sends skip reading the conversation, and the store checks the
    /// sender's membership as it writes.
    open: Cache<ConversationId, OpenToMembers>,
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
            open: Cache::new(KINDS_REMEMBERED),
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
            Err(not_found @ AppError::NotFound(_)) => Err(not_found),
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
        let judge = match self.open.get(&id).await {
            Some(open) => Judge::Kind(open),
            None => {
                let (conversation, sender) = member_of(self.conversations.as_ref(), id, me).await?;
                if let Some(open) = conversation.kind.open_to_members() {
                    self.open.insert(id, open).await;
                }
                Judge::Read(Box::new((conversation, sender)))
            }
        };
        let members = if judge.kind().needs_members(&post) {
            self.participants.participant_ids(id).await?
        } else {
            Vec::new()
        };
        let blocked = match judge.direct_peer(&members, me) {
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
        let draft = judge.draft(id, me, post, facts, self.clock.now())?;
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
