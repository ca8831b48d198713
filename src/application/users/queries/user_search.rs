use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{ProfileRepository, SearchPage};

pub struct SearchUsers {
    /// Lowercased, non-empty prefix.
    pub prefix: String,
    pub after: Option<String>,
    pub limit: u64,
}

/// Users by username or display-name prefix, as the viewer may find them.
pub struct UserSearchHandler {
    profiles: Arc<dyn ProfileRepository>,
}

impl UserSearchHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            profiles: ports.profiles.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %viewer))]
    pub async fn handle(&self, viewer: UserId, query: SearchUsers) -> Result<SearchPage, AppError> {
        Ok(self
            .profiles
            .search(viewer, &query.prefix, query.after.as_deref(), query.limit)
            .await?)
    }
}
