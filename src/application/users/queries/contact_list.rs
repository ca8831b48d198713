use std::sync::Arc;

use time::OffsetDateTime;

use super::profiles_by_id;
use crate::application::error::AppError;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{ContactRepository, ContactStatus, Profile, ProfileRepository};

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

/// The caller's contacts and the requests both ways.
pub struct ContactListHandler {
    contacts: Arc<dyn ContactRepository>,
    profiles: Arc<dyn ProfileRepository>,
}

impl ContactListHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            contacts: ports.contacts.clone(),
            profiles: ports.profiles.clone(),
        }
    }

    pub async fn handle(&self, me: UserId) -> Result<ContactList, AppError> {
        let relations = self.contacts.list(me).await?;
        let ids: Vec<UserId> = relations.iter().map(|c| c.user_id).collect();
        let profiles = profiles_by_id(self.profiles.as_ref(), &ids).await?;
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
}
