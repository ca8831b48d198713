use std::sync::Arc;

use time::OffsetDateTime;

use super::profiles_by_id;
use crate::application::error::AppError;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{BlockRepository, Profile, ProfileRepository};

/// Whom the caller blocked, newest first, with their profiles.
pub struct BlockListHandler {
    blocks: Arc<dyn BlockRepository>,
    profiles: Arc<dyn ProfileRepository>,
}

impl BlockListHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            blocks: ports.blocks.clone(),
            profiles: ports.profiles.clone(),
        }
    }

    pub async fn handle(&self, me: UserId) -> Result<Vec<(Profile, OffsetDateTime)>, AppError> {
        let blocks = self.blocks.list(me).await?;
        let ids: Vec<UserId> = blocks.iter().map(|(id, _)| *id).collect();
        let profiles = profiles_by_id(self.profiles.as_ref(), &ids).await?;
        Ok(blocks
            .into_iter()
            .filter_map(|(id, since)| Some((profiles.get(&id)?.clone(), since)))
            .collect())
    }
}
