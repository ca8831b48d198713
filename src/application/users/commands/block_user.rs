use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{BlockRepository, ProfileRepository};

/// Blocks `other`: ends any contact relation; they can no longer see the caller, start a
/// direct chat with or message them directly, or see their presence.
pub struct BlockUserHandler {
    blocks: Arc<dyn BlockRepository>,
    profiles: Arc<dyn ProfileRepository>,
    clock: Arc<dyn Clock>,
}

impl BlockUserHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            blocks: ports.blocks.clone(),
            profiles: ports.profiles.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn handle(&self, me: UserId, other: UserId) -> Result<(), AppError> {
        if me == other {
            return Err(AppError::invalid("user_id", "must be someone else"));
        }
        if self.profiles.find(other).await?.is_none() {
            return Err(AppError::NotFound("user_not_found"));
        }
        self.blocks.block(me, other, self.clock.now()).await?;
        Ok(())
    }
}
