use std::sync::Arc;

use super::UsersDeps;
use crate::application::error::AppError;
use crate::domain::shared::UserId;
use crate::domain::users::{KeyBundle, OneTimePrekey, PublicKey, SignedPrekey};

pub struct UploadKeys {
    pub identity_key: PublicKey,
    pub signed_prekey: SignedPrekey,
    pub one_time_prekeys: Vec<OneTimePrekey>,
}

/// The E2EE public key directory. The server stores and hands out public material only.
pub struct KeysHandler(Arc<UsersDeps>);

impl KeysHandler {
    pub fn new(deps: Arc<UsersDeps>) -> Self {
        Self(deps)
    }

    /// Stores the caller's keys; returns how many one-time prekeys are now available.
    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn upload(&self, me: UserId, keys: UploadKeys) -> Result<u64, AppError> {
        let deps = &self.0;
        let now = deps.clock.now();
        deps.keys
            .save(
                me,
                &keys.identity_key,
                &keys.signed_prekey,
                &keys.one_time_prekeys,
                now,
            )
            .await?;
        Ok(deps.keys.prekeys_left(me).await?)
    }

    /// Fetches `owner`'s bundle, claiming one of their one-time prekeys for the caller.
    #[tracing::instrument(skip_all, fields(user_id = %viewer, %owner))]
    pub async fn bundle(&self, viewer: UserId, owner: UserId) -> Result<KeyBundle, AppError> {
        let deps = &self.0;
        if viewer != owner && deps.blocks.either_blocked(viewer, owner).await? {
            return Err(AppError::NotFound("keys_not_found"));
        }
        deps.keys
            .claim_bundle(owner)
            .await?
            .ok_or(AppError::NotFound("keys_not_found"))
    }

    pub async fn prekeys_left(&self, me: UserId) -> Result<u64, AppError> {
        Ok(self.0.keys.prekeys_left(me).await?)
    }
}
