use serde::{Deserialize, Serialize};

use super::{Emoji, Message, MessageError};
use crate::domain::shared::UserId;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::messages::Emoji;

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
}
