//! The users context's commands: one use case per file, each handler holding only its ports.

mod accept_contact;
mod block_user;
mod claim_key_bundle;
mod remove_contact;
mod request_contact;
mod unblock_user;
mod update_profile;
mod update_settings;
mod upload_keys;

pub use accept_contact::AcceptContactHandler;
pub use block_user::BlockUserHandler;
pub use claim_key_bundle::ClaimKeyBundleHandler;
pub use remove_contact::RemoveContactHandler;
pub use request_contact::RequestContactHandler;
pub use unblock_user::UnblockUserHandler;
pub use update_profile::UpdateProfileHandler;
pub use update_settings::{SettingsChanges, UpdateSettingsHandler};
pub use upload_keys::{UploadKeys, UploadKeysHandler};

use crate::application::error::AppError;
use crate::application::users::CachedProfiles;
use crate::domain::shared::UserId;
use crate::domain::users::{BlockRepository, Profile};

/// `other` as `me` may see them for a contact request: someone else, who has not blocked
/// `me` (for whom they do not exist).
async fn visible_target(
    blocks: &dyn BlockRepository,
    profiles: &CachedProfiles,
    me: UserId,
    other: UserId,
) -> Result<Profile, AppError> {
    if me == other {
        return Err(AppError::invalid("user_id", "must be someone else"));
    }
    let profile = if blocks.has_blocked(other, me).await? {
        None
    } else {
        profiles.load(other).await?
    };
    profile.ok_or(AppError::NotFound("user_not_found"))
}
