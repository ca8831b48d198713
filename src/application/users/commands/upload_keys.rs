use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::UsersPorts;
use crate::application::users::queries::key_status;
use crate::domain::shared::UserId;
use crate::domain::users::{KeyRepository, KeyStatus, OneTimePrekey, PublicKey, SignedPrekey};

pub struct UploadKeys {
    pub identity_key: PublicKey,
    pub signed_prekey: SignedPrekey,
    /// Replaces the stored one when given; kept otherwise.
    pub fallback_prekey: Option<SignedPrekey>,
    pub one_time_prekeys: Vec<OneTimePrekey>,
}

/// Stores the caller's public keys in the E2EE key directory (the server holds public
/// material only); answers what is now available.
pub struct UploadKeysHandler {
    keys: Arc<dyn KeyRepository>,
    clock: Arc<dyn Clock>,
}

impl UploadKeysHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            keys: ports.keys.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(&self, me: UserId, keys: UploadKeys) -> Result<KeyStatus, AppError> {
        self.keys
            .save(
                me,
                &keys.identity_key,
                &keys.signed_prekey,
                keys.fallback_prekey.as_ref(),
                &keys.one_time_prekeys,
                self.clock.now(),
            )
            .await?;
        key_status(self.keys.as_ref(), me).await
    }
}
