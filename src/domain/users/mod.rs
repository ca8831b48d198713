//! The users context: who someone is (profile), what they allow (settings), and how they
//! relate to others (contacts, blocks), plus the E2EE public key directory.

mod display_name;
mod email;
mod keys;
mod profile;
mod relationship;
mod repository;
mod settings;
mod user;
mod username;

pub use display_name::{DisplayName, DisplayNameError};
pub use email::{Email, EmailError};
pub use keys::{
    KeyBundle, KeyError, KeyStatus, OneTimePrekey, PublicKey, SignedPrekey, check_prekeys,
};
pub use profile::{Bio, Profile, ProfileChanges, ProfileError, StatusText};
pub use relationship::{Contact, ContactStatus, Relationship};
pub use repository::{
    BlockRepository, ContactRepository, KeyRepository, ProfileRepository, SearchPage,
    SettingsRepository,
};
pub use settings::{DirectMessagePolicy, NotificationPreferences, Settings, Visibility};
pub use user::User;
pub use username::{Username, UsernameError};
