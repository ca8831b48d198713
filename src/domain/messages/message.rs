use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::shared::{AttachmentId, ConversationId, MessageId, UserId};

/// Message text: 1 to 4000 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

/// The sender's idempotency key for a send: 1 to 64 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMessageId(String);

/// A reaction: one emoji (a short sequence, e.g. with skin tone or ZWJ), no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Emoji(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("must be 1 to 4000 characters (0 when the message carries files)")]
    ContentLength,
    #[error("must be 1 to 64 printable ASCII characters")]
    ClientMessageId,
    #[error("must be one emoji of the Unicode emoji list")]
    Emoji,
    #[error("only the author may edit a message")]
    NotAuthor,
    #[error("the message was deleted")]
    Deleted,
    #[error("a message carries at most 20 different emoji")]
    TooManyReactions,
    #[error("system messages cannot be changed")]
    System,
}

/// Who wrote a message: a person, or the server telling of something (a case was assigned).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    #[default]
    Text,
    /// Written by the server; its `sender_id` is the user it is about. Nobody edits or
    /// deletes it, and it never counts as that user's reply.
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "text" => Some(Self::Text),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

impl MessageContent {
    pub fn parse(raw: &str) -> Result<Self, MessageError> {
        Self::parse_with_files(raw, false)
    }

    /// The text of a message carrying `has_files`: then it may be empty (a picture alone).
    pub fn parse_with_files(raw: &str, has_files: bool) -> Result<Self, MessageError> {
        let text = raw.trim();
        if (text.is_empty() && !has_files) || text.chars().count() > 4000 {
            return Err(MessageError::ContentLength);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ClientMessageId {
    pub fn parse(raw: &str) -> Result<Self, MessageError> {
        if !(1..=64).contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(MessageError::ClientMessageId);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Emoji {
    /// One emoji of the Unicode emoji list (with skin tones, ZWJ sequences and flags), kept in
    /// its fully-qualified form, so that "❤" and "❤️" are the same reaction.
    pub fn parse(raw: &str) -> Result<Self, MessageError> {
        const LONGEST: usize = 64;
        if raw.len() > LONGEST {
            return Err(MessageError::Emoji);
        }
        let known = emojis::get(raw).or_else(|| emojis::get(&format!("{raw}\u{fe0f}")));
        match known {
            Some(emoji) => Ok(Self(emoji.as_str().to_owned())),
            None => Err(MessageError::Emoji),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many users reacted with one emoji, and whether the viewer is one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub count: u64,
    pub me: bool,
}

impl Reaction {
    /// Different emoji one message may carry: past it, reactions are a way to bloat every
    /// history page and event of the conversation.
    pub const MAX_DISTINCT: usize = 20;

    /// Whether `emoji` may join `existing`, a message's reactions: one already there always
    /// may (another user adding to its count).
    pub fn check_can_add(existing: &[Reaction], emoji: &Emoji) -> Result<(), MessageError> {
        let present = existing.iter().any(|r| r.emoji == emoji.as_str());
        if !present && existing.len() >= Self::MAX_DISTINCT {
            return Err(MessageError::TooManyReactions);
        }
        Ok(())
    }
}

/// Who reacted to a message with one emoji, in the order they did: what each viewer's
/// `Reaction` is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reactors {
    pub emoji: String,
    pub users: Vec<UserId>,
}

impl Reactors {
    pub fn seen_by(&self, viewer: UserId) -> Reaction {
        Reaction {
            emoji: self.emoji.clone(),
            count: self.users.len() as u64,
            me: self.users.contains(&viewer),
        }
    }

    /// Adds `user`'s `emoji` to a message's `reactions` (emojis in the order each was first
    /// used).
    pub fn add(reactions: &mut Vec<Reactors>, emoji: &str, user: UserId) {
        match reactions.iter_mut().find(|r| r.emoji == emoji) {
            Some(reactors) => reactors.users.push(user),
            None => reactions.push(Reactors {
                emoji: emoji.to_owned(),
                users: vec![user],
            }),
        }
    }
}

/// A stored message with everyone's reactions (none once it is deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactedMessage {
    pub message: Message,
    pub reactions: Vec<Reactors>,
}

/// A message about to be stored; the repository assigns its `seq`.
#[derive(Debug, Clone)]
pub struct MessageDraft {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    pub kind: MessageKind,
    pub content: MessageContent,
    pub client_message_id: Option<ClientMessageId>,
    pub reply_to: Option<MessageId>,
    pub mentions: Vec<UserId>,
    /// The sender's unbound uploads, bound to this message when it is stored.
    pub attachment_ids: Vec<AttachmentId>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    /// Gap-free and strictly increasing within the conversation, from 1.
    pub seq: i64,
    pub sender_id: UserId,
    pub kind: MessageKind,
    /// Empty once deleted.
    pub content: String,
    pub client_message_id: Option<String>,
    pub reply_to: Option<MessageId>,
    pub reply_count: i64,
    pub mentions: Vec<UserId>,
    pub attachment_ids: Vec<AttachmentId>,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
}

impl MessageDraft {
    /// The message it becomes once stored at `seq`.
    pub fn stored_at(&self, seq: i64) -> Message {
        Message {
            id: self.id,
            conversation_id: self.conversation_id,
            seq,
            sender_id: self.sender_id,
            kind: self.kind,
            content: self.content.as_str().to_owned(),
            client_message_id: self
                .client_message_id
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            reply_to: self.reply_to,
            reply_count: 0,
            mentions: self.mentions.clone(),
            attachment_ids: self.attachment_ids.clone(),
            created_at: self.created_at,
            edited_at: None,
            deleted_at: None,
        }
    }
}

impl Message {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    pub fn check_not_system(&self) -> Result<(), MessageError> {
        match self.kind {
            MessageKind::System => Err(MessageError::System),
            MessageKind::Text => Ok(()),
        }
    }

    /// Replaces the text: its author's, until it is deleted.
    pub fn edit(
        &mut self,
        editor: UserId,
        content: &MessageContent,
        now: OffsetDateTime,
    ) -> Result<(), MessageError> {
        self.check_can_edit(editor)?;
        self.content = content.as_str().to_owned();
        self.edited_at = Some(now);
        Ok(())
    }

    /// Its author deletes it, or a `moderator` (an owner or admin of the conversation).
    pub fn check_can_delete(&self, actor: UserId, moderator: bool) -> Result<(), MessageError> {
        self.check_not_system()?;
        if self.sender_id != actor && !moderator {
            return Err(MessageError::NotAuthor);
        }
        Ok(())
    }

    fn check_can_edit(&self, user: UserId) -> Result<(), MessageError> {
        self.check_not_system()?;
        if self.sender_id != user {
            return Err(MessageError::NotAuthor);
        }
        if self.is_deleted() {
            return Err(MessageError::Deleted);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(MessageContent::parse("  hi ").unwrap().as_str(), "hi");
        assert_eq!(
            MessageContent::parse("   "),
            Err(MessageError::ContentLength)
        );
        assert!(MessageContent::parse(&"é".repeat(4000)).is_ok());
        assert_eq!(
            MessageContent::parse_with_files(" ", true)
                .unwrap()
                .as_str(),
            ""
        );
        assert_eq!(
            MessageContent::parse_with_files(&"é".repeat(4001), true),
            Err(MessageError::ContentLength)
        );
        assert_eq!(
            MessageContent::parse(&"é".repeat(4001)),
            Err(MessageError::ContentLength)
        );
    }

    #[test]
    fn emojis_are_single_pictographs() {
        for good in ["👍", "❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", "🏳️‍🌈", "🫠"]
        {
            assert_eq!(Emoji::parse(good).map(|e| e.0), Ok(good.to_owned()));
        }
        // Symbols that are not emoji, or not one: refused.
        for bad in [
            "",
            "a",
            "👍 👍",
            "lol",
            "x👍",
            "👍👍",
            "→",
            "★",
            "™x",
            "\u{2063}",
            "\u{E000}",
            "\u{1F3FD}",
            "\u{200D}",
            "🇫",
            &"👍".repeat(17),
        ] {
            assert!(Emoji::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Emoji::parse("❤").map(|e| e.0), Ok("❤️".to_owned()));
    }

    #[test]
    fn a_message_carries_at_most_twenty_different_emoji() {
        let full: Vec<Reaction> = (0..Reaction::MAX_DISTINCT)
            .map(|i| Reaction {
                emoji: char::from_u32(0x1F600 + i as u32).unwrap().to_string(),
                count: 1,
                me: false,
            })
            .collect();
        let new = Emoji::parse("👍").unwrap();
        let present = Emoji::parse("😀").unwrap();
        assert_eq!(
            Reaction::check_can_add(&full, &new),
            Err(MessageError::TooManyReactions)
        );
        assert_eq!(Reaction::check_can_add(&full, &present), Ok(()));
        assert_eq!(Reaction::check_can_add(&full[1..], &new), Ok(()));
    }

    #[test]
    fn client_message_ids_are_printable_ascii() {
        assert!(ClientMessageId::parse("c-123_abc").is_ok());
        assert!(ClientMessageId::parse("").is_err());
        assert!(ClientMessageId::parse("with space").is_err());
        assert!(ClientMessageId::parse(&"x".repeat(65)).is_err());
    }
}
