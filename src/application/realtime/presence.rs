use std::collections::HashSet;
use std::sync::Arc;

use time::OffsetDateTime;

use super::{PresenceStatus, PresenceStore};
use crate::application::error::AppError;
use crate::domain::conversations::ConversationRepository;
use crate::domain::shared::UserId;
use crate::domain::users::{
    BlockRepository, ContactRepository, ContactStatus, Relationship, SettingsRepository,
};

/// A user's presence as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceView {
    pub user_id: UserId,
    pub status: PresenceStatus,
    /// `None` when hidden by the owner's settings or never seen.
    pub last_seen_at: Option<OffsetDateTime>,
}

/// Who may see a change of `owner`'s presence: users who share a conversation with them or are
/// their contacts, as far as the owner's privacy settings and blocks allow.
#[derive(Debug, Default)]
pub struct PresenceAudience {
    /// May see the status and the last-seen time.
    pub with_last_seen: Vec<UserId>,
    /// May see the status only.
    pub status_only: Vec<UserId>,
}

pub struct PresenceTracker {
    store: Arc<dyn PresenceStore>,
    conversations: Arc<dyn ConversationRepository>,
    contacts: Arc<dyn ContactRepository>,
    blocks: Arc<dyn BlockRepository>,
    settings: Arc<dyn SettingsRepository>,
}

impl PresenceTracker {
    pub fn new(
        store: Arc<dyn PresenceStore>,
        conversations: Arc<dyn ConversationRepository>,
        contacts: Arc<dyn ContactRepository>,
        blocks: Arc<dyn BlockRepository>,
        settings: Arc<dyn SettingsRepository>,
    ) -> Self {
        Self {
            store,
            conversations,
            contacts,
            blocks,
            settings,
        }
    }

    pub fn store(&self) -> &Arc<dyn PresenceStore> {
        &self.store
    }

    /// The audience of `owner`'s presence changes, in a handful of queries however many
    /// conversations they are in.
    pub async fn audience(&self, owner: UserId) -> Result<PresenceAudience, AppError> {
        let settings = self.settings.get(owner).await?;
        let contacts: HashSet<UserId> = self
            .contacts
            .list(owner)
            .await?
            .into_iter()
            .filter(|c| c.status == ContactStatus::Accepted)
            .map(|c| c.user_id)
            .collect();
        let mut blocked: HashSet<UserId> = self
            .blocks
            .list(owner)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        blocked.extend(self.blocks.blockers(owner).await?);
        let mut candidates: HashSet<UserId> = self
            .conversations
            .co_participants(owner)
            .await?
            .into_iter()
            .collect();
        candidates.extend(contacts.iter().copied());
        candidates.remove(&owner);
        let mut audience = PresenceAudience::default();
        for viewer in candidates {
            let relationship = Relationship {
                contacts: contacts.contains(&viewer),
                blocked: blocked.contains(&viewer),
            };
            if !settings.presence.allows(relationship) {
                continue;
            }
            if settings.last_seen.allows(relationship) {
                audience.with_last_seen.push(viewer);
            } else {
                audience.status_only.push(viewer);
            }
        }
        Ok(audience)
    }

    /// What `viewer` may see of each of `users`; hidden users read as offline with no time.
    pub async fn query(
        &self,
        viewer: UserId,
        users: &[UserId],
    ) -> Result<Vec<PresenceView>, AppError> {
        let states = self.store.get(users).await;
        let mut views = Vec::with_capacity(states.len());
        for (user_id, status, last_seen) in states {
            if user_id == viewer {
                views.push(PresenceView {
                    user_id,
                    status,
                    last_seen_at: last_seen,
                });
                continue;
            }
            let settings = self.settings.get(user_id).await?;
            let blocked = self.blocks.either_blocked(viewer, user_id).await?;
            let contacts = self
                .contacts
                .between(viewer, user_id)
                .await?
                .is_some_and(|c| c.status == ContactStatus::Accepted);
            let relationship = Relationship { contacts, blocked };
            let visible = settings.presence.allows(relationship);
            views.push(PresenceView {
                user_id,
                status: if visible {
                    status
                } else {
                    PresenceStatus::Offline
                },
                last_seen_at: last_seen.filter(|_| settings.last_seen.allows(relationship)),
            });
        }
        Ok(views)
    }
}
