//! Users use cases: profiles, settings, search, contacts, blocks and the key directory, plus
//! `Relationships`, the query port other contexts use for privacy and block rules.

pub mod commands;
pub mod queries;
mod relationships;

use std::sync::Arc;

pub use commands::{
    AcceptContactHandler, BlockUserHandler, ClaimKeyBundleHandler, RemoveContactHandler,
    RequestContactHandler, SettingsChanges, UnblockUserHandler, UpdateProfileHandler,
    UpdateSettingsHandler, UploadKeys, UploadKeysHandler,
};
pub use queries::{
    BlockListHandler, ContactList, ContactListHandler, ContactView, KeyStatusHandler,
    OwnProfileHandler, ProfileHandler, SearchUsers, SettingsHandler, ShownBesideHandler,
    UserSearchHandler,
};
pub use relationships::{RelationsTowards, Relationships};

use time::OffsetDateTime;

use crate::application::attachments::Avatars;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::{Clock, HiddenProfiles, ProfileCache};
use crate::domain::auth::AccountRepository;
use crate::domain::shared::UserId;
use crate::domain::users::{
    BlockRepository, ContactRepository, Email, KeyRepository, Profile, ProfileRepository,
    SettingsRepository,
};

/// What the users handlers are built from; each keeps only the ports it uses.
pub struct UsersPorts {
    pub accounts: Arc<dyn AccountRepository>,
    pub profiles: Arc<dyn ProfileRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub contacts: Arc<dyn ContactRepository>,
    pub blocks: Arc<dyn BlockRepository>,
    pub keys: Arc<dyn KeyRepository>,
    pub cache: Arc<dyn ProfileCache>,
    pub hidden: Arc<dyn HiddenProfiles>,
    pub clock: Arc<dyn Clock>,
    /// One-time prekeys one caller may claim of one owner.
    pub claim_limit: WriteLimit,
    pub avatars: Avatars,
}

/// Profiles read through the cache: every handler that shows one profile holds this.
#[derive(Clone)]
struct CachedProfiles {
    cache: Arc<dyn ProfileCache>,
    profiles: Arc<dyn ProfileRepository>,
}

impl CachedProfiles {
    fn new(ports: &UsersPorts) -> Self {
        Self {
            cache: ports.cache.clone(),
            profiles: ports.profiles.clone(),
        }
    }

    async fn load(&self, id: UserId) -> Result<Option<Profile>, AppError> {
        if let Some(profile) = self.cache.get(id).await {
            return Ok(Some(profile));
        }
        let profile = self.profiles.find(id).await?;
        if let Some(profile) = &profile {
            self.cache.put(profile).await;
        }
        Ok(profile)
    }

    /// Stores a changed profile; the cached copy goes, so the next read is fresh.
    async fn save(&self, profile: &Profile, now: OffsetDateTime) -> Result<(), AppError> {
        self.profiles.update(profile, now).await?;
        self.cache.invalidate(profile.id).await;
        Ok(())
    }
}

/// The caller's own profile, with what only they may see.
#[derive(Debug, Clone)]
pub struct SelfView {
    pub profile: Profile,
    pub email: Email,
}

impl SelfView {
    async fn read(
        accounts: &dyn AccountRepository,
        profiles: &CachedProfiles,
        me: UserId,
    ) -> Result<Self, AppError> {
        let account = accounts
            .find(me)
            .await?
            .ok_or(AppError::NotFound("user_not_found"))?;
        let profile = profiles
            .load(me)
            .await?
            .ok_or(AppError::NotFound("user_not_found"))?;
        Ok(Self {
            profile,
            email: account.user.email,
        })
    }
}

/// Every users handler, built once at startup.
pub struct UsersHandlers {
    pub own_profile: OwnProfileHandler,
    pub profile: ProfileHandler,
    pub update_profile: UpdateProfileHandler,
    pub search: UserSearchHandler,
    pub shown_beside: ShownBesideHandler,
    pub settings: SettingsHandler,
    pub update_settings: UpdateSettingsHandler,
    pub contacts: ContactListHandler,
    pub request_contact: RequestContactHandler,
    pub accept_contact: AcceptContactHandler,
    pub remove_contact: RemoveContactHandler,
    pub blocked: BlockListHandler,
    pub block: BlockUserHandler,
    pub unblock: UnblockUserHandler,
    pub key_status: KeyStatusHandler,
    pub upload_keys: UploadKeysHandler,
    pub claim_key_bundle: ClaimKeyBundleHandler,
    pub relationships: Relationships,
}

impl UsersHandlers {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            own_profile: OwnProfileHandler::new(ports),
            profile: ProfileHandler::new(ports),
            update_profile: UpdateProfileHandler::new(ports),
            search: UserSearchHandler::new(ports),
            shown_beside: ShownBesideHandler::new(ports),
            settings: SettingsHandler::new(ports),
            update_settings: UpdateSettingsHandler::new(ports),
            contacts: ContactListHandler::new(ports),
            request_contact: RequestContactHandler::new(ports),
            accept_contact: AcceptContactHandler::new(ports),
            remove_contact: RemoveContactHandler::new(ports),
            blocked: BlockListHandler::new(ports),
            block: BlockUserHandler::new(ports),
            unblock: UnblockUserHandler::new(ports),
            key_status: KeyStatusHandler::new(ports),
            upload_keys: UploadKeysHandler::new(ports),
            claim_key_bundle: ClaimKeyBundleHandler::new(ports),
            relationships: Relationships::new(
                ports.contacts.clone(),
                ports.blocks.clone(),
                ports.settings.clone(),
            ),
        }
    }
}
