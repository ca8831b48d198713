use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::users::{CachedProfiles, SelfView, UsersPorts};
use crate::domain::auth::AccountRepository;
use crate::domain::shared::UserId;

/// The caller's own profile, with their email.
pub struct OwnProfileHandler {
    accounts: Arc<dyn AccountRepository>,
    profiles: CachedProfiles,
}

impl OwnProfileHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            accounts: ports.accounts.clone(),
            profiles: CachedProfiles::new(ports),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(&self, me: UserId) -> Result<SelfView, AppError> {
        SelfView::read(self.accounts.as_ref(), &self.profiles, me).await
    }
}
