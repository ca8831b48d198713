//! Users use cases: profiles, settings, search, contacts, blocks and the key directory, plus
//! `Relationships`, the query port other contexts use for privacy and block rules.

mod contacts;
mod keys;
mod profiles;
mod relationships;
mod settings;

use std::sync::Arc;

pub use contacts::{ContactList, ContactView, ContactsHandler};
pub use keys::{KeysHandler, UploadKeys};
pub use profiles::{ProfilesHandler, SearchUsers, SelfView};
pub use relationships::{RelationsTowards, Relationships};
pub use settings::{SettingsChanges, SettingsHandler};

use crate::application::attachments::Avatars;
use crate::application::limits::WriteLimit;
use crate::application::ports::{Clock, HiddenProfiles, ProfileCache};
use crate::domain::auth::AccountRepository;
use crate::domain::users::{
    BlockRepository, ContactRepository, KeyRepository, ProfileRepository, SettingsRepository,
};

/// The ports the users handlers draw on.
pub struct UsersDeps {
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

/// Every users handler, built once at startup.
pub struct UsersHandlers {
    pub profiles: ProfilesHandler,
    pub settings: SettingsHandler,
    pub contacts: ContactsHandler,
    pub keys: KeysHandler,
    pub relationships: Relationships,
}

impl UsersHandlers {
    pub fn new(deps: UsersDeps) -> Self {
        let deps = Arc::new(deps);
        let relationships = Relationships::new(
            deps.contacts.clone(),
            deps.blocks.clone(),
            deps.settings.clone(),
        );
        Self {
            profiles: ProfilesHandler::new(deps.clone()),
            settings: SettingsHandler::new(deps.clone()),
            contacts: ContactsHandler::new(deps.clone()),
            keys: KeysHandler::new(deps),
            relationships,
        }
    }
}
