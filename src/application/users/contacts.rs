use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;

use super::{ProfilesHandler, UsersDeps};
use crate::application::error::AppError;
use crate::domain::shared::{DomainEvent, RepoError, UserId};
use crate::domain::users::{Contact, ContactStatus, Profile};

/// A relation with the other user's profile.
#[derive(Debug, Clone)]
pub struct ContactView {
    pub profile: Profile,
    pub status: ContactStatus,
    pub since: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct ContactList {
    pub contacts: Vec<ContactView>,
    pub incoming: Vec<ContactView>,
    pub outgoing: Vec<ContactView>,
}

/// Contact requests and blocks.
pub struct ContactsHandler(Arc<UsersDeps>);

impl ContactsHandler {
    pub fn new(deps: Arc<UsersDeps>) -> Self {
        Self(deps)
    }

    /// The target as `me` may see it: someone who blocked `me` does not exist for them.
    async fn visible_target(&self, me: UserId, other: UserId) -> Result<Profile, AppError> {
        if me == other {
            return Err(AppError::invalid("user_id", "must be someone else"));
        }
        let hidden = self.0.blocks.has_blocked(other, me).await?;
        let profile = if hidden {
            None
        } else {
            ProfilesHandler::load(&self.0, other).await?
        };
        profile.ok_or(AppError::NotFound("user_not_found"))
    }

    /// Asks `other` to become a contact. Asking someone who already asked `me` accepts;
    /// asking again is harmless.
    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn request(&self, me: UserId, other: UserId) -> Result<ContactView, AppError> {
        let deps = &self.0;
        let profile = self.visible_target(me, other).await?;
        if deps.blocks.has_blocked(me, other).await? {
            return Err(AppError::Conflict("user_blocked"));
        }
        let now = deps.clock.now();
        match deps.contacts.between(me, other).await? {
            Some(Contact {
                status: ContactStatus::Incoming,
                ..
            }) => return self.accept(me, other).await,
            Some(existing) => {
                return Ok(ContactView {
                    profile,
                    status: existing.status,
                    since: existing.since,
                });
            }
            None => {}
        }
        let requested = DomainEvent::ContactRequested {
            from: me,
            to: other,
        };
        match deps.contacts.request(me, other, now, &[requested]).await {
            Ok(()) => {}
            // The other side asked at the same moment: treat like any existing relation.
            Err(RepoError::Duplicate(_)) => {
                let existing = deps
                    .contacts
                    .between(me, other)
                    .await?
                    .ok_or(AppError::Conflict("contact_changed"))?;
                return Ok(ContactView {
                    profile,
                    status: existing.status,
                    since: existing.since,
                });
            }
            Err(error) => return Err(error.into()),
        }
        Ok(ContactView {
            profile,
            status: ContactStatus::Outgoing,
            since: now,
        })
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, %requester))]
    pub async fn accept(&self, me: UserId, requester: UserId) -> Result<ContactView, AppError> {
        let deps = &self.0;
        let profile = self.visible_target(me, requester).await?;
        let now = deps.clock.now();
        let accepted = DomainEvent::ContactAccepted { by: me, requester };
        if !deps
            .contacts
            .accept(me, requester, now, &[accepted])
            .await?
        {
            return Err(AppError::NotFound("contact_request_not_found"));
        }
        Ok(ContactView {
            profile,
            status: ContactStatus::Accepted,
            since: now,
        })
    }

    /// Removes a contact, declines an incoming request or withdraws an outgoing one.
    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn remove(&self, me: UserId, other: UserId) -> Result<(), AppError> {
        if self.0.contacts.remove(me, other).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("contact_not_found"))
        }
    }

    pub async fn list(&self, me: UserId) -> Result<ContactList, AppError> {
        let relations = self.0.contacts.list(me).await?;
        let ids: Vec<UserId> = relations.iter().map(|c| c.user_id).collect();
        let profiles = self.profiles_by_id(&ids).await?;
        let mut list = ContactList::default();
        for relation in relations {
            let Some(profile) = profiles.get(&relation.user_id).cloned() else {
                continue;
            };
            let view = ContactView {
                profile,
                status: relation.status,
                since: relation.since,
            };
            match relation.status {
                ContactStatus::Accepted => list.contacts.push(view),
                ContactStatus::Incoming => list.incoming.push(view),
                ContactStatus::Outgoing => list.outgoing.push(view),
            }
        }
        Ok(list)
    }

    async fn profiles_by_id(&self, ids: &[UserId]) -> Result<HashMap<UserId, Profile>, AppError> {
        let profiles = self.0.profiles.find_many(ids).await?;
        Ok(profiles.into_iter().map(|p| (p.id, p)).collect())
    }

    /// Blocks `other`: ends any contact relation; they can no longer see `me`, start a direct
    /// chat with or message `me` directly, or see `me`'s presence.
    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn block(&self, me: UserId, other: UserId) -> Result<(), AppError> {
        if me == other {
            return Err(AppError::invalid("user_id", "must be someone else"));
        }
        if self.0.profiles.find(other).await?.is_none() {
            return Err(AppError::NotFound("user_not_found"));
        }
        self.0.blocks.block(me, other, self.0.clock.now()).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn unblock(&self, me: UserId, other: UserId) -> Result<(), AppError> {
        if self.0.blocks.unblock(me, other).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("block_not_found"))
        }
    }

    /// Whom `me` blocked, newest first, with their profiles.
    pub async fn blocked(&self, me: UserId) -> Result<Vec<(Profile, OffsetDateTime)>, AppError> {
        let blocks = self.0.blocks.list(me).await?;
        let ids: Vec<UserId> = blocks.iter().map(|(id, _)| *id).collect();
        let profiles = self.profiles_by_id(&ids).await?;
        Ok(blocks
            .into_iter()
            .filter_map(|(id, since)| Some((profiles.get(&id)?.clone(), since)))
            .collect())
    }
}
