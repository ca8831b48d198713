//! What a member may post: the conversation's rules for a new message.

use time::OffsetDateTime;

use super::{Conversation, ConversationError, ConversationKind, Participant};
use crate::domain::messages::{ClientMessageId, MessageContent, MessageDraft, MessageKind};
use crate::domain::shared::{AttachmentId, ConversationId, MessageId, UserId};

/// A message as its sender asks to post it.
#[derive(Debug, Clone)]
pub struct Post {
    pub content: MessageContent,
    pub client_message_id: Option<ClientMessageId>,
    pub reply_to: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub attachment_ids: Vec<AttachmentId>,
}

/// What the application looked up for a post; the rules below decide with it.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostFacts<'a> {
    /// The conversation's members, read when [`Conversation::needs_members`] says so.
    pub members: &'a [UserId],
    /// Direct chats: whether either of the two blocks the other.
    pub blocked: bool,
    /// Whether `reply_to` names a message of this conversation.
    pub reply_found: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error(transparent)]
    NotAllowed(#[from] ConversationError),
    /// The same answer as a contacts-only refusal of the chat: a block is not told apart.
    #[error("this direct chat is not allowed")]
    Blocked,
    #[error("is not a message of this conversation")]
    ReplyNotFound,
    #[error("at most 50 users")]
    TooManyMentions,
    #[error("{0} is not in this conversation")]
    MentionsStranger(UserId),
    #[error("at most 10 files")]
    TooManyFiles,
}

impl ConversationKind {
    /// Whether judging `post` needs the member list: a direct chat's block rule and mentions do;
    /// skipping the read otherwise saves a query on most sends.
    pub fn needs_members(self, post: &Post) -> bool {
        self == Self::Direct || !post.mentions.is_empty()
    }

    /// This kind, when being a member is all it takes to post here: no rule on roles (channels)
    /// nor on blocks (direct chats).
    pub fn open_to_members(self) -> Option<OpenToMembers> {
        matches!(self, Self::Group | Self::Business).then_some(OpenToMembers(self))
    }
}

/// A kind of conversation where every member may post (groups, business chats). The store
/// checks membership as it writes a text message, so a post here is judged by the kind, which
/// never changes, without reading the conversation first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenToMembers(ConversationKind);

impl OpenToMembers {
    pub fn kind(self) -> ConversationKind {
        self.0
    }

    /// `sender`'s post to conversation `id`, mentions and files deduplicated, or why not.
    pub fn draft_message(
        self,
        id: ConversationId,
        sender: UserId,
        post: Post,
        facts: PostFacts<'_>,
        now: OffsetDateTime,
    ) -> Result<MessageDraft, PostError> {
        draft(id, self.0, sender, post, facts, now)
    }
}

impl Conversation {
    pub const MAX_MENTIONS: usize = 50;
    pub const MAX_FILES: usize = 10;

    /// In a direct chat, the member besides `sender`: the one whose block matters.
    pub fn direct_peer(&self, members: &[UserId], sender: UserId) -> Option<UserId> {
        (self.kind == ConversationKind::Direct)
            .then(|| members.iter().copied().find(|id| *id != sender))
            .flatten()
    }

    /// The message `sender` may post here, mentions and files deduplicated, or why not.
    pub fn draft_message(
        &self,
        sender: &Participant,
        post: Post,
        facts: PostFacts<'_>,
        now: OffsetDateTime,
    ) -> Result<MessageDraft, PostError> {
        self.check_can_post(sender)?;
        draft(self.id, self.kind, sender.user_id, post, facts, now)
    }
}

fn draft(
    id: ConversationId,
    kind: ConversationKind,
    sender: UserId,
    post: Post,
    facts: PostFacts<'_>,
    now: OffsetDateTime,
) -> Result<MessageDraft, PostError> {
    if kind == ConversationKind::Direct && facts.blocked {
        return Err(PostError::Blocked);
    }
    if post.reply_to.is_some() && !facts.reply_found {
        return Err(PostError::ReplyNotFound);
    }
    let mut mentions = post.mentions;
    mentions.sort();
    mentions.dedup();
    if mentions.len() > Conversation::MAX_MENTIONS {
        return Err(PostError::TooManyMentions);
    }
    if let Some(stranger) = mentions.iter().find(|id| !facts.members.contains(id)) {
        return Err(PostError::MentionsStranger(*stranger));
    }
    let mut attachment_ids = post.attachment_ids;
    attachment_ids.sort();
    attachment_ids.dedup();
    if attachment_ids.len() > Conversation::MAX_FILES {
        return Err(PostError::TooManyFiles);
    }
    Ok(MessageDraft {
        id: MessageId::new(),
        conversation_id: id,
        sender_id: sender,
        kind: MessageKind::Text,
        content: post.content,
        client_message_id: post.client_message_id,
        reply_to: post.reply_to,
        mentions,
        attachment_ids,
        created_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversations::{Description, Role, Title};

    fn chat(kind: ConversationKind) -> Conversation {
        let title = (kind != ConversationKind::Direct).then(|| Title::parse("t").unwrap());
        Conversation::new(
            kind,
            title,
            Description::default(),
            UserId::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    fn member(role: Role) -> Participant {
        Participant::new(UserId::new(), role, OffsetDateTime::UNIX_EPOCH)
    }

    fn post() -> Post {
        Post {
            content: MessageContent::parse("hi").unwrap(),
            client_message_id: None,
            reply_to: None,
            mentions: Vec::new(),
            attachment_ids: Vec::new(),
        }
    }

    fn draft(
        kind: ConversationKind,
        sender: &Participant,
        post: Post,
        facts: PostFacts<'_>,
    ) -> Result<MessageDraft, PostError> {
        chat(kind).draft_message(sender, post, facts, OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn only_admins_post_in_a_channel() {
        let (admin, plain) = (member(Role::Admin), member(Role::Member));
        let facts = PostFacts::default();
        assert!(draft(ConversationKind::Channel, &admin, post(), facts).is_ok());
        assert_eq!(
            draft(ConversationKind::Channel, &plain, post(), facts).err(),
            Some(PostError::NotAllowed(ConversationError::ChannelIsAdminOnly))
        );
        assert!(draft(ConversationKind::Group, &plain, post(), facts).is_ok());
    }

    #[test]
    fn a_block_closes_a_direct_chat_only() {
        let sender = member(Role::Member);
        let blocked = PostFacts {
            blocked: true,
            ..PostFacts::default()
        };
        assert_eq!(
            draft(ConversationKind::Direct, &sender, post(), blocked).err(),
            Some(PostError::Blocked)
        );
        assert!(draft(ConversationKind::Group, &sender, post(), blocked).is_ok());
    }

    #[test]
    fn a_reply_names_a_message_found_here() {
        let sender = member(Role::Member);
        let reply = Post {
            reply_to: Some(MessageId::new()),
            ..post()
        };
        let found = PostFacts {
            reply_found: true,
            ..PostFacts::default()
        };
        assert!(draft(ConversationKind::Group, &sender, reply.clone(), found).is_ok());
        assert_eq!(
            draft(
                ConversationKind::Group,
                &sender,
                reply,
                PostFacts::default()
            )
            .err(),
            Some(PostError::ReplyNotFound)
        );
    }

    #[test]
    fn mentions_are_members_deduplicated_and_capped() {
        let sender = member(Role::Member);
        let members: Vec<UserId> = (0..=Conversation::MAX_MENTIONS)
            .map(|_| UserId::new())
            .collect();
        let facts = PostFacts {
            members: &members,
            ..PostFacts::default()
        };
        let twice = Post {
            mentions: vec![members[1], members[0], members[1]],
            ..post()
        };
        let drafted = draft(ConversationKind::Group, &sender, twice, facts).unwrap();
        assert_eq!(drafted.mentions.len(), 2);
        let all = Post {
            mentions: members.clone(),
            ..post()
        };
        assert_eq!(
            draft(ConversationKind::Group, &sender, all, facts).err(),
            Some(PostError::TooManyMentions)
        );
        let stranger = UserId::new();
        let outside = Post {
            mentions: vec![stranger],
            ..post()
        };
        assert_eq!(
            draft(ConversationKind::Group, &sender, outside, facts).err(),
            Some(PostError::MentionsStranger(stranger))
        );
    }

    #[test]
    fn a_message_carries_at_most_ten_files() {
        let sender = member(Role::Member);
        let files = |n: usize| Post {
            attachment_ids: (0..n).map(|_| AttachmentId::new()).collect(),
            ..post()
        };
        let facts = PostFacts::default();
        let ten = draft(ConversationKind::Group, &sender, files(10), facts).unwrap();
        assert_eq!(ten.attachment_ids.len(), 10);
        assert_eq!(
            draft(ConversationKind::Group, &sender, files(11), facts).err(),
            Some(PostError::TooManyFiles)
        );
    }

    #[test]
    fn the_peer_of_a_direct_chat_is_the_other_member() {
        let (me, them) = (UserId::new(), UserId::new());
        let direct = chat(ConversationKind::Direct);
        assert_eq!(direct.direct_peer(&[me, them], me), Some(them));
        assert_eq!(
            chat(ConversationKind::Group).direct_peer(&[me, them], me),
            None
        );
    }

    #[test]
    fn the_kind_alone_judges_a_post_only_where_membership_decides() {
        // A channel's roles and a direct chat's blocks need the conversation read first.
        assert_eq!(ConversationKind::Channel.open_to_members(), None);
        assert_eq!(ConversationKind::Direct.open_to_members(), None);
        let sender = UserId::new();
        let at = OffsetDateTime::UNIX_EPOCH;
        for kind in [ConversationKind::Group, ConversationKind::Business] {
            let open = kind.open_to_members().expect("open to members");
            assert_eq!(open.kind(), kind);
            let facts = PostFacts::default();
            let draft = open.draft_message(ConversationId::new(), sender, post(), facts, at);
            assert_eq!(draft.expect("allowed").sender_id, sender);
        }
        let strangers = Post {
            mentions: vec![UserId::new()],
            ..post()
        };
        let group = ConversationKind::Group.open_to_members().expect("open");
        let facts = PostFacts::default();
        let refused = group.draft_message(ConversationId::new(), sender, strangers, facts, at);
        assert!(matches!(refused, Err(PostError::MentionsStranger(_))));
    }
}
