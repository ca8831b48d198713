use std::sync::Arc;

use super::UsersDeps;
use crate::application::error::AppError;
use crate::domain::shared::UserId;
use crate::domain::users::{KeyBundle, KeyStatus, OneTimePrekey, PublicKey, SignedPrekey};

pub struct UploadKeys {
    pub identity_key: PublicKey,
    pub signed_prekey: SignedPrekey,
    /// Replaces the stored one when given; kept otherwise.
    pub fallback_prekey: Option<SignedPrekey>,
    pub one_time_prekeys: Vec<OneTimePrekey>,
}

/// The E2EE public key directory. The server stores and hands out public material only.
pub struct KeysHandler(Arc<UsersDeps>);

impl KeysHandler {
    pub fn new(deps: Arc<UsersDeps>) -> Self {
        Self(deps)
    }

    /// Stores the caller's keys; answers what is now available.
    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn upload(&self, me: UserId, keys: UploadKeys) -> Result<KeyStatus, AppError> {
        let deps = &self.0;
        let now = deps.clock.now();
        deps.keys
            .save(
                me,
                &keys.identity_key,
                &keys.signed_prekey,
                keys.fallback_prekey.as_ref(),
                &keys.one_time_prekeys,
                now,
            )
            .await?;
        self.status(me).await
    }

    /// Fetches `owner`'s bundle, claiming one of their one-time prekeys for the caller. Claims
    /// are limited per caller and owner, so nobody can drain another's prekeys; once they are
    /// gone the bundle carries the fallback prekey instead.
    #[tracing::instrument(skip_all, fields(user_id = %viewer, %owner))]
    pub async fn bundle(&self, viewer: UserId, owner: UserId) -> Result<KeyBundle, AppError> {
        let deps = &self.0;
        if viewer != owner && deps.blocks.either_blocked(viewer, owner).await? {
            return Err(AppError::NotFound("keys_not_found"));
        }
        deps.claim_limit
            .spend_on(format!("{viewer}:{owner}"))
            .await?;
        deps.keys
            .claim_bundle(owner)
            .await?
            .ok_or(AppError::NotFound("keys_not_found"))
    }

    /// What the caller has left, to know when to upload more.
    pub async fn status(&self, me: UserId) -> Result<KeyStatus, AppError> {
        self.0
            .keys
            .status(me)
            .await?
            .ok_or(AppError::NotFound("keys_not_found"))
    }
}
