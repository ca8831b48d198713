//! The users context's queries: each reads through its ports and changes nothing.

mod block_list;
mod contact_list;
mod key_status;
mod own_profile;
mod profile;
mod settings;
mod shown_beside;
mod user_search;

use std::collections::HashMap;

pub use block_list::BlockListHandler;
pub use contact_list::{ContactList, ContactListHandler, ContactView};
pub use key_status::KeyStatusHandler;
pub(in crate::application::users) use key_status::key_status;
pub use own_profile::OwnProfileHandler;
pub use profile::ProfileHandler;
pub use settings::SettingsHandler;
pub use shown_beside::ShownBesideHandler;
pub use user_search::{SearchUsers, UserSearchHandler};

use crate::application::error::AppError;
use crate::domain::shared::UserId;
use crate::domain::users::{Profile, ProfileRepository};

/// The profiles of `ids`, by id, in one read.
async fn profiles_by_id(
    profiles: &dyn ProfileRepository,
    ids: &[UserId],
) -> Result<HashMap<UserId, Profile>, AppError> {
    let profiles = profiles.find_many(ids).await?;
    Ok(profiles.into_iter().map(|p| (p.id, p)).collect())
}
