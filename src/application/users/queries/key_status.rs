use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{KeyRepository, KeyStatus};

/// What the caller has left in the key directory, to know when to upload more.
pub struct KeyStatusHandler {
    keys: Arc<dyn KeyRepository>,
}

impl KeyStatusHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            keys: ports.keys.clone(),
        }
    }

    pub async fn handle(&self, me: UserId) -> Result<KeyStatus, AppError> {
        key_status(self.keys.as_ref(), me).await
    }
}

pub(in crate::application::users) async fn key_status(
    keys: &dyn KeyRepository,
    me: UserId,
) -> Result<KeyStatus, AppError> {
    keys.status(me)
        .await?
        .ok_or(AppError::NotFound("keys_not_found"))
}
