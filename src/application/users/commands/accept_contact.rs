use std::sync::Arc;

use super::visible_target;
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::{CachedProfiles, ContactView, UsersPorts};
use crate::domain::shared::{DomainEvent, UserId};
use crate::domain::users::{BlockRepository, ContactRepository, ContactStatus};

/// Accepts `requester`'s contact request.
pub struct AcceptContactHandler {
    contacts: Arc<dyn ContactRepository>,
    blocks: Arc<dyn BlockRepository>,
    profiles: CachedProfiles,
    clock: Arc<dyn Clock>,
}

impl AcceptContactHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            contacts: ports.contacts.clone(),
            blocks: ports.blocks.clone(),
            profiles: CachedProfiles::new(ports),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, %requester))]
    pub async fn handle(&self, me: UserId, requester: UserId) -> Result<ContactView, AppError> {
        let profile = visible_target(self.blocks.as_ref(), &self.profiles, me, requester).await?;
        let now = self.clock.now();
        let accepted = DomainEvent::ContactAccepted { by: me, requester };
        if !self
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
}
