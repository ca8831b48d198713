use std::sync::Arc;

use super::{AcceptContactHandler, visible_target};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::{CachedProfiles, ContactView, UsersPorts};
use crate::domain::shared::{DomainEvent, RepoError, UserId};
use crate::domain::users::{BlockRepository, Contact, ContactRepository, ContactStatus, Profile};

/// Asks `other` to become a contact. Asking someone who already asked the caller accepts;
/// asking again is harmless.
pub struct RequestContactHandler {
    contacts: Arc<dyn ContactRepository>,
    blocks: Arc<dyn BlockRepository>,
    profiles: CachedProfiles,
    clock: Arc<dyn Clock>,
    accept: AcceptContactHandler,
}

impl RequestContactHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            contacts: ports.contacts.clone(),
            blocks: ports.blocks.clone(),
            profiles: CachedProfiles::new(ports),
            clock: ports.clock.clone(),
            accept: AcceptContactHandler::new(ports),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn handle(&self, me: UserId, other: UserId) -> Result<ContactView, AppError> {
        let profile = visible_target(self.blocks.as_ref(), &self.profiles, me, other).await?;
        if self.blocks.has_blocked(me, other).await? {
            return Err(AppError::Conflict("user_blocked"));
        }
        let now = self.clock.now();
        match self.contacts.between(me, other).await? {
            Some(Contact {
                status: ContactStatus::Incoming,
                ..
            }) => return self.accept.handle(me, other).await,
            Some(existing) => return Ok(as_it_is(profile, existing)),
            None => {}
        }
        let requested = DomainEvent::ContactRequested {
            from: me,
            to: other,
        };
        match self.contacts.request(me, other, now, &[requested]).await {
            Ok(()) => Ok(ContactView {
                profile,
                status: ContactStatus::Outgoing,
                since: now,
            }),
            // The other side asked at the same moment: treat like any existing relation.
            Err(RepoError::Duplicate(_)) => {
                let existing = self
                    .contacts
                    .between(me, other)
                    .await?
                    .ok_or(AppError::Conflict("contact_changed"))?;
                Ok(as_it_is(profile, existing))
            }
            Err(error) => Err(error.into()),
        }
    }
}

fn as_it_is(profile: Profile, existing: Contact) -> ContactView {
    ContactView {
        profile,
        status: existing.status,
        since: existing.since,
    }
}
