use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{BlockRepository, KeyBundle, KeyRepository};

/// Fetches `owner`'s bundle, claiming one of their one-time prekeys for the caller. Claims are
/// limited per caller and owner, so nobody can drain another's prekeys; once they are gone the
/// bundle carries the fallback prekey instead.
pub struct ClaimKeyBundleHandler {
    keys: Arc<dyn KeyRepository>,
    blocks: Arc<dyn BlockRepository>,
    limit: WriteLimit,
}

impl ClaimKeyBundleHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            keys: ports.keys.clone(),
            blocks: ports.blocks.clone(),
            limit: ports.claim_limit.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %viewer, %owner))]
    pub async fn handle(&self, viewer: UserId, owner: UserId) -> Result<KeyBundle, AppError> {
        if viewer != owner && self.blocks.either_blocked(viewer, owner).await? {
            return Err(AppError::NotFound("keys_not_found"));
        }
        self.limit.spend_on(format!("{viewer}:{owner}")).await?;
        self.keys
            .claim_bundle(owner)
            .await?
            .ok_or(AppError::NotFound("keys_not_found"))
    }
}
