use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::HiddenProfiles;
use crate::application::users::{CachedProfiles, UsersPorts};
use crate::domain::shared::UserId;
use crate::domain::users::{BlockRepository, Profile};

/// Someone's public profile. Whoever blocked the viewer does not exist for them, nor does an
/// agent for the customers of a business that keeps agents' names to itself.
pub struct ProfileHandler {
    blocks: Arc<dyn BlockRepository>,
    hidden: Arc<dyn HiddenProfiles>,
    profiles: CachedProfiles,
}

impl ProfileHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            blocks: ports.blocks.clone(),
            hidden: ports.hidden.clone(),
            profiles: CachedProfiles::new(ports),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %viewer, %id))]
    pub async fn handle(&self, viewer: UserId, id: UserId) -> Result<Profile, AppError> {
        if viewer != id
            && (self.blocks.has_blocked(id, viewer).await?
                || !self.hidden.hidden_among(viewer, &[id]).await?.is_empty())
        {
            return Err(AppError::NotFound("user_not_found"));
        }
        self.profiles
            .load(id)
            .await?
            .ok_or(AppError::NotFound("user_not_found"))
    }
}
