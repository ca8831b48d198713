use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::BlockRepository;

/// Lifts the caller's block of `other`.
pub struct UnblockUserHandler {
    blocks: Arc<dyn BlockRepository>,
}

impl UnblockUserHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            blocks: ports.blocks.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, %other))]
    pub async fn handle(&self, me: UserId, other: UserId) -> Result<(), AppError> {
        if self.blocks.unblock(me, other).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("block_not_found"))
        }
    }
}
