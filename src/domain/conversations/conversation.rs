use time::OffsetDateTime;
use uuid::Uuid;

use super::{Participant, Role};
use crate::domain::messages::HistoryState;
use crate::domain::shared::{ConversationId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationKind {
    /// Exactly two users; at most one per pair.
    Direct,
    /// Named, with roles; everyone posts.
    Group,
    /// Named, with roles; only owners and admins post.
    Channel,
    /// A customer and the business's agent on their case (the business context routes it).
    Business,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
            Self::Channel => "channel",
            Self::Business => "business",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "direct" => Some(Self::Direct),
            "group" => Some(Self::Group),
            "channel" => Some(Self::Channel),
            "business" => Some(Self::Business),
            _ => None,
        }
    }
}

/// A group or channel name: 1 to 100 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

/// A group or channel description: up to 1000 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConversationError {
    #[error("must be 1 to 100 characters on one line")]
    TitleInvalid,
    #[error("must be at most 1000 characters")]
    DescriptionTooLong,
    #[error("direct chats cannot be changed this way")]
    DirectIsFixed,
    #[error("only owners and admins may post in a channel")]
    ChannelIsAdminOnly,
    #[error("only owners and admins may do this")]
    AdminOnly,
    #[error("only owners may do this")]
    OwnerOnly,
    #[error("the last owner must hand over ownership before leaving or stepping down")]
    LastOwner,
    #[error("a business chat's members change only by assignment and transfer")]
    BusinessIsRouted,
    #[error("the conversation is full")]
    Full,
}

impl Title {
    pub fn parse(raw: &str) -> Result<Self, ConversationError> {
        let title = raw.trim();
        if title.is_empty() || title.chars().count() > 100 || title.chars().any(char::is_control) {
            return Err(ConversationError::TitleInvalid);
        }
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Description {
    pub fn parse(raw: &str) -> Result<Self, ConversationError> {
        let text = raw.trim();
        if text.chars().count() > 1000 {
            return Err(ConversationError::DescriptionTooLong);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    /// `None` for direct chats.
    pub title: Option<Title>,
    pub description: Description,
    pub avatar_id: Option<Uuid>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The seq of the newest message; 0 before the first.
    pub last_seq: i64,
    /// Counts changes to messages already sent (edits, deletions, reactions, expiry). With
    /// `last_seq` it names one state of the history: a copy made at that pair is current.
    pub history_version: i64,
    pub last_activity_at: OffsetDateTime,
}

impl Conversation {
    pub fn new(
        kind: ConversationKind,
        title: Option<Title>,
        description: Description,
        creator: UserId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: ConversationId::new(),
            kind,
            title,
            description,
            avatar_id: None,
            created_by: creator,
            created_at: now,
            updated_at: now,
            last_seq: 0,
            history_version: 0,
            last_activity_at: now,
        }
    }

    /// The state of its history this record names: a copy made at it is current.
    pub fn history_state(&self) -> HistoryState {
        HistoryState {
            last_seq: self.last_seq,
            version: self.history_version,
        }
    }

    /// The key that makes a direct chat unique per pair, whoever started it.
    pub fn direct_key(a: UserId, b: UserId) -> String {
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        format!("{low}:{high}")
    }

    /// Direct chats are fixed; business chats change only through their case's routing.
    fn check_changeable(&self) -> Result<(), ConversationError> {
        match self.kind {
            ConversationKind::Direct => Err(ConversationError::DirectIsFixed),
            ConversationKind::Business => Err(ConversationError::BusinessIsRouted),
            ConversationKind::Group | ConversationKind::Channel => Ok(()),
        }
    }

    pub fn check_can_post(&self, member: &Participant) -> Result<(), ConversationError> {
        if self.kind == ConversationKind::Channel && !member.role.is_admin() {
            return Err(ConversationError::ChannelIsAdminOnly);
        }
        Ok(())
    }

    /// Name, description, avatar: owners and admins of groups and channels.
    pub fn check_can_edit(&self, actor: &Participant) -> Result<(), ConversationError> {
        self.check_changeable()?;
        if !actor.role.is_admin() {
            return Err(ConversationError::AdminOnly);
        }
        Ok(())
    }

    pub fn check_can_delete(&self, actor: &Participant) -> Result<(), ConversationError> {
        self.check_changeable()?;
        if actor.role != Role::Owner {
            return Err(ConversationError::OwnerOnly);
        }
        Ok(())
    }

    pub fn check_can_add(
        &self,
        actor: &Participant,
        current: u64,
        adding: u64,
        max: u64,
    ) -> Result<(), ConversationError> {
        self.check_can_edit(actor)?;
        if current + adding > max {
            return Err(ConversationError::Full);
        }
        Ok(())
    }

    /// Removing someone else: owners remove anyone, admins remove members only.
    /// Leaving: anyone but the last owner.
    pub fn check_can_remove(
        &self,
        actor: &Participant,
        target: &Participant,
        owners: u64,
    ) -> Result<(), ConversationError> {
        self.check_changeable()?;
        if actor.user_id == target.user_id {
            return if target.role == Role::Owner && owners <= 1 {
                Err(ConversationError::LastOwner)
            } else {
                Ok(())
            };
        }
        match (actor.role, target.role) {
            (Role::Owner, _) => Ok(()),
            (Role::Admin, Role::Member) => Ok(()),
            (Role::Admin, _) => Err(ConversationError::OwnerOnly),
            (Role::Member, _) => Err(ConversationError::AdminOnly),
        }
    }

    /// Only owners change roles, and the last owner cannot step down.
    pub fn check_can_change_role(
        &self,
        actor: &Participant,
        target: &Participant,
        role: Role,
        owners: u64,
    ) -> Result<(), ConversationError> {
        self.check_changeable()?;
        if actor.role != Role::Owner {
            return Err(ConversationError::OwnerOnly);
        }
        if target.role == Role::Owner && role != Role::Owner && owners <= 1 {
            return Err(ConversationError::LastOwner);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(kind: ConversationKind) -> Conversation {
        Conversation::new(
            kind,
            Title::parse("book club").ok(),
            Description::default(),
            UserId::new(),
            OffsetDateTime::now_utc(),
        )
    }

    fn member(role: Role) -> Participant {
        Participant::new(UserId::new(), role, OffsetDateTime::now_utc())
    }

    #[test]
    fn only_admins_post_in_channels() {
        assert!(
            group(ConversationKind::Group)
                .check_can_post(&member(Role::Member))
                .is_ok()
        );
        assert_eq!(
            group(ConversationKind::Channel).check_can_post(&member(Role::Member)),
            Err(ConversationError::ChannelIsAdminOnly)
        );
        assert!(
            group(ConversationKind::Channel)
                .check_can_post(&member(Role::Admin))
                .is_ok()
        );
    }

    #[test]
    fn removal_follows_the_role_ladder() {
        let g = group(ConversationKind::Group);
        let (owner, admin, plain) = (
            member(Role::Owner),
            member(Role::Admin),
            member(Role::Member),
        );
        assert!(g.check_can_remove(&owner, &admin, 1).is_ok());
        assert!(g.check_can_remove(&admin, &plain, 1).is_ok());
        assert_eq!(
            g.check_can_remove(&admin, &owner, 1),
            Err(ConversationError::OwnerOnly)
        );
        assert_eq!(
            g.check_can_remove(&plain, &admin, 1),
            Err(ConversationError::AdminOnly)
        );
        assert!(
            g.check_can_remove(&plain, &plain, 1).is_ok(),
            "anyone may leave"
        );
        assert_eq!(
            g.check_can_remove(&owner, &owner, 1),
            Err(ConversationError::LastOwner)
        );
        assert!(g.check_can_remove(&owner, &owner, 2).is_ok());
    }

    #[test]
    fn only_owners_change_roles_and_the_last_owner_stays() {
        let g = group(ConversationKind::Group);
        let (owner, admin, plain) = (
            member(Role::Owner),
            member(Role::Admin),
            member(Role::Member),
        );
        assert!(
            g.check_can_change_role(&owner, &plain, Role::Admin, 1)
                .is_ok()
        );
        assert_eq!(
            g.check_can_change_role(&admin, &owner, Role::Member, 1),
            Err(ConversationError::OwnerOnly)
        );
        assert_eq!(
            g.check_can_change_role(&owner, &owner, Role::Member, 1),
            Err(ConversationError::LastOwner)
        );
        assert!(
            g.check_can_change_role(&owner, &owner, Role::Member, 2)
                .is_ok()
        );
    }

    #[test]
    fn groups_have_a_size_limit_and_direct_chats_are_fixed() {
        let g = group(ConversationKind::Group);
        assert!(g.check_can_add(&member(Role::Admin), 8, 2, 10).is_ok());
        assert_eq!(
            g.check_can_add(&member(Role::Admin), 9, 2, 10),
            Err(ConversationError::Full)
        );
        let direct = group(ConversationKind::Direct);
        assert_eq!(
            direct.check_can_edit(&member(Role::Owner)),
            Err(ConversationError::DirectIsFixed)
        );
        assert_eq!(
            Conversation::direct_key(
                UserId::from_uuid(Uuid::nil()),
                UserId::from_uuid(Uuid::max())
            ),
            Conversation::direct_key(
                UserId::from_uuid(Uuid::max()),
                UserId::from_uuid(Uuid::nil())
            )
        );
    }

    #[test]
    fn titles_are_one_bounded_line() {
        assert!(Title::parse(" Book club ").is_ok());
        assert!(Title::parse("").is_err());
        assert!(Title::parse("a\nb").is_err());
        assert!(Title::parse(&"x".repeat(101)).is_err());
        assert!(Description::parse(&"x".repeat(1001)).is_err());
    }
}
