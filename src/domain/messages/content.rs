//! A message's value objects: its text, the sender's idempotency key, an emoji, its kind,
//! and the errors their rules give.

use serde::{Deserialize, Serialize};

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
    fn client_message_ids_are_printable_ascii() {
        assert!(ClientMessageId::parse("c-123_abc").is_ok());
        assert!(ClientMessageId::parse("").is_err());
        assert!(ClientMessageId::parse("with space").is_err());
        assert!(ClientMessageId::parse(&"x".repeat(65)).is_err());
    }
}
