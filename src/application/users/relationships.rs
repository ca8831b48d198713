use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::application::error::AppError;
use crate::domain::shared::UserId;
use crate::domain::users::{
    BlockRepository, ContactRepository, ContactStatus, Relationship, Settings, SettingsRepository,
};

/// The users context's answer to "may A do this to B?", for every other context: direct chats,
/// direct messages and presence consult it instead of reading the users tables.
#[derive(Clone)]
pub struct Relationships {
    contacts: Arc<dyn ContactRepository>,
    blocks: Arc<dyn BlockRepository>,
    settings: Arc<dyn SettingsRepository>,
}

impl Relationships {
    pub fn new(
        contacts: Arc<dyn ContactRepository>,
        blocks: Arc<dyn BlockRepository>,
        settings: Arc<dyn SettingsRepository>,
    ) -> Self {
        Self {
            contacts,
            blocks,
            settings,
        }
    }

    pub async fn between(&self, a: UserId, b: UserId) -> Result<Relationship, AppError> {
        let blocked = self.blocks.either_blocked(a, b).await?;
        let contact = self.contacts.between(a, b).await?;
        Ok(Relationship {
            blocked,
            contacts: contact.is_some_and(|c| c.status == ContactStatus::Accepted),
        })
    }

    /// Whether `blocker` blocked `blocked` (one direction).
    pub async fn is_blocked_by(&self, blocker: UserId, blocked: UserId) -> Result<bool, AppError> {
        Ok(self.blocks.has_blocked(blocker, blocked).await?)
    }

    pub async fn is_blocked(&self, a: UserId, b: UserId) -> Result<bool, AppError> {
        Ok(self.blocks.either_blocked(a, b).await?)
    }

    /// Whether `from` may open a direct chat with (or message directly) `to`.
    pub async fn may_message_directly(&self, from: UserId, to: UserId) -> Result<bool, AppError> {
        let settings = self.settings.get(to).await?;
        Ok(settings
            .direct_messages
            .allows(self.between(from, to).await?))
    }

    /// Whether `inviter` may add `invitee` to a group or channel.
    pub async fn may_add_to_group(
        &self,
        inviter: UserId,
        invitee: UserId,
    ) -> Result<bool, AppError> {
        let settings = self.settings.get(invitee).await?;
        Ok(settings
            .group_invites
            .allows(self.between(inviter, invitee).await?))
    }

    /// Whether `viewer` may see each of `owners`' presence, and their last-seen time: four reads
    /// however many owners.
    pub async fn sees(
        &self,
        viewer: UserId,
        owners: &[UserId],
    ) -> Result<HashMap<UserId, (bool, bool)>, AppError> {
        if owners.is_empty() {
            return Ok(HashMap::new());
        }
        let settings = self.settings.get_many(owners).await?;
        let (contacts, blocked) = self.circle(viewer).await?;
        Ok(owners
            .iter()
            .map(|owner| {
                let relationship = Relationship {
                    contacts: contacts.contains(owner),
                    blocked: blocked.contains(owner),
                };
                let settings = settings.get(owner).cloned().unwrap_or_default();
                let seen = (
                    settings.presence.allows(relationship),
                    settings.last_seen.allows(relationship),
                );
                (*owner, seen)
            })
            .collect())
    }

    /// Every user's relationship to `owner` at once, for a rule applied to many viewers (who
    /// hears `owner`'s presence): three reads however many viewers.
    pub async fn towards(&self, owner: UserId) -> Result<RelationsTowards, AppError> {
        let settings = self.settings.get(owner).await?;
        let (contacts, blocked) = self.circle(owner).await?;
        Ok(RelationsTowards {
            settings,
            contacts,
            blocked,
        })
    }
}

impl Relationships {
    /// `user`'s accepted contacts, and everyone they blocked or who blocked them.
    async fn circle(&self, user: UserId) -> Result<(HashSet<UserId>, HashSet<UserId>), AppError> {
        let contacts = self
            .contacts
            .list(user)
            .await?
            .into_iter()
            .filter(|c| c.status == ContactStatus::Accepted)
            .map(|c| c.user_id)
            .collect();
        let mut blocked: HashSet<UserId> = self
            .blocks
            .list(user)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        blocked.extend(self.blocks.blockers(user).await?);
        Ok((contacts, blocked))
    }
}

/// One user's settings, contacts and blocks (both ways), read once.
pub struct RelationsTowards {
    settings: Settings,
    contacts: HashSet<UserId>,
    blocked: HashSet<UserId>,
}

impl RelationsTowards {
    /// The owner's accepted contacts.
    pub fn contacts(&self) -> impl Iterator<Item = UserId> + '_ {
        self.contacts.iter().copied()
    }

    fn with(&self, viewer: UserId) -> Relationship {
        Relationship {
            contacts: self.contacts.contains(&viewer),
            blocked: self.blocked.contains(&viewer),
        }
    }

    /// Whether `viewer` may see the owner's presence (online/away/offline).
    pub fn may_see_presence(&self, viewer: UserId) -> bool {
        self.settings.presence.allows(self.with(viewer))
    }

    /// Whether `viewer` may see when the owner was last seen.
    pub fn may_see_last_seen(&self, viewer: UserId) -> bool {
        self.settings.last_seen.allows(self.with(viewer))
    }
}
