use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::HiddenProfiles;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{Profile, ProfileRepository};

/// The profiles shown beside messages and members: people who share a conversation with the
/// viewer, so no block rule applies (as in the chat list). Unknown ids are left out, and so
/// are agents kept from their customers.
pub struct ShownBesideHandler {
    profiles: Arc<dyn ProfileRepository>,
    hidden: Arc<dyn HiddenProfiles>,
}

impl ShownBesideHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            profiles: ports.profiles.clone(),
            hidden: ports.hidden.clone(),
        }
    }

    pub async fn handle(&self, viewer: UserId, ids: &[UserId]) -> Result<Vec<Profile>, AppError> {
        let hidden = self.hidden.hidden_among(viewer, ids).await?;
        let mut profiles = self.profiles.find_many(ids).await?;
        profiles.retain(|p| p.id == viewer || !hidden.contains(&p.id));
        Ok(profiles)
    }
}
